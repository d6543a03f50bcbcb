/*
 * maskrt_cuda_rpn.h: the device-side RPN step of one image and one level. Not part of the Java binding
 * (dev.maskrt.ops.cuda.CudaNative binds exactly maskrt_cuda.h): the pipeline's proposals still run on the host ops
 * (cascade.ProposalGenerator). The kernel is kept because it is the first step of the all-device pipeline and is
 * checked on a GPU by test/golden_driver.cu (check_rpn_level, against a host reference); it moves into
 * maskrt_cuda.h, with its binding, when that pipeline uses it. Conventions as in maskrt_cuda.h.
 */
#ifndef MASKRT_CUDA_RPN_H
#define MASKRT_CUDA_RPN_H

#include "maskrt_cuda.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scratch for maskrt_rpn_level over a level of anchors = height * width * num_anchors. */
maskrt_status maskrt_rpn_level_scratch_bytes(int anchors, size_t* h_bytes);
/*
 * detectron2 find_top_rpn_proposals for one level of one image, up to the concatenation: ranks the level's
 * objectness logits (d_logits [A, H, W], anchor order (H, W, A)), keeps the top min(pre_nms_topk, H*W*A),
 * makes their anchors on the device (DefaultAnchorGenerator: cell anchors d_cell_anchors[4A] shifted by
 * float(offset * stride + x * stride)), decodes d_deltas [A*4, H, W] with weights (1, 1, 1, 1) and
 * scale_clamp, and writes d_out_boxes[4m], d_out_scores[m], d_out_levels[m] = level (m = min(k, H*W*A)).
 * Then clip, maskrt_box_filter and maskrt_nms with the levels as groups finish the proposals.
 */
maskrt_status maskrt_rpn_level(const float* d_logits, const float* d_deltas, int height, int width, int num_anchors,
                               const float* d_cell_anchors, int stride, double offset, int pre_nms_topk,
                               float scale_clamp, int level, float* d_out_boxes, float* d_out_scores,
                               int* d_out_levels, void* d_scratch, size_t scratch_bytes, cudaStream_t stream);

#ifdef __cplusplus
}
#endif
#endif /* MASKRT_CUDA_RPN_H */
