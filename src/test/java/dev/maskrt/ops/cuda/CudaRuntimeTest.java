package dev.maskrt.ops.cuda;

import dev.maskrt.error.CudaException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.maskrt.ops.SparseOps;
import dev.maskrt.util.Workers;
import org.junit.jupiter.api.Test;

/**
 * The paths that must work on every machine: with no GPU or driver (this project's CI), CUDA reports itself
 * unavailable in one line, every CUDA entry point throws {@link CudaException} with that line instead of crashing,
 * and the factory falls back to the CPU ops. Where the native library was built (nvcc present), the binding's
 * native calls run for real here and return CUDA's error code.
 */
class CudaRuntimeTest {

    @Test
    void availabilityAndReasonAgree() {
        if (CudaRuntime.isAvailable()) {
            assertNull(CudaRuntime.unavailableReason());
            assertFalse(CudaRuntime.deviceDescription().isBlank());
        } else {
            String reason = CudaRuntime.unavailableReason();
            assertTrue(reason != null && !reason.isBlank(), "a reason is given");
            assertFalse(reason.contains("\n"), "the reason is one line: " + reason);
        }
    }

    @Test
    void withoutCudaEveryEntryPointThrowsTheReason() {
        assumeFalse(CudaRuntime.isAvailable(), "CUDA is available here");
        String reason = CudaRuntime.unavailableReason();
        for (org.junit.jupiter.api.function.Executable call : new org.junit.jupiter.api.function.Executable[] {
                CudaRuntime::requireAvailable, () -> new CudaStream(0), () -> new DeviceMemoryPool(0),
                () -> CudaOps.cuda(0), CudaRuntime::deviceDescription, CudaRuntime::deviceCount}) {
            CudaException e = assertThrows(CudaException.class, call);
            assertTrue(e.getMessage().contains(reason), e.getMessage());
        }
    }

    @Test
    void factoryFallsBackToTheCpuOps() {
        try (Workers workers = new Workers(1); SparseOps ops = CudaOps.cudaOrCpu(workers, 0)) {
            assertEquals(CudaRuntime.isAvailable() ? "cuda" : "cpu", ops.name());
            assertEquals(1, ops.nms().nms(new float[] {0, 0, 1, 1}, new float[] {1}, 0.5).length);
        }
    }

    @Test
    void whereTheLibraryIsBuiltItsNativeCallsRunAndReportCudaErrors() {
        assumeTrue(CudaNative.LOAD_ERROR == null, "native library not built here (no nvcc)");
        int[] count = new int[1];
        int status = CudaNative.maskrt_device_count(count);
        if (CudaRuntime.isAvailable()) {
            assertEquals(CudaRuntime.OK, status);
            assertTrue(count[0] >= 1);
            return;
        }
        if (status == CudaRuntime.CUDA_ERROR) {
            int error = CudaNative.maskrt_last_cuda_error();
            assertNotEquals(0, error);
            // 35 = cudaErrorInsufficientDriver (no driver), 100 = cudaErrorNoDevice
            assertTrue(CudaRuntime.unavailableReason().contains("(" + error + ")"), CudaRuntime.unavailableReason());
            assertTrue(CudaRuntime.errorString(error).startsWith("cudaError"), CudaRuntime.errorString(error));
        } else {
            assertEquals(0, count[0], "status OK without a usable device means zero devices");
        }
    }

    @Test
    void theNativeSideChecksItsArgumentsToo() {
        assumeTrue(CudaNative.LOAD_ERROR == null, "native library not built here (no nvcc)");
        // bad arguments are refused before any CUDA call, so these answer the same with or without a driver
        assertEquals(CudaRuntime.INVALID_ARGUMENT, CudaNative.maskrt_device_count(null));
        assertEquals(CudaRuntime.INVALID_ARGUMENT, CudaNative.maskrt_malloc(null, 16));
        assertEquals(CudaRuntime.INVALID_ARGUMENT,
                CudaNative.maskrt_nms(0, 0, 0, 0, -1, 0.5, -1, 0, 0, 0, 0, 0));
        assertEquals(CudaRuntime.INVALID_ARGUMENT,
                CudaNative.maskrt_nms(0, 0, 0, 0, 4, Double.NaN, -1, 0, 8, 0, 0, 0));
        assertEquals(CudaRuntime.INVALID_ARGUMENT,
                CudaNative.maskrt_apply_deltas(0, 0, 1, 1, 1, 0, 1, 1, -1, -1, 0, 0));
        assertEquals(CudaRuntime.INVALID_ARGUMENT,
                CudaNative.maskrt_paste_masks(0, 0, 28, 0, 1, 0, 0, 0.5f, 0, 0));
        assertEquals(CudaRuntime.INVALID_ARGUMENT, CudaNative.maskrt_roi_align(new long[9], new int[9], new int[9],
                new float[9], 9, 2, 1, 1, 0, 0, 1, 7, 7, 0, 1, 0, 224, 4, 1e-8f, 0, 0));
        assertEquals(CudaRuntime.INVALID_ARGUMENT,
                CudaNative.maskrt_rle_count(0, 0, 0, 1, 4, 4, 7, 0, 0, 0, 0, 0));
        // empty input: nothing to do, no CUDA call needed
        assertEquals(CudaRuntime.OK, CudaNative.maskrt_topk(0, 0, 5, 0, 0, 0, 0));
        assertEquals(CudaRuntime.OK, CudaNative.maskrt_apply_deltas(0, 0, 0, 1, 1, 1, 1, 1, -1, -1, 0, 0));
    }
}
