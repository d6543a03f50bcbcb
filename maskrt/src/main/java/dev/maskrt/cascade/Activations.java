package dev.maskrt.cascade;

/** Row-wise softmax and the logistic sigmoid in float32, as torch's CPU kernels compute them. */
final class Activations {
    private Activations() {}

    /**
     * Activations of each row of a row-major {@code [rows, cols]} matrix: {@code exp(x - max)} then multiplied by
     * {@code 1 / sum} (torch's last-dimension kernel), into a new array.
     */
    static float[] rows(float[] logits, int rows) {
        float[] out = new float[logits.length];
        if (rows == 0) return out;
        int cols = logits.length / rows;
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) max = Math.max(max, logits[o + c]);
            float sum = 0f;
            for (int c = 0; c < cols; c++) {
                float e = (float) Math.exp(logits[o + c] - max);
                out[o + c] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int c = 0; c < cols; c++) out[o + c] *= inv;
        }
        return out;
    }

    /** {@code 1 / (1 + exp(-x))} in float32. */
    static float sigmoid(float x) {
        return 1f / (1f + (float) Math.exp(-x));
    }
}
