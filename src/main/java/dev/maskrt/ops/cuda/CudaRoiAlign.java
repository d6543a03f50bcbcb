package dev.maskrt.ops.cuda;

import dev.maskrt.ops.Checks;
import dev.maskrt.ops.FeatureMap;
import dev.maskrt.ops.LevelMapping;
import dev.maskrt.ops.RoiAlign;
import dev.maskrt.ops.RoiAlignChecks;

/**
 * {@link RoiAlign} on the GPU ({@code maskrt_roi_align}): torchvision's roi_align kernel per RoI (one thread per
 * output bin), levels assigned on the device with {@link LevelMapping}'s float formulas. Results agree with
 * {@link dev.maskrt.ops.cpu.CpuRoiAlign} and torchvision to float rounding (summation order). Arguments are
 * checked by {@link RoiAlignChecks}, as for every implementation. Host-array calls are serialised on this
 * instance's stream.
 */
public final class CudaRoiAlign extends CudaOpBase implements RoiAlign {
    /** Most pyramid levels one call takes. */
    public static final int MAX_LEVELS = 8;

    /** @param pool device memory; not closed by this */
    public CudaRoiAlign(DeviceMemoryPool pool) {
        super(pool);
    }

    @Override
    public float[] roiAlign(FeatureMap features, float[] rois, int[] batchIndex, int outputHeight, int outputWidth,
            int samplingRatio, boolean aligned) {
        RoiAlignChecks.single(features, rois, batchIndex, outputHeight, outputWidth, samplingRatio);
        return run(new FeatureMap[] {features}, 0, rois, batchIndex, outputHeight, outputWidth, samplingRatio, aligned,
                LevelMapping.detectron2());
    }

    @Override
    public float[] multiLevel(FeatureMap[] levels, float[] rois, int[] batchIndex, int outputHeight, int outputWidth,
            int samplingRatio, boolean aligned, LevelMapping mapping) {
        int minLevel = RoiAlignChecks.multi(levels, rois, batchIndex, outputHeight, outputWidth, samplingRatio, mapping);
        if (levels.length > MAX_LEVELS) {
            throw new IllegalArgumentException("levels: " + levels.length + " levels; CUDA RoIAlign takes at most "
                    + MAX_LEVELS);
        }
        return run(levels, minLevel, rois, batchIndex, outputHeight, outputWidth, samplingRatio, aligned, mapping);
    }

    /**
     * Device entry point: {@code levelData[l]} are device addresses of NCHW maps {@code [batch, channels,
     * heights[l], widths[l]]} at {@code scales[l]}; {@code rois} ({@code float[4R]}), {@code batchIndex}
     * ({@code int[R]}) and {@code out} ({@code float[R * channels * outputHeight * outputWidth]}) are device
     * addresses. Enqueues on {@code stream}.
     */
    public void multiLevelOnDevice(long[] levelData, int[] heights, int[] widths, float[] scales, int minLevel,
            int batch, int channels, long rois, long batchIndex, int numRois, int outputHeight, int outputWidth,
            int samplingRatio, boolean aligned, LevelMapping mapping, long out, CudaStream stream) {
        if (levelData == null || levelData.length < 1 || levelData.length > MAX_LEVELS) {
            throw new IllegalArgumentException("levelData must hold 1.." + MAX_LEVELS + " levels");
        }
        int l = levelData.length;
        Checks.length("heights", heights, l);
        Checks.length("widths", widths, l);
        Checks.length("scales", scales, l);
        if (mapping == null) throw new IllegalArgumentException("mapping must not be null");
        Checks.atLeast("numRois", numRois, 0);
        Checks.atLeast("outputHeight", outputHeight, 1);
        Checks.atLeast("outputWidth", outputWidth, 1);
        Checks.atLeast("samplingRatio", samplingRatio, 0);
        CudaRuntime.check(CudaNative.maskrt_roi_align(levelData, heights, widths, scales, l, minLevel, batch, channels,
                rois, batchIndex, numRois, outputHeight, outputWidth, samplingRatio, aligned ? 1 : 0, formula(mapping),
                mapping.referenceSize(), mapping.referenceLevel(), mapping.eps(), out, stream.handle()),
                "maskrt_roi_align");
    }

    private synchronized float[] run(FeatureMap[] levels, int minLevel, float[] rois, int[] batchIndex,
            int outputHeight, int outputWidth, int samplingRatio, boolean aligned, LevelMapping mapping) {
        int n = rois.length / 4;
        int channels = levels[0].channels();
        int size = n * channels * outputHeight * outputWidth;
        if (size == 0) return new float[0];
        try (HostTransfer t = transfer()) {
            int l = levels.length;
            long[] data = new long[l];
            int[] heights = new int[l], widths = new int[l];
            float[] scales = new float[l];
            for (int i = 0; i < l; i++) {
                data[i] = t.upload(levels[i].data());
                heights[i] = levels[i].height();
                widths[i] = levels[i].width();
                scales[i] = levels[i].spatialScale();
            }
            long dRois = t.upload(rois);
            long dBatch = t.upload(batchIndex);
            DeviceBuffer out = t.allocate(4L * size);
            CudaRuntime.check(CudaNative.maskrt_roi_align(data, heights, widths, scales, l, minLevel,
                    levels[0].batch(), channels, dRois, dBatch, n, outputHeight, outputWidth, samplingRatio,
                    aligned ? 1 : 0, formula(mapping), mapping.referenceSize(), mapping.referenceLevel(),
                    mapping.eps(), out.address(), t.stream()), "maskrt_roi_align");
            return t.downloadFloats(out.address(), size);
        }
    }

    /** The {@code maskrt_level_formula} of a mapping. */
    private static int formula(LevelMapping mapping) {
        switch (mapping.formulaName()) {
            case "detectron2": return 0;
            case "torchvision": return 1;
            case "mmdetection": return 2;
            default: throw new IllegalArgumentException("mapping: unknown formula " + mapping.formulaName());
        }
    }
}
