// maskrt_roi_align: multi-level RoIAlign. Per RoI, torchvision's roi_align CUDA kernel (one thread per output
// bin; sample positions, border rules and sample counts in its float operations); the level of each RoI is
// computed on the device with dev.maskrt.ops.LevelMapping's float formulas.
#include "common.cuh"

namespace maskrt {
namespace {

struct Pyramid {
    const float* data[MASKRT_MAX_LEVELS];
    int height[MASKRT_MAX_LEVELS];
    int width[MASKRT_MAX_LEVELS];
    float scale[MASKRT_MAX_LEVELS];
    int count;
    int min_level;
};

struct Mapping {
    maskrt_level_formula formula;
    float reference_size;
    float reference_level;
    float eps;
};

// log2 of a float rounded to float, as LevelMapping.log2: exponent + log(mantissa) / log(2) in double.
__device__ float log2_float(float v) {
    if (!(v > 0.0f) || isinf(v)) return static_cast<float>(log(static_cast<double>(v)) / log(2.0));
    int exponent;
    double mantissa = frexp(static_cast<double>(v), &exponent);  // [0.5, 1)
    mantissa *= 2.0;
    exponent -= 1;
    return static_cast<float>(static_cast<double>(exponent) + log(mantissa) / log(2.0));
}

// The level index (0 = finest) of a box, or -1 when its size is NaN.
__device__ int level_index(const Mapping& m, float x0, float y0, float x1, float y1, int min_level, int max_level) {
    float area = __fmul_rn(__fsub_rn(x1, x0), __fsub_rn(y1, y0));
    float size = __fsqrt_rn(area);
    float level;
    if (m.formula == MASKRT_LEVELS_DETECTRON2) {
        level = __fadd_rn(m.reference_level, log2_float(__fadd_rn(__fdiv_rn(size, m.reference_size), m.eps)));
    } else if (m.formula == MASKRT_LEVELS_TORCHVISION) {
        level = __fadd_rn(__fadd_rn(m.reference_level, log2_float(__fdiv_rn(size, m.reference_size))), m.eps);
    } else {
        level = log2_float(__fadd_rn(__fdiv_rn(size, m.reference_size), m.eps));
    }
    if (isnan(level)) return -1;
    double f = floor(static_cast<double>(level));
    if (m.formula == MASKRT_LEVELS_MMDETECTION) f += min_level;
    if (f < min_level) f = min_level;
    if (f > max_level) f = max_level;
    return static_cast<int>(f) - min_level;
}

// torchvision's roi_align bilinear_interpolate.
__device__ float sample(const float* plane, int height, int width, float y, float x) {
    if (y < -1.0f || y > height || x < -1.0f || x > width) return 0.0f;
    if (y <= 0.0f) y = 0.0f;
    if (x <= 0.0f) x = 0.0f;
    int y_low = static_cast<int>(y);
    int x_low = static_cast<int>(x);
    int y_high, x_high;
    if (y_low >= height - 1) {
        y_high = y_low = height - 1;
        y = static_cast<float>(y_low);
    } else {
        y_high = y_low + 1;
    }
    if (x_low >= width - 1) {
        x_high = x_low = width - 1;
        x = static_cast<float>(x_low);
    } else {
        x_high = x_low + 1;
    }
    float ly = __fsub_rn(y, static_cast<float>(y_low));
    float lx = __fsub_rn(x, static_cast<float>(x_low));
    float hy = static_cast<float>(1.0 - ly);  // torchvision: "1. - ly" in double, stored as float
    float hx = static_cast<float>(1.0 - lx);
    return bilinear(plane[y_low * width + x_low], plane[y_low * width + x_high], plane[y_high * width + x_low],
                    plane[y_high * width + x_high], hy, ly, hx, lx);
}

__global__ void roi_align_kernel(Pyramid pyramid, Mapping mapping, int channels, const float* rois,
                                 const int* batch_index, int num_rois, int out_h, int out_w, int sampling_ratio,
                                 bool aligned, float* out) {
    long long total = static_cast<long long>(num_rois) * channels * out_h * out_w;
    for (long long index = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; index < total;
         index += static_cast<long long>(gridDim.x) * blockDim.x) {
        int pw = static_cast<int>(index % out_w);
        int ph = static_cast<int>((index / out_w) % out_h);
        int c = static_cast<int>((index / out_w / out_h) % channels);
        int r = static_cast<int>(index / out_w / out_h / channels);
        const float* roi = rois + 4 * static_cast<size_t>(r);
        int l = 0;
        if (pyramid.count > 1) {
            l = level_index(mapping, roi[0], roi[1], roi[2], roi[3], pyramid.min_level,
                            pyramid.min_level + pyramid.count - 1);
            if (l < 0) {
                out[index] = 0.0f;
                continue;
            }
        }
        int height = pyramid.height[l], width = pyramid.width[l];
        float scale = pyramid.scale[l];
        const float* plane = pyramid.data[l] + (static_cast<size_t>(batch_index[r]) * channels + c) * height * width;
        float offset = aligned ? 0.5f : 0.0f;
        float start_w = __fsub_rn(__fmul_rn(roi[0], scale), offset);
        float start_h = __fsub_rn(__fmul_rn(roi[1], scale), offset);
        float end_w = __fsub_rn(__fmul_rn(roi[2], scale), offset);
        float end_h = __fsub_rn(__fmul_rn(roi[3], scale), offset);
        float roi_w = __fsub_rn(end_w, start_w);
        float roi_h = __fsub_rn(end_h, start_h);
        if (!aligned) {
            roi_w = fmaxf(roi_w, 1.0f);
            roi_h = fmaxf(roi_h, 1.0f);
        }
        float bin_h = __fdiv_rn(roi_h, static_cast<float>(out_h));
        float bin_w = __fdiv_rn(roi_w, static_cast<float>(out_w));
        int grid_h = sampling_ratio > 0 ? sampling_ratio : static_cast<int>(ceilf(__fdiv_rn(roi_h, out_h)));
        int grid_w = sampling_ratio > 0 ? sampling_ratio : static_cast<int>(ceilf(__fdiv_rn(roi_w, out_w)));
        float count = static_cast<float>(max(grid_h * grid_w, 1));
        float sum = 0.0f;
        for (int iy = 0; iy < grid_h; iy++) {
            float y = __fadd_rn(__fadd_rn(start_h, __fmul_rn(static_cast<float>(ph), bin_h)),
                                __fdiv_rn(__fmul_rn(static_cast<float>(iy) + 0.5f, bin_h),
                                          static_cast<float>(grid_h)));
            for (int ix = 0; ix < grid_w; ix++) {
                float x = __fadd_rn(__fadd_rn(start_w, __fmul_rn(static_cast<float>(pw), bin_w)),
                                    __fdiv_rn(__fmul_rn(static_cast<float>(ix) + 0.5f, bin_w),
                                              static_cast<float>(grid_w)));
                sum = __fadd_rn(sum, sample(plane, height, width, y, x));
            }
        }
        out[index] = __fdiv_rn(sum, count);
    }
}

}  // namespace
}  // namespace maskrt

using namespace maskrt;

extern "C" {

maskrt_status maskrt_roi_align(const float* const* h_levels, const int* h_heights, const int* h_widths,
                               const float* h_scales, int num_levels, int min_level, int batch, int channels,
                               const float* d_rois, const int* d_batch_index, int num_rois, int out_h, int out_w,
                               int sampling_ratio, int aligned, maskrt_level_formula formula, int reference_size,
                               int reference_level, float eps, float* d_out, cudaStream_t stream) {
    MASKRT_REQUIRE(num_levels >= 1 && num_levels <= MASKRT_MAX_LEVELS);
    MASKRT_REQUIRE(h_levels != nullptr && h_heights != nullptr && h_widths != nullptr && h_scales != nullptr);
    MASKRT_REQUIRE(batch >= 1 && channels >= 0 && num_rois >= 0 && out_h >= 1 && out_w >= 1 && sampling_ratio >= 0);
    MASKRT_REQUIRE(formula == MASKRT_LEVELS_DETECTRON2 || formula == MASKRT_LEVELS_TORCHVISION
                   || formula == MASKRT_LEVELS_MMDETECTION);
    MASKRT_REQUIRE(reference_size > 0 && eps >= 0.0f && eps <= 3.402823466e38f);
    Pyramid pyramid;
    pyramid.count = num_levels;
    pyramid.min_level = min_level;
    for (int l = 0; l < num_levels; l++) {
        MASKRT_REQUIRE(h_heights[l] >= 1 && h_widths[l] >= 1 && h_scales[l] > 0.0f && h_scales[l] <= 3.402823466e38f);
        MASKRT_REQUIRE(h_levels[l] != nullptr || channels == 0);
        pyramid.data[l] = h_levels[l];
        pyramid.height[l] = h_heights[l];
        pyramid.width[l] = h_widths[l];
        pyramid.scale[l] = h_scales[l];
    }
    long long total = static_cast<long long>(num_rois) * channels * out_h * out_w;
    if (total == 0) return MASKRT_OK;
    MASKRT_REQUIRE(d_rois != nullptr && d_batch_index != nullptr && d_out != nullptr);
    Mapping mapping{formula, static_cast<float>(reference_size), static_cast<float>(reference_level), eps};
    roi_align_kernel<<<blocks_for(total, 256), 256, 0, stream>>>(pyramid, mapping, channels, d_rois, d_batch_index,
                                                                  num_rois, out_h, out_w, sampling_ratio,
                                                                  aligned != 0, d_out);
    return launch_status();
}

}  // extern "C"
