package dev.maskrt.ops.cuda;

import dev.maskrt.ops.Checks;
import dev.maskrt.ops.MaskPaster;
import dev.maskrt.ops.MaskPasterChecks;
import dev.maskrt.output.CompactMask;
import dev.maskrt.output.PixelOrder;

/**
 * {@link MaskPaster} on the GPU: hulls and their packed offsets are computed on the device
 * ({@code maskrt_paste_layout}), then one thread per hull pixel samples and thresholds
 * ({@code maskrt_paste_masks}), bit-exact with {@link dev.maskrt.ops.cpu.CpuMaskPaster} (torch 1.13's fused
 * multiply-adds reproduced with {@code __fmaf_rn}). {@link #pasteRuns} goes on to run-length encode on the device
 * so that only runs come back. Host-array calls are serialised on this instance's stream.
 */
public final class CudaMaskPaster extends CudaOpBase implements MaskPaster {
    /** @param pool device memory; not closed by this */
    public CudaMaskPaster(DeviceMemoryPool pool) {
        super(pool);
    }

    @Override
    public synchronized CompactMask[] paste(float[] masks, int maskHeight, int maskWidth, float[] boxes,
            int imageHeight, int imageWidth, float threshold) {
        int n = MaskPasterChecks.paste(masks, maskHeight, maskWidth, boxes, imageHeight, imageWidth, threshold);
        CompactMask[] out = new CompactMask[n];
        if (n == 0) return out;
        try (HostTransfer t = transfer()) {
            Pasted p = uploadAndPaste(t, masks, maskHeight, maskWidth, boxes, n, imageHeight, imageWidth, threshold);
            int[] hulls = t.downloadInts(p.hulls, 4 * n);
            long[] offsets = t.downloadLongs(p.offsets, n + 1);
            byte[] bits = t.downloadBytes(p.bits, offsets[n]);
            for (int i = 0; i < n; i++) {
                int w = hulls[4 * i + 2], h = hulls[4 * i + 3];
                if (w == 0 || h == 0) {
                    out[i] = CompactMask.empty(imageHeight, imageWidth);
                } else {
                    byte[] own = new byte[w * h];
                    System.arraycopy(bits, (int) offsets[i], own, 0, own.length);
                    out[i] = new CompactMask(imageHeight, imageWidth, hulls[4 * i], hulls[4 * i + 1], w, h, own);
                }
            }
            return out;
        }
    }

    /**
     * Pastes like {@link #paste} and encodes each mask on the device as Kaggle runs
     * ({@code [start, length, ...]}, starts 1-indexed in {@code order}, runs across line ends merged: the same
     * arrays as {@link dev.maskrt.output.KaggleRle#runs}); only the runs are copied back.
     */
    public synchronized int[][] pasteRuns(float[] masks, int maskHeight, int maskWidth, float[] boxes,
            int imageHeight, int imageWidth, float threshold, PixelOrder order) {
        int n = MaskPasterChecks.paste(masks, maskHeight, maskWidth, boxes, imageHeight, imageWidth, threshold);
        if (order == null) throw new IllegalArgumentException("order must not be null");
        if (n == 0) return new int[0][];
        try (HostTransfer t = transfer()) {
            Pasted p = uploadAndPaste(t, masks, maskHeight, maskWidth, boxes, n, imageHeight, imageWidth, threshold);
            return CudaRle.encode(t, p.bits, p.hulls, p.offsets, n, imageHeight, imageWidth, order, false)[0];
        }
    }

    /**
     * Device entry point, first step: enqueues the layout of {@code n} boxes on {@code stream} and returns without
     * waiting.
     *
     * @param boxes   {@code float[4n]}, no NaN (not checked: they are on the device)
     * @param hulls   receives {@code int[4n]}: x, y, width, height of each hull
     * @param offsets receives {@code int64[n + 1]}: packed offsets, {@code offsets[n]} = bytes of all bitmaps
     * @throws IllegalArgumentException naming the argument when {@code n < 0}, the image size is below 1x1, or a
     *                                  buffer is missing or too small
     * @throws IllegalStateException    when a buffer or the stream is closed
     * @throws dev.maskrt.error.CudaException when CUDA refuses the launch
     */
    public void layoutOnDevice(DeviceBuffer boxes, int n, int imageHeight, int imageWidth, DeviceBuffer hulls,
            DeviceBuffer offsets, CudaStream stream) {
        Checks.atLeast("n", n, 0);
        MaskPasterChecks.imageSize(imageHeight, imageWidth);
        long dBoxes = DeviceBuffer.address("boxes", boxes, 16L * n);
        long dHulls = DeviceBuffer.address("hulls", hulls, 16L * n);
        long dOffsets = DeviceBuffer.address("offsets", offsets, 8L * (n + 1));
        long[] bytes = new long[1];
        try (DeviceBuffer scratch = scratch(bytesQuery(CudaNative.maskrt_paste_scratch_bytes(n, bytes), bytes,
                "maskrt_paste_scratch_bytes"))) {
            CudaRuntime.check(CudaNative.maskrt_paste_layout(dBoxes, n, imageHeight, imageWidth, dHulls, dOffsets,
                    scratch.address(), scratch.bytes(), handle(stream)), "maskrt_paste_layout");
        }
    }

    /**
     * Device entry point, second step: enqueues pasting and thresholding on {@code stream} and returns without
     * waiting.
     *
     * @param masks   {@code float[n, maskHeight, maskWidth]} probabilities
     * @param boxes   {@code float[4n]}, as given to {@link #layoutOnDevice}
     * @param hulls   {@code int[4n]} from {@link #layoutOnDevice}
     * @param offsets {@code int64[n + 1]} from {@link #layoutOnDevice}
     * @param bits    receives the packed bitmaps: at least {@code offsets[n]} bytes (a device value, so not checked
     *                here), e.g. the upper bound {@code n * imageHeight * imageWidth}
     * @throws IllegalArgumentException naming the argument when a size or the threshold is bad, or a buffer is
     *                                  missing or smaller than its size from {@code n}
     * @throws IllegalStateException    when a buffer or the stream is closed
     * @throws dev.maskrt.error.CudaException when CUDA refuses the launch
     */
    public void pasteOnDevice(DeviceBuffer masks, int maskHeight, int maskWidth, DeviceBuffer boxes, int n,
            DeviceBuffer hulls, DeviceBuffer offsets, float threshold, DeviceBuffer bits, CudaStream stream) {
        MaskPasterChecks.maskSize(maskHeight, maskWidth);
        Checks.atLeast("n", n, 0);
        MaskPasterChecks.threshold(threshold);
        long dMasks = DeviceBuffer.address("masks", masks, 4L * n * maskHeight * maskWidth);
        long dBoxes = DeviceBuffer.address("boxes", boxes, 16L * n);
        long dHulls = DeviceBuffer.address("hulls", hulls, 16L * n);
        long dOffsets = DeviceBuffer.address("offsets", offsets, 8L * (n + 1));
        long dBits = DeviceBuffer.address("bits", bits, 0);
        CudaRuntime.check(CudaNative.maskrt_paste_masks(dMasks, maskHeight, maskWidth, dBoxes, n, dHulls, dOffsets,
                threshold, dBits, handle(stream)), "maskrt_paste_masks");
    }

    /** Device addresses of one paste: hulls {@code int[4n]}, offsets {@code int64[n + 1]}, packed bits. */
    static final class Pasted {
        final long hulls, offsets, bits;

        Pasted(long hulls, long offsets, long bits) {
            this.hulls = hulls;
            this.offsets = offsets;
            this.bits = bits;
        }
    }

    /** The host-array path: uploads masks and boxes, then lays out and pastes on the transfer's stream. */
    private Pasted uploadAndPaste(HostTransfer t, float[] masks, int maskHeight, int maskWidth, float[] boxes, int n,
            int imageHeight, int imageWidth, float threshold) {
        long dMasks = t.upload(masks);
        long dBoxes = t.upload(boxes);
        DeviceBuffer hulls = t.allocate(16L * n);
        DeviceBuffer offsets = t.allocate(8L * (n + 1));
        long[] bytes = new long[1];
        DeviceBuffer scratch = t.allocate(bytesQuery(CudaNative.maskrt_paste_scratch_bytes(n, bytes), bytes,
                "maskrt_paste_scratch_bytes"));
        CudaRuntime.check(CudaNative.maskrt_paste_layout(dBoxes, n, imageHeight, imageWidth, hulls.address(),
                offsets.address(), scratch.address(), scratch.bytes(), t.stream()), "maskrt_paste_layout");
        // the one small copy the layout needs: the total size of the packed bitmaps
        long total = t.downloadLongs(offsets.address() + 8L * n, 1)[0];
        DeviceBuffer bits = t.allocate(total);
        CudaRuntime.check(CudaNative.maskrt_paste_masks(dMasks, maskHeight, maskWidth, dBoxes, n, hulls.address(),
                offsets.address(), threshold, bits.address(), t.stream()), "maskrt_paste_masks");
        return new Pasted(hulls.address(), offsets.address(), bits.address());
    }


    /** Not on the device: the CUDA ops do not serve maskrcnn-benchmark's conventions yet (the pipeline runs the CPU ops). */
    @Override
    public dev.maskrt.output.CompactMask[] pasteMasker(float[] masks, int maskHeight, int maskWidth, float[] boxes,
            int imageHeight, int imageWidth, float threshold) {
        throw CudaOpBase.legacyUnsupported("pasteMasker");
    }
}
