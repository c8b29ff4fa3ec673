package org.flows4j.zoo.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * One IDX file of unsigned bytes (LeCun's MNIST format), plain or gzip'd.
 *
 * <p>Layout, all integers big-endian:
 * <pre>
 *   magic    int32   0x0000 08 NN: two zero bytes, type 0x08 (unsigned byte), NN dimensions
 *   dims     NN x int32, each positive, outermost first
 *   data     dims[0] * ... * dims[NN-1] unsigned bytes, row-major, and nothing after
 * </pre>
 * Images are {@code 0x00000803} ({@code [count, rows, cols]}), labels {@code 0x00000801}
 * ({@code [count]}). Gzip is recognised by its magic bytes {@code 1f 8b}, not by the file name,
 * so a {@code .gz} that was unpacked in place, or the reverse, still reads.
 *
 * <p>Package-private and read-only by convention: the arrays are shared, not copied, because
 * the payload of a training file is tens of megabytes.
 */
final class IdxFile {

    /** The type code of unsigned bytes, the third byte of the magic number. */
    static final int UNSIGNED_BYTE = 0x08;

    /** The magic number of an image file: unsigned bytes, 3 dimensions. */
    static final int IMAGES_MAGIC = 0x00000803;

    /** The magic number of a label file: unsigned bytes, 1 dimension. */
    static final int LABELS_MAGIC = 0x00000801;

    /**
     * The largest payload accepted: the largest Java array. A header asking for more is
     * corrupt (or not IDX); saying so beats an {@link OutOfMemoryError}.
     */
    static final long MAX_PAYLOAD = Integer.MAX_VALUE - 8;

    /** Bytes first allocated for a gzip'd payload, whose true size is only known at its end. */
    private static final int FIRST_CHUNK = 1 << 22;

    /** Where it was read from, for messages. */
    final Path path;

    /** The dimensions from the header. */
    final int[] dims;

    /** The payload: exactly the product of {@link #dims} bytes. */
    final byte[] data;

    private IdxFile(Path path, int[] dims, byte[] data) {
        this.path = path;
        this.dims = dims;
        this.data = data;
    }

    /** The first dimension: the number of items (images or labels). */
    int count() {
        return dims[0];
    }

    /**
     * Reads and checks an IDX file of unsigned bytes.
     *
     * @param path the file, which must exist
     * @param what what the payload holds, in messages ({@code pixels}, {@code labels})
     * @param rank the number of dimensions the file must have
     * @param inner the dimensions after the first that the file must have (for example
     *     {@code {28, 28}}), or null to accept any
     * @throws DataException naming the file and what is wrong with it
     */
    static IdxFile read(Path path, String what, int rank, int[] inner) {
        boolean gzip = isGzip(path);
        try (InputStream raw = Files.newInputStream(path);
                InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : new BufferedInputStream(raw, 1 << 16)) {
            return read(path, in, gzip, what, rank, inner);
        } catch (EOFException e) {
            // GZIPInputStream: the compressed stream ends before its end-of-stream marker
            throw new DataException(path + " is truncated: the gzip stream ends early", e);
        } catch (ZipException e) {
            throw new DataException(path + " is not valid gzip data: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DataException("cannot read " + path + ": " + e, e);
        }
    }

    private static boolean isGzip(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(2);
            return head.length == 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b;
        } catch (IOException e) {
            throw new DataException("cannot read " + path + ": " + e, e);
        }
    }

    private static IdxFile read(Path path, InputStream in, boolean gzip, String what, int rank, int[] inner)
            throws IOException {
        int expectedMagic = (UNSIGNED_BYTE << 8) | rank;
        byte[] magicBytes = in.readNBytes(4);
        if (magicBytes.length < 4) {
            throw truncatedHeader(path, rank, magicBytes.length);
        }
        int magic = bigEndian(magicBytes, 0);
        if ((magic >>> 16) != 0) {
            throw new DataException(path + " is not an IDX file: wrong magic number " + hex(magic) + ", expected "
                    + hex(expectedMagic) + (gzip ? "" : " (or a gzip'd file)"));
        }
        int type = (magic >>> 8) & 0xff;
        if (type != UNSIGNED_BYTE) {
            throw new DataException(path + ": wrong magic number " + hex(magic) + ", expected " + hex(expectedMagic)
                    + ": it holds IDX type 0x" + String.format("%02x", type) + ", not unsigned bytes (0x08)");
        }
        int fileRank = magic & 0xff;
        if (fileRank != rank) {
            throw new DataException(path + ": wrong magic number " + hex(magic) + ", expected " + hex(expectedMagic)
                    + ": it has " + fileRank + " dimensions, " + what + " have " + rank);
        }
        byte[] dimBytes = in.readNBytes(4 * rank);
        if (dimBytes.length < 4 * rank) {
            throw truncatedHeader(path, rank, 4 + dimBytes.length);
        }
        int[] dims = new int[rank];
        long size = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = bigEndian(dimBytes, 4 * i);
            if (dims[i] <= 0) {
                // an int32 above 2^31-1 reads as negative: unsigned in the file, too large here anyway
                throw new DataException(path + ": dimension " + i + " is " + Integer.toUnsignedString(dims[i])
                        + ", expected a positive size (header dimensions " + unsigned(dims, i + 1) + ")");
            }
            size *= dims[i];
            if (size > MAX_PAYLOAD) {
                throw new DataException(path + ": the header dimensions " + unsigned(dims, i + 1)
                        + " ask for more than " + MAX_PAYLOAD + " bytes: the header is corrupt");
            }
        }
        if (inner != null && !Arrays.equals(inner, Arrays.copyOfRange(dims, 1, rank))) {
            throw new DataException(path + ": wrong dimensions " + Arrays.toString(dims) + ": expected "
                    + (rank == 1
                            ? "[count]"
                            : "[count, " + Arrays.toString(inner).substring(1)) + " " + what);
        }
        int expected = (int) size;
        if (!gzip) {
            // the length is known: check it before allocating what a corrupt header asks for
            long found = Files.size(path) - 4 - 4L * rank;
            if (found != expected) {
                throw lengthMismatch(path, what, expected, found);
            }
        }
        byte[] data = readPayload(path, in, what, expected);
        long extra = in.transferTo(OutputStream.nullOutputStream());
        if (extra > 0) {
            throw lengthMismatch(path, what, expected, expected + extra);
        }
        return new IdxFile(path, dims, data);
    }

    /**
     * Reads exactly {@code expected} bytes. A gzip'd payload grows by doubling from a few
     * megabytes rather than being allocated whole up front, so a corrupt header claiming
     * gigabytes fails on the short stream, not on memory.
     */
    private static byte[] readPayload(Path path, InputStream in, String what, int expected) throws IOException {
        byte[] data = new byte[Math.min(expected, FIRST_CHUNK)];
        int n = 0;
        while (n < expected) {
            if (n == data.length) {
                data = Arrays.copyOf(data, (int) Math.min(expected, 2L * data.length));
            }
            int r;
            try {
                r = in.read(data, n, data.length - n);
            } catch (EOFException e) {
                throw new DataException(
                        lengthMismatch(path, what, expected, n).getMessage() + " (the gzip stream ends early)", e);
            }
            if (r < 0) {
                throw lengthMismatch(path, what, expected, n);
            }
            n += r;
        }
        return data;
    }

    private static DataException truncatedHeader(Path path, int rank, int found) {
        return new DataException(path + " is truncated: expected an IDX header of " + (4 + 4 * rank)
                + " bytes (magic number and " + rank + " dimension" + (rank == 1 ? "" : "s") + "), found " + found);
    }

    private static DataException lengthMismatch(Path path, String what, long expected, long found) {
        if (found < expected) {
            return new DataException(path + " is truncated: expected " + expected + " bytes of " + what
                    + " after the header, found " + Math.max(0, found));
        }
        return new DataException(path + " is too long: expected " + expected + " bytes of " + what
                + " after the header, found " + found + " (trailing data, or the header is wrong)");
    }

    private static int bigEndian(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    private static String hex(int v) {
        return String.format("0x%08x", v);
    }

    private static String unsigned(int[] dims, int n) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "" : ", ").append(Integer.toUnsignedString(dims[i]));
        }
        return s.append(n < dims.length ? ", ...]" : "]").toString();
    }
}
