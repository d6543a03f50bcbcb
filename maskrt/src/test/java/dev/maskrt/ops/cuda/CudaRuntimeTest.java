package dev.maskrt.ops.cuda;

import dev.maskrt.error.CudaException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The paths that must work on every machine: with no GPU or driver (this project's CI), CUDA reports itself
 * unavailable in one line, every CUDA entry point throws {@link CudaException} with that line instead of crashing,
 * and the factory falls back to the CPU ops. Where the native library was built (nvcc present), the binding's
 * native calls run for real here and return CUDA's error code.
 */
class CudaRuntimeTest {

    /** The reasons {@code CudaRuntime.probe} gives, each with what it is made of. */
    private static final Pattern REASONS = Pattern.compile("maskrt CUDA library not loaded \\(built without nvcc, or not "
            + "for this platform\\): .*|cudaGetDeviceCount failed: cudaError\\w+: [^\\n]+ \\(\\d+\\)|no CUDA device found"
            + "|maskrt CUDA (binding|library) unusable: .*");

    @Test
    void availabilityFollowsFromTheLibraryAndTheDeviceCount() {
        // decided independently of CudaRuntime.probe: the library loaded and the runtime counts >= 1 device
        boolean loaded = CudaNative.LOAD_ERROR == null;
        int[] count = new int[1];
        boolean counted = loaded && CudaNative.maskrt_device_count(count) == CudaRuntime.OK && count[0] >= 1;
        assertEquals(counted, CudaRuntime.isAvailable(), "isAvailable() against the library and the device count");
        if (counted) {
            assertNull(CudaRuntime.unavailableReason());
            assertEquals(count[0], CudaRuntime.deviceCount());
            assertTrue(CudaRuntime.deviceDescription().matches(".+ \\(sm_\\d+\\)"), CudaRuntime.deviceDescription());
            return;
        }
        String reason = CudaRuntime.unavailableReason();
        assertTrue(reason != null && REASONS.matcher(reason).matches(), "an unexpected reason: " + reason);
        assertEquals(loaded, !reason.startsWith("maskrt CUDA library not loaded"), reason);
    }

    @Test
    void theLibraryLoadsWhereTheBuildMadeIt() {
        // the cuda profile ran (nvcc present): the JNI library it linked must load in this JVM, shared cudart included
        Path built = Path.of("target/native/linux-x86_64/libmaskrt_cuda.a");
        assumeTrue(Files.isRegularFile(built), "the CUDA native build did not run here (no nvcc or -Dmaskrt.cuda=false)");
        assertNull(CudaNative.LOAD_ERROR, () -> "built " + built + " but the binding does not load: " + CudaNative.LOAD_ERROR);
    }

    @Test
    void aDeviceIdIsCheckedBeforeAnyCudaCall() {
        // the device is chosen once, by the pool / stream / ops factory; a negative id is refused by name everywhere
        for (org.junit.jupiter.api.function.Executable call : new org.junit.jupiter.api.function.Executable[] {
                () -> new DeviceMemoryPool(-1), () -> new CudaStream(-1), () -> CudaOps.cuda(-1)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
            assertTrue(e.getMessage().contains("deviceId"), e.getMessage());
        }
        assumeTrue(CudaRuntime.isAvailable(), () -> "no CUDA device: " + CudaRuntime.unavailableReason());
        int missing = CudaRuntime.deviceCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DeviceMemoryPool(missing));
        assertTrue(e.getMessage().contains("deviceId " + missing + " does not exist"), e.getMessage());
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
    void factoryGivesWorkingOpsEitherWay() {
        // boxes 0 and 1 overlap with IoU 81/119 > 0.5, box 2 is apart: NMS keeps 1 (higher score) and 2
        float[] boxes = {0, 0, 10, 10, 1, 1, 11, 11, 50, 50, 60, 60};
        float[] scores = {0.5f, 0.9f, 0.7f};
        try (Workers workers = new Workers(1); SparseOps ops = CudaOps.cudaOrCpu(workers, 0)) {
            if (!CudaRuntime.isAvailable()) {
                assertTrue(ops.nms() instanceof dev.maskrt.ops.cpu.CpuNms, "falls back to the CPU ops: " + ops);
                assertEquals("cpu", ops.name());
            } else {
                assertTrue(ops.nms() instanceof CudaNms, "CUDA ops where CUDA is available: " + ops);
            }
            assertArrayEquals(new int[] {1, 2}, ops.nms().nms(boxes, scores, 0.5));
            assertArrayEquals(new int[] {1, 2, 0}, ops.nms().nms(boxes, scores, 0.7));
        }
        assertThrows(IllegalArgumentException.class, () -> CudaOps.cudaOrCpu(null, 0));
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
