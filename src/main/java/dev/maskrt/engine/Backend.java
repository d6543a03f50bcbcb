package dev.maskrt.engine;

/** Where the network graphs run. */
public enum Backend {
    /** ONNX Runtime on the CPU; always available. */
    CPU,
    /** TensorRT on an NVIDIA GPU; not available in this build ({@link EngineFactory} refuses it at once). */
    TENSORRT,
    /** The fastest backend available here: TensorRT when it can run, otherwise CPU (logged once, with the reason). */
    AUTO
}
