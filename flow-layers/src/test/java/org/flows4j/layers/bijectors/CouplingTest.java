package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.flow.Transformed;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.Layer;
import org.flows4j.layers.nn.GlowNet;
import org.flows4j.layers.nn.Mlp;
import org.flows4j.layers.nn.NetworkFactory;
import org.flows4j.layers.nn.ResNet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The coupling factories size the conditioner from the mask and the transform. */
class CouplingTest {

    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.create("cpu");
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static BuildContext ctx(long seed) {
        return BuildContext.of(backend, DType.FLOAT64, RandomSource.seeded(seed));
    }

    /** A factory that records the sizes it is asked for and builds an MLP of them. */
    private static final class Recording implements NetworkFactory {
        final List<int[]> sizes = new ArrayList<>();

        @Override
        public Layer create(BuildContext ctx, int in, int out) {
            sizes.add(new int[] {in, out});
            return Mlp.hidden(4).create(ctx, in, out);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 5, 8})
    void halves_of_n_features(int n) {
        int kept = (n + 1) / 2;
        int transformed = n / 2;
        Recording affine = new Recording();
        Coupling.affine(ctx(1), Masks.halves(n, false), affine, CouplingTransform.Scale.TANH);
        assertArrayEquals(new int[] {kept, 2 * transformed}, affine.sizes.get(0));
        Recording additive = new Recording();
        Coupling.additive(ctx(1), Masks.halves(n, false), additive);
        assertArrayEquals(new int[] {kept, transformed}, additive.sizes.get(0));
        Recording flipped = new Recording();
        Coupling.additive(ctx(1), Masks.halves(n, true), flipped);
        assertArrayEquals(new int[] {transformed, kept}, flipped.sizes.get(0), "flipped: the roles swap");
    }

    @Test
    void odd_even_split_of_mnist_is_nices_392_to_392() {
        Recording r = new Recording();
        Coupling.additive(ctx(1), Masks.oddEven(784, false), r);
        assertArrayEquals(new int[] {392, 392}, r.sizes.get(0));
    }

    @Test
    void checkerboard_conditions_on_every_channel_and_predicts_k_per_channel() {
        Shape image = Shape.of(3, 4, 4);
        Recording affine = new Recording();
        Coupling.affine(ctx(1), Masks.checkerboard(image, false), affine, CouplingTransform.Scale.TANH);
        assertArrayEquals(new int[] {3, 6}, affine.sizes.get(0));
        Recording additive = new Recording();
        Coupling.additive(ctx(1), Masks.checkerboard(image, true), additive);
        assertArrayEquals(new int[] {3, 3}, additive.sizes.get(0));
    }

    @Test
    void channel_wise_mask_splits_the_channels() {
        Recording affine = new Recording();
        Coupling.affine(ctx(1), Masks.channelWise(12, false), affine, CouplingTransform.Scale.SIGMOID);
        assertArrayEquals(new int[] {6, 12}, affine.sizes.get(0));
        Recording additive = new Recording();
        Coupling.additive(ctx(1), Masks.channelWise(12, true), additive);
        assertArrayEquals(new int[] {6, 6}, additive.sizes.get(0));
    }

    @Test
    void built_image_couplings_run_with_their_sized_networks() {
        Tensor x = RandomSource.seeded(3).uniform(backend, DType.FLOAT64, Shape.of(2, 4, 4, 4), -1, 1);
        Coupling checker = Coupling.affine(
                ctx(1),
                Masks.checkerboard(Shape.of(4, 4, 4), false),
                ResNet.width(3).blocks(1),
                CouplingTransform.Scale.TANH);
        Coupling channels = Coupling.affine(
                ctx(2), Masks.channelWise(4, false), GlowNet.hidden(5), CouplingTransform.Scale.SIGMOID);
        for (Coupling c : List.of(checker, channels)) {
            Transformed t = c.forward(x);
            assertEquals(x.shape(), t.value().shape());
            assertArrayEquals(x.toDoubleArray(), c.inverse(t.value()).value().toDoubleArray(), 1e-12);
        }
        ResNet resNet = (ResNet) checker.conditioner();
        assertEquals(List.of(4, 8), List.of(resNet.in(), resNet.out()), "checkerboard: all 4 channels -> 2 x 4");
        GlowNet glowNet = (GlowNet) channels.conditioner();
        assertEquals(List.of(2, 4), List.of(glowNet.in(), glowNet.out()), "channel-wise: 2 kept -> 2 x 2");
    }

    @Test
    void switching_affine_and_additive_is_only_the_factory_call() {
        Mlp.Spec net = Mlp.hidden(8, 8);
        PartitionMask mask = Masks.halves(4, false);
        Coupling affine = Coupling.affine(ctx(5), mask, net, CouplingTransform.Scale.TANH);
        Coupling additive = Coupling.additive(ctx(5), mask, net);
        assertEquals(4, ((Mlp) affine.conditioner()).out());
        assertEquals(2, ((Mlp) additive.conditioner()).out());
        assertEquals(2, affine.transform().parameterCount());
        assertEquals(1, additive.transform().parameterCount());
        // the hidden layers are drawn alike from the same seed: only the (zero) output layer differs in size
        assertArrayEquals(
                affine.parameters().get("net.layers.0.weight").value().toDoubleArray(),
                additive.parameters().get("net.layers.0.weight").value().toDoubleArray());
        Tensor x = RandomSource.seeded(6).uniform(backend, DType.FLOAT64, Shape.of(3, 4), -1, 1);
        for (Coupling c : List.of(affine, additive)) {
            // a zero-initialized last layer makes a fresh coupling of either kind the identity
            Transformed t = c.forward(x);
            assertArrayEquals(x.toDoubleArray(), t.value().toDoubleArray(), 0);
            assertArrayEquals(new double[3], t.logDet().toDoubleArray(), 0);
        }
    }

    @Test
    void the_sized_factory_equals_the_full_composition_with_the_same_draws() {
        PartitionMask mask = Masks.oddEven(6, true);
        CouplingTransform transform = CouplingTransform.affine(CouplingTransform.Scale.TANH);
        Mlp.Spec net = Mlp.hidden(5).zeroInitLast(false);
        Coupling sized = Coupling.of(ctx(9), mask, transform, net);
        Coupling composed = Coupling.of(mask, net.create(ctx(9), 3, 6), transform);
        Tensor x = RandomSource.seeded(10).uniform(backend, DType.FLOAT64, Shape.of(4, 6), -1, 1);
        assertArrayEquals(
                composed.forward(x).value().toDoubleArray(),
                sized.forward(x).value().toDoubleArray(),
                0);
        assertArrayEquals(
                composed.forward(x).logDet().toDoubleArray(),
                sized.forward(x).logDet().toDoubleArray(),
                0);
        assertSame(mask, sized.mask());
        assertSame(transform, sized.transform());
    }

    @Test
    void names_null_arguments_and_reports_a_mis_sized_conditioner() {
        BuildContext c = ctx(1);
        PartitionMask mask = Masks.halves(4, false);
        assertEquals(
                "ctx",
                assertThrows(NullPointerException.class, () -> Coupling.additive(null, mask, Mlp.hidden(2)))
                        .getMessage());
        assertEquals(
                "mask",
                assertThrows(NullPointerException.class, () -> Coupling.additive(c, null, Mlp.hidden(2)))
                        .getMessage());
        assertEquals(
                "network",
                assertThrows(NullPointerException.class, () -> Coupling.additive(c, mask, null))
                        .getMessage());
        assertEquals(
                "scale",
                assertThrows(NullPointerException.class, () -> Coupling.affine(c, mask, Mlp.hidden(2), null))
                        .getMessage());
        assertEquals(
                "conditioner",
                assertThrows(NullPointerException.class, () -> Coupling.of(mask, null, CouplingTransform.additive()))
                        .getMessage());
        // a pre-built net of the additive size under an affine transform: caught on the first pass
        Coupling wrong = Coupling.of(
                mask, Mlp.hidden(2).create(c, 2, 2), CouplingTransform.affine(CouplingTransform.Scale.TANH));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> wrong.forward(Tensor.zeros(backend, DType.FLOAT64, 3, 4)));
        assertTrue(e.getMessage().contains("conditioner returned shape [3, 2]"), e.getMessage());
    }
}
