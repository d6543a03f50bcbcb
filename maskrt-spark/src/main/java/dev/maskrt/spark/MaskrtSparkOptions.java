package dev.maskrt.spark;

import dev.maskrt.PredictorOptions;
import dev.maskrt.config.Backend;
import dev.maskrt.config.Precision;
import dev.maskrt.config.TensorRtOptions;
import dev.maskrt.output.SubmissionFormat;
import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * How maskrt runs on Spark: the model package, the predictor's settings, and the Kaggle format of the
 * {@code kaggle_rle} column. Immutable and serializable (it travels to the executors with the tasks).
 *
 * <pre>{@code
 * MaskrtSparkOptions o = MaskrtSparkOptions.builder("hdfs:///models/dsb2018-cascade-r18.zip").scoreThreshold(0.5f).build();
 * }</pre>
 */
public final class MaskrtSparkOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String model;
    private final int threads;
    private final Float scoreThreshold;
    private final Integer detectionsPerImage;
    private final Boolean tta;
    private final long maxImageBytes;
    private final Backend backend;
    private final boolean fp16;
    private final Precision precision;
    private final SubmissionFormat kaggleFormat;
    private final int minPixels;
    private final boolean winograd;
    private final boolean memoryArena;

    private MaskrtSparkOptions(Builder b) {
        model = b.model;
        threads = b.threads;
        scoreThreshold = b.scoreThreshold;
        detectionsPerImage = b.detectionsPerImage;
        tta = b.tta;
        maxImageBytes = b.maxImageBytes;
        backend = b.backend;
        fp16 = b.fp16;
        precision = b.precision;
        kaggleFormat = b.kaggleFormat;
        minPixels = b.minPixels;
        winograd = b.winograd;
        memoryArena = b.memoryArena;
    }

    /**
     * @param model the model package: a directory every executor sees at that path (a shared file system), or a
     *     {@code .zip} of the package (local path or any Hadoop URI) that maskrt ships to the executors with the job
     * @return a builder holding the defaults
     */
    public static Builder builder(String model) {
        return new Builder(model);
    }

    /** @return the model package's location as given */
    public String model() { return model; }

    /**
     * @return threads of each executor's predictor, i.e. of each image's prediction; 0: {@code spark.task.cpus} (the
     *     executor's cores divided among the tasks it runs at once)
     */
    public int threads() { return threads; }

    /** @return score threshold override, or null for the model's */
    public Float scoreThreshold() { return scoreThreshold; }

    /** @return detections-per-image override, or null for the model's */
    public Integer detectionsPerImage() { return detectionsPerImage; }

    /** @return test-time augmentation on/off, or null for the model's {@code test_aug.enabled} */
    public Boolean tta() { return tta; }

    /** @return the largest image file read (the binaryFile {@code content} is checked against it too) */
    public long maxImageBytes() { return maxImageBytes; }

    /** @return the backend asked for ({@link Backend#AUTO}: TensorRT on executors where it loads, else CPU) */
    public Backend backend() { return backend; }

    /** @return whether TensorRT engines are built in FP16 */
    public boolean fp16() { return fp16; }

    /** @return which graphs run: FP32, or the package's INT8 set on the CPU (as {@code maskrt predict --precision}) */
    public Precision precision() { return precision; }

    /** @return the submission whose pixel order the {@code kaggle_rle} column follows */
    public SubmissionFormat kaggleFormat() { return kaggleFormat; }

    /** @return {@code kaggle_rle}: instances left with fewer pixels after overlap removal get null */
    public int minPixels() { return minPixels; }

    /** @return whether CPU predictors run the package's Winograd graphs where it has them (as {@code maskrt predict}) */
    public boolean winograd() { return winograd; }

    /** @return whether CPU predictors keep ONNX Runtime's memory arena (as {@code maskrt predict}; default true) */
    public boolean memoryArena() { return memoryArena; }

    /** The library's options for one executor's predictor. */
    PredictorOptions predictorOptions(int predictorThreads, DeviceSelection.Choice choice) {
        PredictorOptions.Builder b = PredictorOptions.builder().threads(predictorThreads).backend(choice.backend())
                .maxImageFileBytes(maxImageBytes).precision(precision).winograd(winograd).memoryArena(memoryArena);
        if (scoreThreshold != null) b.scoreThreshold(scoreThreshold);
        if (detectionsPerImage != null) b.detectionsPerImage(detectionsPerImage);
        if (tta != null) b.tta(tta);
        if (choice.backend() != Backend.CPU) {
            b.tensorRt(TensorRtOptions.builder().deviceId(choice.device())
                    .precision(fp16 ? Precision.FP16 : Precision.FP32).build());
        }
        return b.build();
    }

    /** What makes two predictors different (the model location is added by the caller). */
    String predictorKey(int predictorThreads, DeviceSelection.Choice choice) {
        return "threads=" + predictorThreads + ",score=" + scoreThreshold + ",dets=" + detectionsPerImage + ",tta=" + tta
                + ",maxBytes=" + maxImageBytes + ",fp16=" + fp16 + ",precision=" + precision.id() + ",winograd=" + winograd
                + ",arena=" + memoryArena + "," + choice;
    }

    @Override
    public String toString() {
        return "MaskrtSparkOptions[model " + model + ", threads " + threads + ", score " + scoreThreshold + ", detections "
                + detectionsPerImage + ", tta " + tta + ", backend " + backend + (fp16 ? " fp16" : "") + ", kaggle "
                + kaggleFormat + ", minPixels " + minPixels + "]";
    }

    /** Builds {@link MaskrtSparkOptions}; every setter checks its value at once. */
    public static final class Builder {
        private final String model;
        private int threads;
        private Float scoreThreshold;
        private Integer detectionsPerImage;
        private Boolean tta;
        private long maxImageBytes = PredictorOptions.DEFAULT_MAX_IMAGE_FILE_BYTES;
        private Backend backend = Backend.AUTO;
        private boolean fp16;
        private boolean winograd = true;
        private boolean memoryArena = true;
        private Precision precision = Precision.FP32;
        private SubmissionFormat kaggleFormat = SubmissionFormat.SARTORIUS;
        private int minPixels = 1;

        private Builder(String model) {
            if (model == null || model.isBlank()) throw new IllegalArgumentException("model must be a path or URI");
            this.model = model;
        }

        /**
         * @param threads 1..{@link PredictorOptions#MAX_THREADS} per executor predictor, or 0 for {@code spark.task.cpus}
         * @return this builder
         */
        public Builder threads(int threads) {
            if (threads < 0 || threads > PredictorOptions.MAX_THREADS) {
                throw new IllegalArgumentException("threads must be in 0.." + PredictorOptions.MAX_THREADS + ", got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** @param threshold in [0, 1] @return this builder */
        public Builder scoreThreshold(float threshold) {
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new IllegalArgumentException("scoreThreshold must be in [0, 1], got " + threshold);
            }
            this.scoreThreshold = threshold;
            return this;
        }

        /** @param count at least 1 @return this builder */
        public Builder detectionsPerImage(int count) {
            if (count < 1) throw new IllegalArgumentException("detectionsPerImage must be >= 1, got " + count);
            this.detectionsPerImage = count;
            return this;
        }

        /** @param enabled detectron2's test-time augmentation on or off @return this builder */
        public Builder tta(boolean enabled) {
            this.tta = enabled;
            return this;
        }

        /** @param bytes at least 1 @return this builder */
        public Builder maxImageBytes(long bytes) {
            if (bytes < 1) throw new IllegalArgumentException("maxImageBytes must be >= 1, got " + bytes);
            this.maxImageBytes = bytes;
            return this;
        }

        /** @param backend CPU, TENSORRT or AUTO @return this builder */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * @param winogradForm run the package's Winograd graphs on the CPU where it has them (default true)
         * @return this builder
         */
        public Builder winograd(boolean winogradForm) {
            this.winograd = winogradForm;
            return this;
        }

        /** @param arena keep ONNX Runtime's memory arena on the CPU (default true) @return this builder */
        public Builder memoryArena(boolean arena) {
            this.memoryArena = arena;
            return this;
        }

        /** @param fp16 build TensorRT engines in FP16 @return this builder */
        public Builder fp16(boolean fp16) {
            this.fp16 = fp16;
            return this;
        }

        /**
         * @param precision FP32 (default) or INT8 (the package's int8 graphs, CPU only; refused by the predictor where
         *     the package has none)
         * @return this builder
         */
        public Builder precision(Precision precision) {
            if (precision == null || precision == Precision.FP16) {
                throw new IllegalArgumentException("precision must be FP32 or INT8 (FP16 is a TensorRT setting: fp16)");
            }
            this.precision = precision;
            return this;
        }

        /**
         * @param format {@code sartorius} (row-major runs), {@code dsb} or {@code airbus} (column-major)
         * @return this builder
         */
        public Builder kaggleFormat(String format) {
            String f = String.valueOf(format).toLowerCase(Locale.ROOT);
            switch (f) {
                case "sartorius": kaggleFormat = SubmissionFormat.SARTORIUS; break;
                case "dsb": kaggleFormat = SubmissionFormat.DSB2018; break;
                case "airbus": kaggleFormat = SubmissionFormat.AIRBUS_SHIP; break;
                default: throw new IllegalArgumentException("kaggleFormat must be sartorius, dsb or airbus, got " + format);
            }
            return this;
        }

        /** @param minPixels at least 0 @return this builder */
        public Builder minPixels(int minPixels) {
            if (minPixels < 0) throw new IllegalArgumentException("minPixels must be >= 0, got " + minPixels);
            this.minPixels = minPixels;
            return this;
        }

        /** @return the options */
        public MaskrtSparkOptions build() {
            return new MaskrtSparkOptions(this);
        }
    }
}
