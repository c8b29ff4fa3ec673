package org.flows4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.backend.Backend;
import org.flows4j.api.flow.Parameter;
import org.flows4j.api.random.RandomSource;
import org.flows4j.cli.plot.FlowPlots;
import org.flows4j.cli.plot.LossHistory;
import org.flows4j.cli.plot.LossPlot;
import org.flows4j.layers.BuildContext;
import org.flows4j.layers.io.CheckpointInfo;
import org.flows4j.layers.io.Checkpoints;
import org.flows4j.zoo.Zoo;
import org.flows4j.zoo.data.DataRequest;
import org.flows4j.zoo.data.DataSplit;
import org.flows4j.zoo.data.Dataset;
import org.flows4j.zoo.models.ModelRequest;
import org.flows4j.zoo.models.ModelSpec;
import org.flows4j.zoo.models.ZooModel;
import org.flows4j.zoo.train.EvalResult;
import org.flows4j.zoo.train.RunDirectory;
import org.flows4j.zoo.train.RunDirectoryLockedException;
import org.flows4j.zoo.train.ZooTrainer;
import picocli.CommandLine.ITypeConverter;

/**
 * What the training and evaluation commands share: turning names into models and data sets
 * (a name that does not exist is a usage error, exit 2), and the common report fields.
 */
final class Runs {

    /** The picture of the density, in the output directory. */
    static final String DENSITY_PNG = "density.png";
    /** The picture of samples beside the data, in the output directory. */
    static final String SAMPLES_PNG = "samples.png";

    static final int SAMPLES_SHOWN = 2000;
    /** The picture of the training and validation losses, beside the checkpoint. */
    static final String LOSS_PNG = "loss.png";
    /** The checkpoint metadata entry that names the command that wrote it ({@code train}, {@code quickstart}). */
    static final String COMMAND_KEY = "command";

    /**
     * Locks the run directory {@code dir} for this command until it ends (a second writer is
     * refused naming the holder's process id) and says on stderr which stale temporary files
     * of killed writers it removed.
     */
    static RunDirectory openRunDirectory(ZooCommand command, Path dir) {
        RunDirectory run;
        try {
            run = RunDirectory.open(dir);
        } catch (RunDirectoryLockedException e) {
            throw new IllegalStateException("cannot write " + e.getMessage(), e);
        }
        command.closeAfterReport(run);
        for (Path f : run.removedTemporaryFiles()) {
            command.terminal.err().println("flows4j: removed " + f + ", left by a writer that was killed");
        }
        return run;
    }

    /** " (MODEL, step N, written by COMMAND)" for messages, or "" if the header cannot be read. */
    static String describeCheckpoint(Path file) {
        try {
            CheckpointInfo info = Checkpoints.readInfo(file);
            String by = info.metadata().extra().get(COMMAND_KEY);
            return " (" + info.metadata().modelSpec() + ", step "
                    + info.metadata().step() + (by != null ? ", written by flows4j " + by : "") + ")";
        } catch (RuntimeException unreadable) {
            return "";
        }
    }

    /**
     * Fails (exit 1) unless {@code file} is a regular file, saying what it is instead: missing,
     * a directory, or something that is not a file (a FIFO, a device).
     */
    static void requireCheckpointFile(Path file, String what) {
        if (Files.isRegularFile(file)) {
            return;
        }
        String is;
        if (!Files.exists(file)) {
            is = "no such file";
        } else if (Files.isDirectory(file)) {
            is = "it is a directory; give the checkpoint file in it, such as " + file.resolve(ZooTrainer.CHECKPOINT);
        } else {
            is = "it is not a regular file (a FIFO, socket or device)";
        }
        throw new IllegalStateException(what + ": checkpoint " + file + ": " + is);
    }

    /**
     * "; non-finite values in its weights: NAMES" naming the parameters that hold NaN or an
     * infinity (at most five), or "" when every weight is finite.
     */
    static String nonFiniteWeights(ZooModel model) {
        java.util.List<String> bad = new java.util.ArrayList<>();
        for (Map.Entry<String, Parameter> e : model.flow().parameters().entrySet()) {
            for (double v : e.getValue().value().toDoubleArray()) {
                if (!Double.isFinite(v)) {
                    bad.add(e.getKey());
                    break;
                }
            }
        }
        if (bad.isEmpty()) {
            return "";
        }
        return "; non-finite values in its weights: " + String.join(", ", bad.subList(0, Math.min(5, bad.size())))
                + (bad.size() > 5 ? " and " + (bad.size() - 5) + " more" : "");
    }

    /** Whether two paths name one file (both must exist), else whether they are equal once absolute. */
    static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    private Runs() {}

    /** Parses {@code family[:preset]}, fills in the default preset, and checks both exist. */
    static ModelSpec modelSpec(Zoo zoo, String text) {
        try {
            ModelSpec spec = zoo.complete(ModelSpec.parse(text));
            zoo.model(spec);
            return spec;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage() + " (see 'flows4j models')", e);
        }
    }

    /** Loads a data set; an unknown family is a usage error, a missing or bad file a failure. */
    static Dataset loadData(Zoo zoo, String spec, Path dir, long seed, int limit) {
        DataRequest request = new DataRequest(spec, dir, seed, limit);
        if (!zoo.datasets().containsKey(request.family())) {
            throw new UsageException("unknown data set '" + request.family() + "'; known: "
                    + String.join(", ", zoo.datasets().keySet()) + " (see 'flows4j datasets')");
        }
        if (dir != null && !zoo.datasets().get(request.family()).readsDataDirectory()) {
            throw new UsageException("--data-dir " + dir + " does not apply to '" + request.family()
                    + "', which reads no files (it is generated from the seed); leave --data-dir out");
        }
        return zoo.dataset(request);
    }

    /**
     * Builds a fresh model for the data. The factory's {@link IllegalArgumentException} (an
     * unknown option, data the family cannot model) is the user's to fix: a usage error.
     */
    static ZooModel build(
            Zoo zoo,
            ModelSpec spec,
            Dataset data,
            Backend backend,
            DType dtype,
            long seed,
            Map<String, String> options) {
        return build(zoo, spec, data, backend, dtype, seed, options, org.flows4j.zoo.models.Conditioning.none());
    }

    /** {@link #build(Zoo, ModelSpec, Dataset, Backend, DType, long, Map)} of a conditional model. */
    static ZooModel build(
            Zoo zoo,
            ModelSpec spec,
            Dataset data,
            Backend backend,
            DType dtype,
            long seed,
            Map<String, String> options,
            org.flows4j.zoo.models.Conditioning conditioning) {
        try {
            return zoo.model(spec)
                    .build(new ModelRequest(
                            spec.preset(),
                            data.eventShape(),
                            data.kind(),
                            BuildContext.of(backend, dtype, RandomSource.seeded(seed)),
                            options,
                            conditioning));
        } catch (IllegalArgumentException e) {
            throw new UsageException(spec + " on " + data.name() + ": " + e.getMessage(), e);
        }
    }

    /** Trainable scalars in the model. */
    static long parameterCount(ZooModel model) {
        long n = 0;
        for (Parameter p : model.flow().parameters().values()) {
            n += p.shape().size();
        }
        return n;
    }

    /** The fields every training and evaluation report starts with. */
    static void putModel(Report r, String command, Backend backend, ZooModel model, String data) {
        r.put("command", command);
        r.put("backend", backend.name());
        r.put("model", model.spec().toString());
        r.put("data", data);
        r.put("dtype", model.dtype().label());
        r.put("parameters", parameterCount(model));
    }

    /** {@code n}, {@code nll_nats} and, for images, {@code bits_per_dim}. */
    static void putEval(Report r, String split, EvalResult e) {
        r.put("split", split);
        r.put("n", e.n());
        r.put("nll_nats", e.nllNats());
        if (e.hasBitsPerDim()) {
            r.put("bits_per_dim", e.bitsPerDim());
        }
    }

    /** Writes {@code density.png} and {@code samples.png} of a 2-D model into {@code dir}. */
    static Map<String, Path> pictures(ZooModel model, Dataset data, Path dir, long seed) {
        Path density = dir.resolve(DENSITY_PNG);
        Path samples = dir.resolve(SAMPLES_PNG);
        // Two thousand points a panel: enough to show the shape, few enough to see each one.
        DataSplit shown = data.test().head(SAMPLES_SHOWN);
        // A conditional model is drawn as its marginal over the test split's contexts: each sample
        // given its test point's context, the density a mixture over some of them.
        org.flows4j.cli.plot.PlotContext given = org.flows4j.cli.plot.PlotContext.marginal(model, shown);
        String note = given.isNone() ? "" : " (" + given.description() + ")";
        FlowPlots.density(
                model,
                data.test(),
                density,
                model.spec() + " density" + note + ", " + data.name() + " test points",
                given);
        FlowPlots.samples(
                model,
                shown,
                RandomSource.seeded(seed),
                samples,
                data.name() + " (test split, n=" + shown.size() + ")",
                model.spec() + " samples (n=" + shown.size() + ")" + note,
                given);
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("density", density);
        files.put("samples", samples);
        return files;
    }

    /**
     * Writes {@code loss.png} of a run into {@code dir}: nats per example against the step, and
     * for images a second axis in bits per dimension.
     *
     * @param resumedFrom the step the run resumed from (0 for a new run), for the title
     */
    static Path lossPicture(ZooModel model, Dataset data, LossHistory history, Path dir, long resumedFrom) {
        Path file = dir.resolve(LOSS_PNG);
        boolean images = model.kind() == Dataset.Kind.IMAGE_8BIT;
        String title =
                model.spec() + " on " + data.name() + (resumedFrom > 0 ? ", resumed at step " + resumedFrom : "");
        LossPlot.write(
                history,
                file,
                title,
                images ? "NLL, nats per image (pixels scaled to [0, 1])" : "NLL, nats per example",
                images ? LossPlot.SecondaryAxis.bitsPerDim(model.eventShape().size()) : null);
        return file;
    }

    static String seconds(double s) {
        return String.format(Locale.ROOT, s < 10 ? "%.2f s" : "%.1f s", s);
    }

    static double round(double v, int decimals) {
        double p = Math.pow(10, decimals);
        return Math.round(v * p) / p;
    }

    /** Parses {@code --dtype}. */
    static final class DTypeConverter implements ITypeConverter<DType> {
        @Override
        public DType convert(String value) {
            try {
                return DType.parse(value);
            } catch (IllegalArgumentException e) {
                // picocli would name the exception's class beside its message
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
