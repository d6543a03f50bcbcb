package dev.maskrt.engine.tensorrt;

import dev.maskrt.config.TensorRtOptions;

import dev.maskrt.config.Backend;
import dev.maskrt.error.BackendUnavailableException;
import dev.maskrt.engine.Engine;
import dev.maskrt.error.EngineException;
import dev.maskrt.engine.OnnxRuntimeEngine;
import dev.maskrt.engine.OnnxRuntimeOptions;
import dev.maskrt.engine.GraphDeclaration;
import dev.maskrt.engine.ModelGraphs;
import dev.maskrt.ops.cuda.DeviceMemoryPool;
import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.IRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a package's graphs as TensorRT engines: derives the graph's profile ({@link ProfilePlan}) and binding plan,
 * then uses a prebuilt plan when one is given, else the cached plan when its key matches ({@link EngineCache}), else
 * builds one (checking the binding plan against the ONNX graph's declared I/O first), logging why and how long it
 * took, and caches it.
 *
 * <p>Build progress: the bytedeco preset does not let Java implement TensorRT's {@code IProgressMonitor}, so each
 * graph logs a line when its build starts and one with the time when it ends. Thread-safe; {@link #close()} releases
 * the device memory pool. Needs a GPU; not verified on real hardware yet.
 */
public final class TensorRtEngines implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TensorRtEngines.class);

    private final TensorRtAvailability availability;
    private final TensorRtOptions options;
    private final GpuDevice device;
    private final IRuntime runtime;
    private final DeviceMemoryPool pool;

    private TensorRtEngines(TensorRtAvailability availability, TensorRtOptions options, GpuDevice device,
            IRuntime runtime, DeviceMemoryPool pool) {
        this.availability = availability;
        this.options = options;
        this.device = device;
        this.runtime = runtime;
        this.pool = pool;
    }

    /**
     * @throws BackendUnavailableException with {@link TensorRtAvailability#reason()} when TensorRT cannot run, or
     *                                     when the requested device does not exist
     */
    public static TensorRtEngines create(TensorRtAvailability availability, TensorRtOptions options) {
        if (availability == null) throw new IllegalArgumentException("availability must not be null");
        if (options == null) throw new IllegalArgumentException("options must not be null");
        if (!availability.isAvailable()) throw new BackendUnavailableException(availability.reason());
        if (options.deviceId() >= availability.devices().size()) {
            throw new BackendUnavailableException(TensorRtAvailability.PREFIX + "deviceId " + options.deviceId()
                    + " does not exist; the visible devices are " + availability.devices());
        }
        GpuDevice device = availability.devices().get(options.deviceId());
        try {
            DevicePointers.useDevice(options.deviceId());
            IRuntime runtime = nvinfer.createInferRuntime(TrtLogger.get());
            if (runtime == null || runtime.isNull()) {
                throw new BackendUnavailableException(TensorRtAvailability.PREFIX + "createInferRuntime failed");
            }
            return new TensorRtEngines(availability, options, device, runtime, new DeviceMemoryPool(options.deviceId()));
        } catch (LinkageError e) {
            throw new BackendUnavailableException(TensorRtAvailability.PREFIX + e);
        }
    }

    public TensorRtOptions options() { return options; }

    public GpuDevice device() { return device; }

    /** Always {@link Backend#TENSORRT}. */
    public Backend backend() { return Backend.TENSORRT; }

    /**
     * Opens graph {@code declaration} of the package in {@code packageDir}, building and caching its plan if needed.
     *
     * @throws InputFormatException naming the file when the graph is missing, refused by TensorRT's parser, or its
     *                              declared I/O differs from the binding plan
     * @throws EngineException      when TensorRT fails to build or load the engine
     */
    public Engine open(Path packageDir, GraphDeclaration declaration, ModelGraphs graphs) {
        Path graph = packageDir.resolve(declaration.file());
        if (!Files.isRegularFile(graph)) throw new InputFormatException(graph + ": no such graph file");
        GraphProfile profile = ProfilePlan.forGraphs(graphs, options).graph(declaration.file());
        BindingPlan plan = BindingPlan.of(declaration, profile);
        byte[] serialized = planBytes(graph, declaration, plan, profile).bytes();
        return TensorRtEngine.deserialize(graph.toString(), serialized, plan, runtime, pool, options.deviceId());
    }

    /**
     * Makes sure a current plan for {@code declaration} is cached (for {@code maskrt build-engines}).
     *
     * @return the cached plan file
     */
    public Path build(Path packageDir, GraphDeclaration declaration, ModelGraphs graphs) {
        Path graph = packageDir.resolve(declaration.file());
        if (!Files.isRegularFile(graph)) throw new InputFormatException(graph + ": no such graph file");
        GraphProfile profile = ProfilePlan.forGraphs(graphs, options).graph(declaration.file());
        BindingPlan plan = BindingPlan.of(declaration, profile);
        return planBytes(graph, declaration, plan, profile).file();
    }

    /** A plan's bytes and the file they came from. */
    private record Plan(byte[] bytes, Path file) {}

    private Plan planBytes(Path graph, GraphDeclaration declaration, BindingPlan plan, GraphProfile profile) {
        Path prebuilt = options.prebuiltEngines().get(declaration.file());
        try {
            if (prebuilt != null) {
                LOG.info("TensorRT: {} uses the prebuilt engine {}", declaration.file(), prebuilt);
                if (!Files.isRegularFile(prebuilt)) throw new InputFormatException(prebuilt + ": no such engine file");
                return new Plan(Files.readAllBytes(prebuilt), prebuilt);
            }
            EngineCache cache = cache(graph.getParent());
            EngineCacheKey key = EngineCacheKey.of(graph, device, availability.tensorRtVersionText(),
                    options.precision(), profile, options.workspaceBytes());
            EngineCache.Lookup found = cache.lookup(declaration.file(), key);
            if (found.isHit()) return new Plan(cache.read(found), found.plan());
            checkGraphIo(graph, plan);
            LOG.info("TensorRT: building {} ({}, {} {}): {}", declaration.file(), options.precision().id(),
                    device.name(), device.computeCapability(), found.reason());
            long t0 = System.nanoTime();
            byte[] bytes = TensorRtEngineBuilder.build(graph, profile, options.precision(), options.workspaceBytes(),
                    options.deviceId(), cache.directory().resolve("timing.cache"));
            double seconds = (System.nanoTime() - t0) / 1e9;
            Path stored = cache.store(declaration.file(), key, bytes);
            LOG.info("TensorRT: built {} in {} s ({} MB), cached as {}", declaration.file(),
                    String.format(Locale.ROOT, "%.1f", seconds),
                    String.format(Locale.ROOT, "%.1f", bytes.length / 1e6), stored);
            return new Plan(bytes, stored);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private EngineCache cache(Path packageDir) {
        Path dir = options.cacheDirectory() != null ? options.cacheDirectory() : EngineCache.defaultDirectory(packageDir);
        return new EngineCache(dir);
    }

    /** The binding plan against the I/O the ONNX graph declares (read with ONNX Runtime). */
    private static void checkGraphIo(Path graph, BindingPlan plan) {
        try (OnnxRuntimeEngine onnx = OnnxRuntimeEngine.open(graph, OnnxRuntimeOptions.defaults().withIntraOpThreads(1))) {
            plan.checkAgainst(onnx.inputs(), onnx.outputs());
        }
    }

    /** Releases the device memory pool (engines opened here must be closed first). Idempotent. */
    @Override
    public void close() {
        pool.close();
    }
}
