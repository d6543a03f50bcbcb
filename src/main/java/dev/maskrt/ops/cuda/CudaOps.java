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

    /** The CUDA ops, or the CPU ops on {@code workers} (not closed by the result) when CUDA is unavailable. */
    public static SparseOps cudaOrCpu(Workers workers) {
        if (workers == null) throw new IllegalArgumentException("workers must not be null");
        if (!CudaRuntime.isAvailable()) {
            LOG.info("maskrt: CUDA ops unavailable ({}); using the CPU ops", CudaRuntime.unavailableReason());
            return CpuOps.create(workers);
        }
        return cuda();
    }


    /**
     * The CUDA ops sharing one device memory pool, closed with the result.
     *
     * @throws CudaException when CUDA is unavailable, saying why
     */
    public static SparseOps cuda() {
        CudaRuntime.requireAvailable();
        DeviceMemoryPool pool = new DeviceMemoryPool();
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
