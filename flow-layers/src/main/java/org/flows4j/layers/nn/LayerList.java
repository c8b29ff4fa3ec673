package org.flows4j.layers.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.flows4j.api.flow.Component;
import org.flows4j.layers.AbstractComponent;

/**
 * Children registered under their index ({@code 0}, {@code 1}, ...), so that a network's
 * slots are named {@code layers.0.weight} as in PyTorch's {@code nn.ModuleList}.
 */
final class LayerList<M extends Component> extends AbstractComponent {

    private final List<M> items;

    LayerList(List<M> items) {
        List<M> copy = new ArrayList<>(items);
        for (int i = 0; i < copy.size(); i++) {
            child(Integer.toString(i), copy.get(i));
        }
        this.items = Collections.unmodifiableList(copy);
    }

    List<M> items() {
        return items;
    }
}
