package dev.maskrt.ops;

/**
 * Box decoding and the box filters of detectron2's proposal and detection steps. Boxes are {@code float[4R]},
 * {@code (x0, y0, x1, y1)} per box, in pixels; results follow detectron2's float32 arithmetic.
 *
 * <p>Implementations are thread-safe: one instance may serve many callers at once.
 */
public interface BoxTransform {
    /** detectron2's default {@code scale_clamp}, {@code ln(1000 / 16)} rounded to float. */
    float DEFAULT_SCALE_CLAMP = (float) Math.log(1000.0 / 16);

    /**
     * detectron2 {@code Box2BoxTransform.apply_deltas} for class-agnostic deltas: with {@code w = x1 - x0},
     * {@code cx = x0 + 0.5w}, {@code dx = deltas[0] / weights[0]}, {@code dw = min(deltas[2] / weights[2], scaleClamp)}:
     * centre {@code dx·w + cx}, width {@code exp(dw)·w}, likewise for y/h; result {@code centre ∓ 0.5·size}.
     * Every step is a float32 operation in detectron2's order; {@code exp} is correctly rounded here, while
     * PyTorch's vectorised exp may differ from it by 1 ulp, so results agree with detectron2 bit for bit except
     * for such 1-ulp differences of {@code exp} and what they propagate to.
     *
     * <p>Non-finite deltas or boxes are allowed and give non-finite boxes, as in detectron2 (proposals drop them
     * afterwards, see {@link #finite}).
     *
     * @param deltas     {@code float[4R]} regression deltas {@code (dx, dy, dw, dh)}
     * @param boxes      {@code float[4R]} reference boxes
     * @param weights    {@code float[4]} {@code (wx, wy, ww, wh)}, each finite and {@code > 0}
     * @param scaleClamp upper clamp of {@code dw, dh}, not NaN
     * @return new {@code float[4R]} decoded boxes
     */
    float[] applyDeltas(float[] deltas, float[] boxes, float[] weights, float scaleClamp);

    /** {@link #applyDeltas(float[], float[], float[], float)} with {@link #DEFAULT_SCALE_CLAMP}. */
    default float[] applyDeltas(float[] deltas, float[] boxes, float[] weights) {
        return applyDeltas(deltas, boxes, weights, DEFAULT_SCALE_CLAMP);
    }

    /**
     * detectron2 {@code Boxes.clip}, in place: x coordinates clamped to {@code [0, imageWidth]}, y coordinates to
     * {@code [0, imageHeight]} ({@code -0} becomes {@code +0}).
     *
     * @param boxes {@code float[4R]}, all finite (detectron2 asserts this too)
     */
    void clip(float[] boxes, int imageHeight, int imageWidth);

    /**
     * detectron2 {@code Boxes.nonempty}: indices of the boxes with {@code x1 - x0 > threshold} and
     * {@code y1 - y0 > threshold} (float32), ascending. A box with a NaN side is never kept.
     *
     * @param boxes     {@code float[4R]}
     * @param threshold minimum side, finite and {@code >= 0} (detectron2's {@code min_box_size}, default 0)
     */
    int[] nonEmpty(float[] boxes, float threshold);

    /**
     * The validity filter of detectron2 {@code find_top_rpn_proposals}: indices, ascending, of the boxes whose
     * four coordinates and score are all finite (neither NaN nor infinite).
     *
     * @param boxes  {@code float[4R]}
     * @param scores {@code float[R]}
     */
    int[] finite(float[] boxes, float[] scores);

    /**
     * mmdetection {@code DeltaXYWHBBoxCoder.decode} without its clip ({@code delta2bbox},
     * {@code mmdet/core/bbox/coder/delta_xywh_bbox_coder.py}:206-249 at v2.16.0, zero target means): {@code d = deltas
     * · stds}; {@code px = (x0 + x1) · 0.5}, {@code pw = x1 - x0}; {@code dw, dh} clamped to {@code [-maxRatio,
     * maxRatio]}; {@code gx = px + pw · dx}, {@code gw = pw · exp(dw)}; result {@code gx ∓ gw · 0.5}. Float32 in
     * mmdetection's order ({@code exp} correctly rounded, as in {@link #applyDeltas(float[], float[], float[], float)}).
     *
     * @param stds     {@code float[4]} target stds, each finite and {@code > 0}
     * @param maxRatio {@code |ln(wh_ratio_clip)|}, not NaN
     */
    float[] applyDeltasMmdetection(float[] deltas, float[] boxes, float[] stds, float maxRatio);

    // ---- maskrcnn-benchmark's "+1" box convention (maskrcnn_benchmark/modeling/box_coder.py, structures/)

    /**
     * maskrcnn-benchmark {@code BoxCoder.decode} ({@code modeling/box_coder.py}:52-95), whose boxes are inclusive
     * pixel ranges: {@code w = x1 - x0 + 1}, {@code cx = x0 + 0.5w}; centre and size as in
     * {@link #applyDeltas(float[], float[], float[], float)}; result {@code (cx - 0.5pw, cy - 0.5ph, cx + 0.5pw - 1,
     * cy + 0.5ph - 1)}. Float32 in the reference's order; the same argument rules as {@code applyDeltas}.
     */
    float[] applyDeltasPlusOne(float[] deltas, float[] boxes, float[] weights, float scaleClamp);

    /**
     * maskrcnn-benchmark {@code BoxList.clip_to_image(remove_empty=False)} ({@code structures/bounding_box.py}:214-224),
     * in place: x clamped to {@code [0, imageWidth - 1]}, y to {@code [0, imageHeight - 1]}.
     */
    void clipPlusOne(float[] boxes, int imageHeight, int imageWidth);

    /**
     * maskrcnn-benchmark {@code remove_small_boxes} ({@code structures/boxlist_ops.py}:34-48): indices, ascending, of
     * the boxes with {@code x1 - x0 + 1 >= minSize} and {@code y1 - y0 + 1 >= minSize} (float32; NaN never kept).
     */
    int[] minSizePlusOne(float[] boxes, float minSize);
}
