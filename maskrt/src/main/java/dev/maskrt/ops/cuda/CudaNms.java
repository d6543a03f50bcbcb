package dev.maskrt.ops.cuda;

import dev.maskrt.ops.Nms;
import dev.maskrt.ops.NmsChecks;

/**
 * {@link Nms} on the GPU: the stable score ranking (CUB radix sort), the IoU bitmask of the ranked boxes and the
 * greedy pass all run on the device (no host round trip between them); see {@code maskrt_nms} in
 * {@code maskrt_cuda.h}. Same semantics as {@link dev.maskrt.ops.cpu.CpuNms}, checked before any native call.
 *
 * <p>The host-array methods upload, run and download on this instance's stream and are serialised (thread-safe,
 * one call at a time); {@link #nmsOnDevice} enqueues on the caller's stream.
 */
public final class CudaNms extends CudaOpBase implements Nms {
    /** Most boxes one call takes (the greedy pass keeps its bitmask in shared memory). */
    public static final int MAX_BOXES = (48 * 1024 - 1024) / 16 * 64;

    /** @param pool device memory for inputs, outputs and scratch; not closed by this */
    public CudaNms(DeviceMemoryPool pool) {
        super(pool);
    }

    @Override
    public int[] nms(float[] boxes, float[] scores, double iouThreshold) {
        int n = NmsChecks.nms(boxes, scores, iouThreshold);
        checkCount(n);
        return run(boxes, scores, null, iouThreshold, n);
    }

    @Override
    public int[] batchedNms(float[] boxes, float[] scores, int[] groups, double iouThreshold) {
        int n = NmsChecks.batchedNms(boxes, scores, groups, iouThreshold);
        checkCount(n);
        return run(boxes, scores, groups, iouThreshold, n);
    }

    @Override
    public synchronized int[] topK(float[] scores, int k) {
        NmsChecks.topK(scores, k);
        int m = Math.min(k, scores.length);
        if (m == 0) return new int[0];
        try (HostTransfer t = transfer()) {
            long d = t.upload(scores);
            DeviceBuffer out = t.allocate(4L * m);
            long[] bytes = new long[1];
            DeviceBuffer scratch = t.allocate(bytesQuery(CudaNative.maskrt_topk_scratch_bytes(scores.length, bytes),
                    bytes, "maskrt_topk_scratch_bytes"));
            CudaRuntime.check(CudaNative.maskrt_topk(d, scores.length, k, out.address(), scratch.address(),
                    scratch.bytes(), t.stream()), "maskrt_topk");
            return t.downloadInts(out.address(), m);
        }
    }

    /**
     * Device entry point: enqueues NMS on {@code stream} and returns without waiting; see {@code maskrt_nms}. Boxes
     * must be finite and scores not NaN wherever {@code valid} admits them (not checked: they are on the device).
     *
     * @param boxes   {@code float[4n]}
     * @param scores  {@code float[n]}
     * @param groups  {@code int[n]} group ids (batched NMS), or null for plain NMS
     * @param valid   {@code uint8[n]} admission flags, or null for all boxes
     * @param maxKeep keep at most this many ({@code < 0}: all)
     * @param keep    receives up to {@code n} kept indices ({@code int[n]}) in ranking order
     * @param count   receives the number kept (one {@code int})
     * @throws IllegalArgumentException naming the argument when {@code n} is outside {@code [0, MAX_BOXES]}, the
     *                                  threshold is bad, or a buffer is missing or too small
     * @throws IllegalStateException    when a buffer or the stream is closed
     * @throws dev.maskrt.error.CudaException when CUDA refuses the launch
     */
    public void nmsOnDevice(DeviceBuffer boxes, DeviceBuffer scores, DeviceBuffer groups, DeviceBuffer valid, int n,
            double iouThreshold, int maxKeep, DeviceBuffer keep, DeviceBuffer count, CudaStream stream) {
        checkCount(n);
        NmsChecks.iouThreshold(iouThreshold);
        long dBoxes = DeviceBuffer.address("boxes", boxes, 16L * n);
        long dScores = DeviceBuffer.address("scores", scores, 4L * n);
        long dGroups = DeviceBuffer.optionalAddress("groups", groups, 4L * n);
        long dValid = DeviceBuffer.optionalAddress("valid", valid, n);
        long dKeep = DeviceBuffer.address("keep", keep, 4L * n);
        long dCount = DeviceBuffer.address("count", count, 4);
        long[] bytes = new long[1];
        try (DeviceBuffer scratch = scratch(bytesQuery(CudaNative.maskrt_nms_scratch_bytes(n, bytes), bytes,
                "maskrt_nms_scratch_bytes"))) {
            CudaRuntime.check(CudaNative.maskrt_nms(dBoxes, dScores, dGroups, dValid, n, iouThreshold, maxKeep, dKeep,
                    dCount, scratch.address(), scratch.bytes(), handle(stream)), "maskrt_nms");
        }
    }

    private synchronized int[] run(float[] boxes, float[] scores, int[] groups, double threshold, int n) {
        if (n == 0) return new int[0];
        try (HostTransfer t = transfer()) {
            long dBoxes = t.upload(boxes);
            long dScores = t.upload(scores);
            long dGroups = groups == null ? 0 : t.upload(groups);
            DeviceBuffer keep = t.allocate(4L * n);
            DeviceBuffer count = t.allocate(4);
            long[] bytes = new long[1];
            DeviceBuffer scratch = t.allocate(bytesQuery(CudaNative.maskrt_nms_scratch_bytes(n, bytes), bytes,
                    "maskrt_nms_scratch_bytes"));
            CudaRuntime.check(CudaNative.maskrt_nms(dBoxes, dScores, dGroups, 0, n, threshold, -1, keep.address(),
                    count.address(), scratch.address(), scratch.bytes(), t.stream()), "maskrt_nms");
            int kept = t.downloadInts(count.address(), 1)[0];
            return t.downloadInts(keep.address(), kept);
        }
    }

    private static void checkCount(int n) {
        if (n < 0 || n > MAX_BOXES) {
            throw new IllegalArgumentException("boxes: " + n + " boxes; CUDA NMS takes at most " + MAX_BOXES);
        }
    }

    /** Not on the device: the CUDA ops do not serve maskrcnn-benchmark's conventions yet (the pipeline runs the CPU ops). */
    @Override
    public int[] nmsPlusOne(float[] boxes, float[] scores, float iouThreshold) {
        throw CudaOpBase.legacyUnsupported("nmsPlusOne");
    }
}
