package org.flows4j.layers.bijectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.backend.Backends;
import org.flows4j.api.random.RandomSource;
import org.flows4j.api.tensor.Autodiff;
import org.flows4j.api.tensor.Tensor;
import org.flows4j.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link CouplingTransform.Affine} on the fused {@link Tensor#affineCoupling}: the values,
 * log-determinants and gradients of the composition {@code x exp(s) + t} (and its inverse) that
 * it computed before, bit for bit, and the composition itself for parameters that broadcast.
 */
class AffineTransformTest {

    @ParameterizedTest
    @EnumSource(CouplingTransform.Scale.class)
    void forward_and_inverse_are_the_composition_bit_for_bit(CouplingTransform.Scale scale) {
        try (Backend backend = Backends.create("cpu")) {
            CouplingTransform affine = CouplingTransform.affine(scale);
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                for (boolean inverse : new boolean[] {false, true}) {
                    RandomSource r = RandomSource.seeded(6);
                    Shape shape = Shape.of(10, 3);
                    Tensor x = r.uniform(backend, dt, shape, -2, 2).requiringGrad();
                    Tensor hs = r.uniform(backend, dt, shape, -2, 2).requiringGrad();
                    Tensor ht = r.uniform(backend, dt, shape, -1, 1).requiringGrad();
                    Tensor w = r.uniform(backend, dt, shape, -1, 1);
                    Tensor wLogDet = r.uniform(backend, dt, shape, -1, 1);
                    CouplingTransform.Result fused =
                            inverse ? affine.inverse(x, List.of(hs, ht)) : affine.forward(x, List.of(hs, ht));
                    Tensor s = scale.logScale(hs);
                    Tensor value = inverse
                            ? x.sub(ht).mul(s.neg().exp())
                            : x.mul(s.exp()).add(ht);
                    Tensor logDet = inverse ? s.neg() : s;
                    String what = scale + " " + dt + (inverse ? " inverse" : " forward");
                    assertArrayEquals(value.toDoubleArray(), fused.value().toDoubleArray(), what + " values");
                    assertArrayEquals(logDet.toDoubleArray(), fused.logDet().toDoubleArray(), what + " log-det");
                    List<Tensor> wrt = List.of(x, hs, ht);
                    List<Tensor> gFused = Autodiff.grad(
                            fused.value()
                                    .mul(w)
                                    .sum()
                                    .add(fused.logDet().mul(wLogDet).sum()),
                            wrt);
                    List<Tensor> gRef = Autodiff.grad(
                            value.mul(w).sum().add(logDet.mul(wLogDet).sum()), wrt);
                    for (int i = 0; i < 3; i++) {
                        assertArrayEquals(
                                gRef.get(i).toDoubleArray(), gFused.get(i).toDoubleArray(), what + " gradient " + i);
                    }
                }
            }
        }
    }

    @Test
    void inverse_undoes_forward() {
        try (Backend backend = Backends.create("cpu")) {
            CouplingTransform affine = CouplingTransform.affine(CouplingTransform.Scale.TANH);
            RandomSource r = RandomSource.seeded(7);
            Shape shape = Shape.of(20, 4);
            Tensor x = r.uniform(backend, DType.FLOAT64, shape, -3, 3);
            List<Tensor> params = List.of(
                    r.uniform(backend, DType.FLOAT64, shape, -3, 3), r.uniform(backend, DType.FLOAT64, shape, -1, 1));
            CouplingTransform.Result y = affine.forward(x, params);
            CouplingTransform.Result back = affine.inverse(y.value(), params);
            new Tolerance(0, 1e-14, "a few float64 ulps of |x e^s| < 9")
                    .assertAllclose("x", back.value().toDoubleArray(), x.toDoubleArray());
            Tolerance.EXACT.assertAllclose(
                    "log-dets cancel", back.logDet().add(y.logDet()).toDoubleArray(), new double[shape.size()]);
        }
    }

    @Test
    void parameters_that_broadcast_take_the_composition() {
        try (Backend backend = Backends.create("cpu")) {
            CouplingTransform affine = CouplingTransform.affine(CouplingTransform.Scale.EXP);
            RandomSource r = RandomSource.seeded(8);
            Tensor x = r.uniform(backend, DType.FLOAT64, Shape.of(5, 3), -2, 2);
            Tensor s = r.uniform(backend, DType.FLOAT64, Shape.of(3), -1, 1);
            Tensor t = r.uniform(backend, DType.FLOAT64, Shape.of(3), -1, 1);
            assertArrayEquals(
                    x.mul(s.exp()).add(t).toDoubleArray(),
                    affine.forward(x, List.of(s, t)).value().toDoubleArray());
            assertArrayEquals(
                    x.sub(t).mul(s.neg().exp()).toDoubleArray(),
                    affine.inverse(x, List.of(s, t)).value().toDoubleArray());
        }
    }
}
