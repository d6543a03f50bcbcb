package dev.maskrt.engine.tensorrt;

import dev.maskrt.config.Precision;

import dev.maskrt.config.TensorRtOptions;

import dev.maskrt.model.TinyPackages;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineCacheTest {
    private static final GpuDevice H100 = new GpuDevice(0, "NVIDIA H100 80GB HBM3", 9, 0);
    private static final GpuDevice L4 = new GpuDevice(0, "NVIDIA L4", 8, 9);

    @TempDir
    Path tmp;

    private static GraphProfile profile(int batch) {
        return ProfilePlan.forGraphs(TinyPackages.tiny().engineView(), TensorRtOptions.builder().batchSize(batch).build())
                .graph("box_head_0.onnx");
    }

    private Path graphCopy(String name, byte[] bytes) throws Exception {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static EngineCacheKey key(Path graph, GpuDevice gpu, String trt, Precision precision, int batch) throws Exception {
        return EngineCacheKey.of(graph, gpu, trt, precision, profile(batch), 2L << 30);
    }

    @Test
    void everyFieldChangesTheKey() throws Exception {
        byte[] onnx = Files.readAllBytes(TinyPackages.TINY.resolve("box_head_0.onnx"));
        Path graph = graphCopy("g.onnx", onnx);
        byte[] changed = onnx.clone();
        changed[changed.length - 1] ^= 1;
        Path graph2 = graphCopy("g2.onnx", changed);
        EngineCacheKey base = key(graph, H100, "10.15.0", Precision.FP32, 1);
        assertEquals(base, key(graphCopy("same.onnx", onnx), H100, "10.15.0", Precision.FP32, 1));
        assertEquals(base.digest(), key(graph, H100, "10.15.0", Precision.FP32, 1).digest());
        List<EngineCacheKey> variants = List.of(base,
                key(graph2, H100, "10.15.0", Precision.FP32, 1),
                key(graph, H100, "10.15.0", Precision.FP16, 1),
                key(graph, H100, "10.16.0", Precision.FP32, 1),
                key(graph, L4, "10.15.0", Precision.FP32, 1),
                key(graph, new GpuDevice(0, "NVIDIA H100 80GB HBM3", 9, 1), "10.15.0", Precision.FP32, 1),
                key(graph, H100, "10.15.0", Precision.FP32, 4),
                EngineCacheKey.of(graph, H100, "10.15.0", Precision.FP32, profile(1), 1L << 30));
        Set<String> digests = new HashSet<>();
        for (EngineCacheKey k : variants) digests.add(k.digest());
        assertEquals(variants.size(), digests.size(), "every variant has its own digest");
        // the graph hash is SHA-256 of the file bytes (known value of the empty file as a sanity anchor)
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                EngineCacheKey.sha256(graphCopy("empty.onnx", new byte[0])));
        assertEquals(base, EngineCacheKey.fromFields(base.fields()));
    }

    @Test
    void differencesAreSpelledOut() throws Exception {
        Path graph = graphCopy("g.onnx", Files.readAllBytes(TinyPackages.TINY.resolve("box_head_0.onnx")));
        EngineCacheKey a = key(graph, H100, "10.15.0", Precision.FP32, 1);
        assertEquals("", a.differencesFrom(a));
        EngineCacheKey b = key(graph, L4, "10.16.1", Precision.FP16, 1);
        String d = b.differencesFrom(a);
        assertTrue(d.contains("gpu name NVIDIA H100 80GB HBM3 -> NVIDIA L4"), d);
        assertTrue(d.contains("compute capability 9.0 -> 8.9"), d);
        assertTrue(d.contains("tensorrt version 10.15.0 -> 10.16.1"), d);
        assertTrue(d.contains("precision fp32 -> fp16"), d);
        Files.write(graph, new byte[] {1, 2, 3});
        EngineCacheKey c = key(graph, H100, "10.15.0", Precision.FP32, 2);
        String d2 = c.differencesFrom(a);
        assertTrue(d2.contains("graph file changed") && d2.contains("optimisation profile changed"), d2);
    }

    @Test
    void storeThenHitThenStaleThenRebuild() throws Exception {
        Path graph = graphCopy("box_head_0.onnx", Files.readAllBytes(TinyPackages.TINY.resolve("box_head_0.onnx")));
        EngineCache cache = new EngineCache(tmp.resolve("engines"));
        EngineCacheKey k = key(graph, H100, "10.15.0", Precision.FP32, 1);
        EngineCache.Lookup miss = cache.lookup("box_head_0.onnx", k);
        assertEquals(EngineCache.Status.MISSING, miss.status());
        assertTrue(miss.reason().contains("no cached plan"), miss.reason());

        byte[] plan = "serialized plan bytes".getBytes(StandardCharsets.UTF_8);
        Path file = cache.store("box_head_0.onnx", k, plan);
        assertTrue(file.getFileName().toString().matches("box_head_0\\.fp32\\.[0-9a-f]{8}\\.engine"), file.toString());
        assertEquals(tmp.resolve("engines"), file.getParent());
        EngineCache.Lookup hit = cache.lookup("box_head_0.onnx", k);
        assertTrue(hit.isHit(), hit.reason());
        assertArrayEquals(plan, cache.read(hit));

        // FP16 and other profiles (batch 8) live next to it
        EngineCacheKey k16 = key(graph, H100, "10.15.0", Precision.FP16, 1);
        assertEquals(EngineCache.Status.MISSING, cache.lookup("box_head_0.onnx", k16).status());
        EngineCacheKey batch8 = key(graph, H100, "10.15.0", Precision.FP32, 8);
        assertNotEquals(file, cache.planFile("box_head_0.onnx", batch8));
        cache.store("box_head_0.onnx", batch8, new byte[] {8});
        assertTrue(cache.lookup("box_head_0.onnx", batch8).isHit());
        assertTrue(cache.lookup("box_head_0.onnx", k).isHit(), "the batch-1 plan is still there");

        // a newer TensorRT, another GPU, a changed graph: stale, with the reason
        EngineCache.Lookup stale = cache.lookup("box_head_0.onnx", key(graph, L4, "10.16.0", Precision.FP32, 1));
        assertEquals(EngineCache.Status.STALE, stale.status());
        assertTrue(stale.reason().contains("stale") && stale.reason().contains("NVIDIA L4")
                && stale.reason().contains("10.16.0"), stale.reason());
        Files.write(graph, new byte[] {42});
        EngineCacheKey changedGraph = key(graph, H100, "10.15.0", Precision.FP32, 1);
        EngineCache.Lookup s2 = cache.lookup("box_head_0.onnx", changedGraph);
        assertEquals(EngineCache.Status.STALE, s2.status());
        assertTrue(s2.reason().contains("graph file changed"), s2.reason());
        assertThrows(IllegalArgumentException.class, () -> cache.read(s2));

        // rebuilding replaces the plan, and the new key hits
        cache.store("box_head_0.onnx", changedGraph, new byte[] {9, 9});
        assertTrue(cache.lookup("box_head_0.onnx", changedGraph).isHit());
        assertEquals(EngineCache.Status.STALE, cache.lookup("box_head_0.onnx", k).status());
        try (var files = Files.list(tmp.resolve("engines"))) {
            assertFalse(files.anyMatch(f -> f.toString().endsWith(".tmp")), "no temporary files left");
        }
    }

    @Test
    void corruptedFilesChooseTheRebuildPath() throws Exception {
        Path graph = graphCopy("mask_head.onnx", Files.readAllBytes(TinyPackages.TINY.resolve("mask_head.onnx")));
        EngineCache cache = new EngineCache(tmp.resolve("c"));
        EngineCacheKey k = key(graph, H100, "10.15.0", Precision.FP16, 1);
        byte[] plan = new byte[1000];
        for (int i = 0; i < plan.length; i++) plan[i] = (byte) (i * 7);
        Path file = cache.store("mask_head.onnx", k, plan);
        Path meta = EngineCache.metaFile(file);

        byte[] flipped = plan.clone();
        flipped[500] ^= 0x10;
        Files.write(file, flipped);
        EngineCache.Lookup c1 = cache.lookup("mask_head.onnx", k);
        assertEquals(EngineCache.Status.CORRUPT, c1.status());
        assertTrue(c1.reason().contains("SHA-256"), c1.reason());

        Files.write(file, new byte[10]);
        EngineCache.Lookup c2 = cache.lookup("mask_head.onnx", k);
        assertEquals(EngineCache.Status.CORRUPT, c2.status());
        assertTrue(c2.reason().contains("10 bytes, 1000 were written"), c2.reason());

        Files.write(file, plan);
        assertTrue(cache.lookup("mask_head.onnx", k).isHit());
        String json = Files.readString(meta);
        Files.writeString(meta, json.substring(0, json.length() / 2));
        EngineCache.Lookup c3 = cache.lookup("mask_head.onnx", k);
        assertEquals(EngineCache.Status.CORRUPT, c3.status());
        assertTrue(c3.reason().contains("unreadable"), c3.reason());

        Files.writeString(meta, "{\"gpu_name\": \"x\"}");
        EngineCache.Lookup c4 = cache.lookup("mask_head.onnx", k);
        assertEquals(EngineCache.Status.CORRUPT, c4.status());
        assertTrue(c4.reason().contains("is missing"), c4.reason());

        Files.delete(meta);
        assertEquals(EngineCache.Status.CORRUPT, cache.lookup("mask_head.onnx", k).status(), "plan without its key");
        Files.delete(file);
        assertEquals(EngineCache.Status.MISSING, cache.lookup("mask_head.onnx", k).status());
    }

    @Test
    void defaultDirectoryAndArguments() throws Exception {
        Path pkg = Files.createDirectories(tmp.resolve("pkg"));
        assertEquals(pkg.resolve("engines"), EngineCache.defaultDirectory(pkg));
        Path missing = tmp.resolve("not-there");
        Path fallback = EngineCache.defaultDirectory(missing);
        assertTrue(fallback.toString().contains("maskrt") && fallback.getParent().getFileName().toString().equals("engines"),
                fallback.toString());
        assertNotEquals(fallback, EngineCache.defaultDirectory(tmp.resolve("other")));
        EngineCache cache = new EngineCache(tmp);
        Path graph = graphCopy("x.onnx", new byte[] {1});
        EngineCacheKey k = key(graph, H100, "10.15.0", Precision.FP16, 1);
        assertEquals(cache.planFile("backbone.onnx", k), cache.planFile("backbone", k));
        assertTrue(cache.planFile("backbone.onnx", k).getFileName().toString().startsWith("backbone.fp16."));
        assertThrows(IllegalArgumentException.class, () -> new EngineCache(null));
        assertThrows(IllegalArgumentException.class, () -> cache.planFile("", k));
        assertThrows(IllegalArgumentException.class,
                () -> cache.store("x.onnx", key(graph, H100, "10.15.0", Precision.FP32, 1), new byte[0]));
    }
}
