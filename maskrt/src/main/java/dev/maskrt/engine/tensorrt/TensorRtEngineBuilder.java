package dev.maskrt.engine.tensorrt;

import dev.maskrt.config.Precision;

import dev.maskrt.error.EngineException;
import dev.maskrt.error.InputFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvinfer_plugin;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.bytedeco.tensorrt.nvonnxparser.IParser;

/**
 * Builds one serialised TensorRT plan from one ONNX graph with {@code nvonnxparser}: one optimisation profile (the
 * graph's {@link GraphProfile}), FP32 or FP16 (TF32 left to TensorRT's default), a workspace limit, and a timing
 * cache file shared by all builds (read before, rewritten after), which makes rebuilds much faster.
 *
 * <p>Needs a GPU: call only when {@link TensorRtAvailability#isAvailable()}. Not verified on real hardware yet.
 * Stateless and thread-safe (TensorRT builds on different graphs may run concurrently; the timing cache file is
 * replaced atomically).
 */
final class TensorRtEngineBuilder {
    private TensorRtEngineBuilder() {}

    private static final Object PLUGINS_LOCK = new Object();
    private static boolean pluginsReady;

    /**
     * Registers TensorRT's built-in plugins once per JVM, before any graph is parsed: the ONNX parser imports
     * {@code DeformConv} (deformable convolution, opset 19) through the {@code ModulatedDeformConv2d} plugin.
     */
    private static void initPlugins(ILogger logger) {
        synchronized (PLUGINS_LOCK) {
            if (pluginsReady) return;
            if (!nvinfer_plugin.initLibNvInferPlugins(logger, "")) {
                throw new EngineException("TensorRT: initLibNvInferPlugins failed (the plugin library is needed for "
                        + "DeformConv)", null);
            }
            pluginsReady = true;
        }
    }

    /**
     * @param timingCache the timing cache file (created when missing), or null for none
     * @return the serialised plan
     * @throws InputFormatException naming the graph when TensorRT's ONNX parser refuses it
     * @throws EngineException      when TensorRT cannot build the engine
     */
    static byte[] build(Path onnx, GraphProfile profile, Precision precision, long workspaceBytes, int deviceId,
            Path timingCache) {
        DevicePointers.useDevice(deviceId);
        ILogger logger = TrtLogger.get();
        initPlugins(logger);
        IBuilder builder = nvinfer.createInferBuilder(logger);
        if (builder == null || builder.isNull()) throw new EngineException("TensorRT: createInferBuilder failed", null);
        INetworkDefinition network = builder.createNetworkV2(0);
        IParser parser = nvonnxparser.createParser(network, logger);
        if (!parser.parseFromFile(onnx.toString(), ILogger.Severity.kWARNING.value)) {
            List<String> errors = new ArrayList<>();
            for (int i = 0; i < parser.getNbErrors(); i++) {
                var e = parser.getError(i);
                errors.add("node " + e.node() + " (" + e.nodeName() + ", " + e.nodeOperator() + "): " + e.desc());
            }
            throw new InputFormatException(onnx + ": TensorRT's ONNX parser refused the graph: " + String.join("; ", errors));
        }
        IBuilderConfig config = builder.createBuilderConfig();
        config.setMemoryPoolLimit(nvinfer.MemoryPoolType.kWORKSPACE, workspaceBytes);
        if (precision == Precision.FP16) config.setFlag(nvinfer.BuilderFlag.kFP16);
        IOptimizationProfile p = builder.createOptimizationProfile();
        for (Map.Entry<String, ShapeRange> e : profile.inputs().entrySet()) {
            ShapeRange r = e.getValue();
            boolean ok = p.setDimensions(e.getKey(), nvinfer.OptProfileSelector.kMIN, dims(r.min()))
                    && p.setDimensions(e.getKey(), nvinfer.OptProfileSelector.kOPT, dims(r.opt()))
                    && p.setDimensions(e.getKey(), nvinfer.OptProfileSelector.kMAX, dims(r.max()));
            if (!ok) throw new EngineException(onnx + ": TensorRT refused the profile of '" + e.getKey() + "': " + r, null);
        }
        if (config.addOptimizationProfile(p) < 0) {
            throw new EngineException(onnx + ": TensorRT refused the optimisation profile " + profile.canonicalText(), null);
        }
        ITimingCache cache = timingCache == null ? null : loadTimingCache(config, timingCache);
        IHostMemory plan = builder.buildSerializedNetwork(network, config);
        if (plan == null || plan.isNull() || plan.size() == 0) {
            throw new EngineException(onnx + ": TensorRT could not build an engine (" + precision.id()
                    + "); its errors are in the log above", null);
        }
        byte[] bytes = copy(plan);
        if (cache != null) saveTimingCache(cache, timingCache);
        return bytes;
    }

    static Dims64 dims(long[] shape) {
        Dims64 d = new Dims64();
        d.nbDims(shape.length);
        for (int i = 0; i < shape.length; i++) d.d(i, shape[i]);
        return d;
    }

    static byte[] copy(IHostMemory memory) {
        long n = memory.size();
        if (n > Integer.MAX_VALUE - 8) throw new EngineException("TensorRT plan of " + n + " bytes is too large", null);
        byte[] out = new byte[(int) n];
        new BytePointer(memory.data()).capacity(n).limit(n).get(out);
        return out;
    }

    private static ITimingCache loadTimingCache(IBuilderConfig config, Path file) {
        byte[] previous = new byte[0];
        try {
            if (Files.isRegularFile(file)) previous = Files.readAllBytes(file);
        } catch (IOException e) {
            previous = new byte[0]; // an unreadable cache only costs time
        }
        ITimingCache cache = previous.length == 0 ? config.createTimingCache(null, 0)
                : config.createTimingCache(new BytePointer(previous), previous.length);
        if (cache == null || cache.isNull()) cache = config.createTimingCache(null, 0); // a corrupted cache: start anew
        config.setTimingCache(cache, false);
        return cache;
    }

    private static void saveTimingCache(ITimingCache cache, Path file) {
        try {
            IHostMemory m = cache.serialize();
            if (m == null || m.isNull()) return;
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
            Files.write(tmp, copy(m));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(TensorRtEngineBuilder.class)
                    .warn("Could not save the TensorRT timing cache {}: {}", file, e.getMessage());
        }
    }
}
