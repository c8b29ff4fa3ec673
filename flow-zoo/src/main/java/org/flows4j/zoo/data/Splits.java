package org.flows4j.zoo.data;

/**
 * The rules every built-in data set shares: checking a request, and shrinking the splits for a
 * {@link DataRequest#limit() limit}.
 *
 * <p>A limit {@code L} with {@code 0 < L < trainSize} keeps the first {@code L} training
 * samples and shrinks the validation and test splits by the same ratio, rounded up, so a quick
 * run also evaluates quickly and each split keeps at least one sample:
 * {@code kept = ceil(size * L / trainSize)}. The kept samples are always a prefix of the full
 * split, so a limited run sees a subset of what a full run sees.
 */
final class Splits {

    private Splits() {}

    /** The request's limit, checked: 0 (no limit) or positive. */
    static int limit(DataRequest request) {
        if (request.limit() < 0) {
            throw new DataException(
                    request.spec() + ": the limit must be 0 (no limit) or positive, got " + request.limit());
        }
        return request.limit();
    }

    /** Throws unless the spec is the bare family name {@code name}, with nothing after a ':'. */
    static void requireNoArgument(DataRequest request, String name) {
        if (!request.family().equals(name)) {
            throw new DataException("the " + name + " data set cannot load '" + request.spec() + "'");
        }
        if (request.spec().indexOf(':') >= 0) {
            throw new DataException(name + " takes no argument, got '" + request.spec() + "'");
        }
    }

    /** The number of training samples kept: {@code min(limit, trainSize)}, or all for limit 0. */
    static int keptTrain(int trainSize, int limit) {
        return limit == 0 ? trainSize : Math.min(limit, trainSize);
    }

    /**
     * The number of samples of another split (validation or test) kept when training keeps
     * {@code keptTrain} of {@code trainSize}: {@code ceil(size * keptTrain / trainSize)}.
     */
    static int keptOther(int size, int keptTrain, int trainSize) {
        if (keptTrain >= trainSize) {
            return size;
        }
        long scaled = ((long) size * keptTrain + trainSize - 1) / trainSize; // ceiling, in long: no overflow
        return (int) Math.min(size, Math.max(1, scaled));
    }
}
