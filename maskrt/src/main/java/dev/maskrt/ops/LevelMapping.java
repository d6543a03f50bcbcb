package dev.maskrt.ops;

/**
 * Assigns a box to a feature-pyramid level by its size, as the multi-level RoI poolers of detectron2,
 * torchvision and mmdetection do (FPN paper, eq. 1). Levels are numbered by stride: level {@code k} has stride
 * {@code 2^k} (p2 = 2 for stride 4).
 *
 * <p>Each flavour is reproduced in {@code float} arithmetic, step by step in the reference's order, so that
 * boxes at a level boundary land where the reference puts them:
 * <ul>
 *   <li>{@link #detectron2(int, int, double) detectron2} ({@code assign_boxes_to_levels}):
 *       {@code floor(canonicalLevel + log2(sqrt(area) / canonicalBoxSize + eps))} clamped to
 *       {@code [minLevel, maxLevel]};</li>
 *   <li>{@link #torchvision(int, int, double) torchvision} ({@code MultiScaleRoIAlign}'s {@code LevelMapper}):
 *       {@code floor(canonicalLevel + log2(sqrt(area) / canonicalScale) + eps)} clamped likewise;</li>
 *   <li>{@link #mmdetection(int) mmdetection} ({@code SingleRoIExtractor.map_roi_levels}):
 *       {@code minLevel + clamp(floor(log2(sqrt(area) / finestScale + 1e-6)), 0, maxLevel - minLevel)}, i.e. the
 *       index counts from the finest level whatever its stride.</li>
 * </ul>
 * {@code area = (x1 - x0) * (y1 - y0)}. A box with negative area (exactly one side inverted) has a NaN size;
 * the references then assign it to no level, and so does this ({@link #NO_LEVEL}). A zero-area box goes to the
 * finest level.
 *
 * <p>Immutable and thread-safe.
 */
public final class LevelMapping {
    /** Returned by {@link #level} for a box that no level receives (its size is NaN). */
    public static final int NO_LEVEL = -1;

    /** {@code eps} of older detectron2 code ({@code 1e-8}, the value the project design names). */
    public static final double DETECTRON2_EPS_LEGACY = 1e-8;
    /** {@code eps} of current detectron2 code: Python's {@code sys.float_info.epsilon}, {@code 2^-52}. */
    public static final double DETECTRON2_EPS_RECENT = Math.ulp(1.0);

    private enum Formula { DETECTRON2, TORCHVISION, MMDETECTION, MASKRCNN_BENCHMARK }

    private final Formula formula;
    private final float referenceSize;
    private final float referenceLevel;
    private final float eps;

    private LevelMapping(Formula formula, int referenceSize, int referenceLevel, double eps) {
        if (referenceSize <= 0) throw new IllegalArgumentException("canonical/finest box size must be > 0, got " + referenceSize);
        if (!(eps >= 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
        this.formula = formula;
        this.referenceSize = referenceSize;
        this.referenceLevel = referenceLevel;
        this.eps = (float) eps; // the references add eps as a float32 scalar
    }

    /** detectron2's default: canonical box 224 at level 4, {@code eps = 1e-8}. */
    public static LevelMapping detectron2() {
        return detectron2(224, 4, DETECTRON2_EPS_LEGACY);
    }

    /**
     * detectron2's {@code assign_boxes_to_levels}.
     *
     * @param canonicalBoxSize box size (sqrt of area, pixels) that maps to {@code canonicalLevel}, {@code > 0}
     * @param canonicalLevel level of a canonical box
     * @param eps added to the size ratio inside {@code log2}: {@link #DETECTRON2_EPS_LEGACY} or
     *     {@link #DETECTRON2_EPS_RECENT}
     */
    public static LevelMapping detectron2(int canonicalBoxSize, int canonicalLevel, double eps) {
        return new LevelMapping(Formula.DETECTRON2, canonicalBoxSize, canonicalLevel, eps);
    }

    /** torchvision's {@code LevelMapper} defaults: canonical scale 224 at level 4, {@code eps = 1e-6}. */
    public static LevelMapping torchvision() {
        return torchvision(224, 4, 1e-6);
    }

    /**
     * torchvision's {@code LevelMapper}; note that its {@code eps} is added after {@code log2}, not inside.
     *
     * @param canonicalScale box size (sqrt of area, pixels) that maps to {@code canonicalLevel}, {@code > 0}
     * @param canonicalLevel level of a canonical box
     * @param eps added to the level before {@code floor}
     */
    public static LevelMapping torchvision(int canonicalScale, int canonicalLevel, double eps) {
        return new LevelMapping(Formula.TORCHVISION, canonicalScale, canonicalLevel, eps);
    }

    /** mmdetection's default {@code finest_scale = 56}. */
    public static LevelMapping mmdetection() {
        return mmdetection(56);
    }

    /**
     * mmdetection's {@code SingleRoIExtractor.map_roi_levels}: boxes smaller than {@code 2 * finestScale} go to
     * the finest level, each doubling of the size one level up.
     *
     * @param finestScale boxes of size (sqrt of area, pixels) below {@code 2 * finestScale} go to the finest level;
     *     {@code > 0}
     */
    public static LevelMapping mmdetection(int finestScale) {
        return new LevelMapping(Formula.MMDETECTION, finestScale, 0, 1e-6);
    }

    /**
     * maskrcnn-benchmark's {@code LevelMapper} ({@code maskrcnn_benchmark/modeling/poolers.py}:11-42): detectron2's
     * formula, {@code floor(canonicalLevel + log2(sqrt(area) / canonicalScale + eps))} clamped, but on the area of
     * inclusive pixel ranges, {@code (x1 - x0 + 1) * (y1 - y0 + 1)} ({@code BoxList.area},
     * {@code structures/bounding_box.py}:226-236); its default {@code eps} is {@code 1e-6}.
     */
    public static LevelMapping maskrcnnBenchmark(int canonicalScale, int canonicalLevel, double eps) {
        return new LevelMapping(Formula.MASKRCNN_BENCHMARK, canonicalScale, canonicalLevel, eps);
    }

    /**
     * The level of one box.
     *
     * @param x0 left, image pixels (likewise {@code y0} top, {@code x1} right, {@code y1} bottom)
     * @param minLevel level number of the finest available feature map
     * @param maxLevel level number of the coarsest available feature map, {@code >= minLevel}
     * @return a level in {@code [minLevel, maxLevel]}, or {@link #NO_LEVEL} when the box's size is NaN
     */
    public int level(float x0, float y0, float x1, float y1, int minLevel, int maxLevel) {
        if (maxLevel < minLevel) {
            throw new IllegalArgumentException("maxLevel " + maxLevel + " < minLevel " + minLevel);
        }
        float area = formula == Formula.MASKRCNN_BENCHMARK ? (x1 - x0 + 1f) * (y1 - y0 + 1f) : (x1 - x0) * (y1 - y0);
        float size = (float) Math.sqrt(area);
        float level;
        switch (formula) {
            case DETECTRON2:
            case MASKRCNN_BENCHMARK:
                level = referenceLevel + log2(size / referenceSize + eps);
                break;
            case TORCHVISION:
                level = referenceLevel + log2(size / referenceSize) + eps;
                break;
            default:
                level = log2(size / referenceSize + eps); // an index from the finest level, not a level number
                break;
        }
        if (Float.isNaN(level)) return NO_LEVEL;
        double floor = Math.floor(level);
        if (formula == Formula.MMDETECTION) floor += minLevel;
        if (floor < minLevel) return minLevel;
        if (floor > maxLevel) return maxLevel;
        return (int) floor;
    }

    /**
     * The levels of {@code boxes.length / 4} boxes, {@code (x0, y0, x1, y1)} each; see {@link #level}.
     *
     * @throws IllegalArgumentException if {@code boxes} is not a whole number of boxes or the level range is empty
     */
    public int[] levels(float[] boxes, int minLevel, int maxLevel) {
        int n = Checks.boxCount("boxes", boxes);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = level(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3], minLevel, maxLevel);
        }
        return out;
    }

    /** {@code log2} of a float, rounded to float; exact for powers of two. */
    static float log2(float v) {
        if (!(v > 0) || Float.isInfinite(v)) {
            return (float) (Math.log(v) / Math.log(2)); // NaN, -Infinity or +Infinity
        }
        int exponent = Math.getExponent(v);
        if (exponent < Float.MIN_EXPONENT) { // subnormal: scale into the normal range first
            return log2(v * 0x1p24f) - 24f;
        }
        double mantissa = v / Math.scalb(1.0, exponent); // in [1, 2)
        return (float) (exponent + Math.log(mantissa) / Math.log(2));
    }

    /**
     * The formula's name, {@code "detectron2"}, {@code "torchvision"}, {@code "mmdetection"} or
     * {@code "maskrcnn_benchmark"}, with
     * {@link #referenceSize()}, {@link #referenceLevel()} and {@link #eps()} the parameters a device
     * implementation needs to reproduce {@link #level} exactly.
     */
    public String formulaName() {
        return formula.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The canonical box size (detectron2, torchvision) or finest scale (mmdetection), pixels. */
    public int referenceSize() {
        return (int) referenceSize;
    }

    /** The canonical level (detectron2, torchvision); 0 for mmdetection, whose formula has none. */
    public int referenceLevel() {
        return (int) referenceLevel;
    }

    /** The {@code eps} of the formula, as the float32 value it adds. */
    public float eps() {
        return eps;
    }

    @Override
    public String toString() {
        switch (formula) {
            case DETECTRON2: return "LevelMapping.detectron2(" + (int) referenceSize + ", " + (int) referenceLevel + ", " + eps + ")";
            case TORCHVISION: return "LevelMapping.torchvision(" + (int) referenceSize + ", " + (int) referenceLevel + ", " + eps + ")";
            case MASKRCNN_BENCHMARK: return "LevelMapping.maskrcnnBenchmark(" + (int) referenceSize + ", " + (int) referenceLevel + ", " + eps + ")";
            default: return "LevelMapping.mmdetection(" + (int) referenceSize + ")";
        }
    }
}
