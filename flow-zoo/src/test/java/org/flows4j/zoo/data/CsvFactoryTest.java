package org.flows4j.zoo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.flows4j.api.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CSV tables written in a temporary directory: parsing, header detection, splits and every error. */
class CsvFactoryTest {

    private static final int ROWS = 30;

    @TempDir
    Path dir;

    private final CsvFactory factory = new CsvFactory();

    /** Row r of the standard table: four distinct values, so each row can be recognised. */
    static float[] row(int r) {
        return new float[] {r, -r * 0.5f, r * 1e-3f, 100 + r};
    }

    static String table(boolean header) {
        StringBuilder s = new StringBuilder(header ? "a,b,c,d\n" : "");
        for (int r = 0; r < ROWS; r++) {
            float[] v = row(r);
            s.append(v[0])
                    .append(',')
                    .append(v[1])
                    .append(',')
                    .append(v[2])
                    .append(',')
                    .append(v[3])
                    .append('\n');
        }
        return s.toString();
    }

    Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    Dataset load(Path file, long seed, int limit) {
        return factory.load(new DataRequest("csv:" + file, null, seed, limit));
    }

    String fails(String content) throws IOException {
        Path file = write("bad.csv", content);
        return assertThrows(DataException.class, () -> load(file, 0, 0)).getMessage();
    }

    static void assertContains(String expected, String message) {
        assertTrue(message.contains(expected), () -> "message '" + message + "' lacks '" + expected + "'");
    }

    /** The rows of a split, as the index of the standard row each one is. */
    static List<Integer> rowsOf(DataSplit s) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            float[] v = s.sample(i);
            int r = (int) v[0];
            assertArrayEquals(row(r), v);
            out.add(r);
        }
        return out;
    }

    @Test
    void with_and_without_header_the_same_rows_split_80_10_10() throws IOException {
        for (boolean header : new boolean[] {false, true}) {
            Dataset d = load(write("t.csv", table(header)), 11, 0);
            assertEquals(Shape.of(4), d.eventShape());
            assertEquals(Dataset.Kind.CONTINUOUS, d.kind());
            assertTrue(d.labelNames().isEmpty());
            assertEquals(24, d.train().size());
            assertEquals(3, d.validation().size());
            assertEquals(3, d.test().size());
            List<Integer> all = new ArrayList<>(rowsOf(d.train()));
            all.addAll(rowsOf(d.validation()));
            all.addAll(rowsOf(d.test()));
            assertEquals(ROWS, all.stream().distinct().count(), "every row exactly once: " + all);
            assertFalse(all.equals(all.stream().sorted().toList()), "rows are shuffled");
        }
    }

    @Test
    void the_same_seed_gives_the_same_split_and_another_seed_another() throws IOException {
        Path file = write("t.csv", table(true));
        assertEquals(rowsOf(load(file, 1, 0).train()), rowsOf(load(file, 1, 0).train()));
        assertEquals(rowsOf(load(file, 1, 0).test()), rowsOf(load(file, 1, 0).test()));
        assertFalse(
                rowsOf(load(file, 1, 0).train()).equals(rowsOf(load(file, 2, 0).train())));
    }

    @Test
    void a_limit_keeps_a_prefix_and_shrinks_the_other_splits() throws IOException {
        Path file = write("t.csv", table(false));
        Dataset full = load(file, 4, 0);
        Dataset small = load(file, 4, 12);
        assertEquals(12, small.train().size());
        assertEquals(2, small.validation().size()); // ceil(3 * 12 / 24)
        assertEquals(2, small.test().size());
        assertEquals(rowsOf(full.train()).subList(0, 12), rowsOf(small.train()));
        assertEquals(rowsOf(full.test()).subList(0, 2), rowsOf(small.test()));
    }

    @Test
    void quotes_spaces_blank_lines_crlf_and_a_byte_order_mark() throws IOException {
        Path file = write("t.csv", "\uFEFF\"x\", \"y\"\r\n\r\n 1.5 ,\"-2\"\r\n3e2,+.5\r\n\r\n4,5\r\n");
        Dataset d = load(file, 0, 0);
        List<float[]> rows = new ArrayList<>();
        for (DataSplit s : List.of(d.train(), d.validation(), d.test())) {
            for (int i = 0; i < s.size(); i++) {
                rows.add(s.sample(i));
            }
        }
        rows.sort((a, b) -> Float.compare(a[0], b[0]));
        assertArrayEquals(new float[] {1.5f, -2f}, rows.get(0));
        assertArrayEquals(new float[] {4f, 5f}, rows.get(1));
        assertArrayEquals(new float[] {300f, 0.5f}, rows.get(2));
    }

    @Test
    void a_relative_path_resolves_against_the_data_directory() throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        write("sub/t.csv", table(false));
        Dataset d = factory.load(new DataRequest("csv:sub/t.csv", dir, 0, 0));
        assertEquals(24, d.train().size());
        String m = assertThrows(DataException.class, () -> factory.load(new DataRequest("csv:sub/none.csv", dir, 0, 0)))
                .getMessage();
        assertContains(dir.resolve("sub/none.csv").toAbsolutePath() + " does not exist", m);
        assertContains("resolves against --data-dir", m);
    }

    @Test
    void missing_file() {
        Path none = dir.resolve("none.csv");
        assertContains(
                "csv: " + none + " does not exist",
                assertThrows(DataException.class, () -> load(none, 0, 0)).getMessage());
        assertContains(
                "csv: " + dir + " is not a regular file",
                assertThrows(DataException.class, () -> load(dir, 0, 0)).getMessage());
        assertContains(
                "csv needs a file: write csv:PATH",
                assertThrows(DataException.class, () -> factory.load(new DataRequest("csv", null, 0, 0)))
                        .getMessage());
    }

    @Test
    void ragged_row() throws IOException {
        StringBuilder s = new StringBuilder("a,b,c,d\n");
        for (int line = 2; line <= 20; line++) {
            s.append(line == 17 ? "1,2,3\n" : "1,2,3,4\n");
        }
        assertContains("bad.csv: line 17 has 3 columns, expected 4 (as on line 1, the header)", fails(s.toString()));
        assertContains("line 2 has 5 columns, expected 4 (as on line 1)", fails("1,2,3,4\n1,2,3,4,5\n"));
    }

    @Test
    void non_numeric_cell() throws IOException {
        assertContains("bad.csv: line 5, column 2: 'abc' is not a number", fails("x,y\n1,2\n3,4\n5,6\n7,abc\n"));
        assertContains("line 2, column 1: '0x10' is not a number", fails("1,2\n0x10,2\n3,4\n"));
        assertContains("line 3, column 2 is empty", fails("1,2\n3,4\n5,\n6,7\n"));
    }

    @Test
    void non_finite_cells() throws IOException {
        assertContains("line 2, column 1: 'NaN' is not finite", fails("1,2\nNaN,2\n3,4\n"));
        assertContains("line 3, column 2: '-inf' is not finite", fails("1,2\n2,3\n3,-inf\n"));
        assertContains("line 1, column 2: 'Infinity' is not finite", fails("1,Infinity\n2,3\n3,4\n"));
        assertContains("line 2, column 2: '1e39' is out of the float range", fails("1,2\n2,1e39\n3,4\n"));
    }

    @Test
    void empty_files() throws IOException {
        assertContains("bad.csv is empty", fails(""));
        assertContains("bad.csv is empty", fails("\n  \n"));
        assertContains("bad.csv has a header (line 1) but no data rows", fails("a,b\n"));
        assertContains("bad.csv has 2 data rows; at least 3 are needed", fails("a,b\n1,2\n3,4\n"));
    }
}
