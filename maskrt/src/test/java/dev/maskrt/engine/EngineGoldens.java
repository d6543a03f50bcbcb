package dev.maskrt.engine;

import dev.maskrt.util.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The graphs and goldens written by tools/reference/make_engine_goldens.py. */
final class EngineGoldens {
    private EngineGoldens() {}

    static Path resource(String name) {
        try {
            return Path.of(EngineGoldens.class.getResource("/engine/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Npy.Array> golden(String name) {
        try {
            return Npy.readArchive(resource(name + ".npz"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static HostTensor tensor(Npy.Array a, boolean direct) {
        long[] shape = Arrays.stream(a.shape()).asLongStream().toArray();
        if (!direct) return HostTensor.wrap(a.asFloats(), shape);
        HostTensor t = HostTensor.allocateDirect(shape);
        t.buffer().put(a.asFloats());
        return t;
    }

    /** The golden's tensors named by {@code names}, as engine inputs. */
    static Map<String, HostTensor> inputs(Map<String, Npy.Array> golden, boolean direct, String... names) {
        Map<String, HostTensor> in = new LinkedHashMap<>();
        for (String n : names) in.put(n, tensor(golden.get(n), direct));
        return in;
    }

    /** Asserts that each output has the golden's shape and values within {@code tol}. */
    static void assertMatches(Map<String, Npy.Array> golden, Map<String, HostTensor> out, double tol, String... names) {
        for (String n : names) {
            HostTensor t = out.get(n);
            Npy.Array want = golden.get(n);
            assertArrayEquals(Arrays.stream(want.shape()).asLongStream().toArray(), t.shape(), n + " shape");
            float[] w = want.asFloats();
            float[] g = t.toArray();
            assertEquals(w.length, g.length, n + " size");
            for (int i = 0; i < w.length; i++) {
                assertTrue(Math.abs(w[i] - g[i]) <= tol, n + "[" + i + "]: torch " + w[i] + ", engine " + g[i]);
            }
        }
    }
}
