package dev.maskrt.engine.tensorrt;

import dev.maskrt.error.PredictorClosedException;
import dev.maskrt.engine.ElementType;
import dev.maskrt.engine.Engine;
import dev.maskrt.error.EngineException;
import dev.maskrt.engine.HostTensor;
import dev.maskrt.engine.InputChecks;
import dev.maskrt.engine.TensorSpec;
import dev.maskrt.ops.cuda.CudaStream;
import dev.maskrt.ops.cuda.DeviceBuffer;
import dev.maskrt.ops.cuda.DeviceMemoryPool;
import dev.maskrt.ops.cuda.DeviceTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

/**
 * One graph as a deserialised TensorRT engine. Two ways to run it:
 * <ul>
 *   <li>{@link #run(Map)} ({@link Engine}): host tensors in and out, for parity with the CPU pipeline and the
 *       self-check. Inputs are copied to device buffers from the CUDA backend's {@link DeviceMemoryPool}, the engine
 *       runs on a stream of its own, outputs are copied back; the call returns when everything has finished.</li>
 *   <li>{@link #enqueue(Map, Map, CudaStream)}: the device-side path. Tensors are bound by name to the caller's
 *       device buffers and {@code enqueueV3} is called on the caller's stream; nothing is copied and nothing waits.
 *       Output sizes for allocation come from {@link #outputShapes(Map)}.</li>
 * </ul>
 * An input with a zero-sized dimension (e.g. no RoIs) is not run: outputs of the declared shapes with zero elements
 * come back at once, as ONNX Runtime gives them.
 *
 * <p>Thread-safety: both paths may be called from many threads. Each host-path call takes an execution context
 * (with its own stream) from a pool and returns it afterwards; the device path uses one execution context per
 * calling thread (a context must not be enqueued from two threads at once). {@link #close()} waits for host-path
 * runs in progress. Not verified on real hardware yet.
 */
public final class TensorRtEngine implements Engine {
    private final String graphName;
    private final BindingPlan plan;
    private final ICudaEngine engine;
    private final DeviceMemoryPool pool;
    private final int deviceId;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;
    private final ConcurrentLinkedDeque<HostSlot> idleSlots = new ConcurrentLinkedDeque<>();
    private final List<HostSlot> allSlots = new ArrayList<>();
    private final ThreadLocal<IExecutionContext> threadContexts = new ThreadLocal<>();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private TensorRtEngine(String graphName, BindingPlan plan, ICudaEngine engine, DeviceMemoryPool pool, int deviceId) {
        this.graphName = graphName;
        this.plan = plan;
        this.engine = engine;
        this.pool = pool;
        this.deviceId = deviceId;
        this.inputs = plan.graph().inputs();
        this.outputs = plan.graph().outputs();
    }

    /**
     * Deserialises {@code serializedPlan} and checks that its I/O tensors are exactly the binding plan's.
     *
     * @throws EngineException when TensorRT cannot deserialise the plan (wrong GPU, TensorRT version, corrupt file)
     *                         or its tensors differ from the binding plan
     */
    static TensorRtEngine deserialize(String graphName, byte[] serializedPlan, BindingPlan plan, IRuntime runtime,
            DeviceMemoryPool pool, int deviceId) {
        DevicePointers.useDevice(deviceId);
        ICudaEngine engine;
        try (BytePointer bytes = new BytePointer(serializedPlan)) {
            engine = runtime.deserializeCudaEngine(bytes, serializedPlan.length);
        }
        if (engine == null || engine.isNull()) {
            throw new EngineException(graphName + ": TensorRT could not load the engine plan (built for another GPU or "
                    + "TensorRT version, or damaged); delete it to rebuild", null);
        }
        List<String> expected = plan.bindings().stream().map(BindingPlan.Binding::name).sorted().toList();
        List<String> actual = new ArrayList<>();
        for (int i = 0; i < engine.getNbIOTensors(); i++) actual.add(engine.getIOTensorName(i));
        actual.sort(null);
        if (!expected.equals(actual)) {
            throw new EngineException(graphName + ": the engine's tensors " + actual + " differ from the binding plan's "
                    + expected, null);
        }
        return new TensorRtEngine(graphName, plan, engine, pool, deviceId);
    }

    @Override
    public String graphName() { return graphName; }

    @Override
    public List<TensorSpec> inputs() { return inputs; }

    @Override
    public List<TensorSpec> outputs() { return outputs; }

    /** The binding plan (tensors, slots, profile shapes). */
    public BindingPlan bindingPlan() { return plan; }

    /** The output shapes for the given input shapes (for allocating device outputs before {@link #enqueue}). */
    public Map<String, long[]> outputShapes(Map<String, long[]> inputShapes) {
        Map<String, Long> symbols = plan.symbolValues(inputShapes);
        Map<String, long[]> out = new LinkedHashMap<>();
        for (TensorSpec s : outputs) out.put(s.name(), plan.shape(s.name(), symbols));
        return out;
    }

    @Override
    public Map<String, HostTensor> run(Map<String, HostTensor> in) {
        InputChecks.check(graphName, inputs, in);
        lifecycle.readLock().lock();
        try {
            if (closed) throw new PredictorClosedException(graphName + ": engine is closed");
            Map<String, long[]> inShapes = new LinkedHashMap<>();
            boolean empty = false;
            for (TensorSpec s : inputs) {
                long[] shape = in.get(s.name()).shape();
                inShapes.put(s.name(), shape);
                empty |= DeviceTensor.elements(shape) == 0;
            }
            if (empty) return emptyOutputs(inShapes);
            Map<String, long[]> outShapes = outputShapes(inShapes); // also checks the profile's range
            HostSlot slot = idleSlots.pollFirst();
            if (slot == null) slot = newSlot();
            try {
                return slot.run(in, inShapes, outShapes);
            } finally {
                idleSlots.addFirst(slot);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Enqueues one run on {@code stream} with tensors bound to the given device buffers; returns without waiting.
     * The buffers must stay valid until the stream has passed this work.
     *
     * @param in  one device tensor per input, by name
     * @param out one device tensor per output, by name, with the shapes {@link #outputShapes} gives
     * @throws IllegalArgumentException naming the tensor when a name, shape or the profile range does not fit
     * @throws EngineException          when TensorRT refuses a binding or the enqueue
     */
    public void enqueue(Map<String, DeviceTensor> in, Map<String, DeviceTensor> out, CudaStream stream) {
        if (in == null || out == null || stream == null) throw new IllegalArgumentException("in, out and stream must not be null");
        Map<String, long[]> inShapes = new LinkedHashMap<>();
        for (TensorSpec s : inputs) {
            DeviceTensor t = in.get(s.name());
            if (t == null) throw new IllegalArgumentException("in: " + graphName + " needs input '" + s.name() + "'");
            inShapes.put(s.name(), t.shape());
        }
        if (in.size() != inputs.size()) throw new IllegalArgumentException("in: " + graphName + " has inputs " + inputs);
        Map<String, long[]> expected = outputShapes(inShapes);
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            DeviceTensor t = out.get(e.getKey());
            if (t == null) throw new IllegalArgumentException("out: " + graphName + " needs output '" + e.getKey() + "'");
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new IllegalArgumentException("out: '" + e.getKey() + "' has shape " + Arrays.toString(t.shape())
                        + ", the run produces " + Arrays.toString(e.getValue()));
            }
        }
        lifecycle.readLock().lock();
        try {
            if (closed) throw new PredictorClosedException(graphName + ": engine is closed");
            IExecutionContext ctx = threadContexts.get();
            if (ctx == null) {
                ctx = newContext();
                threadContexts.set(ctx);
            }
            for (Map.Entry<String, DeviceTensor> e : in.entrySet()) bindInput(ctx, e.getKey(), e.getValue());
            for (Map.Entry<String, DeviceTensor> e : out.entrySet()) bind(ctx, e.getKey(), e.getValue().address());
            if (!ctx.enqueueV3(DevicePointers.stream(stream.handle()))) {
                throw new EngineException(graphName + ": TensorRT enqueueV3 failed; see the log", null);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Waits for host-path runs in progress, then stops accepting runs. Idempotent. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            synchronized (allSlots) {
                for (HostSlot s : allSlots) s.stream.close();
            }
            // TensorRT objects returned by the library have no delete through bytedeco; they live until the process ends
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private Map<String, HostTensor> emptyOutputs(Map<String, long[]> inShapes) {
        Map<String, Long> symbols = new LinkedHashMap<>();
        for (TensorSpec t : plan.graph().inputs()) {
            long[] s = inShapes.get(t.name());
            for (int i = 0; i < s.length; i++) if (!t.isFixed(i)) symbols.put(t.symbol(i), s[i]);
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (TensorSpec s : outputs) out.put(s.name(), HostTensor.allocateDirect(plan.shape(s.name(), symbols)));
        return out;
    }

    private HostSlot newSlot() {
        HostSlot s = new HostSlot(newContext(), new CudaStream(deviceId));
        synchronized (allSlots) {
            allSlots.add(s);
        }
        return s;
    }

    private IExecutionContext newContext() {
        DevicePointers.useDevice(deviceId);
        IExecutionContext ctx = engine.createExecutionContext();
        if (ctx == null || ctx.isNull()) {
            throw new EngineException(graphName + ": TensorRT could not create an execution context (out of device "
                    + "memory?)", null);
        }
        return ctx;
    }

    private void bindInput(IExecutionContext ctx, String name, DeviceTensor t) {
        if (!ctx.setInputShape(name, TensorRtEngineBuilder.dims(t.shape()))) {
            throw new EngineException(graphName + ": TensorRT refused input shape " + Arrays.toString(t.shape())
                    + " for '" + name + "' (outside the optimisation profile?)", null);
        }
        bind(ctx, name, t.address());
    }

    private void bind(IExecutionContext ctx, String name, long address) {
        if (!ctx.setTensorAddress(name, DevicePointers.at(address))) {
            throw new EngineException(graphName + ": TensorRT refused the address of '" + name + "'", null);
        }
    }

    /** An execution context with its own stream, for one host-path run at a time. */
    private final class HostSlot {
        final IExecutionContext context;
        final CudaStream stream;

        HostSlot(IExecutionContext context, CudaStream stream) {
            this.context = context;
            this.stream = stream;
        }

        Map<String, HostTensor> run(Map<String, HostTensor> in, Map<String, long[]> inShapes,
                Map<String, long[]> outShapes) {
            DevicePointers.useDevice(deviceId);
            List<DeviceBuffer> buffers = new ArrayList<>();
            List<Pointer> staged = new ArrayList<>();
            var cuStream = DevicePointers.stream(stream.handle());
            try {
                for (TensorSpec s : inputs) {
                    long[] shape = inShapes.get(s.name());
                    long bytes = 4L * DeviceTensor.elements(shape);
                    DeviceBuffer b = pool.acquire(bytes);
                    buffers.add(b);
                    HostTensor h = in.get(s.name());
                    FloatPointer src = h.isDirectNative() ? new FloatPointer(h.buffer()) : new FloatPointer(h.toArray());
                    staged.add(src);
                    DevicePointers.check(cudart.cudaMemcpyAsync(DevicePointers.at(b.address()), src, bytes,
                            cudart.cudaMemcpyHostToDevice, cuStream), graphName + ": copy of '" + s.name() + "' to the GPU");
                    bindInput(context, s.name(), new DeviceTensor(b, shape));
                }
                Map<String, HostTensor> out = new LinkedHashMap<>();
                Map<String, DeviceBuffer> outBuffers = new LinkedHashMap<>();
                for (TensorSpec s : outputs) {
                    long[] shape = outShapes.get(s.name());
                    checkAgainstContext(s.name(), shape);
                    DeviceBuffer b = pool.acquire(4L * DeviceTensor.elements(shape));
                    buffers.add(b);
                    outBuffers.put(s.name(), b);
                    bind(context, s.name(), b.address());
                    out.put(s.name(), HostTensor.allocateDirect(shape));
                }
                if (!context.enqueueV3(cuStream)) {
                    throw new EngineException(graphName + ": TensorRT enqueueV3 failed; see the log", null);
                }
                for (Map.Entry<String, HostTensor> e : out.entrySet()) {
                    HostTensor h = e.getValue();
                    FloatPointer dst = new FloatPointer(h.buffer());
                    staged.add(dst);
                    DevicePointers.check(cudart.cudaMemcpyAsync(dst, DevicePointers.at(outBuffers.get(e.getKey()).address()),
                            4L * h.size(), cudart.cudaMemcpyDeviceToHost, cuStream),
                            graphName + ": copy of '" + e.getKey() + "' from the GPU");
                }
                return out; // valid once the finally block has synchronised the stream
            } finally {
                try {
                    stream.synchronize(); // buffers go back to the pool only when no work uses them
                } finally {
                    buffers.forEach(DeviceBuffer::close);
                    staged.forEach(Pointer::close);
                }
            }
        }

        /** TensorRT's own shape inference must agree with the binding plan's. */
        private void checkAgainstContext(String name, long[] planned) {
            Dims64 d = context.getTensorShape(name);
            long[] actual = new long[d.nbDims()];
            for (int i = 0; i < actual.length; i++) actual[i] = d.d(i);
            if (!Arrays.equals(actual, planned)) {
                throw new EngineException(graphName + ": TensorRT gives output '" + name + "' shape "
                        + Arrays.toString(actual) + " but the manifest declares " + Arrays.toString(planned), null);
            }
        }
    }
}
