package dev.maskrt.ops.cuda;

import dev.maskrt.ops.BoxTransform;
import dev.maskrt.ops.BoxTransformChecks;
import dev.maskrt.ops.Checks;
import java.util.Arrays;

/**
 * {@link BoxTransform} on the GPU ({@code maskrt_apply_deltas}, {@code maskrt_clip_boxes},
 * {@code maskrt_box_filter}), float32 step by step as {@link dev.maskrt.ops.cpu.CpuBoxTransform} (built without
 * contraction; {@code exp} in double rounded once). Host-array calls are serialised on this instance's stream;
 * {@link #decodeOnDevice} enqueues one cascade stage's decode + clip on the caller's stream.
 */
public final class CudaBoxTransform extends CudaOpBase implements BoxTransform {
    /** @param pool device memory; not closed by this */
    public CudaBoxTransform(DeviceMemoryPool pool) {
        super(pool);
    }

    @Override
    public synchronized float[] applyDeltas(float[] deltas, float[] boxes, float[] weights, float scaleClamp) {
        int r = BoxTransformChecks.applyDeltas(deltas, boxes, weights, scaleClamp);
        if (r == 0) return new float[0];
        try (HostTransfer t = transfer()) {
            long d = t.upload(deltas);
            long b = t.upload(boxes);
            DeviceBuffer out = t.allocate(16L * r);
            CudaRuntime.check(CudaNative.maskrt_apply_deltas(d, b, r, weights[0], weights[1], weights[2], weights[3],
                    scaleClamp, -1, -1, out.address(), t.stream()), "maskrt_apply_deltas");
            return t.downloadFloats(out.address(), 4 * r);
        }
    }

    @Override
    public synchronized void clip(float[] boxes, int imageHeight, int imageWidth) {
        int r = BoxTransformChecks.clip(boxes, imageHeight, imageWidth);
        if (r == 0) return;
        try (HostTransfer t = transfer()) {
            long b = t.upload(boxes);
            CudaRuntime.check(CudaNative.maskrt_clip_boxes(b, r, imageHeight, imageWidth, t.stream()),
                    "maskrt_clip_boxes");
            System.arraycopy(t.downloadFloats(b, 4 * r), 0, boxes, 0, 4 * r);
        }
    }

    @Override
    public int[] nonEmpty(float[] boxes, float threshold) {
        int r = BoxTransformChecks.nonEmpty(boxes, threshold);
        return filter(boxes, null, r, false, threshold);
    }

    @Override
    public int[] finite(float[] boxes, float[] scores) {
        int r = BoxTransformChecks.finite(boxes, scores);
        return filter(boxes, scores, r, true, -1f);
    }

    /**
     * Device entry point: enqueues one cascade stage's decode on {@code stream}, then a clip to the image when
     * {@code clipHeight >= 0} and {@code clipWidth >= 0}; returns without waiting.
     *
     * @param deltas {@code float[4n]} regression deltas
     * @param boxes  {@code float[4n]} reference boxes
     * @param out    receives {@code float[4n]} decoded boxes; may be {@code boxes}
     * @throws IllegalArgumentException naming the argument when {@code n < 0}, a buffer is null or too small, or the
     *                                  weights or scale clamp are bad ({@link BoxTransformChecks#weights})
     * @throws IllegalStateException    when a buffer or the stream is closed
     * @throws dev.maskrt.error.CudaException when CUDA refuses the launch
     */
    public void decodeOnDevice(DeviceBuffer deltas, DeviceBuffer boxes, int n, float[] weights, float scaleClamp,
            int clipHeight, int clipWidth, DeviceBuffer out, CudaStream stream) {
        Checks.atLeast("n", n, 0);
        BoxTransformChecks.weights(weights, scaleClamp);
        long bytes = 16L * n;
        CudaRuntime.check(CudaNative.maskrt_apply_deltas(DeviceBuffer.address("deltas", deltas, bytes),
                DeviceBuffer.address("boxes", boxes, bytes), n, weights[0], weights[1], weights[2], weights[3],
                scaleClamp, clipHeight, clipWidth, DeviceBuffer.address("out", out, bytes), handle(stream)),
                "maskrt_apply_deltas");
    }

    private synchronized int[] filter(float[] boxes, float[] scores, int r, boolean requireFinite, float minSize) {
        if (r == 0) return new int[0];
        try (HostTransfer t = transfer()) {
            long b = t.upload(boxes);
            long s = scores == null ? 0 : t.upload(scores);
            DeviceBuffer keep = t.allocate(r);
            CudaRuntime.check(CudaNative.maskrt_box_filter(b, s, r, requireFinite ? 1 : 0, minSize, keep.address(),
                    t.stream()), "maskrt_box_filter");
            byte[] flags = t.downloadBytes(keep.address(), r);
            int[] out = new int[r];
            int m = 0;
            for (int i = 0; i < r; i++) {
                if (flags[i] != 0) out[m++] = i;
            }
            return Arrays.copyOf(out, m);
        }
    }

    /** Not on the device: the CUDA ops do not serve maskrcnn-benchmark's conventions yet (the pipeline runs the CPU ops). */
    @Override
    public float[] applyDeltasMmdetection(float[] deltas, float[] boxes, float[] stds, float maxRatio) {
        throw CudaOpBase.mmdetectionUnsupported("applyDeltasMmdetection");
    }

    @Override
    public float[] applyDeltasPlusOne(float[] deltas, float[] boxes, float[] weights, float scaleClamp) {
        throw CudaOpBase.legacyUnsupported("applyDeltasPlusOne");
    }

    @Override
    public void clipPlusOne(float[] boxes, int imageHeight, int imageWidth) {
        throw CudaOpBase.legacyUnsupported("clipPlusOne");
    }

    @Override
    public int[] minSizePlusOne(float[] boxes, float minSize) {
        throw CudaOpBase.legacyUnsupported("minSizePlusOne");
    }
}
