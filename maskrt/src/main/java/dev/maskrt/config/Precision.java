package dev.maskrt.config;

/** The arithmetic TensorRT may use when it builds an engine. Inputs and outputs stay float32 either way. */
public enum Precision {
    /** float32 layers (TF32 tensor-core math where TensorRT decides it is allowed, as by default). */
    FP32,
    /** float16 layers allowed where TensorRT finds them faster (float32 elsewhere). */
    FP16;

    /** @return the lower-case name used in file names and cache keys ({@code fp32}, {@code fp16}) */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
