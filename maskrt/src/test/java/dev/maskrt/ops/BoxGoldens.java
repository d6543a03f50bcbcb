package dev.maskrt.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.util.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;

/**
 * The golden archives of src/test/resources/ops/boxes, written by tools/reference/make_box_goldens.py. Arrays
 * are named {@code <case>__<field>}; this groups them per case, in file order.
 */
public final class BoxGoldens {
    private BoxGoldens() {}

    public static Map<String, Map<String, Npy.Array>> cases(String file) {
        Map<String, Npy.Array> all;
        try {
            all = Npy.readArchive(Path.of("src/test/resources/ops/boxes", file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Map<String, Npy.Array>> cases = new LinkedHashMap<>();
        all.forEach((name, array) -> {
            int split = name.indexOf("__");
            cases.computeIfAbsent(name.substring(0, split), c -> new LinkedHashMap<>()).put(name.substring(split + 2), array);
        });
        if (cases.isEmpty()) throw new IllegalStateException(file + " holds no cases");
        return cases;
    }

    /** Asserts that {@code call} throws IllegalArgumentException whose message names {@code argument}. */
    public static void assertMessage(String argument, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(argument), () -> "message does not name " + argument + ": " + e.getMessage());
    }
}
