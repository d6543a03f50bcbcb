package dev.maskrt.engine;

import dev.maskrt.error.PredictorClosedException;
import dev.maskrt.error.InputFormatException;
import dev.maskrt.util.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.maskrt.engine.EngineGoldens.assertMatches;
import static dev.maskrt.engine.EngineGoldens.golden;
import static dev.maskrt.engine.EngineGoldens.inputs;
import static dev.maskrt.engine.EngineGoldens.resource;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxRuntimeEngineTest {
    private static final double TOL = 1e-5;
    private static final OnnxRuntimeOptions TWO_THREADS = OnnxRuntimeOptions.defaults().withIntraOpThreads(2);

    private static OnnxRuntimeEngine convRelu() {
        return OnnxRuntimeEngine.open(resource("conv_relu.onnx"), TWO_THREADS);
    }

    private static OnnxRuntimeEngine boxHead(OnnxRuntimeOptions options) {
        return OnnxRuntimeEngine.open(resource("box_head.onnx"), options);
    }

    @Test
    void declaresInputsAndOutputsWithDynamicDimensionNames() {
        try (Engine e = convRelu()) {
            assertEquals(List.of(new TensorSpec("image", ElementType.FLOAT32, new long[] {-1, 3, -1, -1},
                    new String[] {"batch", null, "height", "width"})), e.inputs());
            assertEquals(2, e.outputs().size());
            TensorSpec features = e.outputs().get(0);
            assertEquals("features", features.name());
            assertEquals("[batch, 4, height, width]", features.shapeText());
            TensorSpec coarse = e.outputs().get(1);
            assertEquals("coarse", coarse.name());
            assertArrayEquals(new long[] {-1, 2, -1, -1}, coarse.shape());
            assertEquals(Optional.of("coarse_height"), coarse.dimensionName(2));
            assertEquals(Optional.empty(), coarse.dimensionName(1));
        }
        try (Engine e = boxHead(TWO_THREADS)) {
            assertEquals("[num_rois, 4, 7, 7]", e.inputs().get(0).shapeText());
            assertEquals("scores: FLOAT32 [num_rois, 5]", e.outputs().get(0).toString());
            assertEquals("deltas: FLOAT32 [num_rois, 4]", e.outputs().get(1).toString());
        }
    }

    @Test
    void convReluMatchesTorchForSeveralDynamicShapesFromHeapAndDirectInputs() {
        try (Engine e = convRelu()) {
            for (String name : new String[] {"conv_relu_a", "conv_relu_b", "conv_relu_1x1"}) {
                Map<String, Npy.Array> g = golden(name);
                for (boolean direct : new boolean[] {false, true}) {
                    Map<String, HostTensor> out = e.run(inputs(g, direct, "image"));
                    assertEquals(List.of("features", "coarse"), new ArrayList<>(out.keySet()), "output order");
                    assertMatches(g, out, TOL, "features", "coarse");
                }
            }
        }
    }

    @Test
    void boxHeadMatchesTorch() {
        try (Engine e = boxHead(TWO_THREADS)) {
            for (String name : new String[] {"box_head_37", "box_head_1"}) {
                Map<String, Npy.Array> g = golden(name);
                assertMatches(g, e.run(inputs(g, true, "rois")), TOL, "scores", "deltas");
            }
        }
    }

    /**
     * The arena (without memory patterns) serves images of changing sizes, as a test set brings them: each size's
     * outputs equal those of a session without the arena, also when a size comes back after larger ones.
     */
    @Test
    void theArenaServesInputsOfChangingSize() {
        java.util.Random random = new java.util.Random(7);
        int[][] sizes = {{16, 24}, {64, 40}, {9, 13}, {64, 40}, {16, 24}};
        try (Engine arena = OnnxRuntimeEngine.open(resource("conv_relu.onnx"), TWO_THREADS);
             Engine plain = OnnxRuntimeEngine.open(resource("conv_relu.onnx"), TWO_THREADS.withMemoryArena(false))) {
            for (int[] hw : sizes) {
                float[] image = new float[3 * hw[0] * hw[1]];
                for (int i = 0; i < image.length; i++) image[i] = (float) random.nextGaussian();
                Map<String, HostTensor> in = Map.of("image", HostTensor.wrap(image, 1, 3, hw[0], hw[1]));
                Map<String, HostTensor> a = arena.run(in), b = plain.run(in);
                for (String name : List.of("features", "coarse")) {
                    assertArrayEquals(b.get(name).shape(), a.get(name).shape(), name + " " + hw[0] + "x" + hw[1]);
                    assertArrayEquals(b.get(name).toArray(), a.get(name).toArray(), name + " " + hw[0] + "x" + hw[1]);
                }
            }
        }
    }

    /** With or without ONNX Runtime's memory arena (on by default), the same outputs, run after run. */
    @Test
    void memoryArenaChangesNoResult() {
        assertTrue(OnnxRuntimeOptions.defaults().memoryArena());
        Map<String, Npy.Array> g = golden("box_head_37");
        float[] reference = null;
        for (boolean arena : new boolean[] {false, true}) {
            try (Engine e = boxHead(TWO_THREADS.withMemoryArena(arena))) {
                assertEquals(arena, ((OnnxRuntimeEngine) e).options().memoryArena());
                for (int run = 0; run < 3; run++) {
                    float[] scores = e.run(inputs(g, true, "rois")).get("scores").toArray();
                    if (reference == null) reference = scores;
                    assertArrayEquals(reference, scores, "arena " + arena + ", run " + run);
                }
                assertMatches(g, e.run(inputs(g, true, "rois")), TOL, "scores", "deltas");
            }
        }
    }

    /** About 2 MB of input per run: 10 RoIs of the R50 mask head (256 x 14 x 14 floats), 1 of anything larger. */
    @Test
    void prefersAboutTwoMegabytesOfInputPerRun() {
        try (Engine e = boxHead(TWO_THREADS)) {
            assertEquals(10, e.preferredRowsPerRun(4L * 256 * 14 * 14));
            assertEquals(41, e.preferredRowsPerRun(4L * 64 * 14 * 14));
            assertEquals(1, e.preferredRowsPerRun(4L << 20));
            assertEquals(2 << 20, e.preferredRowsPerRun(1));
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> e.preferredRowsPerRun(0));
            assertTrue(bad.getMessage().startsWith("bytesPerRow"), bad.getMessage());
        }
    }

    /** ONNX Runtime accepts a zero-row batch and returns [0, K+1] and [0, 4], as torch does: no special case. */
    @Test
    void zeroRowsGiveEmptyOutputsOfTheRightShape() {
        try (Engine e = boxHead(TWO_THREADS)) {
            Map<String, Npy.Array> g = golden("box_head_0");
            Map<String, HostTensor> out = e.run(inputs(g, false, "rois"));
            assertMatches(g, out, TOL, "scores", "deltas");
            assertArrayEquals(new long[] {0, 5}, out.get("scores").shape());
            assertArrayEquals(new long[] {0, 4}, out.get("deltas").shape());
            assertEquals(0, out.get("deltas").size());
            // and the engine still works afterwards
            Map<String, Npy.Array> g1 = golden("box_head_1");
            assertMatches(g1, e.run(inputs(g1, false, "rois")), TOL, "scores", "deltas");
        }
    }

    @Test
    void resultsDoNotDependOnTheIntraOpThreadCount() {
        Map<String, Npy.Array> g = golden("box_head_37");
        Map<String, Npy.Array> c = golden("conv_relu_a");
        float[][] first = null;
        for (int threads = 1; threads <= 3; threads++) {
            OnnxRuntimeOptions o = OnnxRuntimeOptions.defaults().withIntraOpThreads(threads);
            try (Engine box = OnnxRuntimeEngine.open(resource("box_head.onnx"), o);
                 Engine conv = OnnxRuntimeEngine.open(resource("conv_relu.onnx"), o)) {
                Map<String, HostTensor> b = box.run(inputs(g, true, "rois"));
                Map<String, HostTensor> f = conv.run(inputs(c, true, "image"));
                float[][] now = {b.get("scores").toArray(), b.get("deltas").toArray(),
                        f.get("features").toArray(), f.get("coarse").toArray()};
                if (first == null) first = now;
                for (int i = 0; i < now.length; i++) assertArrayEquals(first[i], now[i], "threads " + threads);
            }
        }
    }

    @Test
    void concurrentRunsFromFourThreadsGiveTheSameResults() throws Exception {
        Map<String, Npy.Array> g37 = golden("box_head_37");
        Map<String, Npy.Array> g1 = golden("box_head_1");
        try (Engine e = boxHead(TWO_THREADS)) {
            float[] want37 = e.run(inputs(g37, true, "rois")).get("scores").toArray();
            float[] want1 = e.run(inputs(g1, false, "rois")).get("deltas").toArray();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> jobs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    final int id = t;
                    jobs.add(pool.submit(() -> {
                        for (int i = 0; i < 25; i++) {
                            if ((i + id) % 2 == 0) {
                                assertArrayEquals(want37, e.run(inputs(g37, true, "rois")).get("scores").toArray());
                            } else {
                                assertArrayEquals(want1, e.run(inputs(g1, false, "rois")).get("deltas").toArray());
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : jobs) f.get();
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void unknownInputNameIsRefusedNamingGraphAndTensor() {
        try (Engine e = boxHead(TWO_THREADS)) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> e.run(Map.of("boxes", HostTensor.allocateDirect(2, 4, 7, 7))));
            assertTrue(x.getMessage().contains("box_head.onnx"), x.getMessage());
            assertTrue(x.getMessage().contains("unknown input 'boxes'"), x.getMessage());
            assertTrue(x.getMessage().contains("[rois]"), x.getMessage());
        }
    }

    @Test
    void missingInputIsRefused() {
        try (Engine e = boxHead(TWO_THREADS)) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> e.run(Map.of()));
            assertTrue(x.getMessage().contains("box_head.onnx"), x.getMessage());
            assertTrue(x.getMessage().contains("missing input 'rois' [num_rois, 4, 7, 7]"), x.getMessage());
        }
    }

    @Test
    void wrongRankIsRefused() {
        try (Engine e = boxHead(TWO_THREADS)) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> e.run(Map.of("rois", HostTensor.allocateDirect(2, 196))));
            assertTrue(x.getMessage().contains("box_head.onnx"), x.getMessage());
            assertTrue(x.getMessage().contains("input 'rois' has rank 2"), x.getMessage());
            assertTrue(x.getMessage().contains("declares rank 4"), x.getMessage());
        }
    }

    @Test
    void wrongFixedDimensionIsRefusedNamingTheDimension() {
        try (Engine e = boxHead(TWO_THREADS)) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> e.run(Map.of("rois", HostTensor.allocateDirect(3, 4, 7, 8))));
            assertTrue(x.getMessage().contains("box_head.onnx"), x.getMessage());
            assertTrue(x.getMessage().contains("input 'rois' dimension 3 is 8 but the graph fixes it at 7"),
                    x.getMessage());
        }
        try (Engine e = convRelu()) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> e.run(Map.of("image", HostTensor.allocateDirect(1, 1, 5, 5))));
            assertTrue(x.getMessage().contains("input 'image' dimension 1 is 1 but the graph fixes it at 3"),
                    x.getMessage());
        }
    }

    @Test
    void nullInputsAreRefused() {
        try (Engine e = boxHead(TWO_THREADS)) {
            assertThrows(IllegalArgumentException.class, () -> e.run(null));
            Map<String, HostTensor> withNull = new java.util.HashMap<>();
            withNull.put("rois", null);
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> e.run(withNull));
            assertTrue(x.getMessage().contains("'rois' is null"), x.getMessage());
        }
    }

    @Test
    void missingFileIsRefusedNamingIt(@TempDir Path dir) {
        Path missing = dir.resolve("no_such_graph.onnx");
        InputFormatException x = assertThrows(InputFormatException.class, () -> OnnxRuntimeEngine.open(missing));
        assertTrue(x.getMessage().contains(missing.toString()), x.getMessage());
        assertTrue(x.getMessage().contains("does not exist"), x.getMessage());
        // a directory is not a graph file either
        assertThrows(InputFormatException.class, () -> OnnxRuntimeEngine.open(dir));
    }

    @Test
    void garbageFileIsRefusedNamingIt(@TempDir Path dir) throws IOException {
        Path garbage = dir.resolve("garbage.onnx");
        Files.writeString(garbage, "this is not a protobuf, just some text pretending to be a graph\n");
        InputFormatException x = assertThrows(InputFormatException.class, () -> OnnxRuntimeEngine.open(garbage));
        assertTrue(x.getMessage().contains(garbage.toString()), x.getMessage());
        assertTrue(x.getMessage().contains("cannot load"), x.getMessage());
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, new byte[0]);
        InputFormatException y = assertThrows(InputFormatException.class, () -> OnnxRuntimeEngine.open(empty));
        assertTrue(y.getMessage().contains(empty.toString()), y.getMessage());
    }

    @Test
    void nonFloatGraphIsRefusedNamingTheTensor() {
        Path graph = resource("int_input.onnx");
        InputFormatException x = assertThrows(InputFormatException.class, () -> OnnxRuntimeEngine.open(graph));
        assertTrue(x.getMessage().contains(graph.toString()), x.getMessage());
        assertTrue(x.getMessage().contains("input 'indices'"), x.getMessage());
        assertTrue(x.getMessage().contains("INT64"), x.getMessage());
    }

    @Test
    void closeIsIdempotentAndLaterRunsFail() {
        Engine e = boxHead(TWO_THREADS);
        Map<String, HostTensor> in = inputs(golden("box_head_1"), true, "rois");
        e.run(in);
        e.close();
        e.close();
        PredictorClosedException x = assertThrows(PredictorClosedException.class, () -> e.run(in));
        assertTrue(x.getMessage().contains("closed"), x.getMessage());
    }

    @Test
    void optimizedModelCacheIsWrittenThenUsed(@TempDir Path dir) throws IOException {
        Path cache = dir.resolve("box_head.optimized.onnx");
        OnnxRuntimeOptions o = TWO_THREADS.withOptimizedModelCache(cache);
        Map<String, Npy.Array> g = golden("box_head_37");
        try (OnnxRuntimeEngine e = boxHead(o)) {
            assertEquals(resource("box_head.onnx"), e.loadedFrom());
            assertTrue(Files.size(cache) > 0, "cache written");
            assertMatches(g, e.run(inputs(g, true, "rois")), TOL, "scores", "deltas");
        }
        try (OnnxRuntimeEngine e = boxHead(o)) {
            assertEquals(cache, e.loadedFrom());
            assertEquals(e.inputs(), boxHead(TWO_THREADS).inputs());
            assertMatches(g, e.run(inputs(g, true, "rois")), TOL, "scores", "deltas");
        }
        // a cache older than the graph is stale: rebuilt from the graph
        Files.setLastModifiedTime(cache, FileTime.fromMillis(Files.getLastModifiedTime(resource("box_head.onnx"))
                .toMillis() - 60_000));
        try (OnnxRuntimeEngine e = boxHead(o)) {
            assertEquals(resource("box_head.onnx"), e.loadedFrom());
        }
        // a corrupt cache is rebuilt from the graph
        Files.writeString(cache, "corrupt");
        try (OnnxRuntimeEngine e = boxHead(o)) {
            assertEquals(resource("box_head.onnx"), e.loadedFrom());
            assertMatches(g, e.run(inputs(g, true, "rois")), TOL, "scores", "deltas");
        }
        try (OnnxRuntimeEngine e = boxHead(o)) {
            assertEquals(cache, e.loadedFrom());
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(cache), files.toList(), "no temporary files left behind");
        }
    }

    /**
     * ONNX Runtime's intra-op pool holds {@code threads - 1} native threads (the caller is the last one), so a
     * session with 4 threads starts 3 more native threads than a session with 1.
     */
    @Test
    void intraOpThreadCountIsHonoured() throws IOException {
        Path tasks = Path.of("/proc/self/task");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(tasks), "needs Linux /proc");
        OnnxRuntimeOptions one = OnnxRuntimeOptions.defaults().withIntraOpThreads(1);
        OnnxRuntimeOptions four = OnnxRuntimeOptions.defaults().withIntraOpThreads(4);
        boxHead(one).close(); // load the native library and environment first
        long base = countTasks(tasks);
        try (Engine e1 = boxHead(one)) {
            long withOne = countTasks(tasks) - base;
            try (Engine e4 = boxHead(four)) {
                long withFour = countTasks(tasks) - base - withOne;
                assertEquals(0, withOne, "native threads added by a 1-thread session");
                assertEquals(3, withFour, "native threads added by a 4-thread session");
                assertEquals(4, ((OnnxRuntimeEngine) e4).options().intraOpThreads());
            }
        }
    }

    /**
     * The process's thread count once it has settled: threads of sessions closed just before (by earlier tests)
     * exit asynchronously, so the count is read until it holds still for 5 readings 20 ms apart (at most ~5 s).
     */
    private static long countTasks(Path tasks) throws IOException {
        long last = -1;
        int same = 0;
        for (int i = 0; i < 250 && same < 5; i++) {
            long now;
            try (var s = Files.list(tasks)) {
                now = s.count();
            }
            same = now == last ? same + 1 : 0;
            last = now;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return last;
    }
}
