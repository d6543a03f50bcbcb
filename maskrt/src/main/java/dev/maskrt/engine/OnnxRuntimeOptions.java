package dev.maskrt.engine;

import java.nio.file.Path;

/**
 * Settings of an {@link OnnxRuntimeEngine} session. Immutable and thread-safe; each {@code with...} returns a copy.
 * Inter-op threads (1), graph optimisation level (ALL) and log level (ERROR) are fixed by maskrt.
 */
public final class OnnxRuntimeOptions {
    private final int intraOpThreads;
    private final Path optimizedModelCache;
    private final boolean allowSpinning;
    private final boolean memoryArena;
    private final boolean winograd;

    private OnnxRuntimeOptions(int intraOpThreads, Path optimizedModelCache, boolean allowSpinning,
            boolean memoryArena, boolean winograd) {
        this.intraOpThreads = intraOpThreads;
        this.optimizedModelCache = optimizedModelCache;
        this.allowSpinning = allowSpinning;
        this.memoryArena = memoryArena;
        this.winograd = winograd;
    }

    /**
     * All available processors, no optimised-model cache, ONNX Runtime's default spinning, the memory arena, a
     * package graph's Winograd form where it has one.
     */
    public static OnnxRuntimeOptions defaults() {
        return new OnnxRuntimeOptions(Runtime.getRuntime().availableProcessors(), null, true, true, true);
    }

    /** Threads one graph run may use (ONNX Runtime's intra-op pool, the calling thread included); {@code >= 1}. */
    public OnnxRuntimeOptions withIntraOpThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + threads);
        return new OnnxRuntimeOptions(threads, optimizedModelCache, allowSpinning, memoryArena, winograd);
    }

    /**
     * Where to keep the optimised graph (null: nowhere). The first open writes it; later opens load it while it is
     * not older than the graph file. The optimised graph is specific to this machine's CPU and ONNX Runtime version:
     * do not share it between machines.
     */
    public OnnxRuntimeOptions withOptimizedModelCache(Path cacheFile) {
        return new OnnxRuntimeOptions(intraOpThreads, cacheFile, allowSpinning, memoryArena, winograd);
    }

    /**
     * Whether ONNX Runtime's pool threads busy-wait for work after a run (lower latency for back-to-back runs, but
     * they compete for the cores with maskrt's own CPU ops between runs). Default true.
     */
    public OnnxRuntimeOptions withAllowSpinning(boolean spin) {
        return new OnnxRuntimeOptions(intraOpThreads, optimizedModelCache, spin, memoryArena, winograd);
    }

    /**
     * Whether each session keeps ONNX Runtime's CPU memory arena, which hands a run's freed intermediate tensors to
     * its later allocations (this run's and the next runs') instead of returning them to the C library, which unmaps
     * large blocks so that every run faults them in anew. Default true. With the arena a session runs without ONNX
     * Runtime's memory patterns (one block per input shape, sized for the whole graph, kept by the arena: +0.3–0.5 GB
     * peak RSS on the full-size R50 cascade for no time gain); without it, with them (without either, the R50
     * backbone ran 1.5× slower). Full-size R50 cascade with Winograd graphs: 0.2–0.8 s less per image than without
     * the arena at about the same peak RSS (benchmarks/RESULTS.md, "2026-12-02 (later) — ONNX Runtime's arena without
     * memory patterns").
     */
    public OnnxRuntimeOptions withMemoryArena(boolean arena) {
        return new OnnxRuntimeOptions(intraOpThreads, optimizedModelCache, allowSpinning, arena, winograd);
    }

    /**
     * Whether a package graph declared with a {@code winograd_file} (tools/winograd: its wide 3x3 convolutions in
     * Winograd F(4x4, 3x3) form, a mask head's upsampling at the RoI resolution) runs from that file instead of the
     * fp32 one. Default true: on a full-size R50-FPN backbone it is ~20 % faster, on a mask head ~10-30 %
     * (benchmarks/RESULTS.md); results equal the fp32 graph's up to float32 rounding (relative 1e-5, checked when
     * the file is made).
     */
    public OnnxRuntimeOptions withWinograd(boolean winogradForm) {
        return new OnnxRuntimeOptions(intraOpThreads, optimizedModelCache, allowSpinning, memoryArena, winogradForm);
    }

    public boolean winograd() {
        return winograd;
    }

    public boolean memoryArena() {
        return memoryArena;
    }

    public int intraOpThreads() {
        return intraOpThreads;
    }

    /** The optimised-model cache file, or null. */
    public Path optimizedModelCache() {
        return optimizedModelCache;
    }

    public boolean allowSpinning() {
        return allowSpinning;
    }

    @Override
    public String toString() {
        return "OnnxRuntimeOptions[intraOpThreads=" + intraOpThreads + ", optimizedModelCache=" + optimizedModelCache
                + ", allowSpinning=" + allowSpinning + ", memoryArena=" + memoryArena + ", winograd=" + winograd + "]";
    }
}
