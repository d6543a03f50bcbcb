package dev.maskrt.config;

/** Where the network graphs run. */
public enum Backend {
    /** ONNX Runtime on the CPU; always available. */
    CPU,
    /**
     * TensorRT on an NVIDIA GPU; opening a predictor refuses it at once, saying what is missing, where the driver,
     * CUDA or TensorRT libraries do not load (see {@code maskrt selfcheck}).
     */
    TENSORRT,
    /** The fastest backend available here: TensorRT when it can run, otherwise CPU (logged once, with the reason). */
    AUTO
}
