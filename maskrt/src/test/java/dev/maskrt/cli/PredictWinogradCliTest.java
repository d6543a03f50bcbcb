package dev.maskrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.cascade.TinyReference;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code maskrt predict --winograd/--no-winograd} and {@code --memory-arena/--no-memory-arena}. */
class PredictWinogradCliTest {
    static final String TINY_WINOGRAD = "src/test/resources/models/tiny-winograd";

    private static String image() {
        return TinyReference.images().get(3).file().toString();
    }

    private static String predict(Path out, String... extra) throws Exception {
        String[] base = {"predict", "--model", TINY_WINOGRAD, "--images", image(), "--out", out.toString(),
                "--threads", "2", "--format", "coco"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        MainTest.Run r = MainTest.run(args);
        assertEquals(0, r.status(), r.err());
        return Files.readString(out.resolve("coco_results.json"));
    }

    @Test
    void noWinogradRunsTheDirectGraphsAndTheArenaChangesNothing(@TempDir Path dir) throws Exception {
        String winograd = predict(dir.resolve("w"));
        String direct = predict(dir.resolve("d"), "--no-winograd");
        // equal up to float32 rounding (PredictorWinogradTest), not bit for bit: the flag picks the graph file
        assertNotEquals(winograd, direct);
        assertEquals(winograd, predict(dir.resolve("wa"), "--no-memory-arena"));
        assertEquals(direct, predict(dir.resolve("da"), "--no-winograd", "--no-memory-arena"));
        assertEquals(winograd, predict(dir.resolve("wb"), "--memory-arena"));
    }

    @Test
    void aResumedRunKeepsItsConvolutionForm(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Path bad = dir.resolve("bad.png");
        Files.writeString(bad, "not an image");
        MainTest.Run first = MainTest.run("predict", "--model", TINY_WINOGRAD, "--images", image(), bad.toString(),
                "--out", out.toString(), "--threads", "2", "--no-winograd");
        assertEquals(1, first.status(), first.err());
        MainTest.Run resumed = MainTest.run("predict", "--model", TINY_WINOGRAD, "--images", image(), bad.toString(),
                "--out", out.toString(), "--threads", "2", "--resume");
        assertEquals(2, resumed.status(), resumed.err());
        assertTrue(resumed.err().contains("winograd"), resumed.err());
    }
}
