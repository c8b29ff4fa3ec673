package org.flows4j.layers;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.flows4j.api.flow.Component;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.tensor.Tensor;

/**
 * The base of every layer: registers parameters, state slots and child modules by name, in
 * order, and derives the hierarchical names ({@code child.grandchild.weight}) from that
 * registration, so names are stable and never written twice.
 *
 * <p>Subclasses register everything in their constructor. Training mode propagates to
 * children.
 */
public abstract class AbstractComponent implements Component {

    private final Map<String, Object> slots = new LinkedHashMap<>();
    private volatile boolean training = true;

    /**
     * Registers a trainable parameter with its initial value.
     *
     * @param name the slot name, unique in this component; non-empty and without {@code '.'}
     * @param initial the initial value; the parameter holds it (not a copy)
     * @return the registered parameter, to keep in a field
     * @throws IllegalArgumentException if {@code name} is empty, contains {@code '.'} or is taken
     */
    protected final Parameter parameter(String name, Tensor initial) {
        return register(name, Parameter.trainable(initial));
    }

    /**
     * Registers a non-trainable state slot with its initial value.
     *
     * @param name the slot name, unique in this component; non-empty and without {@code '.'}
     * @param initial the initial value; the slot holds it (not a copy)
     * @return the registered state slot, to keep in a field
     * @throws IllegalArgumentException if {@code name} is empty, contains {@code '.'} or is taken
     */
    protected final Parameter state(String name, Tensor initial) {
        return register(name, Parameter.state(initial));
    }

    /**
     * Registers a child module; its slots appear under {@code name.}.
     *
     * @param <M> the child's type, returned as is
     * @param name the slot name, unique in this component; non-empty and without {@code '.'}
     * @param module the child; its training mode follows this component's from now on
     * @return {@code module} itself, to keep in a field
     * @throws IllegalArgumentException if {@code name} is empty, contains {@code '.'} or is taken
     */
    protected final <M extends Component> M child(String name, M module) {
        return register(name, module);
    }

    private <T> T register(String name, T slot) {
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("slot name '" + name + "' must be non-empty and contain no '.'");
        }
        if (slots.putIfAbsent(name, slot) != null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " already has a slot named '" + name + "'");
        }
        return slot;
    }

    @Override
    public Map<String, Parameter> variables() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        slots.forEach((name, slot) -> {
            if (slot instanceof Parameter p) {
                out.put(name, p);
            } else {
                ((Component) slot).variables().forEach((k, v) -> out.put(name + "." + k, v));
            }
        });
        return Collections.unmodifiableMap(out);
    }

    @Override
    public void setTraining(boolean training) {
        this.training = training;
        for (Object slot : slots.values()) {
            if (slot instanceof Component m) {
                m.setTraining(training);
            }
        }
    }

    /**
     * Whether this module is in training mode (the default) rather than evaluation mode.
     *
     * @return {@code true} in training mode, {@code false} in evaluation mode
     */
    protected final boolean isTraining() {
        return training;
    }
}
