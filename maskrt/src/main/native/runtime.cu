// Runtime entries of maskrt_cuda.h: errors, devices, memory, streams, copies; and the shared scan kernel.
#include <cub/block/block_scan.cuh>
#include <cstring>
#include <cstdio>
#include "common.cuh"

namespace maskrt {

static thread_local int last_cuda_error = 0;

maskrt_status fail_cuda(cudaError_t err) {
    last_cuda_error = static_cast<int>(err);
    cudaGetLastError();  // clear a non-sticky error so that the next call does not report it again
    return MASKRT_ERROR_CUDA;
}

__global__ void exclusive_scan_kernel(const long long* values, int n, int64_t* out) {
    typedef cub::BlockScan<long long, 1024> Scan;
    __shared__ typename Scan::TempStorage storage;
    __shared__ long long carry;
    if (threadIdx.x == 0) carry = 0;
    __syncthreads();
    for (int base = 0; base < n; base += 1024) {
        int i = base + threadIdx.x;
        long long v = i < n ? values[i] : 0;
        long long prefix, total;
        Scan(storage).ExclusiveSum(v, prefix, total);
        if (i < n) out[i] = carry + prefix;
        __syncthreads();
        if (threadIdx.x == 0) carry += total;
        __syncthreads();
    }
    if (threadIdx.x == 0) out[n] = carry;
}

}  // namespace maskrt

using namespace maskrt;

extern "C" {

int maskrt_last_cuda_error(void) { return last_cuda_error; }

const char* maskrt_cuda_error_string(int cuda_error) {
    static thread_local char text[512];
    cudaError_t err = static_cast<cudaError_t>(cuda_error);
    snprintf(text, sizeof text, "%s: %s", cudaGetErrorName(err), cudaGetErrorString(err));
    return text;
}

maskrt_status maskrt_device_count(int* h_count) {
    MASKRT_REQUIRE(h_count != nullptr);
    *h_count = 0;
    MASKRT_CHECK_CUDA(cudaGetDeviceCount(h_count));
    return MASKRT_OK;
}

maskrt_status maskrt_device_name(int device, char* h_name, int capacity, int* h_major, int* h_minor) {
    MASKRT_REQUIRE(h_name != nullptr && capacity > 0 && h_major != nullptr && h_minor != nullptr && device >= 0);
    cudaDeviceProp prop;
    MASKRT_CHECK_CUDA(cudaGetDeviceProperties(&prop, device));
    strncpy(h_name, prop.name, static_cast<size_t>(capacity) - 1);
    h_name[capacity - 1] = '\0';
    *h_major = prop.major;
    *h_minor = prop.minor;
    return MASKRT_OK;
}

maskrt_status maskrt_set_device(int device) {
    MASKRT_REQUIRE(device >= 0);
    MASKRT_CHECK_CUDA(cudaSetDevice(device));
    return MASKRT_OK;
}

maskrt_status maskrt_malloc(void** h_ptr, size_t bytes) {
    MASKRT_REQUIRE(h_ptr != nullptr);
    *h_ptr = nullptr;
    if (bytes == 0) return MASKRT_OK;
    MASKRT_CHECK_CUDA(cudaMalloc(h_ptr, bytes));
    return MASKRT_OK;
}

maskrt_status maskrt_free(void* d_ptr) {
    if (d_ptr != nullptr) MASKRT_CHECK_CUDA(cudaFree(d_ptr));
    return MASKRT_OK;
}

maskrt_status maskrt_stream_create(cudaStream_t* h_stream) {
    MASKRT_REQUIRE(h_stream != nullptr);
    *h_stream = nullptr;
    MASKRT_CHECK_CUDA(cudaStreamCreateWithFlags(h_stream, cudaStreamNonBlocking));
    return MASKRT_OK;
}

maskrt_status maskrt_stream_destroy(cudaStream_t stream) {
    MASKRT_REQUIRE(stream != nullptr);
    MASKRT_CHECK_CUDA(cudaStreamDestroy(stream));
    return MASKRT_OK;
}

maskrt_status maskrt_stream_synchronize(cudaStream_t stream) {
    MASKRT_CHECK_CUDA(cudaStreamSynchronize(stream));
    return MASKRT_OK;
}

maskrt_status maskrt_copy_to_device(void* d_dst, const void* h_src, size_t bytes, cudaStream_t stream) {
    if (bytes == 0) return MASKRT_OK;
    MASKRT_REQUIRE(d_dst != nullptr && h_src != nullptr);
    MASKRT_CHECK_CUDA(cudaMemcpyAsync(d_dst, h_src, bytes, cudaMemcpyHostToDevice, stream));
    return MASKRT_OK;
}

maskrt_status maskrt_copy_to_host(void* h_dst, const void* d_src, size_t bytes, cudaStream_t stream) {
    if (bytes == 0) return MASKRT_OK;
    MASKRT_REQUIRE(h_dst != nullptr && d_src != nullptr);
    MASKRT_CHECK_CUDA(cudaMemcpyAsync(h_dst, d_src, bytes, cudaMemcpyDeviceToHost, stream));
    return MASKRT_OK;
}

maskrt_status maskrt_copy_device(void* d_dst, const void* d_src, size_t bytes, cudaStream_t stream) {
    if (bytes == 0) return MASKRT_OK;
    MASKRT_REQUIRE(d_dst != nullptr && d_src != nullptr);
    MASKRT_CHECK_CUDA(cudaMemcpyAsync(d_dst, d_src, bytes, cudaMemcpyDeviceToDevice, stream));
    return MASKRT_OK;
}

maskrt_status maskrt_memset(void* d_dst, int value, size_t bytes, cudaStream_t stream) {
    if (bytes == 0) return MASKRT_OK;
    MASKRT_REQUIRE(d_dst != nullptr);
    MASKRT_CHECK_CUDA(cudaMemsetAsync(d_dst, value, bytes, stream));
    return MASKRT_OK;
}

}  // extern "C"
