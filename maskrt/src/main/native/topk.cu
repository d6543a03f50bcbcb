// Ranking: the stable score sort shared by top-k and NMS, and maskrt_topk.
#include <cub/device/device_radix_sort.cuh>
#include "common.cuh"

namespace maskrt {

namespace {

__global__ void rank_keys_kernel(const float* scores, const uint8_t* valid, int n, unsigned int* keys, int* values) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        bool admitted = valid == nullptr || valid[i] != 0;
        keys[i] = admitted ? static_cast<unsigned int>(rank_key(scores[i], 0) >> 32) : 0xffffffffu;
        values[i] = i;
    }
}

size_t cub_sort_bytes(int n) {
    size_t bytes = 0;
    cub::DeviceRadixSort::SortPairs(nullptr, bytes, static_cast<const unsigned int*>(nullptr),
                                    static_cast<unsigned int*>(nullptr), static_cast<const int*>(nullptr),
                                    static_cast<int*>(nullptr), n);
    return bytes;
}

}  // namespace

size_t rank_sort_scratch_bytes(int n) {
    size_t m = static_cast<size_t>(n < 1 ? 1 : n);
    return 2 * align_up(m * sizeof(unsigned int)) + align_up(m * sizeof(int)) + align_up(cub_sort_bytes(n));
}

maskrt_status rank_sort(const float* d_scores, const uint8_t* d_valid, int n, int* d_order, void* d_scratch,
                        size_t scratch_bytes, cudaStream_t stream) {
    if (n == 0) return MASKRT_OK;
    if (d_scratch == nullptr || scratch_bytes < rank_sort_scratch_bytes(n)) return MASKRT_ERROR_SCRATCH_TOO_SMALL;
    size_t m = static_cast<size_t>(n);
    char* p = static_cast<char*>(d_scratch);
    unsigned int* keys_in = reinterpret_cast<unsigned int*>(p);
    p += align_up(m * sizeof(unsigned int));
    unsigned int* keys_out = reinterpret_cast<unsigned int*>(p);
    p += align_up(m * sizeof(unsigned int));
    int* values_in = reinterpret_cast<int*>(p);
    p += align_up(m * sizeof(int));
    size_t temp_bytes = cub_sort_bytes(n);
    rank_keys_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(d_scores, d_valid, n, keys_in, values_in);
    MASKRT_RETURN_IF_ERROR(launch_status());
    MASKRT_CHECK_CUDA(cub::DeviceRadixSort::SortPairs(p, temp_bytes, keys_in, keys_out, values_in, d_order, n, 0, 32,
                                                      stream));
    return MASKRT_OK;
}

}  // namespace maskrt

using namespace maskrt;

extern "C" {

maskrt_status maskrt_topk_scratch_bytes(int n, size_t* h_bytes) {
    MASKRT_REQUIRE(n >= 0 && h_bytes != nullptr);
    *h_bytes = align_up(static_cast<size_t>(n < 1 ? 1 : n) * sizeof(int)) + rank_sort_scratch_bytes(n);
    return MASKRT_OK;
}

maskrt_status maskrt_topk(const float* d_scores, int n, int k, int* d_indices, void* d_scratch, size_t scratch_bytes,
                          cudaStream_t stream) {
    MASKRT_REQUIRE(n >= 0 && k >= 0);
    int m = k < n ? k : n;
    if (m == 0) return MASKRT_OK;
    MASKRT_REQUIRE(d_scores != nullptr && d_indices != nullptr);
    size_t needed;
    maskrt_topk_scratch_bytes(n, &needed);
    if (d_scratch == nullptr || scratch_bytes < needed) return MASKRT_ERROR_SCRATCH_TOO_SMALL;
    int* order = static_cast<int*>(d_scratch);
    size_t order_bytes = align_up(static_cast<size_t>(n) * sizeof(int));
    MASKRT_RETURN_IF_ERROR(rank_sort(d_scores, nullptr, n, order, static_cast<char*>(d_scratch) + order_bytes,
                                     scratch_bytes - order_bytes, stream));
    MASKRT_CHECK_CUDA(cudaMemcpyAsync(d_indices, order, static_cast<size_t>(m) * sizeof(int),
                                      cudaMemcpyDeviceToDevice, stream));
    return MASKRT_OK;
}

}  // extern "C"
