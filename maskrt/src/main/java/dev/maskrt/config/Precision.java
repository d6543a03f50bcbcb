package dev.maskrt.config;

/**
 * The arithmetic a model runs in. One enum for both places a precision is chosen:
 * {@code PredictorOptions.builder().precision(...)} (which of the package's graph sets runs: {@link #FP32} or
 * {@link #INT8}) and {@link TensorRtOptions.Builder#precision(Precision)} (how TensorRT builds its engines from the
 * fp32 graphs: {@link #FP32} or {@link #FP16}). Inputs and outputs of every graph stay float32 either way.
 */
public enum Precision {
    /** float32 layers (TF32 tensor-core math where TensorRT decides it is allowed, as by default). */
    FP32,
    /** float16 layers allowed where TensorRT finds them faster (float32 elsewhere); TensorRT engines only. */
    FP16,
    /**
     * The package's static int8 graphs (QDQ: int8 per-channel weights, uint8 activations calibrated on images,
     * made by {@code tools/quantize}; manifest {@code graph_sets.int8}); ONNX Runtime on the CPU only.
     */
    INT8;

    /** @return the lower-case name used in file names, cache keys, the manifest and the CLI ({@code fp32}, ...) */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The precision named {@code id} ({@link #id()}, any case).
     *
     * @param id e.g. {@code "int8"}
     * @return the precision
     * @throws IllegalArgumentException naming the accepted names when {@code id} is none of them
     */
    public static Precision parse(String id) {
        for (Precision p : values()) {
            if (p.id().equalsIgnoreCase(id)) return p;
        }
        throw new IllegalArgumentException("unknown precision \"" + id + "\" (expected fp32, fp16 or int8)");
    }
}
