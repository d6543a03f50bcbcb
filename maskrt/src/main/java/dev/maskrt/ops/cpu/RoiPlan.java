package dev.maskrt.ops.cpu;

/**
 * Everything RoIAlign needs to pool one RoI, computed once and reused for every channel: the feature level and
 * image, the per-bin row and column taps ({@link AxisSamples}) and the sample count of a bin. Immutable.
 */
final class RoiPlan {
    final int level;
    final int batch;
    final AxisSamples rows;
    final AxisSamples cols;
    /** Samples per bin, {@code max(gridH * gridW, 1)}: the divisor of the average. */
    final float count;

    private RoiPlan(int level, int batch, AxisSamples rows, AxisSamples cols, float count) {
        this.level = level;
        this.batch = batch;
        this.rows = rows;
        this.cols = cols;
        this.count = count;
    }

    /**
     * The plan of one RoI on a map of {@code height x width} at {@code spatialScale}, or null when none of its
     * samples is inside the map (its output is all zeros). Geometry as torchvision's {@code roi_align} kernel,
     * in the same float operations.
     */
    static RoiPlan of(int level, int batch, float x0, float y0, float x1, float y1, float spatialScale, int height,
            int width, int outputHeight, int outputWidth, int samplingRatio, boolean aligned) {
        float offset = aligned ? 0.5f : 0f;
        float startW = x0 * spatialScale - offset;
        float startH = y0 * spatialScale - offset;
        float endW = x1 * spatialScale - offset;
        float endH = y1 * spatialScale - offset;
        float roiWidth = endW - startW;
        float roiHeight = endH - startH;
        if (!aligned) {
            roiWidth = Math.max(roiWidth, 1f); // the original RoIAlign stretches malformed RoIs to 1x1
            roiHeight = Math.max(roiHeight, 1f);
        }
        float binH = roiHeight / outputHeight;
        float binW = roiWidth / outputWidth;
        int gridH = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiHeight / outputHeight);
        int gridW = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(roiWidth / outputWidth);
        float count = Math.max(gridH * gridW, 1);
        AxisSamples rows = AxisSamples.of(startH, binH, gridH, outputHeight, height);
        if (rows.isEmpty()) return null;
        AxisSamples cols = AxisSamples.of(startW, binW, gridW, outputWidth, width);
        if (cols.isEmpty()) return null;
        return new RoiPlan(level, batch, rows, cols, count);
    }

    /** Floats of scratch that {@link #pool} and {@link #pool4} need: four times the RoI's column span. */
    int scratchSize() {
        return 4 * columnSpan();
    }

    /**
     * Per-task buffers of {@link #poolChannelsLast}: the row sums over the column span, and copies of the map rows and
     * scratch columns being combined. The copies put every operand of a loop at the loop index itself, which is what
     * lets HotSpot's C2 vectorise those loops (with operands at offsets in arrays it cannot prove distinct, it does
     * not); copying a row costs far less than the scalar loop it replaces. Not thread-safe: one per task.
     */
    static final class ChannelsLastScratch {
        final float[] sums;
        final float[] row0;
        final float[] row1;
        final float[] col0;
        final float[] col1;
        final float[] acc;

        /** For RoIs whose column span is at most {@code span}, over {@code channels} channels. */
        ChannelsLastScratch(int span, int channels) {
            sums = new float[span * channels];
            row0 = new float[span * channels];
            row1 = new float[span * channels];
            col0 = new float[channels];
            col1 = new float[channels];
            acc = new float[channels];
        }
    }

    /**
     * Pools every channel of the RoI from a channels-last map ({@link dev.maskrt.ops.FeatureMap#channelsLast}):
     * the image's {@code height x width x channels} values start at {@code imageOffset}; the {@code channels x
     * outputHeight x outputWidth} result goes to {@code out} from index 0, every value written (bins without a
     * sample inside the map as 0). For each output row, its row taps are summed over the RoI's column span (one
     * contiguous run of {@code span * channels} values per map row), then each bin's column taps across that,
     * channels innermost, in the same float operations as {@link #pool}'s per-channel sums.
     */
    void poolChannelsLast(float[] map, int imageOffset, int width, int channels, ChannelsLastScratch buffers,
            float[] out) {
        int outputHeight = rows.start.length - 1;
        int outputWidth = cols.start.length - 1;
        int bins = outputHeight * outputWidth;
        int colMin = cols.min;
        int run = columnSpan() * channels;
        int[] rowStart = rows.start;
        int[] rowIndex = rows.index;
        float[] rowWeight = rows.weight;
        int[] colFirst = cols.first;
        int[] colStart = cols.denseStart;
        float[] colWeight = cols.dense;
        float[] sums = buffers.sums, r0 = buffers.row0, r1 = buffers.row1;
        float[] c0 = buffers.col0, c1 = buffers.col1, acc = buffers.acc;
        int origin = imageOffset + colMin * channels;
        int rowStride = width * channels;
        for (int ph = 0; ph < outputHeight; ph++) {
            int k = rowStart[ph];
            int k1 = rowStart[ph + 1];
            if (k == k1) {
                // no sample of this output row is inside the map: its bins are 0
                for (int pw = 0; pw < outputWidth; pw++) zeroBin(out, ph * outputWidth + pw, bins, channels);
                continue;
            }
            float w0 = rowWeight[k];
            System.arraycopy(map, origin + rowIndex[k] * rowStride, r0, 0, run);
            if (k + 1 < k1) {
                float w1 = rowWeight[k + 1];
                System.arraycopy(map, origin + rowIndex[k + 1] * rowStride, r1, 0, run);
                for (int j = 0; j < run; j++) sums[j] = w0 * r0[j] + w1 * r1[j];
                k += 2;
            } else {
                for (int j = 0; j < run; j++) sums[j] = w0 * r0[j];
                k++;
            }
            for (; k + 1 < k1; k += 2) {
                w0 = rowWeight[k];
                float w1 = rowWeight[k + 1];
                System.arraycopy(map, origin + rowIndex[k] * rowStride, r0, 0, run);
                System.arraycopy(map, origin + rowIndex[k + 1] * rowStride, r1, 0, run);
                for (int j = 0; j < run; j++) sums[j] += w0 * r0[j] + w1 * r1[j];
            }
            if (k < k1) {
                w0 = rowWeight[k];
                System.arraycopy(map, origin + rowIndex[k] * rowStride, r0, 0, run);
                for (int j = 0; j < run; j++) sums[j] += w0 * r0[j];
            }
            for (int pw = 0; pw < outputWidth; pw++) {
                int q = colStart[pw];
                int e = colStart[pw + 1];
                int o = ph * outputWidth + pw;
                if (q == e) {
                    zeroBin(out, o, bins, channels); // no sample of this bin is inside the map
                    continue;
                }
                int c = (colFirst[pw] - colMin) * channels;
                float v0 = colWeight[q];
                System.arraycopy(sums, c, c0, 0, channels);
                if (q + 1 < e) {
                    float v1 = colWeight[q + 1];
                    System.arraycopy(sums, c + channels, c1, 0, channels);
                    for (int j = 0; j < channels; j++) acc[j] = v0 * c0[j] + v1 * c1[j];
                    q += 2;
                    c += 2 * channels;
                } else {
                    for (int j = 0; j < channels; j++) acc[j] = v0 * c0[j];
                    q++;
                    c += channels;
                }
                for (; q + 1 < e; q += 2, c += 2 * channels) {
                    v0 = colWeight[q];
                    float v1 = colWeight[q + 1];
                    System.arraycopy(sums, c, c0, 0, channels);
                    System.arraycopy(sums, c + channels, c1, 0, channels);
                    for (int j = 0; j < channels; j++) acc[j] += v0 * c0[j] + v1 * c1[j];
                }
                if (q < e) {
                    v0 = colWeight[q];
                    System.arraycopy(sums, c, c0, 0, channels);
                    for (int j = 0; j < channels; j++) acc[j] += v0 * c0[j];
                }
                for (int j = 0; j < channels; j++) out[o + j * bins] = acc[j] / count;
            }
        }
    }

    private static void zeroBin(float[] out, int bin, int bins, int channels) {
        for (int j = 0; j < channels; j++) out[bin + j * bins] = 0f;
    }

    /** Span of the RoI's columns: {@link #poolChannelsLast} needs {@code span * channels} floats of scratch. */
    int columnSpan() {
        return cols.max - cols.min + 1;
    }

    /**
     * Pools one channel: {@code plane} holds the channel's {@code height x width} map at {@code planeOffset};
     * the {@code outputHeight x outputWidth} bins go to {@code out} at {@code outOffset}. For each output row,
     * its row taps are first summed down the map rows over the RoI's column span (contiguous memory, two rows
     * per pass), then each bin's column taps across that.
     */
    void pool(float[] plane, int planeOffset, int width, float[] scratch, float[] out, int outOffset) {
        int outputHeight = rows.start.length - 1;
        int outputWidth = cols.start.length - 1;
        int colMin = cols.min;
        int span = cols.max - colMin + 1;
        int[] rowStart = rows.start;
        int[] rowIndex = rows.index;
        float[] rowWeight = rows.weight;
        int[] colFirst = cols.first;
        int[] colStart = cols.denseStart;
        float[] colWeight = cols.dense;
        int origin = planeOffset + colMin;
        for (int ph = 0; ph < outputHeight; ph++) {
            int k = rowStart[ph];
            int k1 = rowStart[ph + 1];
            if (k == k1) {
                continue; // no sample of this output row is inside the map: its bins stay 0
            }
            for (int j = 0; j < span; j++) scratch[j] = 0f;
            for (; k + 1 < k1; k += 2) {
                int b0 = origin + rowIndex[k] * width;
                int b1 = origin + rowIndex[k + 1] * width;
                float w0 = rowWeight[k];
                float w1 = rowWeight[k + 1];
                for (int j = 0; j < span; j++) scratch[j] += w0 * plane[b0 + j] + w1 * plane[b1 + j];
            }
            if (k < k1) {
                int b0 = origin + rowIndex[k] * width;
                float w0 = rowWeight[k];
                for (int j = 0; j < span; j++) scratch[j] += w0 * plane[b0 + j];
            }
            int o = outOffset + ph * outputWidth;
            for (int pw = 0; pw < outputWidth; pw++) {
                int c = colFirst[pw] - colMin;
                float s = 0f;
                for (int q = colStart[pw], e = colStart[pw + 1]; q < e; q++, c++) {
                    s += colWeight[q] * scratch[c];
                }
                out[o + pw] = s / count;
            }
        }
    }

    /**
     * {@link #pool} for four channels at once, whose planes lie {@code planeStride} apart in {@code data} and
     * whose outputs lie {@code outStride} apart: the same taps per channel (their sums grouped differently, so
     * the last bits may differ from {@link #pool}), with a quarter of the loop overhead and four independent sums
     * in flight. Which channels go through which method depends only on the channel count, never on threads.
     */
    void pool4(float[] data, int planeOffset, int planeStride, int width, float[] scratch, float[] out,
            int outOffset, int outStride) {
        int outputHeight = rows.start.length - 1;
        int outputWidth = cols.start.length - 1;
        int span = cols.max - cols.min + 1;
        int[] rowStart = rows.start;
        int origin = planeOffset + cols.min;
        for (int ph = 0; ph < outputHeight; ph++) {
            int k = rowStart[ph];
            int k1 = rowStart[ph + 1];
            if (k == k1) {
                continue; // no sample of this output row is inside the map: its bins stay 0
            }
            boolean first = true;
            while (k < k1) {
                int n = Math.min(k1 - k, first ? 4 : 2);
                rowPass4(data, origin, planeStride, width, k, n, span, scratch, first);
                first = false;
                k += n;
            }
            int o = outOffset + ph * outputWidth;
            columnPass4(scratch, span, o, outStride, out);
        }
    }

    /**
     * The column taps of one output row for four channels: {@code scratch} holds the four channels' row sums
     * ({@code span} apart); bins go to {@code out} at {@code o}, channels {@code outStride} apart. Every bin has
     * the same number of taps ({@link AxisSamples#taps}), unrolled for the common counts.
     */
    private void columnPass4(float[] scratch, int span, int o, int outStride, float[] out) {
        int outputWidth = cols.start.length - 1;
        int taps = cols.taps;
        int[] tapFirst = cols.tapFirst;
        float[] tw = cols.tapWeight;
        int colMin = cols.min;
        int s1 = span, s2 = 2 * span, s3 = 3 * span;
        float n = count;
        for (int pw = 0; pw < outputWidth; pw++) {
            int c = tapFirst[pw] - colMin;
            int q = pw * taps;
            float a0, a1, a2, a3;
            switch (taps) {
                case 2: {
                    float w0 = tw[q], w1 = tw[q + 1];
                    a0 = w0 * scratch[c] + w1 * scratch[c + 1];
                    a1 = w0 * scratch[s1 + c] + w1 * scratch[s1 + c + 1];
                    a2 = w0 * scratch[s2 + c] + w1 * scratch[s2 + c + 1];
                    a3 = w0 * scratch[s3 + c] + w1 * scratch[s3 + c + 1];
                    break;
                }
                case 3: {
                    float w0 = tw[q], w1 = tw[q + 1], w2 = tw[q + 2];
                    a0 = w0 * scratch[c] + w1 * scratch[c + 1] + w2 * scratch[c + 2];
                    a1 = w0 * scratch[s1 + c] + w1 * scratch[s1 + c + 1] + w2 * scratch[s1 + c + 2];
                    a2 = w0 * scratch[s2 + c] + w1 * scratch[s2 + c + 1] + w2 * scratch[s2 + c + 2];
                    a3 = w0 * scratch[s3 + c] + w1 * scratch[s3 + c + 1] + w2 * scratch[s3 + c + 2];
                    break;
                }
                case 4: {
                    float w0 = tw[q], w1 = tw[q + 1], w2 = tw[q + 2], w3 = tw[q + 3];
                    a0 = w0 * scratch[c] + w1 * scratch[c + 1] + w2 * scratch[c + 2] + w3 * scratch[c + 3];
                    a1 = w0 * scratch[s1 + c] + w1 * scratch[s1 + c + 1] + w2 * scratch[s1 + c + 2]
                            + w3 * scratch[s1 + c + 3];
                    a2 = w0 * scratch[s2 + c] + w1 * scratch[s2 + c + 1] + w2 * scratch[s2 + c + 2]
                            + w3 * scratch[s2 + c + 3];
                    a3 = w0 * scratch[s3 + c] + w1 * scratch[s3 + c + 1] + w2 * scratch[s3 + c + 2]
                            + w3 * scratch[s3 + c + 3];
                    break;
                }
                case 5: {
                    float w0 = tw[q], w1 = tw[q + 1], w2 = tw[q + 2], w3 = tw[q + 3], w4 = tw[q + 4];
                    a0 = dot5(scratch, c, w0, w1, w2, w3, w4);
                    a1 = dot5(scratch, s1 + c, w0, w1, w2, w3, w4);
                    a2 = dot5(scratch, s2 + c, w0, w1, w2, w3, w4);
                    a3 = dot5(scratch, s3 + c, w0, w1, w2, w3, w4);
                    break;
                }
                case 6: {
                    float w0 = tw[q], w1 = tw[q + 1], w2 = tw[q + 2], w3 = tw[q + 3], w4 = tw[q + 4], w5 = tw[q + 5];
                    a0 = dot5(scratch, c, w0, w1, w2, w3, w4) + w5 * scratch[c + 5];
                    a1 = dot5(scratch, s1 + c, w0, w1, w2, w3, w4) + w5 * scratch[s1 + c + 5];
                    a2 = dot5(scratch, s2 + c, w0, w1, w2, w3, w4) + w5 * scratch[s2 + c + 5];
                    a3 = dot5(scratch, s3 + c, w0, w1, w2, w3, w4) + w5 * scratch[s3 + c + 5];
                    break;
                }
                default: {
                    a0 = 0f;
                    a1 = 0f;
                    a2 = 0f;
                    a3 = 0f;
                    for (int j = 0; j < taps; j++, c++) {
                        float w = tw[q + j];
                        a0 += w * scratch[c];
                        a1 += w * scratch[s1 + c];
                        a2 += w * scratch[s2 + c];
                        a3 += w * scratch[s3 + c];
                    }
                }
            }
            out[o + pw] = a0 / n;
            out[o + outStride + pw] = a1 / n;
            out[o + 2 * outStride + pw] = a2 / n;
            out[o + 3 * outStride + pw] = a3 / n;
        }
    }

    private static float dot5(float[] v, int c, float w0, float w1, float w2, float w3, float w4) {
        return w0 * v[c] + w1 * v[c + 1] + w2 * v[c + 2] + w3 * v[c + 3] + w4 * v[c + 4];
    }

    /**
     * Row taps {@code k .. k + n - 1} ({@code n <= 4}; 3 and 4 only in the first pass) of four channels over
     * the column span, stored into ({@code first}) or added to {@code scratch}: one pass for up to four map rows.
     */
    private void rowPass4(float[] d, int origin, int p1, int width, int k, int n, int span, float[] scratch,
            boolean first) {
        int[] rowIndex = rows.index;
        float[] rowWeight = rows.weight;
        int s1 = span, s2 = 2 * span, s3 = 3 * span;
        int p2 = 2 * p1, p3 = 3 * p1;
        int b0 = origin + rowIndex[k] * width;
        float w0 = rowWeight[k];
        if (n == 1) {
            if (first) {
                for (int j = 0; j < span; j++) {
                    scratch[j] = w0 * d[b0 + j];
                    scratch[s1 + j] = w0 * d[p1 + b0 + j];
                    scratch[s2 + j] = w0 * d[p2 + b0 + j];
                    scratch[s3 + j] = w0 * d[p3 + b0 + j];
                }
            } else {
                for (int j = 0; j < span; j++) {
                    scratch[j] += w0 * d[b0 + j];
                    scratch[s1 + j] += w0 * d[p1 + b0 + j];
                    scratch[s2 + j] += w0 * d[p2 + b0 + j];
                    scratch[s3 + j] += w0 * d[p3 + b0 + j];
                }
            }
            return;
        }
        int b1 = origin + rowIndex[k + 1] * width;
        float w1 = rowWeight[k + 1];
        if (n == 2) {
            if (first) {
                for (int j = 0; j < span; j++) {
                    scratch[j] = w0 * d[b0 + j] + w1 * d[b1 + j];
                    scratch[s1 + j] = w0 * d[p1 + b0 + j] + w1 * d[p1 + b1 + j];
                    scratch[s2 + j] = w0 * d[p2 + b0 + j] + w1 * d[p2 + b1 + j];
                    scratch[s3 + j] = w0 * d[p3 + b0 + j] + w1 * d[p3 + b1 + j];
                }
            } else {
                for (int j = 0; j < span; j++) {
                    scratch[j] += w0 * d[b0 + j] + w1 * d[b1 + j];
                    scratch[s1 + j] += w0 * d[p1 + b0 + j] + w1 * d[p1 + b1 + j];
                    scratch[s2 + j] += w0 * d[p2 + b0 + j] + w1 * d[p2 + b1 + j];
                    scratch[s3 + j] += w0 * d[p3 + b0 + j] + w1 * d[p3 + b1 + j];
                }
            }
            return;
        }
        int b2 = origin + rowIndex[k + 2] * width;
        float w2 = rowWeight[k + 2];
        if (n == 4) { // first pass
            int b3 = origin + rowIndex[k + 3] * width;
            float w3 = rowWeight[k + 3];
            for (int j = 0; j < span; j++) {
                scratch[j] = (w0 * d[b0 + j] + w1 * d[b1 + j]) + (w2 * d[b2 + j] + w3 * d[b3 + j]);
                scratch[s1 + j] = (w0 * d[p1 + b0 + j] + w1 * d[p1 + b1 + j]) + (w2 * d[p1 + b2 + j] + w3 * d[p1 + b3 + j]);
                scratch[s2 + j] = (w0 * d[p2 + b0 + j] + w1 * d[p2 + b1 + j]) + (w2 * d[p2 + b2 + j] + w3 * d[p2 + b3 + j]);
                scratch[s3 + j] = (w0 * d[p3 + b0 + j] + w1 * d[p3 + b1 + j]) + (w2 * d[p3 + b2 + j] + w3 * d[p3 + b3 + j]);
            }
            return;
        }
        for (int j = 0; j < span; j++) { // n == 3, always the first pass
            scratch[j] = w0 * d[b0 + j] + w1 * d[b1 + j] + w2 * d[b2 + j];
            scratch[s1 + j] = w0 * d[p1 + b0 + j] + w1 * d[p1 + b1 + j] + w2 * d[p1 + b2 + j];
            scratch[s2 + j] = w0 * d[p2 + b0 + j] + w1 * d[p2 + b1 + j] + w2 * d[p2 + b2 + j];
            scratch[s3 + j] = w0 * d[p3 + b0 + j] + w1 * d[p3 + b1 + j] + w2 * d[p3 + b2 + j];
        }
    }
}
