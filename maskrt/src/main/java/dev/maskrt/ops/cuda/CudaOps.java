package dev.maskrt.ops.cuda;

import dev.maskrt.error.CudaException;

import dev.maskrt.ops.SparseOps;
import dev.maskrt.ops.cpu.CpuOps;
import dev.maskrt.util.Workers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the sparse-op implementation: CUDA where {@link CudaRuntime#isAvailable()}, otherwise the CPU ops with
 * one INFO log line saying why. Stateless and thread-safe.
 */
public final class CudaOps {
    private static final Logger LOG = LoggerFactory.getLogger(CudaOps.class);

    private CudaOps() {}

    /**
     * The CUDA ops on device {@code deviceId}, or the CPU ops on {@code workers} (not closed by the result) when CUDA
     * is unavailable.
     *
     * @throws IllegalArgumentException when {@code workers} is null, or CUDA is available and {@code deviceId} is not
     *                                  a visible device
     */
    public static SparseOps cudaOrCpu(Workers workers, int deviceId) {
        if (workers == null) throw new IllegalArgumentException("workers must not be null");
        if (!CudaRuntime.isAvailable()) {
            LOG.info("maskrt: CUDA ops unavailable ({}); using the CPU ops", CudaRuntime.unavailableReason());
            return CpuOps.create(workers);
        }
        return cuda(deviceId);
    }

    /**
     * The CUDA ops on device {@code deviceId} (e.g. {@code TensorRtOptions.deviceId()}), sharing one device memory
     * pool, closed with the result. The device is chosen here, once: every op, stream and buffer of the result uses it.
     *
     * @throws IllegalArgumentException when {@code deviceId} is not a visible device
     * @throws CudaException            when CUDA is unavailable, saying why
     */
    public static SparseOps cuda(int deviceId) {
        if (deviceId < 0) throw new IllegalArgumentException("deviceId must be >= 0, got " + deviceId);
        CudaRuntime.requireAvailable();
        DeviceMemoryPool pool = new DeviceMemoryPool(deviceId);
        CudaNms nms = new CudaNms(pool);
        CudaBoxTransform boxes = new CudaBoxTransform(pool);
        CudaRoiAlign roiAlign = new CudaRoiAlign(pool);
        CudaMaskPaster paster = new CudaMaskPaster(pool);
        AutoCloseable resources = () -> {
            nms.close();
            boxes.close();
            roiAlign.close();
            paster.close();
            pool.close();
        };
        return new SparseOps("cuda", nms, boxes, roiAlign, paster, resources);
    }
}
