package org.flows4j.layers.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flows4j.api.DType;
import org.flows4j.api.Shape;

/**
 * The safetensors container: an 8-byte little-endian header length {@code N}, {@code N} bytes
 * of UTF-8 JSON ({@code {"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {..}}}),
 * then the little-endian tensor data, with offsets relative to the start of the data.
 *
 * <p>Reading validates everything the reference implementation (huggingface/safetensors,
 * {@code tensor.rs}) validates, with a message per failure: the header length cap of
 * 100,000,000 bytes, UTF-8, JSON, string-only metadata, shapes against byte sizes, offsets
 * that tile the data exactly (sorted by offset, as the reference does, since the format does
 * not tie header order to data order), and a data section of exactly the claimed size.
 *
 * <p>Writing follows the reference writer: the header is padded with spaces to a multiple of
 * 8 bytes, and data is laid out by descending element size (float64 before float32) so every
 * tensor starts at a multiple of its element size. PyTorch's loader views the bytes as the
 * element type, which requires that alignment; header order stays the caller's order.
 *
 * <p>Data moves through a fixed-size buffer, so reading or writing a tensor needs its host
 * array and one megabyte, never a second copy of the file.
 */
final class SafeTensors {

    /** The reference implementation's limit; a larger length means the file is not safetensors. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The key of the string-to-string metadata map in the header. */
    static final String METADATA_KEY = "__metadata__";

    /** Bytes moved per read or write call: a multiple of 8, so no element straddles two. */
    static final int CHUNK_BYTES = 1 << 20;

    private SafeTensors() {}

    /** One tensor's header entry: where its bytes lie, relative to the start of the data. */
    record Entry(String name, DType dtype, Shape shape, long begin, long end) {
        long byteLength() {
            return end - begin;
        }
    }

    /**
     * A validated header.
     *
     * @param entries the tensors in header order, by name
     * @param metadata the {@code __metadata__} map (empty when absent), in header order
     * @param dataStart the file offset of the data section
     * @param dataBytes the length of the data section
     */
    record Header(Map<String, Entry> entries, Map<String, String> metadata, long dataStart, long dataBytes) {}

    /** The safetensors dtype code. */
    static String code(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
        };
    }

    // =====================================================================================
    // Reading
    // =====================================================================================

    /**
     * Reads and validates the header of {@code channel}'s file (named {@code file} in messages).
     *
     * @throws CheckpointException naming what is wrong
     * @throws IOException if reading fails
     */
    static Header readHeader(FileChannel channel, Path file) throws IOException {
        long size = channel.size();
        if (size == 0) {
            throw new CheckpointException(file, "truncated: the file is empty");
        }
        if (size < 8) {
            throw new CheckpointException(
                    file, "truncated: the file has " + size + " bytes, fewer than the 8 that hold the header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long n = lengthBytes.flip().getLong();
        if (n < 0 || n > MAX_HEADER_BYTES) { // negative: an unsigned length of 2^63 or more
            throw new CheckpointException(
                    file,
                    "not a safetensors file: its first 8 bytes give a header length of " + Long.toUnsignedString(n)
                            + " bytes, over the limit of " + MAX_HEADER_BYTES);
        }
        if (8 + n > size) {
            throw new CheckpointException(
                    file,
                    "truncated: the header length says " + n + " bytes of JSON header, the file has " + (size - 8)
                            + " after the 8-byte length");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
        readFully(channel, headerBytes, 8);
        byte[] json = headerBytes.array();
        checkUtf8(headerBytes.flip(), file);
        Object root;
        try {
            root = Json.parse(json);
        } catch (Json.SyntaxException e) {
            throw new CheckpointException(file, "corrupt header: " + e.getMessage() + " of the JSON header");
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new CheckpointException(
                    file, "corrupt header: the JSON header is " + Json.kind(root) + ", expected an object");
        }
        Map<String, String> metadata = Map.of();
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : top.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = metadata(e.getValue(), file);
            } else {
                entries.put(name, entry(name, e.getValue(), file));
            }
        }
        long dataBytes = checkTiling(entries, file);
        long present = size - 8 - n;
        if (present < dataBytes) {
            throw new CheckpointException(
                    file, "truncated: header says " + dataBytes + " bytes of tensor data, file has " + present);
        }
        if (present > dataBytes) {
            throw new CheckpointException(
                    file,
                    "corrupt: header says " + dataBytes + " bytes of tensor data, file has " + present
                            + " (trailing bytes)");
        }
        return new Header(Collections.unmodifiableMap(entries), metadata, 8 + n, dataBytes);
    }

    private static void checkUtf8(ByteBuffer bytes, Path file) {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer out = CharBuffer.allocate(bytes.remaining());
        CoderResult r = decoder.decode(bytes, out, true);
        if (r.isError()) {
            throw new CheckpointException(
                    file, "corrupt header: not valid UTF-8 at byte " + bytes.position() + " of the JSON header");
        }
    }

    private static Map<String, String> metadata(Object value, Path file) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new CheckpointException(
                    file,
                    "corrupt header: " + METADATA_KEY + " is " + Json.kind(value) + ", expected an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new CheckpointException(
                        file,
                        "corrupt header: " + METADATA_KEY + " entry '" + e.getKey() + "' is " + Json.kind(e.getValue())
                                + ", but metadata values must be strings");
            }
            out.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(out);
    }

    private static Entry entry(String name, Object value, Path file) {
        if (!(value instanceof Map<?, ?> fields)) {
            throw corrupt(
                    file, name, "is " + Json.kind(value) + ", expected an object with dtype, shape and data_offsets");
        }
        for (Object key : fields.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw corrupt(file, name, "has an unknown field '" + key + "'");
            }
        }
        DType dtype = dtype(name, field(fields, "dtype", name, file), file);
        List<?> dims = list(fields, "shape", name, file);
        int[] shape = new int[dims.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0) {
                throw corrupt(file, name, "has shape " + dims + ": dimensions must be non-negative integers");
            }
            elements *= Math.min(d, Integer.MAX_VALUE + 1L); // both factors at most 2^31: no overflow
            if (d > Integer.MAX_VALUE || elements > Integer.MAX_VALUE) {
                throw corrupt(file, name, "has shape " + dims + ", more elements than a Java array holds");
            }
            shape[i] = (int) (long) d;
        }
        List<?> offsets = list(fields, "data_offsets", name, file);
        if (offsets.size() != 2
                || !(offsets.get(0) instanceof Long begin)
                || !(offsets.get(1) instanceof Long end)
                || begin < 0
                || end < 0) {
            throw corrupt(file, name, "has data_offsets " + offsets + ", expected two non-negative integers");
        }
        if (end < begin) {
            throw corrupt(file, name, "has data_offsets " + offsets + " that end before they begin");
        }
        long bytes = elements * dtype.byteSize();
        if (bytes != end - begin) {
            throw new CheckpointException(
                    file,
                    "corrupt header: tensor '" + name + "' has shape "
                            + Shape.of(shape) + " " + code(dtype) + " (" + bytes + " bytes) but data_offsets " + offsets
                            + " span " + (end - begin) + " bytes");
        }
        return new Entry(name, dtype, Shape.of(shape), begin, end);
    }

    private static DType dtype(String name, Object value, Path file) {
        if (value.equals("F32")) {
            return DType.FLOAT32;
        }
        if (value.equals("F64")) {
            return DType.FLOAT64;
        }
        throw new CheckpointException(
                file,
                "tensor '" + name + "' has dtype "
                        + (value instanceof String s ? "'" + s + "'" : Json.kind(value))
                        + ", which flows4j does not read (only F32 and F64)");
    }

    private static Object field(Map<?, ?> fields, String key, String name, Path file) {
        Object v = fields.get(key);
        if (v == null) {
            throw corrupt(file, name, "has no " + key);
        }
        return v;
    }

    private static List<?> list(Map<?, ?> fields, String key, String name, Path file) {
        Object v = field(fields, key, name, file);
        if (!(v instanceof List<?> l)) {
            throw corrupt(file, name, "has " + key + " " + Json.kind(v) + ", expected an array");
        }
        return l;
    }

    private static CheckpointException corrupt(Path file, String name, String what) {
        return new CheckpointException(file, "corrupt header: tensor '" + name + "' " + what);
    }

    /** Checks that the entries cover {@code [0, total)} without gaps or overlaps; returns the total. */
    private static long checkTiling(Map<String, Entry> entries, Path file) {
        List<Entry> byOffset = new ArrayList<>(entries.values());
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin() < expected) {
                throw new CheckpointException(
                        file,
                        "corrupt header: tensor '" + e.name() + "' data_offsets " + span(e) + " overlap tensor '"
                                + previous.name() + "' " + span(previous));
            }
            if (e.begin() > expected) {
                throw new CheckpointException(
                        file,
                        "corrupt header: no tensor covers bytes [" + expected + ", " + e.begin()
                                + ") of the data, before tensor '" + e.name() + "' " + span(e));
            }
            expected = e.end();
            previous = e;
        }
        return expected;
    }

    private static String span(Entry e) {
        return "[" + e.begin() + ", " + e.end() + "]";
    }

    /** The float32 data of {@code e}. */
    static float[] readFloats(FileChannel channel, Header h, Entry e, ByteBuffer scratch) throws IOException {
        float[] out = new float[e.shape().size()];
        long position = h.dataStart() + e.begin();
        for (int done = 0; done < out.length; ) {
            int count = Math.min(scratch.capacity() / Float.BYTES, out.length - done);
            scratch.clear().limit(count * Float.BYTES);
            readFully(channel, scratch, position + (long) done * Float.BYTES);
            scratch.flip().asFloatBuffer().get(out, done, count);
            done += count;
        }
        return out;
    }

    /** The float64 data of {@code e}. */
    static double[] readDoubles(FileChannel channel, Header h, Entry e, ByteBuffer scratch) throws IOException {
        double[] out = new double[e.shape().size()];
        long position = h.dataStart() + e.begin();
        for (int done = 0; done < out.length; ) {
            int count = Math.min(scratch.capacity() / Double.BYTES, out.length - done);
            scratch.clear().limit(count * Double.BYTES);
            readFully(channel, scratch, position + (long) done * Double.BYTES);
            scratch.flip().asDoubleBuffer().get(out, done, count);
            done += count;
        }
        return out;
    }

    private static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                // The size was checked against the header first, so the file shrank under us.
                throw new EOFException("end of file at byte " + at + " (was the file changed while it was read?)");
            }
            at += n;
        }
    }

    /** A little-endian scratch buffer for {@link #readFloats} and friends. */
    static ByteBuffer scratch() {
        return ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    // =====================================================================================
    // Writing
    // =====================================================================================

    /** A tensor to be written: its name, dtype and shape. */
    record Spec(String name, DType dtype, Shape shape) {}

    /**
     * Assigns data offsets: float64 tensors first, then float32, each group in the given
     * order, so every tensor is aligned to its element size. The result is in the given order.
     */
    static List<Entry> layout(List<Spec> specs) {
        List<Entry> out = new ArrayList<>(specs.size());
        long[] begins = new long[specs.size()];
        long offset = 0;
        for (DType group : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            for (int i = 0; i < specs.size(); i++) {
                Spec s = specs.get(i);
                if (s.dtype() == group) {
                    begins[i] = offset;
                    offset += (long) s.shape().size() * s.dtype().byteSize();
                }
            }
        }
        for (int i = 0; i < specs.size(); i++) {
            Spec s = specs.get(i);
            out.add(new Entry(
                    s.name(),
                    s.dtype(),
                    s.shape(),
                    begins[i],
                    begins[i] + (long) s.shape().size() * s.dtype().byteSize()));
        }
        return out;
    }

    /**
     * The 8-byte length followed by the compact JSON header, padded with spaces to a multiple
     * of 8 bytes, in the order: metadata, then the entries in the given order.
     *
     * @throws CharacterCodingException if a name or metadata string is not valid Unicode (a lone surrogate)
     */
    static ByteBuffer header(List<Entry> entries, Map<String, String> metadata) throws CharacterCodingException {
        String b = Json.write(g -> {
            g.writeStartObject();
            g.writeName(METADATA_KEY);
            Json.writeStringObject(g, metadata);
            for (Entry e : entries) {
                g.writeName(e.name());
                g.writeStartObject();
                g.writeStringProperty("dtype", code(e.dtype()));
                g.writeName("shape");
                int[] dims = e.shape().dims();
                g.writeArray(dims, 0, dims.length);
                g.writeName("data_offsets");
                g.writeArray(new long[] {e.begin(), e.end()}, 0, 2);
                g.writeEndObject();
            }
            g.writeEndObject();
        });
        ByteBuffer json = StandardCharsets.UTF_8
                .newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .encode(CharBuffer.wrap(b));
        int length = json.remaining();
        int padded = (length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.flip();
    }

    /** Writes {@code data} little-endian through {@code scratch}. */
    static void writeFloats(FileChannel channel, float[] data, ByteBuffer scratch) throws IOException {
        for (int done = 0; done < data.length; ) {
            int count = Math.min(scratch.capacity() / Float.BYTES, data.length - done);
            scratch.clear();
            scratch.asFloatBuffer().put(data, done, count);
            scratch.limit(count * Float.BYTES);
            writeFully(channel, scratch);
            done += count;
        }
    }

    /** Writes {@code data} little-endian through {@code scratch}. */
    static void writeDoubles(FileChannel channel, double[] data, ByteBuffer scratch) throws IOException {
        for (int done = 0; done < data.length; ) {
            int count = Math.min(scratch.capacity() / Double.BYTES, data.length - done);
            scratch.clear();
            scratch.asDoubleBuffer().put(data, done, count);
            scratch.limit(count * Double.BYTES);
            writeFully(channel, scratch);
            done += count;
        }
    }

    static void writeFully(FileChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }
}
