package dev.maskrt.util;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads NumPy {@code .npy} arrays and {@code .npz} archives (as written by {@code numpy.save} / {@code savez} /
 * {@code savez_compressed}): the exchange format of maskrt's golden test data, reference outputs and benchmark
 * inputs. Little-endian {@code f4, f8, i4, i8, u1, b1} in C order are supported; anything else is refused with
 * a message naming the dtype. Stateless and thread-safe.
 */
public final class Npy {
    private Npy() {}

    /** One array: its shape and its values as a little-endian byte buffer. */
    public static final class Array {
        private final String dtype;
        private final int[] shape;
        private final ByteBuffer data;

        Array(String dtype, int[] shape, ByteBuffer data) {
            this.dtype = dtype;
            this.shape = shape;
            this.data = data.order(ByteOrder.LITTLE_ENDIAN);
        }

        /** NumPy dtype string without byte order, e.g. {@code f4}, {@code i8}, {@code b1}. */
        public String dtype() { return dtype; }

        public int[] shape() { return shape.clone(); }

        /** Number of elements (product of the shape; 1 for a scalar). */
        public int size() {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        /** Values as float (from f4, f8, any integer or bool dtype). */
        public float[] asFloats() {
            int n = size();
            float[] out = new float[n];
            for (int i = 0; i < n; i++) out[i] = (float) get(i);
            return out;
        }

        /** Values as double. */
        public double[] asDoubles() {
            int n = size();
            double[] out = new double[n];
            for (int i = 0; i < n; i++) out[i] = get(i);
            return out;
        }

        /** Values as int (integer or bool dtypes only). */
        public int[] asInts() {
            if (dtype.startsWith("f")) throw new IllegalArgumentException("array of dtype " + dtype + " is not integral");
            int n = size();
            int[] out = new int[n];
            for (int i = 0; i < n; i++) out[i] = (int) get(i);
            return out;
        }

        /** Values as bytes (u1 / b1 only). */
        public byte[] asBytes() {
            if (!dtype.equals("u1") && !dtype.equals("b1")) {
                throw new IllegalArgumentException("array of dtype " + dtype + " is not u1/b1");
            }
            byte[] out = new byte[size()];
            data.duplicate().get(out);
            return out;
        }

        /** A single value (for 0-d arrays or element 0). */
        public double scalar() {
            return get(0);
        }

        private double get(int i) {
            switch (dtype) {
                case "f4": return data.getFloat(i * 4);
                case "f8": return data.getDouble(i * 8);
                case "i4": return data.getInt(i * 4);
                case "i8": return data.getLong(i * 8);
                case "u1": return data.get(i) & 0xff;
                case "b1": return data.get(i) != 0 ? 1 : 0;
                default: throw new IllegalStateException(dtype);
            }
        }
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** Reads one {@code .npy} file. */
    public static Array read(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Reads every array of an {@code .npz} archive, keyed by name without the {@code .npy} suffix, in file order. */
    public static Map<String, Array> readArchive(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return readArchive(in, file.toString());
        }
    }

    /** Reads every array of an {@code .npz} archive from a stream; {@code source} names it in error messages. */
    public static Map<String, Array> readArchive(InputStream in, String source) throws IOException {
        Map<String, Array> out = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                String name = e.getName();
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                zip.transferTo(buf);
                String key = name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
                out.put(key, parse(buf.toByteArray(), source + ":" + name));
            }
        }
        return out;
    }

    private static Array parse(byte[] bytes, String source) {
        if (bytes.length < 10 || (bytes[0] & 0xff) != 0x93 || bytes[1] != 'N' || bytes[2] != 'U') {
            throw new IllegalArgumentException(source + ": not a .npy array (bad magic)");
        }
        int major = bytes[6];
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen, headerStart;
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xffff;
            headerStart = 10;
        } else {
            headerLen = bb.getInt(8);
            headerStart = 12;
        }
        String header = new String(bytes, headerStart, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new IllegalArgumentException(source + ": unreadable .npy header: " + header.trim());
        }
        String dtype = d.group(2) + d.group(3);
        if (d.group(1).equals(">") || !Arrays.asList("f4", "f8", "i4", "i8", "u1", "b1").contains(dtype)) {
            throw new IllegalArgumentException(source + ": unsupported dtype " + d.group(0));
        }
        if (f.group(1).equals("True")) {
            throw new IllegalArgumentException(source + ": Fortran-order arrays are not supported");
        }
        String dims = s.group(1).trim();
        int[] shape = dims.isEmpty() ? new int[0]
                : Arrays.stream(dims.split(",")).map(String::trim).filter(x -> !x.isEmpty()).mapToInt(Integer::parseInt).toArray();
        int dataStart = headerStart + headerLen;
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, bytes.length - dataStart).slice();
        Array a = new Array(dtype, shape, data);
        long need = (long) a.size() * Integer.parseInt(d.group(3));
        if (data.remaining() < need) {
            throw new IllegalArgumentException(source + ": truncated data, " + data.remaining() + " bytes < " + need);
        }
        return a;
    }
}
