package dev.maskrt.cascade;

import dev.maskrt.ops.BoxTransform;
import dev.maskrt.ops.MaskPaster;
import dev.maskrt.ops.Nms;
import dev.maskrt.ops.RoiAlign;
import dev.maskrt.ops.cpu.CpuBoxTransform;
import dev.maskrt.ops.cpu.CpuMaskPaster;
import dev.maskrt.ops.cpu.CpuNms;
import dev.maskrt.ops.cpu.CpuRoiAlign;
import dev.maskrt.ops.cpu.Workers;

/**
 * The sparse ops one backend supplies to the pipeline. Every op is thread-safe, so one set serves concurrent
 * pipeline runs.
 */
public record CascadeOps(BoxTransform boxes, Nms nms, RoiAlign roiAlign, MaskPaster paster) {
    public CascadeOps {
        if (boxes == null || nms == null || roiAlign == null || paster == null) {
            throw new IllegalArgumentException("ops must not be null");
        }
    }

    /** maskrt's pure-Java ops on {@code workers} (not closed by the ops). */
    public static CascadeOps cpu(Workers workers) {
        return new CascadeOps(new CpuBoxTransform(workers), new CpuNms(workers), new CpuRoiAlign(workers),
                new CpuMaskPaster(workers));
    }
}
