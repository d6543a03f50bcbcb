// Shared device helpers and status plumbing of maskrt's CUDA ops. Internal: not part of the C interface.
#ifndef MASKRT_COMMON_CUH
#define MASKRT_COMMON_CUH

#include <cuda_runtime.h>
#include <stdint.h>
#include "maskrt_cuda.h"

namespace maskrt {

// Records err as this thread's last CUDA error; returns the matching status.
maskrt_status fail_cuda(cudaError_t err);

// Checks the launch just enqueued (configuration errors only; nothing waits for the kernel).
inline maskrt_status launch_status() {
    cudaError_t err = cudaGetLastError();
    return err == cudaSuccess ? MASKRT_OK : fail_cuda(err);
}

#define MASKRT_CHECK_CUDA(call)                          \
    do {                                                 \
        cudaError_t maskrt_err_ = (call);                \
        if (maskrt_err_ != cudaSuccess) {                \
            return ::maskrt::fail_cuda(maskrt_err_);     \
        }                                                \
    } while (0)

#define MASKRT_REQUIRE(condition)                        \
    do {                                                 \
        if (!(condition)) {                              \
            return MASKRT_ERROR_INVALID_ARGUMENT;        \
        }                                                \
    } while (0)

#define MASKRT_RETURN_IF_ERROR(call)                     \
    do {                                                 \
        maskrt_status maskrt_st_ = (call);               \
        if (maskrt_st_ != MASKRT_OK) {                   \
            return maskrt_st_;                           \
        }                                                \
    } while (0)

inline size_t align_up(size_t bytes) { return (bytes + 255) & ~static_cast<size_t>(255); }

inline int blocks_for(long long n, int threads) {
    long long b = (n + threads - 1) / threads;
    return static_cast<int>(b < 1 ? 1 : (b > 65535LL * 32 ? 65535LL * 32 : b));
}

// The ranking key of (score, index) shared by top-k and NMS: ascending key order is descending score, ties by
// ascending index, -0 == +0, every NaN one value above +infinity (the CPU ScoreOrder's key, as unsigned).
__device__ __forceinline__ unsigned long long rank_key(float score, int index) {
    float s = __fadd_rn(score, 0.0f);  // -0 + 0 = +0
    int bits = isnan(s) ? 0x7fc00000 : __float_as_int(s);
    int monotonic = bits >= 0 ? bits : bits ^ 0x7fffffff;  // int order == float order
    unsigned int high = static_cast<unsigned int>(~monotonic) ^ 0x80000000u;  // signed order -> unsigned order
    return (static_cast<unsigned long long>(high) << 32) | static_cast<unsigned int>(index);
}

__device__ __forceinline__ int rank_key_index(unsigned long long key) {
    return static_cast<int>(static_cast<unsigned int>(key & 0xffffffffull));
}

// The one bilinear combination of RoIAlign and mask pasting: corner values (top-left, top-right, bottom-left,
// bottom-right) weighted by products of the row weights (top, bottom) and column weights (left, right), each
// product rounded on its own, summed as fma(br, fma(bl, fma(tr, tl * w))). This is torch 1.13's CPU grid_sample
// (AVX2) order and the order nvcc's contraction gives torchvision's CUDA roi_align sum w1*v1 + ... + w4*v4.
__device__ __forceinline__ float bilinear(float top_left, float top_right, float bottom_left, float bottom_right,
                                          float w_top, float w_bottom, float w_left, float w_right) {
    float w_tl = __fmul_rn(w_top, w_left);
    float w_tr = __fmul_rn(w_top, w_right);
    float w_bl = __fmul_rn(w_bottom, w_left);
    float w_br = __fmul_rn(w_bottom, w_right);
    return __fmaf_rn(bottom_right, w_br,
                     __fmaf_rn(bottom_left, w_bl, __fmaf_rn(top_right, w_tr, __fmul_rn(top_left, w_tl))));
}

// detectron2 Boxes.clip of one coordinate: clamp to [0, limit], -0 -> +0, NaN kept (torch.clamp propagates it).
__device__ __forceinline__ float clamp_coordinate(float v, float limit) {
    if (isnan(v)) return v;
    if (!(v > 0.0f)) v = 0.0f;
    return v > limit ? limit : v;
}

// Sorts indices [0, n) into ranking order (see rank_key): d_order[0, n). A stable radix sort of the 32-bit score
// keys carrying the indices, so equal scores keep ascending index order. Scratch: rank_sort_scratch_bytes(n).
// With d_valid (optional), boxes marked 0 get a key above every score and sort last.
size_t rank_sort_scratch_bytes(int n);
maskrt_status rank_sort(const float* d_scores, const uint8_t* d_valid, int n, int* d_order, void* d_scratch,
                        size_t scratch_bytes, cudaStream_t stream);

// Exclusive prefix sums of values[0, n) into out[0, n] (out[n] = total) in one block; sizes stay small
// (instances per image), so a single block looping over chunks is enough. Launch with <<<1, 1024>>>.
__global__ void exclusive_scan_kernel(const long long* values, int n, int64_t* out);

}  // namespace maskrt

#endif  // MASKRT_COMMON_CUH
