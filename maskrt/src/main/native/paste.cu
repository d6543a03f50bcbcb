// Mask pasting fused with thresholding (dev.maskrt.ops.MaskPaster): the hull of every instance on the device,
// then one thread per hull pixel samples the mask (grid_sample, bilinear, zeros, align_corners=False) with
// torch 1.13 CPU's arithmetic, bit-exact with CpuMaskPaster, and writes 0/1 into the packed box-local bitmaps.
#include "common.cuh"

namespace maskrt {
namespace {

constexpr int kMaxGridY = 65535;

// CpuMaskPaster.Hull.hullStart / hullEnd, float32 as detectron2 computes them.
__device__ int hull_start(float v, int limit) {
    float start = fmaxf(__fsub_rn(floorf(v), 1.0f), 0.0f);
    return start >= static_cast<float>(limit) ? limit : static_cast<int>(start);
}

__device__ int hull_end(float v, int limit) {
    float end = __fadd_rn(ceilf(v), 1.0f);
    return end >= static_cast<float>(limit) ? limit : (end <= 0.0f ? 0 : static_cast<int>(end));
}

__global__ void hull_kernel(const float* boxes, int n, int image_h, int image_w, int* hulls, long long* sizes) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float bx0 = boxes[4 * i], by0 = boxes[4 * i + 1], bx1 = boxes[4 * i + 2], by1 = boxes[4 * i + 3];
        int x0 = 0, y0 = 0, w = 0, h = 0;
        // policy (not detectron2's, which divides by zero or flips the mask): degenerate boxes paste nothing
        if (bx1 > bx0 && by1 > by0 && !isinf(bx0) && !isinf(by0) && !isinf(bx1) && !isinf(by1)) {
            int hx0 = hull_start(bx0, image_w), hx1 = hull_end(bx1, image_w);
            int hy0 = hull_start(by0, image_h), hy1 = hull_end(by1, image_h);
            if (hx1 > hx0 && hy1 > hy0) {
                x0 = hx0;
                y0 = hy0;
                w = hx1 - hx0;
                h = hy1 - hy0;
            }
        }
        hulls[4 * i] = x0;
        hulls[4 * i + 1] = y0;
        hulls[4 * i + 2] = w;
        hulls[4 * i + 3] = h;
        sizes[i] = static_cast<long long>(w) * h;
    }
}

// Where pixel `pixel` of one axis samples its mask (CpuMaskPaster's PasteAxis): the padded indices of its two
// neighbouring cells (0 and mask_size + 1 are the zero border) and their weights.
struct Tap {
    int low, high;
    float w_low, w_high;
};

__device__ __forceinline__ Tap axis_tap(int pixel, float box_start, float box_end, int mask_size) {
    float extent = __fsub_rn(box_end, box_start);
    float half_size = __fdiv_rn(static_cast<float>(mask_size), 2.0f);
    float centre = __fadd_rn(static_cast<float>(pixel), 0.5f);
    // detectron2: ((centre - x0) / (x1 - x0)) * 2 - 1, each step rounded to float32
    float normalised = __fsub_rn(__fmul_rn(__fdiv_rn(__fsub_rn(centre, box_start), extent), 2.0f), 1.0f);
    // grid_sample unnormalisation (g + 1) * size / 2 - 0.5, fused as torch's AVX2 kernel computes it
    float source = __fmaf_rn(__fadd_rn(normalised, 1.0f), half_size, -0.5f);
    float fl = floorf(source);
    float frac = __fsub_rn(source, fl);
    Tap t;
    t.w_high = frac;
    t.w_low = __fsub_rn(1.0f, frac);
    int cell = isfinite(fl) ? static_cast<int>(fmaxf(-2.0f, fminf(fl, static_cast<float>(mask_size) + 1.0f))) : 0;
    t.low = max(-1, min(cell, mask_size)) + 1;
    t.high = max(-1, min(cell + 1, mask_size)) + 1;
    return t;
}

__device__ __forceinline__ float cell(const float* mask, int mask_w, int mask_h, int row, int col) {
    return (row == 0 || col == 0 || row == mask_h + 1 || col == mask_w + 1) ? 0.0f
                                                                          : mask[(row - 1) * mask_w + (col - 1)];
}

__global__ void paste_kernel(const float* masks, int mask_h, int mask_w, const float* boxes, int first, int n,
                             const int* hulls, const int64_t* offsets, float threshold, uint8_t* bits) {
    int i = first + blockIdx.y;
    if (i >= n) return;
    int hx = hulls[4 * i], hy = hulls[4 * i + 1], hw = hulls[4 * i + 2], hh = hulls[4 * i + 3];
    long long pixels = static_cast<long long>(hw) * hh;
    if (pixels == 0) return;
    const float* mask = masks + static_cast<size_t>(i) * mask_h * mask_w;
    float bx0 = boxes[4 * i], by0 = boxes[4 * i + 1], bx1 = boxes[4 * i + 2], by1 = boxes[4 * i + 3];
    uint8_t* out = bits + offsets[i];
    for (long long p = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; p < pixels;
         p += static_cast<long long>(gridDim.x) * blockDim.x) {
        int r = static_cast<int>(p / hw);
        int c = static_cast<int>(p % hw);
        Tap row = axis_tap(hy + r, by0, by1, mask_h);
        Tap col = axis_tap(hx + c, bx0, bx1, mask_w);
        float v = bilinear(cell(mask, mask_w, mask_h, row.low, col.low), cell(mask, mask_w, mask_h, row.low, col.high),
                           cell(mask, mask_w, mask_h, row.high, col.low),
                           cell(mask, mask_w, mask_h, row.high, col.high), row.w_low, row.w_high, col.w_low,
                           col.w_high);
        out[p] = v >= threshold ? 1 : 0;
    }
}

}  // namespace
}  // namespace maskrt

using namespace maskrt;

extern "C" {

maskrt_status maskrt_paste_scratch_bytes(int n, size_t* h_bytes) {
    MASKRT_REQUIRE(n >= 0 && h_bytes != nullptr);
    *h_bytes = align_up(static_cast<size_t>(n < 1 ? 1 : n) * sizeof(long long));
    return MASKRT_OK;
}

maskrt_status maskrt_paste_layout(const float* d_boxes, int n, int image_height, int image_width, int* d_hulls,
                                  int64_t* d_offsets, void* d_scratch, size_t scratch_bytes, cudaStream_t stream) {
    MASKRT_REQUIRE(n >= 0 && image_height >= 1 && image_width >= 1 && d_offsets != nullptr);
    if (n == 0) {
        MASKRT_CHECK_CUDA(cudaMemsetAsync(d_offsets, 0, sizeof(int64_t), stream));
        return MASKRT_OK;
    }
    MASKRT_REQUIRE(d_boxes != nullptr && d_hulls != nullptr);
    size_t needed;
    maskrt_paste_scratch_bytes(n, &needed);
    if (d_scratch == nullptr || scratch_bytes < needed) return MASKRT_ERROR_SCRATCH_TOO_SMALL;
    long long* sizes = static_cast<long long*>(d_scratch);
    hull_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(d_boxes, n, image_height, image_width, d_hulls, sizes);
    MASKRT_RETURN_IF_ERROR(launch_status());
    exclusive_scan_kernel<<<1, 1024, 0, stream>>>(sizes, n, d_offsets);
    return launch_status();
}

maskrt_status maskrt_paste_masks(const float* d_masks, int mask_h, int mask_w, const float* d_boxes, int n,
                                 const int* d_hulls, const int64_t* d_offsets, float threshold, uint8_t* d_bits,
                                 cudaStream_t stream) {
    MASKRT_REQUIRE(n >= 0 && mask_h >= 1 && mask_w >= 1);
    MASKRT_REQUIRE(threshold >= 0.0f && threshold <= 3.402823466e38f);
    if (n == 0) return MASKRT_OK;
    MASKRT_REQUIRE(d_masks != nullptr && d_boxes != nullptr && d_hulls != nullptr && d_offsets != nullptr);
    // d_bits may be NULL when every hull is empty (d_offsets[n] == 0): no pixel is written then
    for (int first = 0; first < n; first += kMaxGridY) {
        int count = n - first < kMaxGridY ? n - first : kMaxGridY;
        paste_kernel<<<dim3(16, count), 256, 0, stream>>>(d_masks, mask_h, mask_w, d_boxes, first, n, d_hulls,
                                                          d_offsets, threshold, d_bits);
        MASKRT_RETURN_IF_ERROR(launch_status());
    }
    return MASKRT_OK;
}

}  // extern "C"
