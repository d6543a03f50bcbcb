package dev.maskrt.ops.cpu;

import dev.maskrt.util.Workers;

import dev.maskrt.ops.FeatureMap;
import dev.maskrt.ops.LevelMapping;
import dev.maskrt.ops.RoiAlign;
import dev.maskrt.ops.RoiAlignChecks;
import java.nio.FloatBuffer;

/**
 * {@link RoiAlign} in plain Java.
 *
 * <p>How it is fast: the sample positions and bilinear weights of a RoI are computed once ({@link RoiPlan}) and
 * reused for all channels; because RoIAlign's weights factor into a row part and a column part, the taps of all
 * samples of a bin are merged per row and per column, so a bin costs (rows it touches) x (columns) multiply-adds
 * instead of 4 per sample. Two ways of reading the maps, chosen per call by the amount of work:
 * <ul>
 *   <li><b>channels last</b> (RoIs x bins at least a quarter of the maps' pixels, as a detector's box poolers, or
 *       every map copied already, as its mask pooler after the box stages): the maps' NHWC copies
 *       ({@link FeatureMap#channelsLast}, made once per map and kept with it, so the four poolings of an image pay
 *       one transpose), every pass running over all channels of a pixel at once (long contiguous runs whatever the
 *       RoI's size, each operand first copied to the start of a task buffer so that HotSpot's C2 vectorises the
 *       loop, {@link RoiPlan.ChannelsLastScratch}); tasks are blocks of 16 RoIs.</li>
 *   <li><b>planes</b> (a few RoIs on large maps not copied yet, where a transpose would cost more than the
 *       pooling): the row pass over contiguous columns of each channel plane, four channels together; work
 *       ordered by channel, RoIs grouped by level and image so the planes in use stay in cache; tasks are
 *       (8 channels, 128 RoIs) blocks.</li>
 * </ul>
 * Both spread their tasks over the {@link Workers}.
 *
 * <p>Exactness: positions, border rules and sample counts are torchvision's, in the same float operations; only
 * the order of the sums differs (merged weights are summed in double, then the products in float), which moves
 * results by a few units in the last place: the tests compare with {@code |a - b| <= 1e-5 + 1e-5 |b|}. Non-finite
 * feature values may spread to fewer or more bins than in torchvision (merged taps of zero weight are skipped; padded ones are multiplied). Every
 * output element is computed by one task in a fixed order and the layout depends only on the inputs' sizes, so
 * results do not depend on the thread count.
 *
 * <p>Thread-safe: calls may run concurrently (they share only the {@link Workers}).
 */
public final class CpuRoiAlign implements RoiAlign {
    /** RoIs per task: enough work to amortise a task, small enough to balance a few hundred RoIs over threads. */
    private static final int ROIS_PER_TASK = 128;
    /** Channels per task: a few planes per level stay in cache while a block of RoIs reads them. */
    private static final int CHANNELS_PER_TASK = 8;

    /** RoIs per task when reading channels-last maps (each RoI pools all its channels). */
    private static final int ROIS_PER_CHANNELS_LAST_TASK = 16;

    /** How the feature maps are read; {@link #AUTO} chooses per call (class comment). */
    enum Layout { AUTO, PLANES, CHANNELS_LAST }

    private final Workers workers;
    private final Layout layout;

    /** @param workers the threads to use; not closed by this */
    public CpuRoiAlign(Workers workers) {
        this(workers, Layout.AUTO);
    }

    /** With a fixed way of reading the maps (tests cover both). */
    CpuRoiAlign(Workers workers, Layout layout) {
        if (workers == null) throw new IllegalArgumentException("workers must not be null");
        this.workers = workers;
        this.layout = layout;
    }

    @Override
    public float[] roiAlign(FeatureMap features, float[] rois, int[] batchIndex, int outputHeight, int outputWidth,
            int samplingRatio, boolean aligned) {
        int n = RoiAlignChecks.single(features, rois, batchIndex, outputHeight, outputWidth, samplingRatio);
        float[] out = new float[n * features.channels() * outputHeight * outputWidth];
        pool(new FeatureMap[] {features}, new int[n], rois, batchIndex, outputHeight, outputWidth, samplingRatio,
                aligned, FloatBuffer.wrap(out), true);
        return out;
    }

    @Override
    public float[] multiLevel(FeatureMap[] levels, float[] rois, int[] batchIndex, int outputHeight, int outputWidth,
            int samplingRatio, boolean aligned, LevelMapping mapping) {
        int[] levelIndex = levelIndex(levels, rois, batchIndex, outputHeight, outputWidth, samplingRatio, mapping);
        float[] out = new float[levelIndex.length * levels[0].channels() * outputHeight * outputWidth];
        pool(levels, levelIndex, rois, batchIndex, outputHeight, outputWidth, samplingRatio, aligned,
                FloatBuffer.wrap(out), true);
        return out;
    }

    @Override
    public void multiLevel(FeatureMap[] levels, float[] rois, int[] batchIndex, int outputHeight, int outputWidth,
            int samplingRatio, boolean aligned, LevelMapping mapping, FloatBuffer out) {
        int[] levelIndex = levelIndex(levels, rois, batchIndex, outputHeight, outputWidth, samplingRatio, mapping);
        int size = RoiAlignChecks.output(out, levels[0].channels(), levelIndex.length, outputHeight, outputWidth);
        pool(levels, levelIndex, rois, batchIndex, outputHeight, outputWidth, samplingRatio, aligned,
                out.slice().limit(size), false);
    }

    /** Checks the arguments and returns each RoI's index into {@code levels}, -1 for none. */
    private static int[] levelIndex(FeatureMap[] levels, float[] rois, int[] batchIndex, int outputHeight,
            int outputWidth, int samplingRatio, LevelMapping mapping) {
        int minLevel = RoiAlignChecks.multi(levels, rois, batchIndex, outputHeight, outputWidth, samplingRatio, mapping);
        int maxLevel = minLevel + levels.length - 1;
        int n = rois.length / 4;
        int[] levelIndex = new int[n];
        if (levels.length > 1) {
            for (int i = 0; i < n; i++) {
                int level = mapping.level(rois[4 * i], rois[4 * i + 1], rois[4 * i + 2], rois[4 * i + 3], minLevel, maxLevel);
                levelIndex[i] = level == LevelMapping.NO_LEVEL ? -1 : level - minLevel;
            }
        }
        return levelIndex;
    }

    /**
     * Pools RoI {@code i} from {@code maps[levelIndex[i]]} into {@code out} (exactly the result's size, from index
     * 0, written whole: a RoI with level index -1 or no sample inside its map gives zeros). {@code zeroed}: out wraps
     * a fresh, all-zero array (the array forms), which the per-plane kernel may then fill in place.
     */
    private void pool(FeatureMap[] maps, int[] levelIndex, float[] rois, int[] batchIndex, int outputHeight,
            int outputWidth, int samplingRatio, boolean aligned, FloatBuffer out, boolean zeroed) {
        int n = levelIndex.length;
        int channels = maps[0].channels();
        int bins = outputHeight * outputWidth;
        if (out.limit() == 0) {
            return;
        }
        RoiPlan[] plans = new RoiPlan[n];
        workers.parallelFor(n, 64, (from, to) -> {
            for (int i = from; i < to; i++) {
                if (levelIndex[i] < 0) continue;
                FeatureMap map = maps[levelIndex[i]];
                plans[i] = RoiPlan.of(levelIndex[i], batchIndex[i], rois[4 * i], rois[4 * i + 1], rois[4 * i + 2],
                        rois[4 * i + 3], map.spatialScale(), map.height(), map.width(), outputHeight, outputWidth,
                        samplingRatio, aligned);
            }
        });
        int[] order = byLevelAndImage(plans, maps.length, maps[0].batch());
        if (!zeroed && order.length < n) {
            zeroRoisWithoutPlan(plans, channels * bins, out); // a fresh array holds their zeros already
        }
        if (order.length == 0) {
            return;
        }
        if (channelsLast(maps, order.length, bins)) {
            poolChannelsLast(maps, plans, order, channels, bins, out);
            return;
        }
        // the per-plane kernel leaves bins without samples as they are: it fills a fresh array (the array forms' own,
        // else one here, copied into out once)
        float[] planes = zeroed ? out.array() : new float[out.limit()];
        poolPlanes(maps, plans, order, channels, bins, planes);
        if (!zeroed) {
            out.put(0, planes);
        }
    }

    private static void zeroRoisWithoutPlan(RoiPlan[] plans, int roiSize, FloatBuffer out) {
        float[] zeros = new float[roiSize];
        for (int i = 0; i < plans.length; i++) {
            if (plans[i] == null) out.put(i * roiSize, zeros);
        }
    }

    /** The per-plane kernel: tasks of (8 channels, 128 RoIs); RoIs without a plan are left as they are in out. */
    private void poolPlanes(FeatureMap[] maps, RoiPlan[] plans, int[] order, int channels, int bins, float[] out) {
        int scratchSize = 1;
        for (int i : order) {
            scratchSize = Math.max(scratchSize, plans[i].scratchSize());
        }
        int roiBlocks = (order.length + ROIS_PER_TASK - 1) / ROIS_PER_TASK;
        int channelBlocks = (channels + CHANNELS_PER_TASK - 1) / CHANNELS_PER_TASK;
        int maxScratch = scratchSize;
        workers.parallelFor(channelBlocks * roiBlocks, 1, (from, to) -> {
            float[] scratch = new float[maxScratch];
            for (int t = from; t < to; t++) {
                int c0 = t / roiBlocks * CHANNELS_PER_TASK;
                int c1 = Math.min(channels, c0 + CHANNELS_PER_TASK);
                int block = t % roiBlocks;
                for (int k = block * ROIS_PER_TASK, end = Math.min(order.length, k + ROIS_PER_TASK); k < end; k++) {
                    int i = order[k];
                    RoiPlan plan = plans[i];
                    FeatureMap map = maps[plan.level];
                    int planeSize = map.height() * map.width();
                    int c = c0;
                    for (; c + 4 <= c1; c += 4) {
                        plan.pool4(map.data(), (plan.batch * channels + c) * planeSize, planeSize, map.width(), scratch,
                                out, (i * channels + c) * bins, bins);
                    }
                    for (; c < c1; c++) {
                        plan.pool(map.data(), (plan.batch * channels + c) * planeSize, map.width(), scratch, out,
                                (i * channels + c) * bins);
                    }
                }
            }
        });
    }

    /**
     * Whether to read the maps channels last: a transpose reads and writes each map value once, and then saves
     * about half of the pooling's time, so it pays when the RoIs' bins are at least a quarter of the maps' pixels,
     * and always once every map has its copy (an image's mask pooling after its box stages).
     */
    boolean channelsLast(FeatureMap[] maps, int rois, int bins) {
        if (layout != Layout.AUTO) return layout == Layout.CHANNELS_LAST;
        long pixels = 0;
        boolean copied = true;
        for (FeatureMap m : maps) {
            pixels += (long) m.batch() * m.height() * m.width();
            copied &= m.hasChannelsLast();
        }
        return copied || 4L * rois * bins >= pixels;
    }

    /**
     * The channels-last kernel: tasks of 16 RoIs, each RoI pooled into a task's buffer (all of its values written)
     * and copied to its place in {@code out} in one piece.
     */
    private void poolChannelsLast(FeatureMap[] maps, RoiPlan[] plans, int[] order, int channels, int bins,
            FloatBuffer out) {
        float[][] data = new float[maps.length][];
        int span = 1;
        for (int i : order) {
            RoiPlan plan = plans[i];
            if (data[plan.level] == null) data[plan.level] = maps[plan.level].channelsLast(workers);
            span = Math.max(span, plan.columnSpan());
        }
        int maxSpan = span;
        int roiSize = channels * bins;
        int tasks = (order.length + ROIS_PER_CHANNELS_LAST_TASK - 1) / ROIS_PER_CHANNELS_LAST_TASK;
        workers.parallelFor(tasks, 1, (from, to) -> {
            RoiPlan.ChannelsLastScratch buffers = new RoiPlan.ChannelsLastScratch(maxSpan, channels);
            float[] roi = new float[roiSize];
            for (int t = from; t < to; t++) {
                int end = Math.min(order.length, (t + 1) * ROIS_PER_CHANNELS_LAST_TASK);
                for (int k = t * ROIS_PER_CHANNELS_LAST_TASK; k < end; k++) {
                    int i = order[k];
                    RoiPlan plan = plans[i];
                    FeatureMap map = maps[plan.level];
                    plan.poolChannelsLast(data[plan.level], plan.batch * channels * map.height() * map.width(),
                            map.width(), channels, buffers, roi);
                    out.put(i * roiSize, roi); // absolute: tasks write disjoint ranges, no shared position
                }
            }
        });
    }

    /** Indices of the RoIs that have a plan, grouped by level then image (so planes stay in cache), stable. */
    private static int[] byLevelAndImage(RoiPlan[] plans, int levels, int batch) {
        int keys = levels * batch;
        int[] bucketStart = new int[keys + 1];
        for (RoiPlan p : plans) {
            if (p != null) bucketStart[p.level * batch + p.batch + 1]++;
        }
        for (int k = 0; k < keys; k++) bucketStart[k + 1] += bucketStart[k];
        int[] order = new int[bucketStart[keys]];
        for (int i = 0; i < plans.length; i++) {
            RoiPlan p = plans[i];
            if (p != null) order[bucketStart[p.level * batch + p.batch]++] = i;
        }
        return order;
    }
}
