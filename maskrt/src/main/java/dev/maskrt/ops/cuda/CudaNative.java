package dev.maskrt.ops.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JavaCPP binding of {@code src/main/native/maskrt_cuda.h}: one static native method per C entry, nothing
 * else. Device pointers and streams travel as {@code long} addresses. Internal: use {@link CudaRuntime},
 * {@link DeviceBuffer}, {@link CudaStream} and the op classes, which check every argument before calling here.
 *
 * <p>The library ({@code libjniCudaNative.so}: {@code libmaskrt_cuda.a} linked in, the shared CUDA runtime
 * {@code libcudart.so.13} as a dependency, resolved to the copy bytedeco's cuda preset loads) is loaded once; if it is missing (no CUDA build) the failure is kept in
 * {@link #LOAD_ERROR} instead of failing class initialisation, so callers get a clear exception, never a crash.
 */
@Platform(value = "linux-x86_64", include = "maskrt_cuda.h", compiler = "cpp11",
        // JavaCPP emits these in reverse order: -lmaskrt_cuda -lcudart. The shared CUDA runtime (libcudart.so.13,
        // the soname bytedeco's cuda preset loads), so maskrt and TensorRT share one runtime in the process.
        link = {"cudart@.13", "maskrt_cuda"})
public final class CudaNative {
    /** Why the native library could not be loaded, or null when it was. */
    static final Throwable LOAD_ERROR;

    static {
        Throwable error = null;
        try {
            // bytedeco's cudart first, where it loads: its libcudart.so.13 (from the redist jar or the system) then
            // satisfies this library's dependency by soname, so there is one CUDA runtime in the process. Without
            // it (no cuda preset, or it cannot load) the system's libcudart.so.13 is found by the dynamic linker.
            Loader.load(org.bytedeco.cuda.global.cudart.class);
        } catch (LinkageError | RuntimeException ignored) { // the runtime is then looked up below
        }
        try {
            Loader.load();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            error = e;
        }
        LOAD_ERROR = error;
    }

    private CudaNative() {}

    // runtime
    static native int maskrt_last_cuda_error();
    static native @Cast("const char*") BytePointer maskrt_cuda_error_string(int cudaError);
    static native int maskrt_device_count(int[] count);
    static native int maskrt_device_name(int device, @Cast("char*") byte[] name, int capacity, int[] major, int[] minor);
    static native int maskrt_set_device(int device);
    static native int maskrt_malloc(@Cast("void**") long[] ptr, @Cast("size_t") long bytes);
    static native int maskrt_free(@Cast("void*") long ptr);
    static native int maskrt_stream_create(@Cast("cudaStream_t*") long[] stream);
    static native int maskrt_stream_destroy(@Cast("cudaStream_t") long stream);
    static native int maskrt_stream_synchronize(@Cast("cudaStream_t") long stream);
    static native int maskrt_copy_to_device(@Cast("void*") long dst, @Cast("const void*") Pointer src,
            @Cast("size_t") long bytes, @Cast("cudaStream_t") long stream);
    static native int maskrt_copy_to_host(@Cast("void*") Pointer dst, @Cast("const void*") long src,
            @Cast("size_t") long bytes, @Cast("cudaStream_t") long stream);
    static native int maskrt_copy_device(@Cast("void*") long dst, @Cast("const void*") long src,
            @Cast("size_t") long bytes, @Cast("cudaStream_t") long stream);
    static native int maskrt_memset(@Cast("void*") long dst, int value, @Cast("size_t") long bytes,
            @Cast("cudaStream_t") long stream);

    // ranking and NMS
    static native int maskrt_topk_scratch_bytes(int n, @Cast("size_t*") long[] bytes);
    static native int maskrt_topk(@Cast("const float*") long scores, int n, int k, @Cast("int*") long indices,
            @Cast("void*") long scratch, @Cast("size_t") long scratchBytes, @Cast("cudaStream_t") long stream);
    static native int maskrt_nms_scratch_bytes(int n, @Cast("size_t*") long[] bytes);
    static native int maskrt_nms(@Cast("const float*") long boxes, @Cast("const float*") long scores,
            @Cast("const int*") long groups, @Cast("const uint8_t*") long valid, int n, double iouThreshold,
            int maxKeep, @Cast("int*") long keep, @Cast("int*") long count, @Cast("void*") long scratch,
            @Cast("size_t") long scratchBytes, @Cast("cudaStream_t") long stream);

    // boxes
    static native int maskrt_apply_deltas(@Cast("const float*") long deltas, @Cast("const float*") long boxes, int n,
            float wx, float wy, float ww, float wh, float scaleClamp, int clipHeight, int clipWidth,
            @Cast("float*") long out, @Cast("cudaStream_t") long stream);
    static native int maskrt_clip_boxes(@Cast("float*") long boxes, int n, int imageHeight, int imageWidth,
            @Cast("cudaStream_t") long stream);
    static native int maskrt_box_filter(@Cast("const float*") long boxes, @Cast("const float*") long scores, int n,
            int requireFinite, float minSize, @Cast("uint8_t*") long keep, @Cast("cudaStream_t") long stream);

    // RoIAlign
    static native int maskrt_roi_align(@Cast("const float* const*") long[] levels, int[] heights, int[] widths,
            float[] scales, int numLevels, int minLevel, int batch, int channels, @Cast("const float*") long rois,
            @Cast("const int*") long batchIndex, int numRois, int outH, int outW, int samplingRatio, int aligned,
            @Cast("maskrt_level_formula") int formula, int referenceSize, int referenceLevel, float eps,
            @Cast("float*") long out, @Cast("cudaStream_t") long stream);

    // pasting and RLE
    static native int maskrt_paste_scratch_bytes(int n, @Cast("size_t*") long[] bytes);
    static native int maskrt_paste_layout(@Cast("const float*") long boxes, int n, int imageHeight, int imageWidth,
            @Cast("int*") long hulls, @Cast("int64_t*") long offsets, @Cast("void*") long scratch,
            @Cast("size_t") long scratchBytes, @Cast("cudaStream_t") long stream);
    static native int maskrt_paste_masks(@Cast("const float*") long masks, int maskH, int maskW,
            @Cast("const float*") long boxes, int n, @Cast("const int*") long hulls,
            @Cast("const int64_t*") long offsets, float threshold, @Cast("uint8_t*") long bits,
            @Cast("cudaStream_t") long stream);
    static native int maskrt_rle_scratch_bytes(int n, @Cast("size_t*") long[] bytes);
    static native int maskrt_rle_count(@Cast("const uint8_t*") long bits, @Cast("const int*") long hulls,
            @Cast("const int64_t*") long offsets, int n, int imageHeight, int imageWidth,
            @Cast("maskrt_pixel_order") int order, @Cast("int64_t*") long kaggleOffsets,
            @Cast("int64_t*") long cocoOffsets, @Cast("void*") long scratch, @Cast("size_t") long scratchBytes,
            @Cast("cudaStream_t") long stream);
    static native int maskrt_rle_encode(@Cast("const uint8_t*") long bits, @Cast("const int*") long hulls,
            @Cast("const int64_t*") long offsets, int n, int imageHeight, int imageWidth,
            @Cast("maskrt_pixel_order") int order, @Cast("const int64_t*") long kaggleOffsets,
            @Cast("int*") long kaggle, @Cast("const int64_t*") long cocoOffsets, @Cast("int*") long coco,
            @Cast("cudaStream_t") long stream);
}
