package dev.maskrt;

import dev.maskrt.config.Backend;
import dev.maskrt.config.Precision;
import dev.maskrt.config.TensorRtOptions;

/**
 * How a {@link Predictor} runs a model. Every detection setting left unset takes the model manifest's value.
 * Immutable and thread-safe; made with {@link #builder()}.
 *
 * <pre>{@code
 * PredictorOptions options = PredictorOptions.builder().threads(4).scoreThreshold(0.5f).detectionsPerImage(1000).build();
 * }</pre>
 */
public final class PredictorOptions {
    /** The most threads a predictor may use: more only adds native thread pools that can exhaust the process. */
    public static final int MAX_THREADS = 256;
    /** Default largest image file read: 1 GiB (a larger file is refused before it is read). */
    public static final long DEFAULT_MAX_IMAGE_FILE_BYTES = 1L << 30;

    private final Backend backend;
    private final int threads;
    private final Float scoreThreshold;
    private final Double nmsThreshold;
    private final Integer detectionsPerImage;
    private final Float maskThreshold;
    private final Integer minSizeTest;
    private final Integer maxSizeTest;
    private final int batchSize;
    private final boolean engineSpinning;
    private final TensorRtOptions tensorRt;
    private final long maxImageFileBytes;
    private final Boolean tta;
    private final Precision precision;
    private final boolean winograd;
    private final boolean memoryArena;

    private PredictorOptions(Builder b) {
        backend = b.backend;
        threads = b.threads;
        scoreThreshold = b.scoreThreshold;
        nmsThreshold = b.nmsThreshold;
        detectionsPerImage = b.detectionsPerImage;
        maskThreshold = b.maskThreshold;
        minSizeTest = b.minSizeTest;
        maxSizeTest = b.maxSizeTest;
        batchSize = b.batchSize;
        engineSpinning = b.engineSpinning;
        tensorRt = b.tensorRt;
        maxImageFileBytes = b.maxImageFileBytes;
        tta = b.tta;
        precision = b.precision;
        winograd = b.winograd;
        memoryArena = b.memoryArena;
    }

    /**
     * @return {@link Backend#AUTO}, all cores, the manifest's settings, batch size 1, no engine spinning
     */
    public static PredictorOptions defaults() { return builder().build(); }

    /** @return a builder holding the defaults */
    public static Builder builder() { return new Builder(); }

    /** @return where the network runs ({@link Backend#AUTO}: TensorRT where it loads, else CPU) */
    public Backend backend() { return backend; }

    /** @return threads for the network engine (ONNX Runtime intra-op) and for maskrt's own ops */
    public int threads() { return threads; }

    /** @return score threshold override, or null for the manifest's {@code roi_heads.score_thresh} */
    public Float scoreThreshold() { return scoreThreshold; }

    /** @return the NMS IoU threshold override, or null for the manifest's {@code roi_heads.nms_thresh} */
    public Double nmsThreshold() { return nmsThreshold; }

    /** @return detections-per-image override, or null for the manifest's {@code roi_heads.detections_per_image} */
    public Integer detectionsPerImage() { return detectionsPerImage; }

    /** @return mask threshold override, or null for the manifest's {@code roi_heads.mask_threshold} */
    public Float maskThreshold() { return maskThreshold; }

    /** @return test short-side override, or null for the manifest's {@code input.min_size_test} */
    public Integer minSizeTest() { return minSizeTest; }

    /** @return test long-side limit override, or null for the manifest's {@code input.max_size_test} */
    public Integer maxSizeTest() { return maxSizeTest; }

    /** @return images per backbone run in {@link Predictor#predictAll(java.util.List)} */
    public int batchSize() { return batchSize; }

    /** @return whether ONNX Runtime's pool threads busy-wait between runs */
    public boolean engineSpinning() { return engineSpinning; }

    /**
     * @return how TensorRT engines are built and cached (precision, cache folder, workspace, TTA sizes, device); its
     *     batch size and test size are replaced by this predictor's
     */
    public TensorRtOptions tensorRt() { return tensorRt; }

    /** @return the largest image file, in bytes, read; larger ones are refused before they are read */
    public long maxImageFileBytes() { return maxImageFileBytes; }

    /**
     * @return test-time augmentation on or off, or null for the manifest's {@code test_aug.enabled} (detectron2's
     *     {@code TEST.AUG.ENABLED})
     */
    public Boolean tta() { return tta; }

    /**
     * @return the package's graph set that runs: {@link Precision#FP32} (default, the manifest's {@code graphs}) or
     *     {@link Precision#INT8} (its {@code graph_sets.int8}, on the CPU)
     */
    public Precision precision() { return precision; }

    /**
     * @return whether ONNX Runtime on the CPU runs a graph's Winograd form where the package has one
     *     ({@code winograd_file}, made by {@code tools/winograd}); default true
     */
    public boolean winograd() { return winograd; }

    /**
     * @return whether ONNX Runtime's sessions on the CPU keep a memory arena (freed intermediate tensors reused by later
     *     runs); default true
     */
    public boolean memoryArena() { return memoryArena; }

    /** Builds {@link PredictorOptions}; every setter checks its argument and names it when it is out of range. */
    public static final class Builder {
        private Backend backend = Backend.AUTO;
        private int threads = Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors());
        private Float scoreThreshold;
        private Double nmsThreshold;
        private Integer detectionsPerImage;
        private Float maskThreshold;
        private Integer minSizeTest;
        private Integer maxSizeTest;
        private int batchSize = 1;
        private boolean engineSpinning;
        private TensorRtOptions tensorRt = TensorRtOptions.defaults();
        private long maxImageFileBytes = DEFAULT_MAX_IMAGE_FILE_BYTES;
        private Boolean tta;
        private Precision precision = Precision.FP32;
        private boolean winograd = true;
        private boolean memoryArena = true;

        private Builder() {}

        /**
         * Where the network runs; default {@link Backend#AUTO} (TensorRT where it loads, else CPU).
         *
         * @param backend the value
         * @return this builder
         */
        public Builder backend(Backend backend) {
            if (backend == null) throw new IllegalArgumentException("backend must not be null");
            this.backend = backend;
            return this;
        }

        /**
         * Threads for the engine and the ops, in {@code 1..}{@link #MAX_THREADS}; default all available processors
         * (at most {@link #MAX_THREADS}).
         *
         * @param threads the value
         * @return this builder
         * @throws IllegalArgumentException naming {@code threads} when out of range
         */
        public Builder threads(int threads) {
            if (threads < 1 || threads > MAX_THREADS) {
                throw new IllegalArgumentException("threads must be in 1.." + MAX_THREADS + ", got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * Detections need a score {@code > threshold}; in {@code [0, 1]}.
         *
         * @param threshold the value
         * @return this builder
         * @throws IllegalArgumentException naming {@code scoreThreshold} when out of range or NaN
         */
        public Builder scoreThreshold(float threshold) {
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new IllegalArgumentException("scoreThreshold must be in [0, 1], got " + threshold);
            }
            this.scoreThreshold = threshold;
            return this;
        }

        /**
         * Per-class NMS IoU threshold of the final detections, in {@code [0, 1]}.
         *
         * @param threshold the value
         * @return this builder
         */
        public Builder nmsThreshold(double threshold) {
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new IllegalArgumentException("nmsThreshold must be in [0, 1], got " + threshold);
            }
            this.nmsThreshold = threshold;
            return this;
        }

        /**
         * At most this many detections per image, {@code >= 1}.
         *
         * @param count the value
         * @return this builder
         * @throws IllegalArgumentException naming {@code detectionsPerImage} when below 1
         */
        public Builder detectionsPerImage(int count) {
            if (count < 1) throw new IllegalArgumentException("detectionsPerImage must be >= 1, got " + count);
            this.detectionsPerImage = count;
            return this;
        }

        /**
         * Pasted mask probabilities {@code >= threshold} are foreground; finite, {@code >= 0}.
         *
         * @param threshold the value
         * @return this builder
         */
        public Builder maskThreshold(float threshold) {
            if (!(threshold >= 0) || Float.isInfinite(threshold)) {
                throw new IllegalArgumentException("maskThreshold must be finite and >= 0, got " + threshold);
            }
            this.maskThreshold = threshold;
            return this;
        }

        /**
         * Test-time resize short side in pixels (detectron2 {@code INPUT.MIN_SIZE_TEST}, the manifest's {@code
         * input.min_size_test}), {@code >= 0}, 0 = no resize; default: the manifest's.
         *
         * @param minSizeTest the value
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
         * @param maxSizeTest the value
         * @return this builder
         */
        public Builder maxSizeTest(int maxSizeTest) {
            if (maxSizeTest < 1) throw new IllegalArgumentException("maxSizeTest must be >= 1, got " + maxSizeTest);
            this.maxSizeTest = maxSizeTest;
            return this;
        }

        /**
         * Images per backbone run when predicting a list, {@code >= 1}; default 1. Larger batches are padded to
         * their largest image as detectron2 pads a batch, which changes results slightly against single images
         * (as it does in detectron2) and rarely pays off on a CPU.
         *
         * @param batchSize the value
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Whether ONNX Runtime's threads busy-wait for work between runs; default false, so they leave the cores to
         * maskrt's own ops between the graphs.
         *
         * @param spin the value
         * @return this builder
         */
        public Builder engineSpinning(boolean spin) {
            this.engineSpinning = spin;
            return this;
        }

        /**
         * Whether ONNX Runtime on the CPU runs a graph's Winograd form (manifest {@code winograd_file}, made by
         * {@code tools/winograd}: wide 3x3 convolutions as Winograd F(4x4, 3x3), a mask head's upsampling at the RoI
         * resolution; float32, equal to the fp32 graph up to rounding) where the package has one; default true.
         * False runs every graph's direct form. TensorRT and the int8 graphs never use it.
         *
         * @param winogradForm the value
         * @return this builder
         */
        public Builder winograd(boolean winogradForm) {
            this.winograd = winogradForm;
            return this;
        }

        /**
         * Whether each ONNX Runtime session on the CPU keeps a memory arena: the memory of a run's freed intermediate
         * tensors is reused by later allocations, instead of being returned to the C library (which unmaps blocks
         * above 32 MB, so that the kernel maps and zeroes them anew in every run). Default true: on the full-size R50
         * cascade with Winograd graphs 0.2–0.8 s less per image at about the same peak RSS
         * (benchmarks/RESULTS.md). False returns the memory after each run (ONNX Runtime's memory patterns then plan
         * each run's allocations).
         *
         * @param arena the value
         * @return this builder
         */
        public Builder memoryArena(boolean arena) {
            this.memoryArena = arena;
            return this;
        }

        /**
         * TensorRT settings (used when the backend resolves to TensorRT); default {@link TensorRtOptions#defaults()}.
         *
         * @param options the value
         * @return this builder
         */
        public Builder tensorRt(TensorRtOptions options) {
            if (options == null) throw new IllegalArgumentException("tensorRt must not be null");
            this.tensorRt = options;
            return this;
        }

        /**
         * Image files larger than {@code bytes} are refused before they are read (so a huge or endless file cannot
         * exhaust memory); {@code >= 1}, default {@link #DEFAULT_MAX_IMAGE_FILE_BYTES}.
         *
         * @param bytes the value
         * @return this builder
         * @throws IllegalArgumentException naming {@code maxImageFileBytes} when below 1
         */
        public Builder maxImageFileBytes(long bytes) {
            if (bytes < 1) throw new IllegalArgumentException("maxImageFileBytes must be >= 1, got " + bytes);
            this.maxImageFileBytes = bytes;
            return this;
        }

        /**
         * Test-time augmentation as the model's trainer does it, with the manifest's {@code test_aug} sizes and flip:
         * detectron2's {@code GeneralizedRCNNWithTTA} (detectron2's defaults for a package without them), or for an
         * mmdetection package its {@code aug_test} (the {@code MultiScaleFlipAug} scales; its one test scale for a
         * package without them); a maskrcnn-benchmark package has none. Default: the manifest's
         * {@code test_aug.enabled}. With TTA the augmentation sizes replace the test size, and images are predicted one
         * at a time (detectron2: each one's augmented images batched 3 at a time, as {@code GeneralizedRCNNWithTTA}
         * does by default; mmdetection: one at a time, as {@code aug_test}), whatever the batch size.
         *
         * @param enabled the value
         * @return this builder
         */
        public Builder tta(boolean enabled) {
            this.tta = enabled;
            return this;
        }

        /**
         * Which of the package's graph sets runs: {@link Precision#FP32} (default: the fp32 graphs, the manifest's
         * {@code graphs}) or {@link Precision#INT8} (static int8 graphs made by {@code tools/quantize}, the
         * manifest's {@code graph_sets.int8}: faster on CPUs with VNNI, at the accuracy cost measured in
         * {@code benchmarks/RESULTS.md}). INT8 runs on ONNX Runtime (CPU): with {@link Backend#AUTO} the predictor
         * uses the CPU, {@link Backend#TENSORRT} is refused by {@link #build()}. A package without int8 graphs is
         * refused when the predictor opens it (never an fp32 fallback). {@link Precision#FP16} is a TensorRT engine
         * setting ({@link TensorRtOptions.Builder#precision(Precision)}), refused here.
         *
         * @param precision the value
         * @return this builder
         * @throws IllegalArgumentException naming {@code precision} when null or FP16
         */
        public Builder precision(Precision precision) {
            if (precision == null) throw new IllegalArgumentException("precision must not be null");
            if (precision == Precision.FP16) {
                throw new IllegalArgumentException("precision must be FP32 or INT8 (graph sets of the package); FP16 "
                        + "is a TensorRT engine setting: tensorRt(TensorRtOptions.builder().precision(FP16)...)");
            }
            this.precision = precision;
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException when precision INT8 is combined with backend TENSORRT
         */
        public PredictorOptions build() {
            if (precision == Precision.INT8 && backend == Backend.TENSORRT) {
                throw new IllegalArgumentException("precision INT8 runs the package's int8 graphs on the CPU (ONNX "
                        + "Runtime): backend TENSORRT cannot run them (use backend CPU or AUTO)");
            }
            return new PredictorOptions(this);
        }
    }
}
