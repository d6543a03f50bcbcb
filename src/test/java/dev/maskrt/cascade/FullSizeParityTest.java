package dev.maskrt.cascade;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in: the parity check of {@link CascadeParityTest} on a full-size package (e.g. the random-weight
 * {@code cascade_mask_rcnn_R_50_FPN_3x} at 800×1333), too large to commit. Make the package, image and reference,
 * then run with both properties set:
 * <pre>
 * /usr/bin/python3 benchmarks/anchors/pipeline_detectron2.py pipeline_r50_800x1333
 * /usr/bin/python3 -m tools.maskrt_export reference --package benchmarks/target/models/cascade_r50 \
 *     --images benchmarks/target/inputs/pipeline_r50_800x1333.png --out benchmarks/target/r50_reference.npz --intermediates
 * mvn test -Dtest=FullSizeParityTest -Dmaskrt.parity.package=benchmarks/target/models/cascade_r50 \
 *     -Dmaskrt.parity.reference=benchmarks/target/r50_reference.npz
 * </pre>
 * Add {@code -Dmaskrt.parity.intermediates=true} to compare proposals and stage outputs too.
 *
 * <p>Known result (2026-11): the random-weight R50 package is numerically chaotic (RPN logits 140..380, proposals
 * a median 0.4 px wide and 600 px tall), so ONNX Runtime's and torch's float differences (~1e-3 px in proposal
 * coordinates, relative ~3e-6) change which thin boxes survive NMS and the final detections differ; the
 * detection criteria fail there while positional logits and stage-0 probabilities agree to ~1e-3. Use a package
 * with trained weights for a meaningful full-size check.
 */
@EnabledIfSystemProperty(named = "maskrt.parity.reference", matches = ".+")
class FullSizeParityTest {

    @TestFactory
    List<DynamicTest> javaMatchesTheReference() {
        Path pkg = Path.of(System.getProperty("maskrt.parity.package", "benchmarks/target/models/cascade_r50"));
        return CascadeParityTest.parityTests(pkg, TinyReference.load(Path.of(System.getProperty("maskrt.parity.reference"))),
                Boolean.getBoolean("maskrt.parity.intermediates"));
    }
}
