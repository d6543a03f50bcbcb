package dev.maskrt.cascade;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.maskrt.config.Backend;
import dev.maskrt.config.DetectionSettings;
import dev.maskrt.config.StageTimer;
import dev.maskrt.engine.Engine;
import dev.maskrt.model.EngineFactory;
import dev.maskrt.engine.HostTensor;
import dev.maskrt.engine.LeasedTensor;
import dev.maskrt.engine.OnnxRuntimeOptions;
import dev.maskrt.image.DecodedImage;
import dev.maskrt.image.ImageDecoder;
import dev.maskrt.image.ImageGeometry;
import dev.maskrt.image.PreprocessedBatch;
import dev.maskrt.image.Preprocessor;
import dev.maskrt.image.ResizeShortestEdge;
import dev.maskrt.model.InputSettings;
import dev.maskrt.model.ModelManifest;
import dev.maskrt.model.ModelPackage;
import dev.maskrt.model.RoiHeadSettings;
import dev.maskrt.model.TensorNames;
import dev.maskrt.ops.BoxTransform;
import dev.maskrt.ops.FeatureMap;
import dev.maskrt.ops.SparseOps;
import dev.maskrt.ops.cpu.CpuOps;
import dev.maskrt.util.Workers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Does each cascade stage cost no more than its parts? Times, on one image and 2 threads: every box stage inside
 * the pipeline's own sequence (clip, RoIAlign into a leased direct input, box head through the {@link Engine},
 * softmax + decode, each timed in place), the whole box side ({@code CascadePipeline.detectBoxes}), and the parts
 * alone: RoIAlign of the proposals into an array, box head 0 through the engine from a heap input and from a
 * direct input (the pipeline's case), and
 * a bare {@code OrtSession} on the same graph and input; the same for the mask head. Median and minimum of N
 * runs after one warm-up.
 *
 * <p>In package {@code dev.maskrt.cascade} (a benchmark, on the class path) to reach the pipeline's steps. Run
 * from benchmarks/: {@code java -cp target/benchmarks.jar dev.maskrt.cascade.StageParts PACKAGE IMAGE [RUNS]}.
 */
public final class StageParts {
    private StageParts() {}

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static void time(String label, int runs, Body body) throws Exception {
        body.run();
        List<Double> t = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            body.run();
            t.add((System.nanoTime() - t0) / 1e6);
        }
        System.out.printf(Locale.ROOT, "%-44s median %8.1f  min %8.1f ms%n", label, median(t), Collections.min(t));
    }

    @SuppressWarnings("try") // the bare sessions' results are closed unread
    public static void main(String[] args) throws Exception {
        Path pkg = Path.of(args[0]);
        Path imageFile = Path.of(args[1]);
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        OnnxRuntimeOptions ort = OnnxRuntimeOptions.defaults().withIntraOpThreads(2).withAllowSpinning(false);
        try (EngineFactory engines = EngineFactory.forBackend(Backend.CPU, ort);
             ModelPackage model = ModelPackage.load(pkg, engines);
             Workers workers = new Workers(2)) {
            SparseOps ops = CpuOps.create(workers);
            CascadePipeline pipeline = new CascadePipeline(model, ops);
            ModelManifest m = model.manifest();
            InputSettings in = m.input();
            Preprocessor pre = new Preprocessor(in.format(), in.pixelMean(), in.pixelStd(),
                    new ResizeShortestEdge(in.minSizeTest(), in.maxSizeTest()), in.sizeDivisibility(), workers);
            DecodedImage decoded = new ImageDecoder(in.format()).decode(imageFile);
            PreprocessedBatch batch = pre.preprocess(List.of(decoded));
            ImageGeometry g = batch.image(0);
            RoiHeadSettings r = m.roiHeads();
            DetectionSettings ds = new DetectionSettings(r.scoreThreshold(), r.nmsThreshold(), r.detectionsPerImage(),
                    r.maskThreshold());
            BackboneOutput backbone = pipeline.backbone(batch, StageTimer.NONE);
            CascadePipeline.BoxDetections boxes = pipeline.detectBoxes(backbone, 0, g, ds, StageTimer.NONE);
            float[] proposals = boxes.proposals().boxes();
            Detections detections = boxes.detections();
            System.out.printf(Locale.ROOT, "%s on %s (%dx%d resized): %d proposals, %d detections%n", pkg,
                    imageFile.getFileName(), g.resizedHeight(), g.resizedWidth(), proposals.length / 4,
                    detections.count());

            // the backbone: the pipeline's step (engine run + outputs to feature maps), the engine alone, and a bare
            // session on the same file without and with ONNX Runtime's arena (outputs not read)
            time("backbone (pipeline step)", runs, () -> pipeline.backbone(batch, StageTimer.NONE));
            Engine backboneEngine = model.backbone();
            HostTensor image = HostTensor.wrap(batch.data(), batch.shape());
            time("backbone: engine run, heap input", runs, () -> backboneEngine.run(Map.of(TensorNames.IMAGE, image)));
            Path backboneFile = Files.exists(pkg.resolve("backbone.winograd.onnx"))
                    ? pkg.resolve("backbone.winograd.onnx") : pkg.resolve("backbone.onnx");
            HostTensor imageDirect = HostTensor.allocateDirect(batch.shape());
            imageDirect.buffer().put(batch.data());
            for (boolean arena : new boolean[] {false, true}) {
                try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
                    so.setIntraOpNumThreads(2);
                    so.setInterOpNumThreads(1);
                    so.addConfigEntry("session.intra_op.allow_spinning", "0");
                    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                    so.setCPUArenaAllocator(arena);
                    try (OrtSession session = OrtEnvironment.getEnvironment().createSession(backboneFile.toString(), so);
                         OnnxTensor t = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), imageDirect.buffer(),
                                 batch.shape())) {
                        time("backbone: bare OrtSession, " + backboneFile.getFileName() + (arena ? ", arena" : ""),
                                runs, () -> {
                                    try (OrtSession.Result ignored = session.run(Map.of(TensorNames.IMAGE, t))) {
                                        // outputs not read
                                    }
                                });
                    }
                }
            }

            // every box stage in place, as CascadeBoxStages runs it
            FeatureMap[] boxLevels = backbone.select(r.boxPooler().levels(), m.anchors());
            RoiPooler boxPooler = new RoiPooler(r.boxPooler(), ops.roiAlign());
            BoxTransform transform = ops.boxTransform();
            Map<String, List<Double>> inPlace = new TreeMap<>();
            for (int run = 0; run <= runs; run++) {
                float[] current = proposals;
                for (int k = 0; k < r.stages(); k++) {
                    long t0 = System.nanoTime();
                    if (k > 0) {
                        current = current.clone();
                        transform.clip(current, g.resizedHeight(), g.resizedWidth());
                    }
                    long t1 = System.nanoTime(), t2, t3;
                    Map<String, HostTensor> out;
                    try (LeasedTensor pooled = boxPooler.poolLeased(boxLevels, current, 0)) {
                        t2 = System.nanoTime();
                        out = model.boxHead(k).run(Map.of(TensorNames.FEATURES, pooled.tensor()));
                        t3 = System.nanoTime();
                    }
                    int rois = current.length / 4;
                    Activations.rows(Tensors.array(out.get(TensorNames.CLASS_LOGITS)), rois);
                    current = transform.applyDeltas(Tensors.array(out.get(TensorNames.BOX_DELTAS)), current,
                            r.stageWeights(k), r.scaleClamp());
                    long t4 = System.nanoTime();
                    if (run == 0) continue; // warm-up
                    add(inPlace, "box stage " + k + " in place: RoIAlign", t2 - t1);
                    add(inPlace, "box stage " + k + " in place: box head", t3 - t2);
                    add(inPlace, "box stage " + k + " in place: the rest", (t1 - t0) + (t4 - t3));
                    add(inPlace, "box stage " + k + " in place: total", t4 - t0);
                }
            }
            inPlace.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-44s median %8.1f  min %8.1f ms%n", k,
                    median(v), Collections.min(v)));
            time("box side (proposals .. detections)", runs, () -> pipeline.detectBoxes(backbone, 0, g, ds,
                    StageTimer.NONE));

            // the box parts alone
            float[][] pooled = new float[1][];
            time("alone: RoIAlign of the proposals", runs, () -> pooled[0] = boxPooler.pool(boxLevels, proposals, 0));
            int rois = proposals.length / 4, s = boxPooler.resolution(), c = pooled[0].length / (rois * s * s);
            long[] boxShape = {rois, c, s, s};
            Engine head = model.boxHead(0);
            time("alone: box head 0, engine, heap input", runs, () -> head.run(Map.of(TensorNames.FEATURES,
                    HostTensor.wrap(pooled[0], boxShape))));
            HostTensor boxDirect = HostTensor.allocateDirect(boxShape);
            boxDirect.buffer().put(pooled[0]);
            time("alone: box head 0, engine, direct input", runs, () -> head.run(Map.of(TensorNames.FEATURES,
                    boxDirect)));

            // the mask head, whole and in parts
            FeatureMap[] maskLevels = backbone.select(r.maskPooler().levels(), m.anchors());
            RoiPooler maskPooler = new RoiPooler(r.maskPooler(), ops.roiAlign());
            MaskPredictor masks = new MaskPredictor(model.maskHead(), maskPooler, r.maskClassAgnostic());
            HostTensor maskDirect = null;
            if (detections.count() > 0) {
                time("mask head (MaskPredictor)", runs, () -> masks.predict(maskLevels, detections, 0));
                float[][] maskPooled = new float[1][];
                time("alone: mask RoIAlign", runs, () -> maskPooled[0] = maskPooler.pool(maskLevels,
                        detections.boxes(), 0));
                int n = detections.count(), ms = maskPooler.resolution();
                long[] maskShape = {n, maskPooled[0].length / (n * ms * ms), ms, ms};
                time("alone: mask head, engine, heap input", runs, () -> model.maskHead().run(Map.of(
                        TensorNames.FEATURES, HostTensor.wrap(maskPooled[0], maskShape))));
                maskDirect = HostTensor.allocateDirect(maskShape);
                maskDirect.buffer().put(maskPooled[0]);
                HostTensor md = maskDirect;
                time("alone: mask head, engine, direct input", runs, () -> model.maskHead().run(Map.of(
                        TensorNames.FEATURES, md)));
            }

            // bare ONNX Runtime sessions, same settings as the engine's
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
                so.setIntraOpNumThreads(2);
                so.setInterOpNumThreads(1);
                so.addConfigEntry("session.intra_op.allow_spinning", "0");
                so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                try (OrtSession session = env.createSession(pkg.resolve("box_head_0.onnx").toString(), so);
                     OnnxTensor t = OnnxTensor.createTensor(env, boxDirect.buffer(), boxShape)) {
                    time("alone: box head 0, bare OrtSession", runs, () -> {
                        try (OrtSession.Result ignored = session.run(Map.of(TensorNames.FEATURES, t))) {
                            // outputs not read
                        }
                    });
                }
                if (maskDirect != null) {
                    try (OrtSession session = env.createSession(pkg.resolve("mask_head.onnx").toString(), so);
                         OnnxTensor t = OnnxTensor.createTensor(env, maskDirect.buffer(), maskDirect.shape())) {
                        time("alone: mask head, bare OrtSession", runs, () -> {
                            try (OrtSession.Result ignored = session.run(Map.of(TensorNames.FEATURES, t))) {
                                // outputs not read
                            }
                        });
                    }
                }
            }
        }
    }

    private static void add(Map<String, List<Double>> times, String key, long nanos) {
        times.computeIfAbsent(key, x -> new ArrayList<>()).add(nanos / 1e6);
    }
}
