package dev.maskrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.cascade.TinyReference;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code maskrt predict --precision fp32|int8}. */
class PredictPrecisionCliTest {
    static final String TINY = TinyReference.PACKAGE.toString();
    static final String TINY_INT8 = "src/test/resources/models/tiny-int8";

    private static String image() {
        return TinyReference.images().get(2).file().toString();
    }

    @Test
    void int8RunsThePackagesInt8Graphs(@TempDir Path dir) throws Exception {
        Path int8 = dir.resolve("int8"), fp32 = dir.resolve("fp32");
        MainTest.Run a = MainTest.run("predict", "--model", TINY_INT8, "--images", image(), "--out", int8.toString(),
                "--threads", "2", "--precision", "int8");
        assertEquals(0, a.status(), a.err());
        MainTest.Run b = MainTest.run("predict", "--model", TINY_INT8, "--images", image(), "--out", fp32.toString(),
                "--threads", "2"); // default fp32
        assertEquals(0, b.status(), b.err());
        String int8Results = Files.readString(int8.resolve("coco_results.json"));
        assertTrue(int8Results.contains("\"segmentation\""), int8Results);
        assertNotEquals(Files.readString(fp32.resolve("coco_results.json")), int8Results);
    }

    @Test
    void int8OnAPackageWithoutInt8GraphsExitsWith2NamingThePackage(@TempDir Path dir) {
        MainTest.Run r = MainTest.run("predict", "--model", TINY, "--images", image(), "--out",
                dir.resolve("out").toString(), "--precision", "int8");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("has no int8 graphs"), r.err());
        assertTrue(r.err().contains(TinyReference.PACKAGE.toAbsolutePath().toString()), r.err());
        assertTrue(r.err().contains("graph_sets.int8"), r.err());
    }

    @Test
    void anUnknownPrecisionIsAUsageError(@TempDir Path dir) {
        for (String p : new String[] {"fp16", "int4", ""}) {
            MainTest.Run r = MainTest.run("predict", "--model", TINY_INT8, "--images", image(), "--out",
                    dir.resolve("out").toString(), "--precision", p);
            assertEquals(2, r.status(), r.err());
            assertTrue(r.err().contains("--precision must be fp32 or int8, got '" + p + "'"), r.err());
        }
    }

    @Test
    void aResumedRunKeepsItsPrecision(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Path bad = dir.resolve("bad.png");
        Files.writeString(bad, "not an image");
        MainTest.Run first = MainTest.run("predict", "--model", TINY_INT8, "--images", image(), bad.toString(),
                "--out", out.toString(), "--threads", "2", "--precision", "int8");
        assertEquals(1, first.status(), first.err());
        MainTest.Run resumed = MainTest.run("predict", "--model", TINY_INT8, "--images", image(), bad.toString(),
                "--out", out.toString(), "--threads", "2", "--resume");
        assertEquals(2, resumed.status(), resumed.err());
        assertTrue(resumed.err().contains("precision"), resumed.err());
    }
}
