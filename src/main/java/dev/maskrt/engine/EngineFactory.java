package dev.maskrt.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * Opens graphs on one backend, chosen once when the factory is made: {@link Backend#CPU} runs them on ONNX Runtime;
 * {@link Backend#TENSORRT} is refused at once (this build has no TensorRT engine); {@link Backend#AUTO} resolves to
 * the best available backend, today CPU, and logs that choice and its reason once. Immutable and thread-safe.
 */
public final class EngineFactory {
    private static final Logger LOG = LoggerFactory.getLogger(EngineFactory.class);

    static final String TENSORRT_UNAVAILABLE = "The TensorRT backend is not available in this build of maskrt: it "
            + "needs maskrt's TensorRT engine (a later release), the bytedeco cuda 13.1-9.19-1.5.13 and tensorrt "
            + "10.15-1.5.13 libraries on the class path, and an NVIDIA GPU with its driver (libcuda.so.1). "
            + "Use Backend.CPU or Backend.AUTO.";

    private final Backend backend;
    private final OnnxRuntimeOptions cpuOptions;

    private EngineFactory(Backend backend, OnnxRuntimeOptions cpuOptions) {
        this.backend = backend;
        this.cpuOptions = cpuOptions;
    }

    /** A factory for {@code requested} with default ONNX Runtime settings. */
    public static EngineFactory forBackend(Backend requested) {
        return forBackend(requested, OnnxRuntimeOptions.defaults());
    }

    /**
     * A factory for {@code requested}; {@code cpuOptions} apply whenever the CPU backend is used.
     *
     * @throws BackendUnavailableException for {@link Backend#TENSORRT}, saying what it would need
     */
    public static EngineFactory forBackend(Backend requested, OnnxRuntimeOptions cpuOptions) {
        if (requested == null) throw new IllegalArgumentException("backend must not be null");
        if (cpuOptions == null) throw new IllegalArgumentException("cpuOptions must not be null");
        switch (requested) {
            case CPU:
                return new EngineFactory(Backend.CPU, cpuOptions);
            case TENSORRT:
                throw new BackendUnavailableException(TENSORRT_UNAVAILABLE);
            case AUTO:
                LOG.info("Backend AUTO: using CPU (ONNX Runtime, {} intra-op threads) because this build has no "
                        + "TensorRT backend", cpuOptions.intraOpThreads());
                return new EngineFactory(Backend.CPU, cpuOptions);
            default:
                throw new IllegalArgumentException("backend: unknown " + requested);
        }
    }

    /** The backend this factory opens graphs on (never {@link Backend#AUTO}). */
    public Backend backend() {
        return backend;
    }

    /**
     * Opens one graph file on this factory's backend.
     *
     * @throws dev.maskrt.util.InputFormatException naming the file when it is missing or not a loadable graph
     */
    public Engine open(Path graph) {
        return OnnxRuntimeEngine.open(graph, cpuOptions);
    }
}
