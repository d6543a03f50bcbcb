package dev.maskrt.model;

import dev.maskrt.config.Backend;
import dev.maskrt.config.TensorRtOptions;
import dev.maskrt.engine.Engine;
import dev.maskrt.engine.GraphDeclaration;
import dev.maskrt.engine.OnnxRuntimeEngine;
import dev.maskrt.engine.OnnxRuntimeOptions;
import dev.maskrt.engine.tensorrt.TensorRtAvailability;
import dev.maskrt.engine.tensorrt.TensorRtEngines;
import dev.maskrt.error.BackendUnavailableException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens graphs on one backend, chosen once when the factory is made: {@link Backend#CPU} runs them on ONNX Runtime;
 * {@link Backend#TENSORRT} runs them as TensorRT engines and fails at once, with {@link TensorRtAvailability}'s
 * one-line reason, where the NVIDIA driver, CUDA or TensorRT libraries do not load; {@link Backend#AUTO} picks
 * TensorRT where it loads, else CPU, logging the choice and its reason once. Thread-safe; {@link #close()} releases
 * the TensorRT backend's device memory pool (engines opened here must be closed first).
 */
public final class EngineFactory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineFactory.class);

    private final Backend backend;
    private final OnnxRuntimeOptions cpuOptions;
    private final TensorRtEngines tensorRt;

    private EngineFactory(Backend backend, OnnxRuntimeOptions cpuOptions, TensorRtEngines tensorRt) {
        this.backend = backend;
        this.cpuOptions = cpuOptions;
        this.tensorRt = tensorRt;
    }

    /** A factory for {@code requested} with default ONNX Runtime and TensorRT settings. */
    public static EngineFactory forBackend(Backend requested) {
        return forBackend(requested, OnnxRuntimeOptions.defaults());
    }

    /** A factory for {@code requested} with default TensorRT settings; {@code cpuOptions} apply on the CPU. */
    public static EngineFactory forBackend(Backend requested, OnnxRuntimeOptions cpuOptions) {
        return forBackend(requested, cpuOptions, TensorRtOptions.defaults());
    }

    /**
     * A factory for {@code requested}, probing this machine for TensorRT ({@link TensorRtAvailability#probe()}).
     *
     * @throws BackendUnavailableException for {@link Backend#TENSORRT} where TensorRT cannot run, with the reason
     */
    public static EngineFactory forBackend(Backend requested, OnnxRuntimeOptions cpuOptions, TensorRtOptions trtOptions) {
        if (requested == Backend.CPU) return forBackend(requested, cpuOptions, trtOptions, null);
        return forBackend(requested, cpuOptions, trtOptions, TensorRtAvailability.probe());
    }

    /**
     * As {@link #forBackend(Backend, OnnxRuntimeOptions, TensorRtOptions)} with a given probe result (tests, or a
     * caller that probed already); {@code availability} may be null for {@link Backend#CPU}.
     */
    public static EngineFactory forBackend(Backend requested, OnnxRuntimeOptions cpuOptions, TensorRtOptions trtOptions,
            TensorRtAvailability availability) {
        if (requested == null) throw new IllegalArgumentException("backend must not be null");
        if (cpuOptions == null) throw new IllegalArgumentException("cpuOptions must not be null");
        if (trtOptions == null) throw new IllegalArgumentException("trtOptions must not be null");
        if (requested != Backend.CPU && availability == null) {
            throw new IllegalArgumentException("availability must not be null for backend " + requested);
        }
        switch (requested) {
            case CPU:
                return new EngineFactory(Backend.CPU, cpuOptions, null);
            case TENSORRT:
                return new EngineFactory(Backend.TENSORRT, cpuOptions, TensorRtEngines.create(availability, trtOptions));
            case AUTO: {
                String why;
                if (availability.isAvailable()) {
                    try {
                        TensorRtEngines trt = TensorRtEngines.create(availability, trtOptions);
                        LOG.info("Backend AUTO: using TensorRT ({})", availability);
                        return new EngineFactory(Backend.TENSORRT, cpuOptions, trt);
                    } catch (BackendUnavailableException e) {
                        why = e.getMessage();
                    }
                } else {
                    why = availability.reason();
                }
                LOG.info("Backend AUTO: using CPU (ONNX Runtime, {} intra-op threads) because {}",
                        cpuOptions.intraOpThreads(), why);
                return new EngineFactory(Backend.CPU, cpuOptions, null);
            }
            default:
                throw new IllegalArgumentException("backend: unknown " + requested);
        }
    }

    /** The backend this factory opens graphs on (never {@link Backend#AUTO}). */
    public Backend backend() {
        return backend;
    }

    /**
     * Opens one graph file on the CPU backend.
     *
     * @throws dev.maskrt.error.InputFormatException naming the file when it is missing or not a loadable graph
     * @throws IllegalStateException on the TensorRT backend, whose engines need the graph's manifest declaration
     *                               ({@link #open(Path, GraphDeclaration, ModelManifest)})
     */
    public Engine open(Path graph) {
        if (tensorRt != null) {
            throw new IllegalStateException("TensorRT engines are built from the manifest's declarations: use "
                    + "open(graph, declaration, manifest)");
        }
        return OnnxRuntimeEngine.open(graph, cpuOptions);
    }

    /**
     * Opens graph {@code declaration} of a model package ({@code graph} is its file) on this factory's backend; on
     * the CPU its Winograd form runs instead where the declaration has one and {@link OnnxRuntimeOptions#winograd()}
     * allows it; on TensorRT the engine plan is taken from the cache or built (see
     * {@link TensorRtEngines#open(Path, GraphDeclaration, dev.maskrt.engine.ModelGraphs)}).
     *
     * @throws dev.maskrt.error.InputFormatException naming the file when it is missing or not a loadable graph
     */
    public Engine open(Path graph, GraphDeclaration declaration, ModelManifest manifest) {
        if (graph == null) throw new IllegalArgumentException("graph must not be null");
        if (tensorRt == null) {
            boolean winograd = cpuOptions.winograd() && declaration != null && declaration.winogradFile() != null;
            return OnnxRuntimeEngine.open(winograd ? graph.resolveSibling(declaration.winogradFile()) : graph,
                    cpuOptions);
        }
        if (declaration == null || manifest == null) {
            throw new IllegalArgumentException("declaration and manifest must not be null on the TensorRT backend");
        }
        Path dir = graph.toAbsolutePath().getParent();
        return tensorRt.open(dir, declaration, manifest.engineView());
    }

    /** Releases the TensorRT backend's device memory (nothing on the CPU). Idempotent. */
    @Override
    public void close() {
        if (tensorRt != null) tensorRt.close();
    }
}
