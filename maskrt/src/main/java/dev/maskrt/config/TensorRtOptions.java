package dev.maskrt.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How TensorRT engines are built and cached. Immutable and thread-safe; make one with {@link #builder()}.
 *
 * <p>Defaults: FP32, batch size 1, the manifest's test size, no test-time augmentation, a 2 GiB workspace, the
 * engine cache in the engine cache's default directory (the package's {@code engines/} folder when writable, else {@code ~/.cache/maskrt/engines/ID}), device 0.
 */
public final class TensorRtOptions {
    private final Precision precision;
    private final int batchSize;
    private final Integer minSizeTest;
    private final Integer maxSizeTest;
    private final int[] ttaMinSizes;
    private final int ttaMaxSize;
    private final int maxImageSide;
    private final Integer detectionsPerImage;
    private final long workspaceBytes;
    private final Path cacheDirectory;
    private final Map<String, Path> prebuiltEngines;
    private final int deviceId;

    private TensorRtOptions(Builder b) {
        precision = b.precision;
        batchSize = b.batchSize;
        minSizeTest = b.minSizeTest;
        maxSizeTest = b.maxSizeTest;
        ttaMinSizes = b.ttaMinSizes.clone();
        ttaMaxSize = b.ttaMaxSize;
        maxImageSide = b.maxImageSide;
        detectionsPerImage = b.detectionsPerImage;
        workspaceBytes = b.workspaceBytes;
        cacheDirectory = b.cacheDirectory;
        prebuiltEngines = Map.copyOf(b.prebuiltEngines);
        deviceId = b.deviceId;
    }

    /** @return FP32, batch 1, the manifest's sizes, no TTA, a 2 GiB workspace, the default cache, device 0 */
    public static TensorRtOptions defaults() { return builder().build(); }

    /** @return a builder holding the defaults */
    public static Builder builder() { return new Builder(); }

    /** @return a builder starting from these options */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.precision = precision;
        b.batchSize = batchSize;
        b.minSizeTest = minSizeTest;
        b.maxSizeTest = maxSizeTest;
        b.ttaMinSizes = ttaMinSizes.clone();
        b.ttaMaxSize = ttaMaxSize;
        b.maxImageSide = maxImageSide;
        b.detectionsPerImage = detectionsPerImage;
        b.workspaceBytes = workspaceBytes;
        b.cacheDirectory = cacheDirectory;
        b.prebuiltEngines = new LinkedHashMap<>(prebuiltEngines);
        b.deviceId = deviceId;
        return b;
    }

    /** @return the arithmetic the engines may use */
    public Precision precision() { return precision; }

    /** @return images per backbone run: the profiles' opt and max batch */
    public int batchSize() { return batchSize; }

    /** @return overrides the manifest's {@code input.min_size_test}; null keeps it */
    public Integer minSizeTest() { return minSizeTest; }

    /** @return overrides the manifest's {@code input.max_size_test}; null keeps it */
    public Integer maxSizeTest() { return maxSizeTest; }

    /** @return short sides of test-time augmentation (empty: none) */
    public int[] ttaMinSizes() { return ttaMinSizes.clone(); }

    /** @return the long-side limit of test-time augmentation (0 when none) */
    public int ttaMaxSize() { return ttaMaxSize; }

    /** @return for models without resize ({@code min_size_test == 0}): the largest image side to plan for; 0 = not set */
    public int maxImageSide() { return maxImageSide; }

    /** @return overrides the manifest's {@code roi_heads.detections_per_image} (the mask head's RoI range); null keeps it */
    public Integer detectionsPerImage() { return detectionsPerImage; }

    /** @return tensorRT's workspace memory pool limit, in bytes */
    public long workspaceBytes() { return workspaceBytes; }

    /**
     * @return where built plans are cached; null for the default (the package's {@code engines/} folder when
     *     writable, else {@code ~/.cache/maskrt/engines/ID})
     */
    public Path cacheDirectory() { return cacheDirectory; }

    /** @return prebuilt plans by graph file name (e.g. {@code backbone.onnx}); used as given, never rebuilt */
    public Map<String, Path> prebuiltEngines() { return prebuiltEngines; }

    /** @return the CUDA device engines are built for and run on */
    public int deviceId() { return deviceId; }

    @Override
    public String toString() {
        return "TensorRtOptions[" + precision.id() + ", batch " + batchSize + ", test size " + minSizeTest + "/"
                + maxSizeTest + ", tta " + Arrays.toString(ttaMinSizes) + "/" + ttaMaxSize + ", workspace "
                + workspaceBytes + ", cache " + cacheDirectory + ", device " + deviceId + "]";
    }

    /** Builds {@link TensorRtOptions}; every setter checks its argument and names it when it refuses. */
    public static final class Builder {
        private Precision precision = Precision.FP32;
        private int batchSize = 1;
        private Integer minSizeTest;
        private Integer maxSizeTest;
        private int[] ttaMinSizes = new int[0];
        private int ttaMaxSize;
        private int maxImageSide;
        private Integer detectionsPerImage;
        private long workspaceBytes = 2L << 30;
        private Path cacheDirectory;
        private Map<String, Path> prebuiltEngines = new LinkedHashMap<>();
        private int deviceId;

        private Builder() {}

        /**
         * @param precision FP32 or FP16 layers (inputs and outputs stay float32); not {@link Precision#INT8}, which
         *     is a graph set of the package run on the CPU ({@code PredictorOptions.builder().precision(INT8)})
         * @return this builder
         * @throws IllegalArgumentException naming the setting when the value is out of range
         */
        public Builder precision(Precision precision) {
            if (precision == null) throw new IllegalArgumentException("precision must not be null");
            if (precision == Precision.INT8) {
                throw new IllegalArgumentException("precision: TensorRT engines are built as fp32 or fp16; int8 is "
                        + "the package's int8 graph set on the CPU backend (PredictorOptions precision INT8)");
            }
            this.precision = precision;
            return this;
        }

        /**
         * @param batchSize images per backbone run, the profiles' opt and max batch, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException naming the setting when the value is out of range
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Test-time resize short side in pixels (detectron2 {@code INPUT.MIN_SIZE_TEST}, the manifest's {@code
         * input.min_size_test}), {@code >= 0}, 0 = no resize; default: the manifest's.
         *
         * @param minSizeTest the short side in pixels
         * @return this builder
         */
        public Builder minSizeTest(int minSizeTest) {
            if (minSizeTest < 0) throw new IllegalArgumentException("minSizeTest must be >= 0, got " + minSizeTest);
            this.minSizeTest = minSizeTest;
            return this;
        }

        /**
         * Test-time resize long-side limit in pixels (detectron2 {@code INPUT.MAX_SIZE_TEST}, the manifest's {@code
         * input.max_size_test}), {@code >= 1}; default: the manifest's.
         *
         * @param maxSizeTest the long-side limit in pixels
         * @return this builder
         */
        public Builder maxSizeTest(int maxSizeTest) {
            if (maxSizeTest < 1) throw new IllegalArgumentException("maxSizeTest must be >= 1, got " + maxSizeTest);
            this.maxSizeTest = maxSizeTest;
            return this;
        }

        /**
         * Test-time augmentation sizes (detectron2 {@code TEST.AUG.MIN_SIZES}, {@code TEST.AUG.MAX_SIZE}).
         *
         * @param minSizes the short sides, each {@code >= 1}; empty: no TTA
         * @param maxSize the long-side limit, {@code >= 1} when sizes are given
         * @return this builder
         */
        public Builder tta(int[] minSizes, int maxSize) {
            if (minSizes == null) throw new IllegalArgumentException("minSizes must not be null");
            for (int i = 0; i < minSizes.length; i++) {
                if (minSizes[i] < 1) throw new IllegalArgumentException("minSizes[" + i + "] must be >= 1, got " + minSizes[i]);
            }
            if (minSizes.length > 0 && maxSize < 1) throw new IllegalArgumentException("maxSize must be >= 1, got " + maxSize);
            this.ttaMinSizes = minSizes.clone();
            this.ttaMaxSize = minSizes.length == 0 ? 0 : maxSize;
            return this;
        }

        /**
         * @param side for models without resize ({@code min_size_test == 0}): the largest image side to plan for, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException naming the setting when the value is out of range
         */
        public Builder maxImageSide(int side) {
            if (side < 1) throw new IllegalArgumentException("maxImageSide must be >= 1, got " + side);
            this.maxImageSide = side;
            return this;
        }

        /**
         * The detections per image to plan the mask head for (negative: keep all); null: the manifest's.
         *
         * @param count the cap, or null
         * @return this builder
         */
        public Builder detectionsPerImage(Integer count) {
            this.detectionsPerImage = count;
            return this;
        }

        /**
         * @param bytes TensorRT's workspace memory pool limit, {@code >= 1 MiB}
         * @return this builder
         * @throws IllegalArgumentException naming the setting when the value is out of range
         */
        public Builder workspaceBytes(long bytes) {
            if (bytes < (1L << 20)) throw new IllegalArgumentException("workspaceBytes must be >= 1 MiB, got " + bytes);
            this.workspaceBytes = bytes;
            return this;
        }

        /**
         * null: the default cache directory.
         *
         * @param dir the folder, or null
         * @return this builder
         */
        public Builder cacheDirectory(Path dir) {
            this.cacheDirectory = dir;
            return this;
        }

        /**
         * Use the plan {@code engineFile} for the graph {@code graphFile} (e.g. {@code "mask_head.onnx"}).
         *
         * @param graphFile the graph's file name in the package
         * @param engineFile a serialized TensorRT plan
         * @return this builder
         */
        public Builder prebuiltEngine(String graphFile, Path engineFile) {
            if (graphFile == null || graphFile.isEmpty()) throw new IllegalArgumentException("graphFile must not be empty");
            if (engineFile == null) throw new IllegalArgumentException("engineFile must not be null");
            prebuiltEngines.put(graphFile, engineFile);
            return this;
        }

        /**
         * @param id the CUDA device engines are built for and run on, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException naming the setting when the value is out of range
         */
        public Builder deviceId(int id) {
            if (id < 0) throw new IllegalArgumentException("deviceId must be >= 0, got " + id);
            this.deviceId = id;
            return this;
        }

        /** @return the options */
        public TensorRtOptions build() { return new TensorRtOptions(this); }
    }
}
