package dev.maskrt.cascade;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.maskrt.model.ModelManifest;
import dev.maskrt.model.ModelPackage;
import dev.maskrt.ops.cpu.CpuOps;
import dev.maskrt.util.Workers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in diagnostic: maskrt's sparse steps alone, on torch's own dense outputs. The reference records every graph's
 * input and outputs ({@code --dense}); here the pipeline runs with {@link RecordedEngine}s in place of ONNX Runtime,
 * so each graph returns torch's outputs provided the Java steps before it fed it torch's input (pre-processed image;
 * pooled RoI features within {@link #POOLED_TOLERANCE}). Proposals, stage boxes and probabilities and the
 * final detections are then checked as in {@link CascadeParityTest}. A failure here is a pipeline bug (or a
 * reference bug); a pass while {@link FullSizeParityTest} fails means the difference comes from the engine's
 * numerics. Run:
 * <pre>
 * /usr/bin/python3 -m tools.maskrt_export reference --package PKG --images IMG... --out /tmp/dense.npz \
 *     --intermediates --dense
 * mvn -B -ntp -o test -Dmaskrt.cuda=false -Dtest=DenseReplayParityTest -Dmaskrt.parity.package=PKG \
 *     -Dmaskrt.parity.dense=/tmp/dense.npz
 * </pre>
 * (tools/README.md gives the full-size commands.) Result (2026-11-22): with the first random R50 package, whose
 * full-size parity failed (30 reference vs 33 Java detections), the replay matched all 30 detections; with the
 * calibrated package, 100 of 100 on each image, masks identical.
 */
@EnabledIfSystemProperty(named = "maskrt.parity.dense", matches = ".+")
class DenseReplayParityTest {
    static final double IMAGE_TOLERANCE = 1e-6;
    /**
     * Relative to {@code 1 + |torch|}. A Java box may differ from torch's by an ulp (maskrt's {@code exp} is correctly
     * rounded, torch's vectorised one sometimes is not), which moves RoIAlign's samples by ~1e-4 px; on FPN features
     * of magnitude up to a few hundred that changes a few pooled values by up to ~1e-3.
     */
    static final double POOLED_TOLERANCE = 1e-3;

    @TestFactory
    List<DynamicTest> javaStepsReproduceTorchOnTorchDenseOutputs() {
        Path pkg = Path.of(System.getProperty("maskrt.parity.package", "../benchmarks/target/models/cascade_r50"));
        ModelManifest manifest = ModelPackage.readManifest(pkg);
        return TinyReference.load(Path.of(System.getProperty("maskrt.parity.dense"))).stream()
                .map(ref -> DynamicTest.dynamicTest(ref.file().getFileName().toString(), () -> replay(manifest, ref)))
                .toList();
    }

    private static void replay(ModelManifest manifest, TinyReference.Image ref) {
        RecordedEngine backbone = RecordedEngine.of(ref, "backbone", "image", IMAGE_TOLERANCE);
        List<dev.maskrt.engine.Engine> heads = new ArrayList<>();
        for (int k = 0; k < manifest.roiHeads().stages(); k++) {
            heads.add(RecordedEngine.of(ref, "box_head_" + k, "features", POOLED_TOLERANCE));
        }
        RecordedEngine mask = RecordedEngine.of(ref, "mask_head", "features", POOLED_TOLERANCE);
        try (Workers workers = new Workers(2)) {
            CascadePipeline pipeline = new CascadePipeline(manifest, backbone, heads, mask, CpuOps.create(workers));
            ImageResult r = CascadeParityTest.run(pipeline, ref, workers);
            List<RecordedEngine> engines = new ArrayList<>();
            engines.add(backbone);
            heads.forEach(h -> engines.add((RecordedEngine) h));
            engines.add(mask);
            System.out.println(report(ref, r, engines));
            ParityCheck.assertIntermediates(ref, r);
            ParityCheck.assertMatches(ref, r.instances(), manifest.roiHeads().scoreThreshold());
            for (RecordedEngine e : engines) {
                assertTrue(e.outOfTolerance().isEmpty(), e.graphName() + ": inputs differ from torch's: "
                        + e.outOfTolerance());
            }
        }
    }

    /** Per graph: the largest input difference and the rows beyond tolerance (with stage 0's proposals). */
    private static String report(TinyReference.Image ref, ImageResult r, List<RecordedEngine> engines) {
        StringBuilder sb = new StringBuilder(ref.file().getFileName() + ": " + r.instances().size()
                + " detections (reference " + ref.get("scores").size() + ")");
        float[] torchProposals = ref.get("proposals").asFloats(), javaProposals = r.proposals().boxes();
        for (RecordedEngine e : engines) {
            sb.append("\n  ").append(e.graphName()).append(": largest input difference ")
                    .append(e.worstInputDifference()).append(", rows beyond tolerance ").append(e.outOfTolerance().size());
            e.outOfTolerance().stream().limit(5).forEach(m -> {
                sb.append("\n    row ").append(m.row()).append(" vs recorded ").append(m.recordedRow()).append(": ")
                        .append(m.difference());
                if (e.graphName().equals("box_head_0")) {
                    sb.append("; java proposal ").append(box(javaProposals, m.row())).append(", torch ")
                            .append(box(torchProposals, m.recordedRow()));
                }
            });
        }
        return sb.toString();
    }

    private static String box(float[] boxes, int i) {
        return "(" + boxes[4 * i] + ", " + boxes[4 * i + 1] + ", " + boxes[4 * i + 2] + ", " + boxes[4 * i + 3] + ")";
    }
}
