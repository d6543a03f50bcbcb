package dev.maskrt.ops.cpu;

import dev.maskrt.util.Workers;

import dev.maskrt.ops.SparseOps;

/** The pure-Java backend of the sparse ops. */
public final class CpuOps {
    private CpuOps() {}

    /**
     * maskrt's pure-Java ops, all on {@code workers} (which the result does not close). Thread-safe; works
     * everywhere, and is the default of the pipeline.
     */
    public static SparseOps create(Workers workers) {
        if (workers == null) throw new IllegalArgumentException("workers must not be null");
        return new SparseOps("cpu", new CpuNms(workers), new CpuBoxTransform(workers), new CpuRoiAlign(workers),
                new CpuMaskPaster(workers), null);
    }
}
