package dev.maskrt.ops.cpu;

import dev.maskrt.util.Workers;

import dev.maskrt.ops.BoxTransform;
import dev.maskrt.ops.BoxTransformChecks;
import java.util.Arrays;

/**
 * Pure-Java {@link BoxTransform}. Element-wise work is split over {@link Workers} in fixed ranges, so results do
 * not depend on the thread count. Thread-safe; holds no state besides the workers.
 */
public final class CpuBoxTransform implements BoxTransform {
    private static final int GRAIN = 8192;
    private final Workers workers;

    /** Single-threaded. */
    public CpuBoxTransform() {
        this(null);
    }

    /** @param workers threads for large inputs; {@code null} runs on the calling thread */
    public CpuBoxTransform(Workers workers) {
        this.workers = workers;
    }

    @Override
    public float[] applyDeltas(float[] deltas, float[] boxes, float[] weights, float scaleClamp) {
        return decode(deltas, boxes, weights, scaleClamp, false);
    }

    /**
     * Box2BoxTransform.apply_deltas, or with {@code plusOne} maskrcnn-benchmark's BoxCoder.decode
     * (maskrcnn_benchmark/modeling/box_coder.py:64-93): widths {@code x1 - x0 + 1} and the far corner {@code - 1};
     * float32 in the frameworks' order either way.
     */
    private float[] decode(float[] deltas, float[] boxes, float[] weights, float scaleClamp, boolean plusOne) {
        int r = BoxTransformChecks.applyDeltas(deltas, boxes, weights, scaleClamp);
        float[] out = new float[4 * r];
        float wx = weights[0], wy = weights[1], ww = weights[2], wh = weights[3];
        forRange(r, (from, to) -> {
            for (int i = from; i < to; i++) {
                int b = 4 * i;
                float width = boxes[b + 2] - boxes[b];
                float height = boxes[b + 3] - boxes[b + 1];
                if (plusOne) {
                    width += 1f;
                    height += 1f;
                }
                float ctrX = boxes[b] + 0.5f * width;
                float ctrY = boxes[b + 1] + 0.5f * height;
                float dx = deltas[b] / wx;
                float dy = deltas[b + 1] / wy;
                // torch.clamp(max=) propagates NaN, as Math.min does
                float dw = Math.min(deltas[b + 2] / ww, scaleClamp);
                float dh = Math.min(deltas[b + 3] / wh, scaleClamp);
                float predCtrX = dx * width + ctrX;
                float predCtrY = dy * height + ctrY;
                float predW = (float) Math.exp(dw) * width;
                float predH = (float) Math.exp(dh) * height;
                out[b] = predCtrX - 0.5f * predW;
                out[b + 1] = predCtrY - 0.5f * predH;
                out[b + 2] = predCtrX + 0.5f * predW;
                out[b + 3] = predCtrY + 0.5f * predH;
                if (plusOne) {
                    out[b + 2] -= 1f;
                    out[b + 3] -= 1f;
                }
            }
        });
        return out;
    }

    @Override
    public float[] applyDeltasMmdetection(float[] deltas, float[] boxes, float[] stds, float maxRatio) {
        int r = BoxTransformChecks.applyDeltas(deltas, boxes, stds, maxRatio);
        float[] out = new float[4 * r];
        float sx = stds[0], sy = stds[1], sw = stds[2], sh = stds[3];
        forRange(r, (from, to) -> {
            for (int i = from; i < to; i++) {
                int b = 4 * i;
                float dx = deltas[b] * sx, dy = deltas[b + 1] * sy;
                // clamp(min=-max_ratio, max=max_ratio) propagates NaN, as Math.min/max do
                float dw = Math.max(Math.min(deltas[b + 2] * sw, maxRatio), -maxRatio);
                float dh = Math.max(Math.min(deltas[b + 3] * sh, maxRatio), -maxRatio);
                float px = (boxes[b] + boxes[b + 2]) * 0.5f, py = (boxes[b + 1] + boxes[b + 3]) * 0.5f;
                float pw = boxes[b + 2] - boxes[b], ph = boxes[b + 3] - boxes[b + 1];
                float gw = pw * (float) Math.exp(dw), gh = ph * (float) Math.exp(dh);
                float gx = px + pw * dx, gy = py + ph * dy;
                out[b] = gx - gw * 0.5f;
                out[b + 1] = gy - gh * 0.5f;
                out[b + 2] = gx + gw * 0.5f;
                out[b + 3] = gy + gh * 0.5f;
            }
        });
        return out;
    }

    @Override
    public void clip(float[] boxes, int imageHeight, int imageWidth) {
        clipTo(boxes, BoxTransformChecks.clip(boxes, imageHeight, imageWidth), imageWidth, imageHeight);
    }

    /** Every coordinate of the first {@code r} boxes clamped to {@code [0, maxX]} or {@code [0, maxY]}, in place. */
    private void clipTo(float[] boxes, int r, float maxX, float maxY) {
        forRange(r, (from, to) -> {
            for (int i = 4 * from; i < 4 * to; i += 4) {
                boxes[i] = Math.min(Math.max(boxes[i], 0f), maxX);
                boxes[i + 1] = Math.min(Math.max(boxes[i + 1], 0f), maxY);
                boxes[i + 2] = Math.min(Math.max(boxes[i + 2], 0f), maxX);
                boxes[i + 3] = Math.min(Math.max(boxes[i + 3], 0f), maxY);
            }
        });
    }

    @Override
    public int[] nonEmpty(float[] boxes, float threshold) {
        int r = BoxTransformChecks.nonEmpty(boxes, threshold);
        int[] keep = new int[r];
        int n = 0;
        for (int i = 0; i < r; i++) {
            int b = 4 * i;
            if (boxes[b + 2] - boxes[b] > threshold && boxes[b + 3] - boxes[b + 1] > threshold) {
                keep[n++] = i;
            }
        }
        return Arrays.copyOf(keep, n);
    }

    @Override
    public int[] finite(float[] boxes, float[] scores) {
        int r = BoxTransformChecks.finite(boxes, scores);
        int[] keep = new int[r];
        int n = 0;
        for (int i = 0; i < r; i++) {
            int b = 4 * i;
            if (Float.isFinite(scores[i]) && Float.isFinite(boxes[b]) && Float.isFinite(boxes[b + 1])
                    && Float.isFinite(boxes[b + 2]) && Float.isFinite(boxes[b + 3])) {
                keep[n++] = i;
            }
        }
        return Arrays.copyOf(keep, n);
    }

    @Override
    public float[] applyDeltasPlusOne(float[] deltas, float[] boxes, float[] weights, float scaleClamp) {
        return decode(deltas, boxes, weights, scaleClamp, true);
    }

    @Override
    public void clipPlusOne(float[] boxes, int imageHeight, int imageWidth) {
        clipTo(boxes, BoxTransformChecks.clip(boxes, imageHeight, imageWidth), imageWidth - 1, imageHeight - 1);
    }

    @Override
    public int[] minSizePlusOne(float[] boxes, float minSize) {
        int r = BoxTransformChecks.nonEmpty(boxes, minSize);
        int[] keep = new int[r];
        int n = 0;
        for (int i = 0; i < r; i++) {
            int b = 4 * i;
            if (boxes[b + 2] - boxes[b] + 1f >= minSize && boxes[b + 3] - boxes[b + 1] + 1f >= minSize) keep[n++] = i;
        }
        return Arrays.copyOf(keep, n);
    }

    private void forRange(int n, Workers.RangeBody body) {
        if (workers == null) {
            body.run(0, n);
        } else {
            workers.parallelFor(n, GRAIN, body);
        }
    }
}
