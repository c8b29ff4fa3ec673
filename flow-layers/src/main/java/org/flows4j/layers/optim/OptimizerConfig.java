package org.flows4j.layers.optim;

import java.util.Map;
import org.flows4j.api.flow.Parameter;

/**
 * An optimizer's settings as a value: which optimizer, its learning-rate schedule and its
 * hyper-parameters, validated when built. It makes the optimizer ({@link #create}) and
 * describes itself for checkpoint metadata ({@link #describe()}), so that a resumed run can
 * check it continues with the same settings.
 *
 * <pre>{@code
 * OptimizerConfig adam = Adam.builder().schedule(LearningRateSchedule.linearWarmup(1e-3, 200)).build();
 * OptimizerConfig sgd = Sgd.builder().learningRate(0.1).momentum(0.9).nesterov(true).build();
 * Optimizer optimizer = adam.create(flow.parameters());
 * }</pre>
 */
public sealed interface OptimizerConfig permits Adam.Config, Sgd.Config {

    /**
     * The optimizer's stable name: {@code adam} or {@code sgd}.
     *
     * @return the name, as written to checkpoint metadata
     */
    String name();

    /**
     * The learning rate of each update.
     *
     * @return the learning-rate schedule
     */
    LearningRateSchedule schedule();

    /**
     * The same settings with another schedule.
     *
     * @param schedule the learning-rate schedule of the new settings
     * @return new settings; these are unchanged
     * @throws NullPointerException if {@code schedule} is null
     */
    OptimizerConfig withSchedule(LearningRateSchedule schedule);

    /**
     * The per-parameter multipliers of the schedule's rate.
     *
     * @return the factors; {@link LearningRateFactors#NONE} when every parameter takes the schedule's rate
     */
    LearningRateFactors learningRateFactors();

    /**
     * The same settings with other learning-rate factors.
     *
     * @param factors the per-parameter multipliers of the new settings
     * @return new settings; these are unchanged
     * @throws NullPointerException if {@code factors} is null
     */
    OptimizerConfig withLearningRateFactors(LearningRateFactors factors);

    /**
     * A new optimizer of {@code parameters} with these settings, at step 0.
     *
     * @param parameters the trainable parameters to update, by name (a module's
     *     {@link org.flows4j.api.flow.Component#parameters()})
     * @return the new optimizer
     * @throws IllegalArgumentException if a parameter is a state slot, a learning-rate factor's pattern matches
     *     no parameter, or the schedule is a
     *     cosine decay whose length was never set ({@link ScheduleConfig#forRun})
     */
    Optimizer create(Map<String, Parameter> parameters);

    /**
     * Every setting by stable key, for checkpoint metadata: {@code optimizer} (the
     * {@linkplain #name() name}), the hyper-parameters ({@code beta1}, {@code beta2},
     * {@code epsilon}, {@code weight_decay} for Adam; {@code momentum}, {@code nesterov},
     * {@code weight_decay} for SGD), {@code lr_factor.<pattern>} for each
     * {@linkplain #learningRateFactors() learning-rate factor}, {@code schedule} (the schedule's name, or {@code custom}
     * for a schedule that is not a {@link ScheduleConfig}) and {@code schedule.<key>} for each of
     * its settings. Numbers read back exactly.
     *
     * @return a new map of the settings as strings, in a stable order
     */
    Map<String, String> describe();
}
