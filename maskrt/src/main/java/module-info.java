/**
 * maskrt: two-stage instance segmentation (detectron2 Cascade Mask R-CNN and its family) on the JVM.
 *
 * <p>The API is {@link dev.maskrt.Predictor} and what its signatures need: {@code dev.maskrt} (predictor, inputs,
 * predictions), {@code dev.maskrt.config} (options and settings), {@code dev.maskrt.error} (one exception base,
 * {@link dev.maskrt.error.MaskrtException}), {@code dev.maskrt.output} (instances, compact masks, RLE, the COCO /
 * Kaggle writers and overlays) and {@code dev.maskrt.eval} (COCO evaluation as pycocotools does it, the Kaggle
 * instance metrics). Every other package is internal and may change without notice.
 */
module dev.maskrt {
    exports dev.maskrt;
    exports dev.maskrt.config;
    exports dev.maskrt.error;
    exports dev.maskrt.output;
    exports dev.maskrt.eval;

    requires transitive java.desktop; // BufferedImage in ImageInput and the overlay renderer
    requires transitive org.bytedeco.opencv; // Mat in ImageInput
    requires org.bytedeco.javacpp;
    requires org.bytedeco.openblas;
    // The GPU backend is optional: its classes are only loaded when a TensorRT backend is asked for. (The 10.15
    // tensorrt preset's own descriptor exports a package its jar lacks, so that jar cannot sit on a module path:
    // modular applications leave it out, GPU applications run on the class path; docs/ARCHITECTURE.md.)
    requires static org.bytedeco.cuda;
    requires static org.bytedeco.tensorrt;
    requires com.microsoft.onnxruntime;
    requires com.fasterxml.jackson.databind;
    requires info.picocli;
    requires me.tongfei.progressbar;
    requires org.slf4j;

    opens dev.maskrt.cli to info.picocli; // picocli sets @Option fields reflectively
}
