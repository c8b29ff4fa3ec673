package org.flows4j.layers.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Per-parameter multipliers of the learning rate, chosen by patterns over the parameters'
 * hierarchical names: what PyTorch expresses with parameter groups, and Caffe with a layer's
 * {@code lr_mult}. A parameter whose name matches pattern {@code p} is updated at
 * {@code factor(p) * schedule.at(step)}; one that matches none at the schedule's rate. The first
 * matching pattern, in the order given, decides.
 *
 * <p>A pattern is matched against the whole name; {@code *} stands for any run of characters
 * (dots included) and every other character for itself. {@code *.logScale} matches
 * {@code bijector.6.logScale}; {@code bijector.6.*} every parameter of that bijector.
 *
 * <p>Why a model needs one: NICE's diagonal scaling layer sets the scale of every output
 * component, and its best value moves as the couplings learn. At Adam's usual rate its
 * log-scales move at most about {@code lr} per step, so over a short run they lag the
 * couplings and the log-determinant with them; {@code nice:paper}'s recipe gives them a
 * hundred times the rate.
 *
 * <pre>{@code
 * LearningRateFactors f = LearningRateFactors.of(Map.of("*.logScale", 100.0));
 * Optimizer adam = Adam.builder().learningRate(3e-3).learningRateFactors(f).create(flow.parameters());
 * }</pre>
 *
 * <p>Immutable. {@link OptimizerConfig#create} checks that every pattern matches at least one
 * parameter, so a misspelt name is an error rather than a silent no-op.
 */
public final class LearningRateFactors {

    /** The metadata key prefix of {@link #describe}: {@code lr_factor.<pattern>}. */
    public static final String KEY_PREFIX = "lr_factor.";

    /** No factors: every parameter at the schedule's rate. */
    public static final LearningRateFactors NONE = new LearningRateFactors(Map.of());

    /** One pattern, compiled, with its factor. */
    private record Rule(String pattern, Pattern regex, double factor) {

        boolean matches(String name) {
            return regex.matcher(name).matches();
        }
    }

    private final Map<String, Double> factors;
    private final List<Rule> rules;

    private LearningRateFactors(Map<String, Double> factors) {
        this.factors = factors;
        List<Rule> r = new ArrayList<>();
        factors.forEach((pattern, f) -> r.add(new Rule(pattern, compile(pattern), f)));
        this.rules = List.copyOf(r);
    }

    /**
     * Factors by pattern, in the map's iteration order (give a {@link LinkedHashMap} when
     * patterns overlap, since the first match decides).
     *
     * @param factors each pattern's multiplier: patterns non-blank, without whitespace or {@code =};
     *     factors finite and {@code > 0}
     * @return the factors; {@link #NONE} for an empty map
     * @throws NullPointerException if the map, a pattern or a factor is null
     * @throws IllegalArgumentException naming the first pattern or factor out of range
     */
    public static LearningRateFactors of(Map<String, Double> factors) {
        Objects.requireNonNull(factors, "factors");
        if (factors.isEmpty()) {
            return NONE;
        }
        Map<String, Double> copy = new LinkedHashMap<>();
        factors.forEach((pattern, factor) -> {
            Objects.requireNonNull(pattern, "pattern");
            Objects.requireNonNull(factor, "factor of '" + pattern + "'");
            if (pattern.isBlank() || pattern.chars().anyMatch(ch -> Character.isWhitespace(ch) || ch == '=')) {
                throw new IllegalArgumentException("a learning-rate factor's pattern must be a parameter name with "
                        + "optional '*' and no blank or '='; got '" + pattern + "'");
            }
            if (!(factor > 0) || factor.isInfinite()) {
                throw new IllegalArgumentException(
                        "the learning-rate factor of '" + pattern + "' must be finite and > 0; got " + factor);
            }
            copy.put(pattern, factor);
        });
        return new LearningRateFactors(Collections.unmodifiableMap(copy));
    }

    /**
     * Parses {@code PATTERN=FACTOR} entries, as {@code flows4j train --lr-factor} takes them.
     *
     * @param entries for example {@code ["*.logScale=10"]}; empty for {@link #NONE}
     * @return the factors, in the order given
     * @throws IllegalArgumentException naming the first entry that is not {@code PATTERN=FACTOR}, repeats a
     *     pattern, or is out of range
     */
    public static LearningRateFactors parse(List<String> entries) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String entry : entries) {
            int eq = entry.lastIndexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException(
                        "a learning-rate factor is PATTERN=FACTOR, for example '*.logScale=10'; got '" + entry + "'");
            }
            String pattern = entry.substring(0, eq).strip();
            double factor;
            try {
                factor = Double.parseDouble(entry.substring(eq + 1).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the learning-rate factor in '" + entry + "' is not a number", e);
            }
            if (out.put(pattern, factor) != null) {
                throw new IllegalArgumentException("the learning-rate factor pattern '" + pattern + "' is given twice");
            }
        }
        return of(out);
    }

    /**
     * The factors written by {@link #describe} read back from {@code saved} (a checkpoint's settings).
     *
     * @param saved settings by key; the entries under {@link #KEY_PREFIX}, in their order, are read
     * @return the factors found; {@link #NONE} if there are none
     * @throws IllegalArgumentException if one is not a valid factor
     */
    public static LearningRateFactors fromDescription(Map<String, String> saved) {
        Map<String, Double> out = new LinkedHashMap<>();
        saved.forEach((key, value) -> {
            if (key.startsWith(KEY_PREFIX)) {
                try {
                    out.put(key.substring(KEY_PREFIX.length()), Double.parseDouble(value));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "the saved setting " + key + " is not a number: '" + value + "'", e);
                }
            }
        });
        return of(out);
    }

    /**
     * The multipliers by pattern, in matching order.
     *
     * @return an unmodifiable map; empty for {@link #NONE}
     */
    public Map<String, Double> asMap() {
        return factors;
    }

    /**
     * Whether there are none.
     *
     * @return {@code true} for {@link #NONE}
     */
    public boolean isEmpty() {
        return factors.isEmpty();
    }

    /**
     * The multiplier of one parameter.
     *
     * @param parameterName the parameter's hierarchical name
     * @return the factor of the first pattern that matches the whole name, or 1
     */
    public double factorFor(String parameterName) {
        for (Rule r : rules) {
            if (r.matches(parameterName)) {
                return r.factor();
            }
        }
        return 1;
    }

    /**
     * The multiplier of each parameter, after checking that every pattern matches at least one.
     *
     * @param who the optimizer, for messages
     * @param names the parameters' names
     * @return each name's factor, in the order of {@code names}
     * @throws IllegalArgumentException naming a pattern that matches no parameter
     */
    Map<String, Double> resolve(String who, Iterable<String> names) {
        Map<String, Double> out = new LinkedHashMap<>();
        names.forEach(n -> out.put(n, factorFor(n)));
        for (Rule r : rules) {
            if (out.keySet().stream().noneMatch(r::matches)) {
                List<String> some = out.keySet().stream().limit(4).toList();
                throw new IllegalArgumentException(who + ": the learning-rate factor pattern '" + r.pattern()
                        + "' matches no parameter (names look like " + String.join(", ", some)
                        + (out.size() > some.size() ? ", ..." : "") + ")");
            }
        }
        return out;
    }

    /**
     * Writes {@code lr_factor.<pattern>} = factor for each pattern into {@code out}, for
     * checkpoint metadata; nothing when empty, so settings without factors describe as before.
     *
     * @param out the settings map to add to
     */
    public void describe(Map<String, String> out) {
        factors.forEach((pattern, f) -> out.put(KEY_PREFIX + pattern, Double.toString(f)));
    }

    private static Pattern compile(String glob) {
        StringBuilder re = new StringBuilder();
        int from = 0;
        for (int star = glob.indexOf('*'); star >= 0; star = glob.indexOf('*', from)) {
            if (star > from) {
                re.append(Pattern.quote(glob.substring(from, star)));
            }
            re.append(".*");
            from = star + 1;
        }
        if (from < glob.length()) {
            re.append(Pattern.quote(glob.substring(from)));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LearningRateFactors other
                && List.copyOf(factors.entrySet()).equals(List.copyOf(other.factors.entrySet()));
    }

    @Override
    public int hashCode() {
        return List.copyOf(factors.entrySet()).hashCode();
    }

    @Override
    public String toString() {
        return "LearningRateFactors" + factors;
    }
}
