// Run-length encoding of the box-local bitmaps on the device: runs of set pixels of each instance in the full
// image (row- or column-major), so that only runs go back to the host. A run starts at a set pixel whose
// predecessor in image order is unset (pixels outside the hull are unset), and ends at a set pixel whose
// successor is unset; runs that cross a row (column) end merge exactly as a flat-array encoder sees them.
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include "common.cuh"

namespace maskrt {
namespace {

constexpr int kThreads = 256;

struct Hull {
    int x, y, w, h;
    const uint8_t* bits;
};

__device__ __forceinline__ Hull hull_of(const int* hulls, const int64_t* offsets, const uint8_t* bits, int i) {
    Hull hull{hulls[4 * i], hulls[4 * i + 1], hulls[4 * i + 2], hulls[4 * i + 3], bits + offsets[i]};
    return hull;
}

__device__ __forceinline__ bool is_set(const Hull& h, int x, int y) {
    return x >= h.x && x < h.x + h.w && y >= h.y && y < h.y + h.h && h.bits[(y - h.y) * h.w + (x - h.x)] != 0;
}

// Pixel t of the hull in image order, its image index, and whether it starts / ends a run.
struct Pixel {
    int index;
    bool starts, ends;
};

__device__ Pixel classify(const Hull& h, long long t, int image_h, int image_w, bool column_major) {
    int x, y;
    if (column_major) {
        x = h.x + static_cast<int>(t / h.h);
        y = h.y + static_cast<int>(t % h.h);
    } else {
        y = h.y + static_cast<int>(t / h.w);
        x = h.x + static_cast<int>(t % h.w);
    }
    Pixel p;
    p.index = column_major ? x * image_h + y : y * image_w + x;
    bool set = is_set(h, x, y);
    int px, py, nx, ny;  // predecessor and successor in image order
    if (column_major) {
        py = y > 0 ? y - 1 : image_h - 1;
        px = y > 0 ? x : x - 1;
        ny = y + 1 < image_h ? y + 1 : 0;
        nx = y + 1 < image_h ? x : x + 1;
    } else {
        px = x > 0 ? x - 1 : image_w - 1;
        py = x > 0 ? y : y - 1;
        nx = x + 1 < image_w ? x + 1 : 0;
        ny = x + 1 < image_w ? y : y + 1;
    }
    p.starts = set && !is_set(h, px, py);
    p.ends = set && !is_set(h, nx, ny);
    return p;
}

__global__ void count_kernel(const uint8_t* bits, const int* hulls, const int64_t* offsets, int n, int image_h,
                             int image_w, bool column_major, long long* kaggle_sizes, long long* coco_sizes) {
    typedef cub::BlockReduce<int, kThreads> Reduce;
    __shared__ typename Reduce::TempStorage storage;
    for (int i = blockIdx.x; i < n; i += gridDim.x) {
        Hull h = hull_of(hulls, offsets, bits, i);
        long long pixels = static_cast<long long>(h.w) * h.h;
        int runs = 0;
        for (long long t = threadIdx.x; t < pixels; t += kThreads) {
            runs += classify(h, t, image_h, image_w, column_major).starts ? 1 : 0;
        }
        int total = Reduce(storage).Sum(runs);
        if (threadIdx.x == 0) {
            bool last_set = is_set(h, image_w - 1, image_h - 1);  // the last pixel in both orders
            if (kaggle_sizes != nullptr) kaggle_sizes[i] = 2LL * total;
            if (coco_sizes != nullptr) coco_sizes[i] = 2LL * total + (last_set ? 0 : 1);
        }
        __syncthreads();
    }
}

__global__ void encode_kernel(const uint8_t* bits, const int* hulls, const int64_t* offsets, int n, int image_h,
                              int image_w, bool column_major, const int64_t* kaggle_offsets, int* kaggle,
                              const int64_t* coco_offsets, int* coco) {
    typedef cub::BlockScan<int, kThreads> Scan;
    __shared__ typename Scan::TempStorage storage;
    __shared__ int start_carry, end_carry;
    long long image_pixels = static_cast<long long>(image_h) * image_w;
    for (int i = blockIdx.x; i < n; i += gridDim.x) {
        Hull h = hull_of(hulls, offsets, bits, i);
        long long pixels = static_cast<long long>(h.w) * h.h;
        int* pairs = kaggle + kaggle_offsets[i];
        int runs = static_cast<int>((kaggle_offsets[i + 1] - kaggle_offsets[i]) / 2);
        if (threadIdx.x == 0) {
            start_carry = 0;
            end_carry = 0;
        }
        __syncthreads();
        // pass 1: pairs[2k] = first pixel of run k, pairs[2k + 1] = its last pixel (0-indexed image indices)
        for (long long base = 0; base < pixels; base += kThreads) {
            long long t = base + threadIdx.x;
            Pixel p{0, false, false};
            if (t < pixels) p = classify(h, t, image_h, image_w, column_major);
            int start_rank, end_rank, starts, ends;
            Scan(storage).ExclusiveSum(p.starts ? 1 : 0, start_rank, starts);
            __syncthreads();
            Scan(storage).ExclusiveSum(p.ends ? 1 : 0, end_rank, ends);
            if (p.starts) pairs[2 * (start_carry + start_rank)] = p.index;
            if (p.ends) pairs[2 * (end_carry + end_rank) + 1] = p.index;
            __syncthreads();
            if (threadIdx.x == 0) {
                start_carry += starts;
                end_carry += ends;
            }
            __syncthreads();
        }
        // pass 2: COCO counts (reads the pairs only): zeros, ones, zeros, ..., trailing zeros when present
        if (coco != nullptr) {
            int* counts = coco + coco_offsets[i];
            long long size = coco_offsets[i + 1] - coco_offsets[i];
            if (runs == 0 && threadIdx.x == 0) counts[0] = static_cast<int>(image_pixels);
            for (int k = threadIdx.x; k < runs; k += kThreads) {
                int s = pairs[2 * k], e = pairs[2 * k + 1];
                int previous_end = k == 0 ? -1 : pairs[2 * k - 1];
                counts[2 * k] = s - previous_end - 1;
                counts[2 * k + 1] = e - s + 1;
                if (k == runs - 1 && size == 2LL * runs + 1) counts[2 * k + 2] = static_cast<int>(image_pixels - 1 - e);
            }
            __syncthreads();
        }
        // pass 3: Kaggle pairs in place: 1-indexed start, length
        for (int k = threadIdx.x; k < runs; k += kThreads) {
            int s = pairs[2 * k], e = pairs[2 * k + 1];
            pairs[2 * k] = s + 1;
            pairs[2 * k + 1] = e - s + 1;
        }
        __syncthreads();
    }
}

}  // namespace
}  // namespace maskrt

using namespace maskrt;

extern "C" {

maskrt_status maskrt_rle_scratch_bytes(int n, size_t* h_bytes) {
    MASKRT_REQUIRE(n >= 0 && h_bytes != nullptr);
    *h_bytes = 2 * align_up(static_cast<size_t>(n < 1 ? 1 : n) * sizeof(long long));
    return MASKRT_OK;
}

maskrt_status maskrt_rle_count(const uint8_t* d_bits, const int* d_hulls, const int64_t* d_offsets, int n,
                               int image_height, int image_width, maskrt_pixel_order order,
                               int64_t* d_kaggle_offsets, int64_t* d_coco_offsets, void* d_scratch,
                               size_t scratch_bytes, cudaStream_t stream) {
    MASKRT_REQUIRE(n >= 0 && image_height >= 1 && image_width >= 1);
    MASKRT_REQUIRE(static_cast<long long>(image_height) * image_width <= 0x7fffffffLL);
    MASKRT_REQUIRE(order == MASKRT_ROW_MAJOR || order == MASKRT_COLUMN_MAJOR);
    if (n == 0) {
        if (d_kaggle_offsets != nullptr) MASKRT_CHECK_CUDA(cudaMemsetAsync(d_kaggle_offsets, 0, 8, stream));
        if (d_coco_offsets != nullptr) MASKRT_CHECK_CUDA(cudaMemsetAsync(d_coco_offsets, 0, 8, stream));
        return MASKRT_OK;
    }
    MASKRT_REQUIRE(d_hulls != nullptr && d_offsets != nullptr);
    size_t needed;
    maskrt_rle_scratch_bytes(n, &needed);
    if (d_scratch == nullptr || scratch_bytes < needed) return MASKRT_ERROR_SCRATCH_TOO_SMALL;
    long long* kaggle_sizes = static_cast<long long*>(d_scratch);
    long long* coco_sizes = reinterpret_cast<long long*>(static_cast<char*>(d_scratch) + needed / 2);
    int blocks = n < 4096 ? n : 4096;
    count_kernel<<<blocks, kThreads, 0, stream>>>(d_bits, d_hulls, d_offsets, n, image_height, image_width,
                                                  order == MASKRT_COLUMN_MAJOR, kaggle_sizes, coco_sizes);
    MASKRT_RETURN_IF_ERROR(launch_status());
    if (d_kaggle_offsets != nullptr) {
        exclusive_scan_kernel<<<1, 1024, 0, stream>>>(kaggle_sizes, n, d_kaggle_offsets);
        MASKRT_RETURN_IF_ERROR(launch_status());
    }
    if (d_coco_offsets != nullptr) {
        exclusive_scan_kernel<<<1, 1024, 0, stream>>>(coco_sizes, n, d_coco_offsets);
        MASKRT_RETURN_IF_ERROR(launch_status());
    }
    return MASKRT_OK;
}

maskrt_status maskrt_rle_encode(const uint8_t* d_bits, const int* d_hulls, const int64_t* d_offsets, int n,
                                int image_height, int image_width, maskrt_pixel_order order,
                                const int64_t* d_kaggle_offsets, int* d_kaggle, const int64_t* d_coco_offsets,
                                int* d_coco, cudaStream_t stream) {
    MASKRT_REQUIRE(n >= 0 && image_height >= 1 && image_width >= 1);
    MASKRT_REQUIRE(static_cast<long long>(image_height) * image_width <= 0x7fffffffLL);
    MASKRT_REQUIRE(order == MASKRT_ROW_MAJOR || order == MASKRT_COLUMN_MAJOR);
    MASKRT_REQUIRE(d_coco == nullptr || d_coco_offsets != nullptr);
    if (n == 0) return MASKRT_OK;
    // the Kaggle pairs are the working space of the COCO counts too; both may be NULL when nothing is set
    MASKRT_REQUIRE(d_hulls != nullptr && d_offsets != nullptr && d_kaggle_offsets != nullptr);
    int blocks = n < 4096 ? n : 4096;
    encode_kernel<<<blocks, kThreads, 0, stream>>>(d_bits, d_hulls, d_offsets, n, image_height, image_width,
                                                   order == MASKRT_COLUMN_MAJOR, d_kaggle_offsets, d_kaggle,
                                                   d_coco_offsets, d_coco);
    return launch_status();
}

}  // extern "C"
