package dev.maskrt.cascade;

/** Boxes with a score and a group (level or class) each, and row selection by index. */
final class Selection {
    final float[] boxes;
    final float[] scores;
    final int[] groups;

    Selection(float[] boxes, float[] scores, int[] groups) {
        this.boxes = boxes;
        this.scores = scores;
        this.groups = groups;
    }

    /** The rows {@code indices}, in that order. */
    Selection keep(int[] indices) {
        float[] b = new float[4 * indices.length], s = new float[indices.length];
        int[] g = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            int r = indices[i];
            System.arraycopy(boxes, 4 * r, b, 4 * i, 4);
            s[i] = scores[r];
            g[i] = groups[r];
        }
        return new Selection(b, s, g);
    }

    int count() { return scores.length; }
}
