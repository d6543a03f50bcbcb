package dev.maskrt;

import dev.maskrt.cascade.AugmentedInference;
import dev.maskrt.cascade.CascadePipeline;
import dev.maskrt.config.Backend;
import dev.maskrt.config.DetectionSettings;
import dev.maskrt.config.Precision;
import dev.maskrt.cascade.ImageResult;
import dev.maskrt.cascade.MmdetectionTestTimeAugmentation;
import dev.maskrt.cascade.TestTimeAugmentation;
import dev.maskrt.config.StageTimer;
import dev.maskrt.model.EngineFactory;
import dev.maskrt.engine.OnnxRuntimeOptions;
import dev.maskrt.config.TensorRtOptions;
import dev.maskrt.error.PredictorClosedException;
import dev.maskrt.image.DecodedImage;
import dev.maskrt.image.ImageDecoder;
import dev.maskrt.image.PreprocessedBatch;
import dev.maskrt.image.Preprocessor;
import dev.maskrt.image.ResizeShortestEdge;
import dev.maskrt.model.InputSettings;
import dev.maskrt.model.ModelManifest;
import dev.maskrt.model.ModelPackage;
import dev.maskrt.model.RoiHeadSettings;
import dev.maskrt.ops.cpu.CpuOps;
import dev.maskrt.util.Workers;
import dev.maskrt.output.Instance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a Cascade Mask R-CNN model package on images, with detectron2's inference semantics
 * ({@code docs/MODEL_PACKAGE.md}).
 *
 * <pre>{@code
 * try (Predictor predictor = Predictor.open(Path.of("my-model"), PredictorOptions.builder().threads(4).build())) {
 *     for (Instance i : predictor.predict(ImageInput.of(Path.of("cells.png")))) {
 *         System.out.println(i.className() + " " + i.score() + " " + i.mask().area());
 *     }
 * }
 * }</pre>
 *
 * <p>Results: per image, {@link Instance}s in descending score order: class index and name, score, box
 * {@code (x0, y0, x1, y1)} in original-image pixels, and a {@link dev.maskrt.output.CompactMask} over the original
 * image (convert with {@code toFullBitmap()}, {@code CocoRle.encode}, {@code KaggleRle}).
 *
 * <p>Thread-safety: a Predictor is safe for concurrent {@code predict} calls from many threads; they share its
 * engine sessions and worker threads (so they divide the cores, not multiply them). Results do not depend on the
 * thread count or on concurrency. {@link #close()} releases the engine sessions and worker threads; it waits for
 * engine runs in progress, and predicting afterwards throws {@link PredictorClosedException}.
 */
public final class Predictor implements AutoCloseable {
    private final ModelPackage model;
    private final EngineFactory engines;
    private final Workers workers;
    private final CascadePipeline pipeline;
    private final Preprocessor preprocessor;
    private final ImageDecoder decoder;
    private final DetectionSettings settings;
    private final int batchSize;
    /** Test-time augmentation, or null when off. */
    private final AugmentedInference tta;
    private final Precision precision;
    private volatile boolean closed;

    private Predictor(ModelPackage model, EngineFactory engines, Workers workers, PredictorOptions options) {
        this.model = model;
        this.engines = engines;
        this.workers = workers;
        ModelManifest m = model.manifest();
        this.pipeline = new CascadePipeline(model, CpuOps.create(workers));
        InputSettings in = m.input();
        int minSize = options.minSizeTest() != null ? options.minSizeTest() : in.minSizeTest();
        int maxSize = options.maxSizeTest() != null ? options.maxSizeTest() : in.maxSizeTest();
        var conventions = m.conventions();
        ResizeShortestEdge resize = conventions.maskrcnnBenchmarkResize()
                ? ResizeShortestEdge.maskrcnnBenchmark(minSize, maxSize)
                : conventions.mmdetectionResize() ? ResizeShortestEdge.mmdetection(minSize, maxSize)
                : new ResizeShortestEdge(minSize, maxSize);
        this.preprocessor = new Preprocessor(in.format(), in.pixelMean(), in.pixelStd(), resize, in.sizeDivisibility(),
                workers);
        ImageDecoder plain = new ImageDecoder(in.format(), options.maxImageFileBytes());
        this.decoder = conventions.exifOrientation() ? plain.asDetectron2Reads() : plain.asPilConvertReads();
        RoiHeadSettings r = m.roiHeads();
        this.settings = new DetectionSettings(
                options.scoreThreshold() != null ? options.scoreThreshold() : r.scoreThreshold(),
                options.nmsThreshold() != null ? options.nmsThreshold() : r.nmsThreshold(),
                options.detectionsPerImage() != null ? options.detectionsPerImage() : r.detectionsPerImage(),
                options.maskThreshold() != null ? options.maskThreshold() : r.maskThreshold());
        this.batchSize = options.batchSize();
        this.precision = options.precision();
        this.tta = !ttaEnabled(options, m) ? null
                : m.conventions().mmdetectionResize() ? new MmdetectionTestTimeAugmentation(pipeline, preprocessor,
                        m.testAug())
                : new TestTimeAugmentation(pipeline, preprocessor, m.testAug());
    }

    private static boolean ttaEnabled(PredictorOptions options, ModelManifest m) {
        boolean on = options.tta() != null ? options.tta() : m.testAug().enabled();
        if (on && m.conventions().mmdetectionResize()) return true; // mmdetection's aug_test
        if (on && !m.conventions().isDetectron2()) {
            throw new IllegalArgumentException("tta: maskrcnn-benchmark has no test-time augmentation; "
                    + m.file() + " is a " + m.flavour() + " model");
        }
        return on;
    }

    /**
     * Opens a model package with {@link PredictorOptions#defaults()}.
     *
     * @param modelDir the package directory ({@code manifest.json} and its ONNX graphs)
     * @return an open predictor; close it to release its engines and threads
     * @throws dev.maskrt.error.InputFormatException naming the file and field when the package is bad
     */
    public static Predictor open(Path modelDir) {
        return open(modelDir, PredictorOptions.defaults());
    }

    /**
     * Loads and validates a model package and opens its graphs.
     *
     * @param modelDir the package directory ({@code manifest.json} and its ONNX graphs)
     * @param options backend, threads, overrides of the manifest's settings
     * @return an open predictor; close it to release its engines and threads
     * @throws dev.maskrt.error.InputFormatException naming the file and field when the package is bad, or when
     *     {@link PredictorOptions#precision()} asks for a graph set the package does not have (e.g. int8)
     * @throws dev.maskrt.error.BackendUnavailableException when the requested backend cannot run here
     */
    public static Predictor open(Path modelDir, PredictorOptions options) {
        if (modelDir == null) throw new IllegalArgumentException("modelDir must not be null");
        if (options == null) throw new IllegalArgumentException("options must not be null");
        OnnxRuntimeOptions ort = OnnxRuntimeOptions.defaults().withIntraOpThreads(options.threads())
                .withAllowSpinning(options.engineSpinning()).withWinograd(options.winograd())
                .withMemoryArena(options.memoryArena());
        TensorRtOptions.Builder trt = options.tensorRt().toBuilder().batchSize(options.batchSize())
                .detectionsPerImage(options.detectionsPerImage());
        if (options.minSizeTest() != null) trt.minSizeTest(options.minSizeTest());
        if (options.maxSizeTest() != null) trt.maxSizeTest(options.maxSizeTest());
        // TTA decides the TensorRT profiles; the precision picks the graph set (refused when the package lacks it)
        ModelManifest manifest = ModelPackage.readManifest(modelDir).forPrecision(options.precision());
        if (ttaEnabled(options, manifest)) {
            trt.tta(manifest.testAug().minSizes(), manifest.testAug().maxSize())
                    .batchSize(Math.max(options.batchSize(), TestTimeAugmentation.BATCH_SIZE));
        }
        // int8 graphs run on ONNX Runtime: AUTO means the CPU (PredictorOptions refuses TENSORRT with INT8)
        Backend backend = options.precision() == Precision.INT8 ? Backend.CPU : options.backend();
        EngineFactory engines = EngineFactory.forBackend(backend, ort, trt.build());
        ModelPackage model;
        try {
            model = ModelPackage.load(modelDir, manifest, engines);
        } catch (RuntimeException e) {
            engines.close();
            throw e;
        }
        Workers workers = new Workers(options.threads());
        try {
            return new Predictor(model, engines, workers, options);
        } catch (RuntimeException e) {
            model.close();
            engines.close();
            workers.close();
            throw e;
        }
    }

    /**
     * The backend the graphs run on.
     *
     * @return {@link dev.maskrt.config.Backend#CPU} or {@code TENSORRT}, never {@code AUTO}
     */
    public dev.maskrt.config.Backend backend() { return engines.backend(); }

    /**
     * The package's graph set this predictor runs ({@link PredictorOptions#precision()}).
     *
     * @return {@link Precision#FP32} or {@link Precision#INT8}
     */
    public Precision precision() { return precision; }

    /**
     * The model's classes.
     *
     * @return the class names, in class-index order (background excluded)
     */
    public List<String> classNames() { return model.manifest().classNames(); }

    /**
     * Whether the model predicts masks.
     *
     * @return false for a box-only model (detectron2 Faster R-CNN, {@code MASK_ON} false), whose instances have no
     *     mask ({@link Instance#hasMask()} false)
     */
    public boolean hasMasks() { return model.manifest().hasMasks(); }

    /**
     * The trainer whose inference the model follows.
     *
     * @return the manifest's {@code flavour}: {@code "detectron2"} or {@code "maskrcnn_benchmark"}
     */
    public String flavour() { return model.manifest().flavour(); }

    /**
     * Whether the instances' boxes are inclusive pixel ranges, as maskrcnn-benchmark gives them (its "+1"
     * convention: a box covers pixels {@code x0 .. x1}, width {@code x1 - x0 + 1}; COCO results then carry that
     * width, as its {@code coco_eval.py} writes them) rather than detectron2's continuous coordinates.
     *
     * @return true for a maskrcnn-benchmark model
     */
    public boolean inclusiveBoxes() { return model.manifest().conventions().plusOneBoxes(); }

    /**
     * Whether this predictor uses test-time augmentation.
     *
     * @return true when every prediction runs the trainer's TTA (detectron2's or mmdetection's) ({@link PredictorOptions.Builder#tta(boolean)}, or the
     *     manifest's {@code test_aug.enabled})
     */
    public boolean tta() { return tta != null; }

    /**
     * The detection settings in effect.
     *
     * @return the manifest's score/NMS/mask thresholds and detections cap, with the options' overrides
     */
    public DetectionSettings settings() { return settings; }

    /**
     * Predicts one image.
     *
     * @param image the image (a file, bytes, a Mat or a BufferedImage)
     * @return its instances in descending score order (empty when nothing is found)
     * @throws dev.maskrt.error.InputFormatException naming the image when it cannot be read or decoded
     * @throws PredictorClosedException when the predictor is closed, before or during the call
     */
    public List<Instance> predict(ImageInput image) {
        if (image == null) throw new IllegalArgumentException("image must not be null");
        Prediction p = predictAll(List.of(image), StageTimer.NONE).get(0);
        if (!p.isSuccess()) throw p.error().orElseThrow(); // raised by this call, for this image
        return p.instances();
    }

    /**
     * Predicts one image file; see {@link #predict(ImageInput)}.
     *
     * @param imageFile a PNG, JPEG, TIFF or BMP file
     * @return its instances in descending score order (empty when nothing is found)
     * @throws dev.maskrt.error.InputFormatException naming the file when it cannot be read or decoded
     * @throws PredictorClosedException when the predictor is closed, before or during the call
     */
    public List<Instance> predict(Path imageFile) {
        return predict(ImageInput.of(imageFile));
    }

    /**
     * Predicts a list of images (any sizes). An image that fails (unreadable, corrupt, too large) gives a failed
     * {@link Prediction} naming it; the others still come out. With a batch size above 1, a batch that fails as a
     * whole (e.g. an image too odd to pad with the others) is retried image by image, so only the image at fault
     * fails.
     *
     * @param images the images, any number (processed in batches of {@link PredictorOptions#batchSize()})
     * @return one prediction per image, in input order
     * @throws IllegalArgumentException when the list or an element is null
     * @throws PredictorClosedException when the predictor is closed, before or during the call
     */
    public List<Prediction> predictAll(List<ImageInput> images) {
        return predictAll(images, StageTimer.NONE);
    }

    /**
     * {@link #predictAll(List)}, adding each stage's wall-clock time to {@code timer}.
     *
     * @param images the images
     * @param timer receives the time of "decode", "preprocess", "backbone", each box stage, "mask head", "paste", ...
     * @return one prediction per image, in input order
     * @throws PredictorClosedException when the predictor is closed, before or during the call
     */
    public List<Prediction> predictAll(List<ImageInput> images, StageTimer timer) {
        if (images == null) throw new IllegalArgumentException("images must not be null");
        if (timer == null) throw new IllegalArgumentException("timer must not be null");
        for (int i = 0; i < images.size(); i++) {
            if (images.get(i) == null) throw new IllegalArgumentException("images[" + i + "] must not be null");
        }
        checkOpen();
        Prediction[] out = new Prediction[images.size()];
        for (int from = 0; from < images.size(); from += batchSize) {
            predictChunk(images, from, Math.min(images.size(), from + batchSize), out, timer);
        }
        return List.of(out);
    }

    private void predictChunk(List<ImageInput> images, int from, int to, Prediction[] out, StageTimer timer) {
        List<DecodedImage> decoded = new ArrayList<>();
        List<Integer> slots = new ArrayList<>();
        for (int i = from; i < to; i++) {
            ImageInput input = images.get(i);
            long t = System.nanoTime();
            try {
                decoded.add(input.decode(decoder));
                slots.add(i);
            } catch (RuntimeException e) {
                checkOpen();
                out[i] = Prediction.failure(input.name(), e);
            }
            timer.add("decode", System.nanoTime() - t);
        }
        if (decoded.isEmpty()) return;
        try {
            runBatch(images, decoded, slots, out, timer);
        } catch (RuntimeException e) {
            checkOpen();
            if (slots.size() == 1) {
                out[slots.get(0)] = Prediction.failure(images.get(slots.get(0)).name(), e);
                return;
            }
            // the padded batch failed as a whole: retry each image alone, so that only the one at fault fails
            for (int k = 0; k < slots.size(); k++) {
                int i = slots.get(k);
                try {
                    runBatch(images, List.of(decoded.get(k)), List.of(i), out, timer);
                } catch (RuntimeException single) {
                    checkOpen();
                    out[i] = Prediction.failure(images.get(i).name(), single);
                }
            }
        }
    }

    private void runBatch(List<ImageInput> images, List<DecodedImage> decoded, List<Integer> slots, Prediction[] out,
                          StageTimer timer) {
        if (tta != null) { // one image at a time: its augmented images make the batches
            for (int k = 0; k < slots.size(); k++) {
                int i = slots.get(k);
                DecodedImage d = decoded.get(k);
                List<Instance> instances = tta.run(d, settings, timer).instances();
                out[i] = Prediction.success(images.get(i).name(), d.height(), d.width(), instances);
            }
            return;
        }
        long t = System.nanoTime();
        PreprocessedBatch batch = preprocessor.preprocess(decoded);
        timer.add("preprocess", System.nanoTime() - t);
        List<ImageResult> results = pipeline.run(batch, settings, timer);
        for (int k = 0; k < slots.size(); k++) {
            int i = slots.get(k);
            DecodedImage d = decoded.get(k);
            out[i] = Prediction.success(images.get(i).name(), d.height(), d.width(), results.get(k).instances());
        }
    }

    /** Closing while a call runs makes its engines and worker pool fail in their own ways; say what happened. */
    private void checkOpen() {
        if (closed) throw new PredictorClosedException("predictor is closed (close() was called before or during predict)");
    }

    /** Releases the engine sessions and the worker threads. Idempotent. */
    @Override
    public void close() {
        closed = true;
        model.close();
        engines.close();
        workers.close();
    }
}
