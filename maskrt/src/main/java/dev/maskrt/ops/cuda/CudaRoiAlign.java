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
     * Device entry point: enqueues multi-level RoIAlign on {@code stream} and returns without waiting. Same
     * semantics as {@link #multiLevel}; RoI coordinates and batch indices are on the device and so not checked here
     * (the kernel pools a RoI of no level to zeros).
     *
     * @param levels     NCHW feature maps {@code [N, C, H_l, W_l]}, finest first, all with the same N and C
     * @param scales     {@code scales[l]} = level l's spatial scale, {@code 1 / 2^k} for consecutive k
     * @param rois       {@code float[4 * numRois]} boxes in image pixels
     * @param batchIndex {@code int[numRois]}, each in {@code [0, N)}
     * @param out        receives {@code float[numRois * C * outputHeight * outputWidth]}
     * @throws IllegalArgumentException naming the argument when the levels are not 1..{@value #MAX_LEVELS} rank-4
     *                                  tensors of one batch and channel count, a scale breaks the pyramid, a size is
     *                                  out of range, or a buffer is missing or too small
     * @throws IllegalStateException    when a buffer or the stream is closed
     * @throws dev.maskrt.error.CudaException when CUDA refuses the launch
     */
    public void multiLevelOnDevice(DeviceTensor[] levels, float[] scales, DeviceBuffer rois, DeviceBuffer batchIndex,
            int numRois, int outputHeight, int outputWidth, int samplingRatio, boolean aligned, LevelMapping mapping,
            DeviceBuffer out, CudaStream stream) {
        if (levels == null || levels.length < 1 || levels.length > MAX_LEVELS) {
            throw new IllegalArgumentException("levels must hold 1.." + MAX_LEVELS + " levels");
        }
        int l = levels.length;
        Checks.length("scales", scales, l);
        if (mapping == null) throw new IllegalArgumentException("mapping must not be null");
        Checks.atLeast("numRois", numRois, 0);
        Checks.atLeast("outputHeight", outputHeight, 1);
        Checks.atLeast("outputWidth", outputWidth, 1);
        Checks.atLeast("samplingRatio", samplingRatio, 0);
        long[] data = new long[l];
        int[] heights = new int[l], widths = new int[l];
        long[] first = null;
        int minLevel = 0;
        for (int i = 0; i < l; i++) {
            if (levels[i] == null) throw new IllegalArgumentException("levels[" + i + "] must not be null");
            long[] s = levels[i].shape();
            if (s.length != 4) {
                throw new IllegalArgumentException("levels[" + i + "]: shape " + java.util.Arrays.toString(s)
                        + " is not NCHW");
            }
            if (first == null) {
                first = s;
            } else if (s[0] != first[0] || s[1] != first[1]) {
                throw new IllegalArgumentException("levels[" + i + "]: batch x channels " + s[0] + "x" + s[1]
                        + " differs from levels[0]'s " + first[0] + "x" + first[1]);
            }
            if (s[0] > Integer.MAX_VALUE || s[1] > Integer.MAX_VALUE || s[2] > Integer.MAX_VALUE
                    || s[3] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("levels[" + i + "]: shape " + java.util.Arrays.toString(s)
                        + " has a side over 2^31 - 1");
            }
            int level = RoiAlignChecks.pyramidLevel(i, scales[i], minLevel);
            if (i == 0) minLevel = level;
            data[i] = levels[i].address();
            heights[i] = (int) s[2];
            widths[i] = (int) s[3];
        }
        int batch = (int) first[0], channels = (int) first[1];
        long dRois = DeviceBuffer.address("rois", rois, 16L * numRois);
        long dBatch = DeviceBuffer.address("batchIndex", batchIndex, 4L * numRois);
        long dOut = DeviceBuffer.address("out", out, 4L * numRois * channels * outputHeight * outputWidth);
        CudaRuntime.check(CudaNative.maskrt_roi_align(data, heights, widths, scales.clone(), l, minLevel, batch,
                channels, dRois, dBatch, numRois, outputHeight, outputWidth, samplingRatio, aligned ? 1 : 0,
                formula(mapping), mapping.referenceSize(), mapping.referenceLevel(), mapping.eps(), dOut,
                handle(stream)), "maskrt_roi_align");
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
            case "maskrcnn_benchmark": throw CudaOpBase.legacyUnsupported("multiLevel with maskrcnn-benchmark's LevelMapper");
            default: throw new IllegalArgumentException("mapping: unknown formula " + mapping.formulaName());
        }
    }
}
