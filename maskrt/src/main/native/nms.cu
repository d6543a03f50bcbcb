// maskrt_nms: bitmask NMS fully on the device. The IoU matrix of the ranked boxes is computed as 64-bit words
// (like torchvision's CUDA nms); the greedy pass then runs in one block, 64 boxes at a time, and compacts the
// kept indices on the device, so nothing goes back to the host.
#include <cub/block/block_scan.cuh>
#include "common.cuh"

namespace maskrt {
namespace {

constexpr int kBits = 64;
constexpr int kGreedyThreads = 256;
// shared memory of the greedy pass: removed + kept words, 2 * 8 bytes per 64 boxes, within the default 48 KiB
constexpr int kMaxBoxes = (48 * 1024 - 1024) / 16 * kBits;

__global__ void gather_ranked_kernel(const float* boxes, const int* groups, const uint8_t* valid, const int* order,
                                     int n, float4* ranked_boxes, int* ranked_groups, uint8_t* ranked_valid) {
    for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < n; p += gridDim.x * blockDim.x) {
        int i = order[p];
        ranked_boxes[p] = make_float4(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]);
        ranked_groups[p] = groups == nullptr ? 0 : groups[i];
        ranked_valid[p] = valid == nullptr ? 1 : (valid[i] != 0);
    }
}

// torchvision's float32 IoU (CPU formula, no contraction), compared with the double threshold.
__device__ __forceinline__ bool suppresses(float4 a, float area_a, float4 b, float area_b, double threshold) {
    float w = fmaxf(0.0f, __fsub_rn(fminf(a.z, b.z), fmaxf(a.x, b.x)));
    float h = fmaxf(0.0f, __fsub_rn(fminf(a.w, b.w), fmaxf(a.y, b.y)));
    float inter = __fmul_rn(w, h);
    float iou = __fdiv_rn(inter, __fsub_rn(__fadd_rn(area_a, area_b), inter));
    return static_cast<double>(iou) > threshold;
}

__device__ __forceinline__ float box_area(float4 b) { return __fmul_rn(__fsub_rn(b.z, b.x), __fsub_rn(b.w, b.y)); }

// mask[p * words + c] bit t: ranked box p suppresses ranked box c * 64 + t (> p, same group, both valid).
__global__ void iou_mask_kernel(const float4* boxes, const int* groups, const uint8_t* valid, int n, int words,
                                double threshold, unsigned long long* mask) {
    int row_block = blockIdx.y;
    int col_block = blockIdx.x;
    if (col_block < row_block) return;
    __shared__ float4 col_boxes[kBits];
    __shared__ float col_areas[kBits];
    __shared__ int col_groups[kBits];
    __shared__ uint8_t col_valid[kBits];
    int col_start = col_block * kBits;
    int cols = min(n - col_start, kBits);
    if (static_cast<int>(threadIdx.x) < cols) {
        float4 b = boxes[col_start + threadIdx.x];
        col_boxes[threadIdx.x] = b;
        col_areas[threadIdx.x] = box_area(b);
        col_groups[threadIdx.x] = groups[col_start + threadIdx.x];
        col_valid[threadIdx.x] = valid[col_start + threadIdx.x];
    }
    __syncthreads();
    int p = row_block * kBits + threadIdx.x;
    if (p >= n) return;
    unsigned long long bits = 0;
    if (valid[p]) {
        float4 b = boxes[p];
        float area = box_area(b);
        int group = groups[p];
        for (int t = (col_block == row_block ? threadIdx.x + 1 : 0); t < cols; t++) {
            if (col_valid[t] && col_groups[t] == group && suppresses(b, area, col_boxes[t], col_areas[t], threshold)) {
                bits |= 1ull << t;
            }
        }
    }
    mask[static_cast<size_t>(p) * words + col_block] = bits;
}

__global__ void greedy_kernel(const unsigned long long* mask, const uint8_t* valid, const int* order, int n,
                              int words, int max_keep, int* keep, int* count) {
    extern __shared__ unsigned long long shared_words[];
    unsigned long long* removed = shared_words;
    unsigned long long* kept_words = shared_words + words;
    __shared__ unsigned long long diagonal[kBits];
    __shared__ unsigned long long block_kept;
    __shared__ int kept_total;
    for (int w = threadIdx.x; w < words; w += blockDim.x) {
        unsigned long long r = 0;
        for (int t = 0; t < kBits; t++) {
            int p = w * kBits + t;
            if (p >= n || !valid[p]) r |= 1ull << t;  // absent boxes are never kept
        }
        removed[w] = r;
        kept_words[w] = 0;
    }
    if (threadIdx.x == 0) kept_total = 0;
    __syncthreads();
    for (int b = 0; b < words; b++) {
        if (max_keep >= 0 && kept_total >= max_keep) break;  // uniform: read after a barrier
        if (threadIdx.x < kBits) {
            int p = b * kBits + threadIdx.x;
            diagonal[threadIdx.x] = p < n ? mask[static_cast<size_t>(p) * words + b] : 0;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            unsigned long long r = removed[b];
            unsigned long long kept = 0;
            for (int t = 0; t < kBits; t++) {
                if (!((r >> t) & 1ull)) {
                    kept |= 1ull << t;
                    r |= diagonal[t];
                }
            }
            block_kept = kept;
            kept_words[b] = kept;
            kept_total += __popcll(kept);
        }
        __syncthreads();
        unsigned long long kept = block_kept;
        for (int w = b + 1 + threadIdx.x; w < words; w += blockDim.x) {
            unsigned long long r = removed[w];
            for (unsigned long long k = kept; k != 0; k &= k - 1) {
                int t = __ffsll(static_cast<long long>(k)) - 1;
                r |= mask[static_cast<size_t>(b * kBits + t) * words + w];
            }
            removed[w] = r;
        }
        __syncthreads();
    }
    // compaction: kept ranked positions in order, first max_keep of them
    typedef cub::BlockScan<int, kGreedyThreads> Scan;
    __shared__ typename Scan::TempStorage scan_storage;
    __shared__ int carry;
    if (threadIdx.x == 0) carry = 0;
    __syncthreads();
    int limit = max_keep < 0 ? n : max_keep;
    for (int base = 0; base < words; base += kGreedyThreads) {
        int w = base + threadIdx.x;
        unsigned long long k = w < words ? kept_words[w] : 0;
        int prefix, total;
        Scan(scan_storage).ExclusiveSum(__popcll(k), prefix, total);
        int slot = carry + prefix;
        for (; k != 0 && slot < limit; k &= k - 1, slot++) {
            keep[slot] = order[w * kBits + __ffsll(static_cast<long long>(k)) - 1];
        }
        __syncthreads();
        if (threadIdx.x == 0) carry += total;
        __syncthreads();
    }
    if (threadIdx.x == 0) *count = carry < limit ? carry : limit;
}

struct NmsScratch {
    int* order;
    float4* boxes;
    int* groups;
    uint8_t* valid;
    unsigned long long* mask;
    void* sort;
    size_t sort_bytes;
    size_t total;
};

NmsScratch layout(int n, void* base) {
    size_t m = static_cast<size_t>(n < 1 ? 1 : n);
    size_t words = (m + kBits - 1) / kBits;
    NmsScratch s;
    char* p = static_cast<char*>(base);
    size_t at = 0;
    s.order = reinterpret_cast<int*>(p + at);
    at += align_up(m * sizeof(int));
    s.boxes = reinterpret_cast<float4*>(p + at);
    at += align_up(m * sizeof(float4));
    s.groups = reinterpret_cast<int*>(p + at);
    at += align_up(m * sizeof(int));
    s.valid = reinterpret_cast<uint8_t*>(p + at);
    at += align_up(m);
    s.mask = reinterpret_cast<unsigned long long*>(p + at);
    at += align_up(m * words * sizeof(unsigned long long));
    s.sort = p + at;
    s.sort_bytes = rank_sort_scratch_bytes(n);
    s.total = at + s.sort_bytes;
    return s;
}

}  // namespace
}  // namespace maskrt

using namespace maskrt;

extern "C" {

maskrt_status maskrt_nms_scratch_bytes(int n, size_t* h_bytes) {
    MASKRT_REQUIRE(n >= 0 && n <= kMaxBoxes && h_bytes != nullptr);
    *h_bytes = layout(n, nullptr).total;
    return MASKRT_OK;
}

maskrt_status maskrt_nms(const float* d_boxes, const float* d_scores, const int* d_groups, const uint8_t* d_valid,
                         int n, double iou_threshold, int max_keep, int* d_keep, int* d_count, void* d_scratch,
                         size_t scratch_bytes, cudaStream_t stream) {
    MASKRT_REQUIRE(n >= 0 && n <= kMaxBoxes && d_count != nullptr);
    MASKRT_REQUIRE(iou_threshold >= 0.0 && iou_threshold <= 1.7976931348623157e308);
    if (n == 0) {
        MASKRT_CHECK_CUDA(cudaMemsetAsync(d_count, 0, sizeof(int), stream));
        return MASKRT_OK;
    }
    MASKRT_REQUIRE(d_boxes != nullptr && d_scores != nullptr && d_keep != nullptr);
    NmsScratch s = layout(n, d_scratch);
    if (d_scratch == nullptr || scratch_bytes < s.total) return MASKRT_ERROR_SCRATCH_TOO_SMALL;
    MASKRT_RETURN_IF_ERROR(rank_sort(d_scores, d_valid, n, s.order, s.sort, s.sort_bytes, stream));
    gather_ranked_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(d_boxes, d_groups, d_valid, s.order, n, s.boxes,
                                                                  s.groups, s.valid);
    MASKRT_RETURN_IF_ERROR(launch_status());
    int words = (n + kBits - 1) / kBits;
    iou_mask_kernel<<<dim3(words, words), kBits, 0, stream>>>(s.boxes, s.groups, s.valid, n, words, iou_threshold,
                                                              s.mask);
    MASKRT_RETURN_IF_ERROR(launch_status());
    size_t shared = 2 * static_cast<size_t>(words) * sizeof(unsigned long long);
    greedy_kernel<<<1, kGreedyThreads, shared, stream>>>(s.mask, s.valid, s.order, n, words, max_keep, d_keep,
                                                         d_count);
    return launch_status();
}

}  // extern "C"
