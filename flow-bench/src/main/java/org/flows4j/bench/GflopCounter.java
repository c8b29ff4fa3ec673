package org.flows4j.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A JMH secondary result: each benchmark invocation adds its FLOP count (in units of
 * {@code 10^9}, as documented on each benchmark), and JMH reports the rate of the field as an
 * operation count per second, that is, GFLOP/s, in the row named {@code ...:gflop}.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class GflopCounter {

    /** Billions of floating-point operations done in this iteration. */
    public double gflop;

    /** Starts each iteration from zero. */
    @Setup(Level.Iteration)
    public void reset() {
        gflop = 0;
    }
}
