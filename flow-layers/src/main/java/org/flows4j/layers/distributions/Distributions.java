package org.flows4j.layers.distributions;

/** Argument checks shared by the distributions. */
final class Distributions {

    private Distributions() {}

    static void checkTemperature(double temperature) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("sampling temperature must be finite and >= 0, got " + temperature);
        }
    }
}
