// Box decoding (detectron2 Box2BoxTransform), clipping, the proposal filters, and one RPN level's
// top-k + anchors + decode (detectron2 find_top_rpn_proposals up to the concatenation of levels).
#include "common.cuh"
#include "maskrt_cuda_rpn.h"

namespace maskrt {
namespace {

struct DeltaWeights {
    float wx, wy, ww, wh, scale_clamp;
};

// apply_deltas for one box, float32 step by step in detectron2's order (as CpuBoxTransform).
__device__ __forceinline__ void decode(const float* delta, float x0, float y0, float x1, float y1, DeltaWeights p,
                                       float* out) {
    float width = __fsub_rn(x1, x0);
    float height = __fsub_rn(y1, y0);
    float ctr_x = __fadd_rn(x0, __fmul_rn(0.5f, width));
    float ctr_y = __fadd_rn(y0, __fmul_rn(0.5f, height));
    float dx = __fdiv_rn(delta[0], p.wx);
    float dy = __fdiv_rn(delta[1], p.wy);
    float dw = __fdiv_rn(delta[2], p.ww);
    float dh = __fdiv_rn(delta[3], p.wh);
    dw = dw > p.scale_clamp ? p.scale_clamp : dw;  // torch.clamp(max=) keeps NaN
    dh = dh > p.scale_clamp ? p.scale_clamp : dh;
    float pred_ctr_x = __fadd_rn(__fmul_rn(dx, width), ctr_x);
    float pred_ctr_y = __fadd_rn(__fmul_rn(dy, height), ctr_y);
    // exp in double, rounded once: the correctly rounded float exp of CpuBoxTransform
    float pred_w = __fmul_rn(static_cast<float>(exp(static_cast<double>(dw))), width);
    float pred_h = __fmul_rn(static_cast<float>(exp(static_cast<double>(dh))), height);
    out[0] = __fsub_rn(pred_ctr_x, __fmul_rn(0.5f, pred_w));
    out[1] = __fsub_rn(pred_ctr_y, __fmul_rn(0.5f, pred_h));
    out[2] = __fadd_rn(pred_ctr_x, __fmul_rn(0.5f, pred_w));
    out[3] = __fadd_rn(pred_ctr_y, __fmul_rn(0.5f, pred_h));
}

__global__ void apply_deltas_kernel(const float* deltas, const float* boxes, int n, DeltaWeights p, int clip_h,
                                    int clip_w, float* out) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float r[4];
        decode(deltas + 4 * i, boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3], p, r);
        if (clip_h >= 0 && clip_w >= 0) {
            float w = static_cast<float>(clip_w), h = static_cast<float>(clip_h);
            r[0] = clamp_coordinate(r[0], w);
            r[1] = clamp_coordinate(r[1], h);
            r[2] = clamp_coordinate(r[2], w);
            r[3] = clamp_coordinate(r[3], h);
        }
        out[4 * i] = r[0];
        out[4 * i + 1] = r[1];
        out[4 * i + 2] = r[2];
        out[4 * i + 3] = r[3];
    }
}

__global__ void clip_kernel(float* boxes, int n, float h, float w) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        boxes[4 * i] = clamp_coordinate(boxes[4 * i], w);
        boxes[4 * i + 1] = clamp_coordinate(boxes[4 * i + 1], h);
        boxes[4 * i + 2] = clamp_coordinate(boxes[4 * i + 2], w);
        boxes[4 * i + 3] = clamp_coordinate(boxes[4 * i + 3], h);
    }
}

__global__ void filter_kernel(const float* boxes, const float* scores, int n, bool require_finite, float min_size,
                              uint8_t* keep) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float x0 = boxes[4 * i], y0 = boxes[4 * i + 1], x1 = boxes[4 * i + 2], y1 = boxes[4 * i + 3];
        bool pass = true;
        if (require_finite) {
            pass = isfinite(x0) && isfinite(y0) && isfinite(x1) && isfinite(y1)
                   && (scores == nullptr || isfinite(scores[i]));
        }
        if (min_size >= 0.0f) {
            pass = pass && __fsub_rn(x1, x0) > min_size && __fsub_rn(y1, y0) > min_size;
        }
        keep[i] = pass ? 1 : 0;
    }
}

// logits [A, H, W] -> scores in anchor order (H, W, A)
__global__ void permute_logits_kernel(const float* logits, int hw, int a, float* scores) {
    int n = hw * a;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        scores[i] = logits[(i % a) * hw + i / a];
    }
}

__global__ void rpn_decode_kernel(const float* scores, const float* deltas, const int* order, int m, int height,
                                  int width, int num_anchors, const float* cell, int stride, double offset,
                                  DeltaWeights p, int level, float* out_boxes, float* out_scores, int* out_levels) {
    for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < m; j += gridDim.x * blockDim.x) {
        int idx = order[j];
        int a = idx % num_anchors;
        int cell_index = idx / num_anchors;
        int x = cell_index % width;
        int y = cell_index / width;
        // DefaultAnchorGenerator: shifts in double like torch.arange, rounded to float, then float + cell anchor
        double start = offset * stride;
        float sx = static_cast<float>(start + static_cast<double>(stride) * x);
        float sy = static_cast<float>(start + static_cast<double>(stride) * y);
        float ax0 = __fadd_rn(sx, cell[4 * a]);
        float ay0 = __fadd_rn(sy, cell[4 * a + 1]);
        float ax1 = __fadd_rn(sx, cell[4 * a + 2]);
        float ay1 = __fadd_rn(sy, cell[4 * a + 3]);
        size_t plane = static_cast<size_t>(height) * width;
        size_t at = static_cast<size_t>(y) * width + x;
        float d[4];
        for (int c = 0; c < 4; c++) d[c] = deltas[(static_cast<size_t>(a) * 4 + c) * plane + at];
        decode(d, ax0, ay0, ax1, ay1, p, out_boxes + 4 * static_cast<size_t>(j));
        out_scores[j] = scores[idx];
        out_levels[j] = level;
    }
}

bool positive_finite(float v) { return v > 0.0f && v <= 3.402823466e38f; }

}  // namespace
}  // namespace maskrt

using namespace maskrt;

extern "C" {

maskrt_status maskrt_apply_deltas(const float* d_deltas, const float* d_boxes, int n, float wx, float wy, float ww,
                                  float wh, float scale_clamp, int clip_height, int clip_width, float* d_out,
                                  cudaStream_t stream) {
    MASKRT_REQUIRE(n >= 0);
    MASKRT_REQUIRE(positive_finite(wx) && positive_finite(wy) && positive_finite(ww) && positive_finite(wh));
    MASKRT_REQUIRE(scale_clamp == scale_clamp);
    if (n == 0) return MASKRT_OK;
    MASKRT_REQUIRE(d_deltas != nullptr && d_boxes != nullptr && d_out != nullptr);
    DeltaWeights p{wx, wy, ww, wh, scale_clamp};
    apply_deltas_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(d_deltas, d_boxes, n, p, clip_height, clip_width,
                                                                 d_out);
    return launch_status();
}

maskrt_status maskrt_clip_boxes(float* d_boxes, int n, int image_height, int image_width, cudaStream_t stream) {
    MASKRT_REQUIRE(n >= 0 && image_height >= 0 && image_width >= 0);
    if (n == 0) return MASKRT_OK;
    MASKRT_REQUIRE(d_boxes != nullptr);
    clip_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(d_boxes, n, static_cast<float>(image_height),
                                                         static_cast<float>(image_width));
    return launch_status();
}

maskrt_status maskrt_box_filter(const float* d_boxes, const float* d_scores, int n, int require_finite,
                                float min_size, uint8_t* d_keep, cudaStream_t stream) {
    MASKRT_REQUIRE(n >= 0 && min_size == min_size && min_size <= 3.402823466e38f);
    if (n == 0) return MASKRT_OK;
    MASKRT_REQUIRE(d_boxes != nullptr && d_keep != nullptr);
    filter_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(d_boxes, d_scores, n, require_finite != 0, min_size,
                                                           d_keep);
    return launch_status();
}

maskrt_status maskrt_rpn_level_scratch_bytes(int anchors, size_t* h_bytes) {
    MASKRT_REQUIRE(anchors >= 0 && h_bytes != nullptr);
    size_t m = static_cast<size_t>(anchors < 1 ? 1 : anchors);
    *h_bytes = align_up(m * sizeof(float)) + align_up(m * sizeof(int)) + rank_sort_scratch_bytes(anchors);
    return MASKRT_OK;
}

maskrt_status maskrt_rpn_level(const float* d_logits, const float* d_deltas, int height, int width, int num_anchors,
                               const float* d_cell_anchors, int stride, double offset, int pre_nms_topk,
                               float scale_clamp, int level, float* d_out_boxes, float* d_out_scores,
                               int* d_out_levels, void* d_scratch, size_t scratch_bytes, cudaStream_t stream) {
    MASKRT_REQUIRE(height >= 0 && width >= 0 && num_anchors >= 1 && stride >= 1 && pre_nms_topk >= 0);
    MASKRT_REQUIRE(offset >= 0.0 && offset < 1.0 && scale_clamp == scale_clamp);
    long long anchors = static_cast<long long>(height) * width * num_anchors;
    MASKRT_REQUIRE(anchors <= 0x7fffffffLL);
    int n = static_cast<int>(anchors);
    int m = pre_nms_topk < n ? pre_nms_topk : n;
    if (m == 0) return MASKRT_OK;
    MASKRT_REQUIRE(d_logits != nullptr && d_deltas != nullptr && d_cell_anchors != nullptr && d_out_boxes != nullptr
                   && d_out_scores != nullptr && d_out_levels != nullptr);
    size_t needed;
    maskrt_rpn_level_scratch_bytes(n, &needed);
    if (d_scratch == nullptr || scratch_bytes < needed) return MASKRT_ERROR_SCRATCH_TOO_SMALL;
    char* p = static_cast<char*>(d_scratch);
    float* scores = reinterpret_cast<float*>(p);
    p += align_up(static_cast<size_t>(n) * sizeof(float));
    int* order = reinterpret_cast<int*>(p);
    p += align_up(static_cast<size_t>(n) * sizeof(int));
    permute_logits_kernel<<<blocks_for(n, 256), 256, 0, stream>>>(d_logits, height * width, num_anchors, scores);
    MASKRT_RETURN_IF_ERROR(launch_status());
    MASKRT_RETURN_IF_ERROR(rank_sort(scores, nullptr, n, order, p, rank_sort_scratch_bytes(n), stream));
    DeltaWeights w{1.0f, 1.0f, 1.0f, 1.0f, scale_clamp};
    rpn_decode_kernel<<<blocks_for(m, 256), 256, 0, stream>>>(scores, d_deltas, order, m, height, width, num_anchors,
                                                               d_cell_anchors, stride, offset, w, level, d_out_boxes,
                                                               d_out_scores, d_out_levels);
    return launch_status();
}

}  // extern "C"
