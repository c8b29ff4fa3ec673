package org.flows4j.zoo.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.flows4j.api.Shape;
import org.flows4j.api.random.RandomSource;

/**
 * Tabular data from a numeric CSV file: {@code csv:PATH}.
 *
 * <p>Format: UTF-8 text (a byte-order mark is skipped), one sample per line, cells separated by
 * commas, each a decimal number such as {@code -1.5}, {@code 3} or {@code 2.5e-3}, optionally
 * quoted ({@code "1.5"}) and surrounded by spaces. Blank lines are skipped. The first non-blank
 * line is a header, and skipped, when any of its cells is not a number; every line must have as
 * many cells as the first. Values are stored as float. Nothing is a label: every column is a
 * feature. Errors name the file, the line (counted from 1, blank lines included) and the
 * column: a ragged line, a cell that is not a number, a {@code NaN} or infinite cell, a value
 * beyond the float range, an empty file, a file with fewer than 3 rows.
 *
 * <p><b>Context columns.</b> {@code csv:PATH;context=NAME,NAME} names columns (by header cell, or
 * by number from 1) that are not features but the context of a conditional model
 * ({@code flows4j train --condition context}): the event shape is then the other columns, and
 * every split carries the named ones as its context rows ({@link DataSplit#withContext}), in
 * the order named ({@link Dataset#contextNames()}).
 *
 * <p>A relative {@code PATH} resolves against {@link DataRequest#dataDir()} when the request
 * names one, else against the working directory.
 *
 * <p>Samples: {@link Dataset.Kind#CONTINUOUS}, event shape {@code [columns]}, modelled as they
 * are (standardize beforehand if the scales differ widely). Splits: the rows are shuffled by
 * {@code RandomSource.seeded(seed).permutation(rows)}, then the last {@code max(1, rows / 10)}
 * shuffled rows are the test split, the {@code max(1, rows / 10)} before them the validation
 * split, and the rest (about 80%) the training split. A {@link DataRequest#limit() limit} keeps
 * that many training rows and shrinks the others in proportion ({@link Splits}).
 */
public final class CsvFactory implements DatasetFactory {

    /** The family name, the part of {@code csv:PATH} before the ':'. */
    public static final String NAME = "csv";

    /** A decimal number; Java's own literal forms (hex, a trailing {@code d} or {@code f}) are not CSV. */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?");

    /** What other tools write for non-finite values: recognised so the message can say so. */
    private static final List<String> NON_FINITE =
            List.of("nan", "inf", "infinity", "-inf", "-infinity", "+inf", "+infinity", "-nan", "+nan");

    /** A public no-argument constructor, for Guice. */
    public CsvFactory() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "tabular data from a numeric CSV file (csv:PATH), optional header, shuffled with the seed, "
                + "split 80/10/10";
    }

    @Override
    public Dataset load(DataRequest request) {
        Objects.requireNonNull(request, "request");
        if (!request.family().equals(NAME)) {
            throw new DataException("the csv data set cannot load '" + request.spec() + "'");
        }
        int limit = Splits.limit(request);
        Path path = resolve(request);
        Table table = parse(path);
        int rows = table.rows;
        if (rows < 3) {
            throw new DataException("csv: " + path + " has " + rows + " data row" + (rows == 1 ? "" : "s")
                    + "; at least 3 are needed, one each for training, validation and test");
        }
        int testFull = Math.max(1, rows / 10);
        int validationFull = testFull;
        int trainFull = rows - validationFull - testFull;
        int[] order = RandomSource.seeded(request.seed()).permutation(rows);
        int keptTrain = Splits.keptTrain(trainFull, limit);
        List<String> contextSpec = contextColumns(request.argument());
        if (!contextSpec.isEmpty()) {
            return withContext(
                    request, path, table, contextSpec, order, trainFull, validationFull, testFull, keptTrain);
        }
        Shape shape = Shape.of(table.columns);
        DataSplit train = gather(table, shape, order, 0, keptTrain);
        DataSplit validation =
                gather(table, shape, order, trainFull, Splits.keptOther(validationFull, keptTrain, trainFull));
        DataSplit test = gather(
                table, shape, order, trainFull + validationFull, Splits.keptOther(testFull, keptTrain, trainFull));
        return new InMemoryDataset(request.spec(), Dataset.Kind.CONTINUOUS, shape, train, validation, test, List.of());
    }

    /** The suffix that names context columns: {@code csv:PATH;context=COLUMN,COLUMN}. */
    static final String CONTEXT = ";context=";

    /** The context columns a spec names after {@value #CONTEXT}, or none. */
    static List<String> contextColumns(String argument) {
        int i = argument.lastIndexOf(CONTEXT);
        if (i < 0) {
            return List.of();
        }
        List<String> out = new java.util.ArrayList<>();
        for (String c : argument.substring(i + CONTEXT.length()).split(",", -1)) {
            if (c.isBlank()) {
                throw new DataRequestException("csv: an empty column name in '" + argument.substring(i + 1)
                        + "'; write context=NAME,NAME (header names or column numbers from 1)");
            }
            out.add(c.strip());
        }
        return out;
    }

    /**
     * Splits whose features are the columns not named as context and whose context rows are the
     * named ones, in the order named; a name is a header cell or a column number from 1.
     */
    private static Dataset withContext(
            DataRequest request,
            Path path,
            Table table,
            List<String> names,
            int[] order,
            int trainFull,
            int validationFull,
            int testFull,
            int keptTrain) {
        int[] ctx = new int[names.size()];
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int k = 0; k < ctx.length; k++) {
            ctx[k] = columnIndex(path, table, names.get(k));
            if (!seen.add(ctx[k])) {
                throw new DataRequestException("csv: context column '" + names.get(k) + "' is named twice");
            }
        }
        if (ctx.length >= table.columns) {
            throw new DataRequestException("csv: " + path + " has " + table.columns + " columns; naming " + ctx.length
                    + " as context leaves no feature");
        }
        int[] features = new int[table.columns - ctx.length];
        for (int c = 0, f = 0; c < table.columns; c++) {
            if (!seen.contains(c)) {
                features[f++] = c;
            }
        }
        List<String> contextNames = new java.util.ArrayList<>();
        for (int c : ctx) {
            contextNames.add(table.header != null ? table.header[c] : "column " + (c + 1));
        }
        Shape shape = Shape.of(features.length);
        int[][] ranges = {
            {0, keptTrain},
            {trainFull, Splits.keptOther(validationFull, keptTrain, trainFull)},
            {trainFull + validationFull, Splits.keptOther(testFull, keptTrain, trainFull)}
        };
        DataSplit[] splits = new DataSplit[3];
        for (int s = 0; s < 3; s++) {
            int from = ranges[s][0];
            int count = ranges[s][1];
            float[] x = new float[count * features.length];
            float[] c = new float[count * ctx.length];
            for (int i = 0; i < count; i++) {
                int row = order[from + i] * table.columns;
                for (int f = 0; f < features.length; f++) {
                    x[i * features.length + f] = table.values[row + features[f]];
                }
                for (int k = 0; k < ctx.length; k++) {
                    c[i * ctx.length + k] = table.values[row + ctx[k]];
                }
            }
            splits[s] = new DataSplit(shape, x, null).withContext(c, ctx.length);
        }
        return new InMemoryDataset(
                        request.spec(), Dataset.Kind.CONTINUOUS, shape, splits[0], splits[1], splits[2], List.of())
                .withContextNames(contextNames);
    }

    private static int columnIndex(Path path, Table table, String name) {
        if (table.header != null) {
            for (int c = 0; c < table.columns; c++) {
                if (table.header[c].equals(name)) {
                    return c;
                }
            }
        }
        if (name.matches("\\d+")) {
            int c = Integer.parseInt(name);
            if (c >= 1 && c <= table.columns) {
                return c - 1;
            }
        }
        throw new DataRequestException("csv: " + path + " has no column '" + name + "'; name a context column by "
                + (table.header != null ? "its header (" + String.join(", ", table.header) + ") or " : "")
                + "its number from 1 to " + table.columns);
    }

    private static Path resolve(DataRequest request) {
        String argument = request.argument();
        int contextAt = argument.lastIndexOf(CONTEXT);
        if (contextAt >= 0) {
            argument = argument.substring(0, contextAt);
        }
        if (argument.isBlank()) {
            throw new DataRequestException("csv needs a file: write csv:PATH, for example csv:data/table.csv");
        }
        Path path;
        try {
            path = Path.of(argument);
        } catch (InvalidPathException e) {
            throw new DataRequestException("csv: '" + argument + "' is not a valid path: " + e.getMessage(), e);
        }
        if (!path.isAbsolute() && request.dataDir() != null) {
            path = request.dataDir().resolve(path);
        }
        if (!Files.exists(path)) {
            throw new DataException(
                    "csv: " + path.toAbsolutePath() + " does not exist"
                            + (Path.of(argument).isAbsolute()
                                    ? ""
                                    : request.dataDir() != null
                                            ? " (a relative path resolves against --data-dir)"
                                            : " (a relative path resolves against the working directory, or --data-dir when given)"));
        }
        if (!Files.isRegularFile(path)) {
            throw new DataException("csv: " + path.toAbsolutePath() + " is not a regular file");
        }
        return path;
    }

    /** The parsed numbers, row-major, and their layout. */
    private static final class Table {
        float[] values = new float[1024];
        String[] header;
        int rows;
        int columns = -1;

        void add(float[] row) {
            if ((long) (rows + 1) * columns > Integer.MAX_VALUE - 8) {
                throw new DataException("csv: the table has more than " + (Integer.MAX_VALUE - 8) + " values");
            }
            int need = (rows + 1) * columns;
            if (need > values.length) {
                values = Arrays.copyOf(
                        values, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * values.length)));
            }
            System.arraycopy(row, 0, values, rows * columns, columns);
            rows++;
        }
    }

    private static Table parse(Path path) {
        Table table = new Table();
        boolean header = false;
        int firstLine = 0;
        int lineNo = 0;
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = line.split(",", -1);
                if (table.columns < 0) {
                    table.columns = cells.length;
                    firstLine = lineNo;
                    if (!allNumbers(cells)) {
                        header = true;
                        table.header = new String[cells.length];
                        for (int c = 0; c < cells.length; c++) {
                            table.header[c] = unquote(cells[c]);
                        }
                        continue;
                    }
                }
                if (cells.length != table.columns) {
                    throw new DataException("csv: " + path + ": line " + lineNo + " has " + cells.length
                            + " column" + (cells.length == 1 ? "" : "s") + ", expected " + table.columns
                            + " (as on line " + firstLine + (header ? ", the header)" : ")"));
                }
                float[] row = new float[cells.length];
                for (int c = 0; c < cells.length; c++) {
                    row[c] = parseCell(path, lineNo, c + 1, cells[c]);
                }
                table.add(row);
            }
        } catch (CharacterCodingException e) {
            // no class names in the message: where the text stops being UTF-8 is what helps
            throw new DataException(
                    "csv: " + path + " is not UTF-8 text (bytes that are not UTF-8 on line " + (lineNo + 1)
                            + "; a binary file?)",
                    e);
        } catch (IOException e) {
            throw new DataException("csv: cannot read " + path + ": " + e, e);
        }
        if (table.columns < 0) {
            throw new DataException("csv: " + path + " is empty");
        }
        if (table.rows == 0 && header) {
            throw new DataException("csv: " + path + " has a header (line " + firstLine + ") but no data rows");
        }
        return table;
    }

    private static String unquote(String cell) {
        String s = cell.strip();
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1).strip();
        }
        return s;
    }

    private static boolean allNumbers(String[] cells) {
        for (String cell : cells) {
            String s = unquote(cell);
            if (!NUMBER.matcher(s).matches() && !NON_FINITE.contains(s.toLowerCase(Locale.ROOT))) {
                return false;
            }
        }
        return true;
    }

    private static float parseCell(Path path, int line, int column, String cell) {
        String s = unquote(cell);
        String where = "csv: " + path + ": line " + line + ", column " + column;
        if (s.isEmpty()) {
            throw new DataException(where + " is empty");
        }
        if (NON_FINITE.contains(s.toLowerCase(Locale.ROOT))) {
            throw new DataException(where + ": '" + s + "' is not finite");
        }
        if (!NUMBER.matcher(s).matches()) {
            throw new DataException(where + ": '" + s + "' is not a number");
        }
        double v = Double.parseDouble(s);
        float f = (float) v;
        if (Double.isInfinite(v) || Float.isInfinite(f)) {
            throw new DataException(
                    where + ": '" + s + "' is out of the float range (magnitude above " + Float.MAX_VALUE + ")");
        }
        return f;
    }

    /** Rows {@code order[from .. from + count)} as a split. */
    private static DataSplit gather(Table table, Shape shape, int[] order, int from, int count) {
        int d = table.columns;
        float[] out = new float[count * d];
        for (int i = 0; i < count; i++) {
            System.arraycopy(table.values, order[from + i] * d, out, i * d, d);
        }
        return new DataSplit(shape, out, null);
    }
}
