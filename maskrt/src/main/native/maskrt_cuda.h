/*
 * maskrt_cuda.h: the whole interface of maskrt's CUDA kernels (plain C).
 *
 * Conventions
 *  - Every pointer named d_* is device memory; h_* is host memory. Boxes are float[4N], (x0, y0, x1, y1) per box.
 *  - Every op takes an explicit stream, only enqueues work on it (kernels, cudaMemsetAsync, cudaMemcpyAsync) and
 *    returns at once: nothing here synchronises the device or the stream, except maskrt_stream_synchronize.
 *  - Every entry checks its arguments and returns a status; it never aborts. On MASKRT_ERROR_CUDA the CUDA error
 *    code is in maskrt_last_cuda_error() (per host thread).
 *  - Scratch memory is passed in by the caller; *_scratch_bytes functions say how much an op needs.
 *  - Rankings (top-k, NMS) are by descending score, ties by ascending index, -0 == +0, NaN above +infinity:
 *    exactly the CPU ops' order (dev.maskrt.ops.Nms).
 *  - Arithmetic is float32 without contraction (built with -fmad=false); fused multiply-adds appear only where
 *    the reference computes them (grid_sample's and RoIAlign's bilinear sums), as __fmaf_rn.
 */
#ifndef MASKRT_CUDA_H
#define MASKRT_CUDA_H

#include <stddef.h>
#include <stdint.h>
#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum maskrt_status {
    MASKRT_OK = 0,
    MASKRT_ERROR_INVALID_ARGUMENT = 1, /* a size, pointer or parameter is out of range */
    MASKRT_ERROR_CUDA = 2,             /* a CUDA runtime call failed: see maskrt_last_cuda_error() */
    MASKRT_ERROR_SCRATCH_TOO_SMALL = 3 /* the scratch buffer is smaller than the *_scratch_bytes query said */
} maskrt_status;

/* Pixel order of run-length encodings. */
typedef enum maskrt_pixel_order {
    MASKRT_ROW_MAJOR = 0,   /* index y * width + x (Kaggle Sartorius) */
    MASKRT_COLUMN_MAJOR = 1 /* index x * height + y (COCO, DSB 2018, Airbus) */
} maskrt_pixel_order;

/* ---- runtime ---------------------------------------------------------------------------------------------- */

/* The CUDA error code of the last failed call on this host thread (cudaSuccess = 0 when none). */
int maskrt_last_cuda_error(void);
/* CUDA's name and description of an error code, e.g. "cudaErrorInsufficientDriver: CUDA driver version is ...". */
const char* maskrt_cuda_error_string(int cuda_error);
/* Number of usable devices; fails with MASKRT_ERROR_CUDA when there is no driver. */
maskrt_status maskrt_device_count(int* h_count);
/* The name and compute capability of a device, name written NUL-terminated into h_name[0, capacity). */
maskrt_status maskrt_device_name(int device, char* h_name, int capacity, int* h_major, int* h_minor);
maskrt_status maskrt_set_device(int device);
maskrt_status maskrt_malloc(void** h_ptr, size_t bytes);
maskrt_status maskrt_free(void* d_ptr);
maskrt_status maskrt_stream_create(cudaStream_t* h_stream);
maskrt_status maskrt_stream_destroy(cudaStream_t stream);
/* The only blocking call: waits until everything enqueued on the stream is done. */
maskrt_status maskrt_stream_synchronize(cudaStream_t stream);
maskrt_status maskrt_copy_to_device(void* d_dst, const void* h_src, size_t bytes, cudaStream_t stream);
maskrt_status maskrt_copy_to_host(void* h_dst, const void* d_src, size_t bytes, cudaStream_t stream);
maskrt_status maskrt_copy_device(void* d_dst, const void* d_src, size_t bytes, cudaStream_t stream);
maskrt_status maskrt_memset(void* d_dst, int value, size_t bytes, cudaStream_t stream);

/* ---- ranking ---------------------------------------------------------------------------------------------- */

/* Scratch for maskrt_topk over n scores. */
maskrt_status maskrt_topk_scratch_bytes(int n, size_t* h_bytes);
/* d_indices[0, min(k, n)) = indices of the min(k, n) highest scores in ranking order. */
maskrt_status maskrt_topk(const float* d_scores, int n, int k, int* d_indices, void* d_scratch, size_t scratch_bytes,
                          cudaStream_t stream);

/* ---- NMS -------------------------------------------------------------------------------------------------- */

/* Scratch for maskrt_nms over n boxes. */
maskrt_status maskrt_nms_scratch_bytes(int n, size_t* h_bytes);
/*
 * Greedy NMS fully on the device (torchvision.ops.nms / batched_nms semantics of dev.maskrt.ops.Nms): box j is
 * suppressed by a kept higher-ranked box i of the same group when iou(i, j) > iou_threshold, the float32 IoU
 * compared with the double threshold. d_groups (optional, NULL = one group) makes it batched NMS; d_valid
 * (optional, NULL = all) marks boxes that take part (0 = as if absent: never kept, suppresses nothing).
 * Writes the kept indices in ranking order to d_keep[0, count) and count = min(kept, max_keep) to *d_count
 * (max_keep < 0: no limit). Boxes must be finite and scores not NaN wherever d_valid admits them.
 */
maskrt_status maskrt_nms(const float* d_boxes, const float* d_scores, const int* d_groups, const uint8_t* d_valid,
                         int n, double iou_threshold, int max_keep, int* d_keep, int* d_count, void* d_scratch,
                         size_t scratch_bytes, cudaStream_t stream);

/* ---- boxes ------------------------------------------------------------------------------------------------ */

/*
 * detectron2 Box2BoxTransform.apply_deltas (class-agnostic), d_out[4n]; d_out may equal d_boxes. With
 * clip_height >= 0 and clip_width >= 0 the results are also clipped (Boxes.clip: x to [0, clip_width], y to
 * [0, clip_height], -0 to +0, NaN kept): one cascade stage's decode + clip.
 */
maskrt_status maskrt_apply_deltas(const float* d_deltas, const float* d_boxes, int n, float wx, float wy, float ww,
                                  float wh, float scale_clamp, int clip_height, int clip_width, float* d_out,
                                  cudaStream_t stream);
/* detectron2 Boxes.clip in place (see maskrt_apply_deltas). */
maskrt_status maskrt_clip_boxes(float* d_boxes, int n, int image_height, int image_width, cudaStream_t stream);
/*
 * d_keep[i] = 1 when box i passes, else 0: with require_finite, its four coordinates (and score i, when d_scores is
 * not NULL) must be finite (detectron2 find_top_rpn_proposals' valid_mask); with min_size >= 0, both sides
 * x1 - x0 and y1 - y0 must be > min_size (Boxes.nonempty; a NaN side fails); min_size < 0 skips that test.
 */
maskrt_status maskrt_box_filter(const float* d_boxes, const float* d_scores, int n, int require_finite,
                                float min_size, uint8_t* d_keep, cudaStream_t stream);

/* ---- RoIAlign --------------------------------------------------------------------------------------------- */

#define MASKRT_MAX_LEVELS 8

/* The level mapping formulas of dev.maskrt.ops.LevelMapping. */
typedef enum maskrt_level_formula {
    MASKRT_LEVELS_DETECTRON2 = 0,  /* floor(level + log2(sqrt(area) / size + eps)) */
    MASKRT_LEVELS_TORCHVISION = 1, /* floor(level + log2(sqrt(area) / size) + eps) */
    MASKRT_LEVELS_MMDETECTION = 2  /* min_level + floor(log2(sqrt(area) / size + eps)) */
} maskrt_level_formula;

/*
 * Multi-level RoIAlign (torchvision roi_align kernel per RoI, detectron2 ROIPooler over levels).
 * d_levels[l] points to level l's NCHW map [batch, channels, heights[l], widths[l]] (h_* arrays are host arrays
 * of num_levels entries; the level pointers themselves are device pointers listed in host memory);
 * h_scales[l] is level l's spatial scale (1 / stride); level l's number is min_level + l (at most
 * MASKRT_MAX_LEVELS levels). Each RoI goes to the level the formula assigns on the device
 * (with one level, to it); a RoI of no level (NaN size) pools to 0. d_out [R, C, out_h, out_w].
 */
maskrt_status maskrt_roi_align(const float* const* h_levels, const int* h_heights, const int* h_widths,
                               const float* h_scales, int num_levels, int min_level, int batch, int channels, const float* d_rois,
                               const int* d_batch_index, int num_rois, int out_h, int out_w, int sampling_ratio,
                               int aligned, maskrt_level_formula formula, int reference_size, int reference_level,
                               float eps, float* d_out, cudaStream_t stream);

/* ---- mask pasting ----------------------------------------------------------------------------------------- */

/* Scratch for maskrt_paste_layout over n instances. */
maskrt_status maskrt_paste_scratch_bytes(int n, size_t* h_bytes);
/*
 * The box-local hull of each instance (dev.maskrt.ops.MaskPaster): d_hulls[4i..] = (x, y, width, height), all 0
 * for a degenerate box or an empty hull, and d_offsets[n + 1] (int64) the exclusive prefix sums of
 * width * height, so d_offsets[n] is the bytes maskrt_paste_masks writes. Boxes must not be NaN.
 */
maskrt_status maskrt_paste_layout(const float* d_boxes, int n, int image_height, int image_width, int* d_hulls,
                                  int64_t* d_offsets, void* d_scratch, size_t scratch_bytes, cudaStream_t stream);
/*
 * Pastes and thresholds: pixel (x, y) of instance i's hull is d_bits[d_offsets[i] + (y - hy) * hw + (x - hx)] =
 * (grid_sample(mask_i) at the pixel centre >= threshold), 0 or 1, bit-exact with CpuMaskPaster.
 * d_masks [n, mask_h, mask_w] probabilities; d_bits may be NULL when d_offsets[n] is 0.
 */
maskrt_status maskrt_paste_masks(const float* d_masks, int mask_h, int mask_w, const float* d_boxes, int n,
                                 const int* d_hulls, const int64_t* d_offsets, float threshold, uint8_t* d_bits,
                                 cudaStream_t stream);

/* ---- run-length encoding ---------------------------------------------------------------------------------- */

/* Scratch for maskrt_rle_count over n instances. */
maskrt_status maskrt_rle_scratch_bytes(int n, size_t* h_bytes);
/*
 * Counts the runs of set pixels of each box-local bitmap (layout from maskrt_paste_layout) in the full image in
 * the given pixel order (runs continuing across a row/column end merge). d_kaggle_offsets[n + 1] and
 * d_coco_offsets[n + 1] (int64, either may be NULL) receive the exclusive prefix sums of the ints that
 * maskrt_rle_encode writes per instance: 2 * runs (start, length) for Kaggle, and the COCO counts length
 * (runs of 0s and 1s alternating, starting with 0s; no trailing run of 0s when the last pixel is set).
 */
maskrt_status maskrt_rle_count(const uint8_t* d_bits, const int* d_hulls, const int64_t* d_offsets, int n,
                               int image_height, int image_width, maskrt_pixel_order order,
                               int64_t* d_kaggle_offsets, int64_t* d_coco_offsets, void* d_scratch,
                               size_t scratch_bytes, cudaStream_t stream);
/*
 * Writes the runs: d_kaggle (optional) gets 1-indexed (start, length) pairs at d_kaggle_offsets[i];
 * d_coco (optional, needs d_kaggle) the COCO counts at d_coco_offsets[i].
 */
maskrt_status maskrt_rle_encode(const uint8_t* d_bits, const int* d_hulls, const int64_t* d_offsets, int n,
                                int image_height, int image_width, maskrt_pixel_order order,
                                const int64_t* d_kaggle_offsets, int* d_kaggle, const int64_t* d_coco_offsets,
                                int* d_coco, cudaStream_t stream);

#ifdef __cplusplus
}
#endif
#endif /* MASKRT_CUDA_H */
