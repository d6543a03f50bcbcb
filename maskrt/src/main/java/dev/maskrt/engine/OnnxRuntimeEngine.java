package dev.maskrt.engine;

import dev.maskrt.error.PredictorClosedException;
import dev.maskrt.error.EngineException;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import dev.maskrt.error.InputFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An {@link Engine} on ONNX Runtime's CPU execution provider: one {@code OrtSession} per graph, created once in
 * {@link #open} and reused for every {@link #run}.
 *
 * <p>Session settings: intra-op threads from {@link OnnxRuntimeOptions} (default: all cores), inter-op threads 1
 * (sequential execution), graph optimisation level ALL, log level ERROR. With an optimised-model cache path, the
 * first open writes ONNX Runtime's optimised graph there and later opens load it instead of optimising again
 * (used while the cache file is not older than the graph file; a cache that fails to load is logged and rebuilt).
 *
 * <p>Copies: a direct native-order input ({@link HostTensor#allocateDirect}) is handed to ONNX Runtime without a
 * copy; a heap input is copied once into a native staging buffer that is reused by later runs of any engine
 * ({@code StagingBuffers}: fresh native memory per run costs more than the copy). Each output is copied once, from
 * ONNX Runtime's memory into a new heap-backed {@link HostTensor}.
 *
 * <p>Thread-safety: {@link #run} may be called from many threads at once (ONNX Runtime's session run is
 * thread-safe; each call creates and frees its own native tensors). {@link #close} waits for runs in progress,
 * is idempotent, and makes later runs throw {@link IllegalStateException}. The shared {@code OrtEnvironment} is
 * process-wide and never closed here.
 */
public final class OnnxRuntimeEngine implements Engine {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeEngine.class);
    private static final String LOGGER_ID = "maskrt";
    /**
     * Input bytes per run that {@link #preferredRowsPerRun} aims at: small enough that a run's activations stay in
     * the caches and under glibc's 32 MB limit for reusing freed memory (larger buffers are fresh pages, faulted in
     * and zeroed on every run). The R50 mask head on 100 RoIs, ONNX Runtime alone, 2 threads: 613 ms in one run,
     * 519 ms in runs of 10 (2 MB); the bundled DSB model's on 177 RoIs: 48.5 ms, 26 ms in runs of 40.
     */
    private static final long PREFERRED_INPUT_BYTES_PER_RUN = 2L << 20;

    private final Path graph;
    private final Path loadedFrom;
    private final OnnxRuntimeOptions options;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private OnnxRuntimeEngine(Path graph, Path loadedFrom, OnnxRuntimeOptions options, OrtEnvironment env,
                              OrtSession session, List<TensorSpec> inputs, List<TensorSpec> outputs) {
        this.graph = graph;
        this.loadedFrom = loadedFrom;
        this.options = options;
        this.env = env;
        this.session = session;
        this.inputs = inputs;
        this.outputs = outputs;
        StagingBuffers.SHARED.engineOpened();
    }

    /** Opens {@code graph} with {@link OnnxRuntimeOptions#defaults()}. */
    public static OnnxRuntimeEngine open(Path graph) {
        return open(graph, OnnxRuntimeOptions.defaults());
    }

    /**
     * Loads an ONNX graph whose inputs and outputs are all float32 tensors.
     *
     * @throws InputFormatException naming the file when it does not exist, is not an ONNX graph ONNX Runtime can
     *                              load, or has an input or output that is not a float32 tensor
     */
    public static OnnxRuntimeEngine open(Path graph, OnnxRuntimeOptions options) {
        if (graph == null) throw new IllegalArgumentException("graph must not be null");
        if (options == null) throw new IllegalArgumentException("options must not be null");
        if (!Files.isRegularFile(graph)) {
            throw InputFormatException.at(graph, null, null, "ONNX graph file does not exist");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, LOGGER_ID);
        Path cache = options.optimizedModelCache();
        if (cache != null && isFresh(cache, graph)) {
            try {
                return withSpecs(graph, cache, options, env, createSession(env, cache, options, true, null));
            } catch (OrtException e) {
                LOG.warn("{}: cannot load the optimised-model cache ({}); rebuilding it from {}", cache,
                        firstLine(e.getMessage()), graph);
            }
        }
        // ORT picks the saved format from the file extension, so the temporary file keeps the cache's name as suffix
        Path cacheTemp = cache == null ? null : cache.resolveSibling("tmp-" + UUID.randomUUID() + "-" + cache.getFileName());
        OrtSession session;
        try {
            session = createSession(env, graph, options, false, cacheTemp);
        } catch (OrtException e) {
            deleteQuietly(cacheTemp);
            throw new InputFormatException(graph + ": ONNX Runtime cannot load this file as an ONNX graph: "
                    + firstLine(e.getMessage()), e);
        }
        OnnxRuntimeEngine engine;
        try {
            engine = withSpecs(graph, graph, options, env, session);
        } catch (OrtException | RuntimeException e) {
            deleteQuietly(cacheTemp);
            if (e instanceof RuntimeException) throw (RuntimeException) e;
            throw new InputFormatException(graph + ": ONNX Runtime cannot read the graph's inputs and outputs: "
                    + firstLine(e.getMessage()), e);
        }
        if (cacheTemp != null) {
            try {
                publishCache(cacheTemp, cache);
            } catch (RuntimeException e) {
                engine.close();
                throw e;
            }
        }
        return engine;
    }

    private static OrtSession createSession(OrtEnvironment env, Path source, OnnxRuntimeOptions options,
                                            boolean alreadyOptimised, Path saveOptimisedTo) throws OrtException {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            so.setLoggerId(LOGGER_ID);
            so.setIntraOpNumThreads(options.intraOpThreads());
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.addConfigEntry("session.intra_op.allow_spinning", options.allowSpinning() ? "1" : "0");
            // a cached graph was optimised when it was written; optimising it again would only cost time
            so.setOptimizationLevel(alreadyOptimised ? OrtSession.SessionOptions.OptLevel.NO_OPT
                    : OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (saveOptimisedTo != null) so.setOptimizedModelFilePath(saveOptimisedTo.toString());
            // memory patterns pre-size one arena block per input shape for the whole graph, which the arena keeps: with
            // the arena they only cost resident memory; without it they are what keeps allocation cheap
            so.setCPUArenaAllocator(options.memoryArena());
            so.setMemoryPatternOptimization(!options.memoryArena());
            return env.createSession(source.toString(), so);
        }
    }

    /** Reads the session's declared inputs and outputs; closes the session if they are unusable. */
    private static OnnxRuntimeEngine withSpecs(Path graph, Path source, OnnxRuntimeOptions options,
                                               OrtEnvironment env, OrtSession session) throws OrtException {
        try {
            List<TensorSpec> in = specs(source, "input", session.getInputInfo());
            List<TensorSpec> out = specs(source, "output", session.getOutputInfo());
            return new OnnxRuntimeEngine(graph, source, options, env, session, in, out);
        } catch (OrtException | RuntimeException e) {
            closeQuietly(session);
            throw e;
        }
    }

    @Override
    public String graphName() {
        return graph.toString();
    }

    /** The graph file this engine was opened for. */
    public Path graph() {
        return graph;
    }

    /** The file the session was actually built from: the graph, or the optimised-model cache when it was fresh. */
    public Path loadedFrom() {
        return loadedFrom;
    }

    /** The options this engine was opened with. */
    public OnnxRuntimeOptions options() {
        return options;
    }

    @Override
    public List<TensorSpec> inputs() {
        return inputs;
    }

    @Override
    public List<TensorSpec> outputs() {
        return outputs;
    }

    /** About 2 MB of input per run (see {@code PREFERRED_INPUT_BYTES_PER_RUN}). */
    @Override
    public int preferredRowsPerRun(long bytesPerRow) {
        if (bytesPerRow < 1) throw new IllegalArgumentException("bytesPerRow must be >= 1, got " + bytesPerRow);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, PREFERRED_INPUT_BYTES_PER_RUN / bytesPerRow));
    }

    @Override
    public Map<String, HostTensor> run(Map<String, HostTensor> feed) {
        InputChecks.check(graphName(), inputs, feed);
        lifecycle.readLock().lock();
        try {
            if (closed) throw new PredictorClosedException("graph " + graphName() + ": engine is closed");
            return runOpen(feed);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private Map<String, HostTensor> runOpen(Map<String, HostTensor> feed) {
        Map<String, OnnxTensor> nativeInputs = new LinkedHashMap<>();
        List<ByteBuffer> staged = new ArrayList<>(1);
        try {
            for (TensorSpec spec : inputs) {
                HostTensor t = feed.get(spec.name());
                nativeInputs.put(spec.name(), OnnxTensor.createTensor(env, nativeView(t, staged), t.shape()));
            }
            try (OrtSession.Result result = session.run(nativeInputs)) {
                Map<String, HostTensor> out = new LinkedHashMap<>();
                for (TensorSpec spec : outputs) {
                    OnnxValue v = result.get(spec.name()).orElseThrow(() -> new IllegalStateException(
                            "graph " + graphName() + ": ONNX Runtime returned no output '" + spec.name() + "'"));
                    out.put(spec.name(), toHost((OnnxTensor) v));
                }
                return out;
            }
        } catch (OrtException e) {
            throw new EngineException("graph " + graphName() + ": ONNX Runtime failed to run: "
                    + firstLine(e.getMessage()), e);
        } finally {
            for (OnnxTensor t : nativeInputs.values()) t.close();
            for (ByteBuffer b : staged) StagingBuffers.SHARED.give(b); // only after ONNX Runtime let go of them
        }
    }

    /**
     * The values of {@code t} in direct native-order memory: its own buffer when it is one, else a copy in a reused
     * staging buffer (added to {@code staged}), so no run allocates fresh native memory for its inputs.
     */
    private static FloatBuffer nativeView(HostTensor t, List<ByteBuffer> staged) {
        FloatBuffer values = t.buffer();
        if (t.isDirectNative()) return values;
        ByteBuffer bytes = StagingBuffers.SHARED.take((long) t.size() * Float.BYTES);
        staged.add(bytes);
        FloatBuffer view = bytes.asFloatBuffer();
        if (values.hasArray()) {
            view.put(values.array(), values.arrayOffset() + values.position(), values.remaining());
        } else {
            view.put(values);
        }
        return view.flip();
    }

    private static HostTensor toHost(OnnxTensor tensor) {
        long[] shape = tensor.getInfo().getShape();
        if (tensor.getInfo().getNumElements() == 0) return HostTensor.allocateDirect(shape);
        return HostTensor.wrap(tensor.getFloatBuffer(), shape); // the one copy, out of native memory
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            closeQuietly(session);
            StagingBuffers.SHARED.engineClosed();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "OnnxRuntimeEngine[" + graph + ", inputs " + inputs + ", outputs " + outputs + "]";
    }

    private static List<TensorSpec> specs(Path file, String role, Map<String, NodeInfo> infos) {
        List<TensorSpec> specs = new ArrayList<>();
        for (NodeInfo node : infos.values()) {
            ValueInfo info = node.getInfo();
            if (!(info instanceof TensorInfo)) {
                throw InputFormatException.at(file, role + " '" + node.getName() + "'", null,
                        "is not a tensor; maskrt engines take and return float32 tensors only");
            }
            TensorInfo t = (TensorInfo) info;
            ElementType type = elementType(t.type);
            if (type != ElementType.FLOAT32) {
                throw InputFormatException.at(file, role + " '" + node.getName() + "'", null, "has element type "
                        + type + "; maskrt engines take and return float32 tensors only");
            }
            long[] shape = t.getShape();
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0) shape[i] = TensorSpec.DYNAMIC;
            }
            specs.add(new TensorSpec(node.getName(), type, shape, t.getDimensionNames()));
        }
        return Collections.unmodifiableList(specs);
    }

    private static ElementType elementType(OnnxJavaType t) {
        switch (t) {
            case FLOAT: return ElementType.FLOAT32;
            case FLOAT16: return ElementType.FLOAT16;
            case BFLOAT16: return ElementType.BFLOAT16;
            case DOUBLE: return ElementType.FLOAT64;
            case INT8: return ElementType.INT8;
            case UINT8: return ElementType.UINT8;
            case INT16: return ElementType.INT16;
            case INT32: return ElementType.INT32;
            case INT64: return ElementType.INT64;
            case BOOL: return ElementType.BOOL;
            case STRING: return ElementType.STRING;
            default: return ElementType.OTHER;
        }
    }

    private static boolean isFresh(Path cache, Path graph) {
        try {
            return Files.isRegularFile(cache)
                    && Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(graph)) >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Moves the freshly written optimised graph into place in one step, so no reader sees half a file. */
    private static void publishCache(Path temp, Path cache) {
        try {
            Files.move(temp, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new IllegalArgumentException("optimizedModelCache " + cache + ": cannot write the optimised graph: "
                    + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: a stale temporary file is harmless
        }
    }

    private static void closeQuietly(OrtSession s) {
        try {
            s.close();
        } catch (OrtException ignored) {
            // nothing more can be released
        }
    }

    private static String firstLine(String message) {
        if (message == null) return "(no message)";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
