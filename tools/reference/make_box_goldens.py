#!/usr/bin/python3
"""Writes the golden data of maskrt's box ops to maskrt/src/test/resources/ops/boxes/*.npz.

References (torch 1.13 / torchvision 0.14, CPU, float32):
  anchors.npz       detectron2 DefaultAnchorGenerator (generate_cell_anchors, _create_grid_offsets, _grid_anchors),
                    written out here in torch exactly as detectron2 computes them (detectron2 is not installed).
  deltas.npz        detectron2 Box2BoxTransform.apply_deltas (class-agnostic [R, 4]), same transcription.
  clip.npz          detectron2 Boxes.clip, Boxes.nonempty and the finite filter of find_top_rpn_proposals.
  nms.npz           torchvision.ops.nms on hand-made edge cases and thousands of random boxes.
  batched_nms.npz   torchvision.ops.batched_nms and both of its internal paths (per-class loop and the
                    coordinate-offset trick), with a constructed case where the two paths disagree.
  topk.npz          torch.topk (the call detectron2's find_top_rpn_proposals makes) and a stable sort.
  onnx_nms.npz      the ONNX NonMaxSuppression node tests, converted from their protobuf test data.

Arrays are named "<case>__<field>"; every case lists its fields. Run: /usr/bin/python3 tools/reference/make_box_goldens.py
"""
import glob
import math
import os

import numpy as np
import torch
import torchvision
from torchvision.ops import boxes as box_ops

torch.set_num_threads(2)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
OUT = os.path.join(ROOT, "maskrt/src/test/resources/ops/boxes")
ONNX_NODE_DIR = "/tmp/onnxtd/usr/share/libonnx-testdata/data/node"
f32 = np.float32


def save(name, cases):
    arrays = {}
    for case, fields in cases.items():
        for field, value in fields.items():
            arrays[case + "__" + field] = np.asarray(value)
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, name), **arrays)
    print("wrote", name, len(cases), "cases")


# ---------------------------------------------------------------- anchors (detectron2 anchor_generator.py)
def d2_cell_anchors(sizes, aspect_ratios):
    anchors = []
    for size in sizes:  # sizes outer, ratios inner, Python double arithmetic, then float32
        area = size ** 2.0
        for aspect_ratio in aspect_ratios:
            w = math.sqrt(area / aspect_ratio)
            h = aspect_ratio * w
            anchors.append([-w / 2.0, -h / 2.0, w / 2.0, h / 2.0])
    return torch.tensor(anchors).float()


def d2_grid_anchors(grid_h, grid_w, stride, offset, cell):
    shifts_x = torch.arange(offset * stride, grid_w * stride, step=stride, dtype=torch.float32)
    shifts_y = torch.arange(offset * stride, grid_h * stride, step=stride, dtype=torch.float32)
    shift_y, shift_x = torch.meshgrid(shifts_y, shifts_x, indexing="ij")
    shift_x = shift_x.reshape(-1)
    shift_y = shift_y.reshape(-1)
    shifts = torch.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
    return (shifts.view(-1, 1, 4) + cell.view(1, -1, 4)).reshape(-1, 4)


def anchors():
    cases = {}
    specs = [
        ("p2", [32.0], [0.5, 1.0, 2.0], 7, 9, 4, 0.0),
        ("p6", [512.0], [0.5, 1.0, 2.0], 3, 5, 64, 0.0),
        ("half_offset", [32.0, 40.3], [0.5, 1.0, 2.0], 4, 3, 8, 0.5),
        ("odd", [24.5, 100.0, 7.0], [0.25, 1.0, 3.3, 0.1], 2, 6, 7, 0.3),
        ("far", [32.0], [0.7], 2, 3, 1000, 0.9),
        ("single", [16.0], [1.0], 1, 1, 16, 0.0),
        ("empty_grid", [32.0], [0.5, 1.0, 2.0], 0, 5, 4, 0.0),
    ]
    for name, sizes, ratios, gh, gw, stride, offset in specs:
        cell = d2_cell_anchors(sizes, ratios)
        grid = d2_grid_anchors(gh, gw, stride, offset, cell)
        cases[name] = dict(sizes=np.array(sizes, np.float64), ratios=np.array(ratios, np.float64),
                           grid=np.array([gh, gw, stride], np.int32), offset=np.float64(offset),
                           cell=cell.numpy(), anchors=grid.numpy())
    return cases


# ---------------------------------------------------------------- apply_deltas (detectron2 box_regression.py)
SCALE_CLAMP = math.log(1000.0 / 16)


def d2_apply_deltas(deltas, boxes, weights, scale_clamp=SCALE_CLAMP):
    deltas = deltas.float()
    boxes = boxes.to(deltas.dtype)
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    ctr_x = boxes[:, 0] + 0.5 * widths
    ctr_y = boxes[:, 1] + 0.5 * heights
    wx, wy, ww, wh = weights
    dx = deltas[:, 0::4] / wx
    dy = deltas[:, 1::4] / wy
    dw = deltas[:, 2::4] / ww
    dh = deltas[:, 3::4] / wh
    dw = torch.clamp(dw, max=scale_clamp)
    dh = torch.clamp(dh, max=scale_clamp)
    pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
    pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
    pred_w = torch.exp(dw) * widths[:, None]
    pred_h = torch.exp(dh) * heights[:, None]
    x1 = pred_ctr_x - 0.5 * pred_w
    y1 = pred_ctr_y - 0.5 * pred_h
    x2 = pred_ctr_x + 0.5 * pred_w
    y2 = pred_ctr_y + 0.5 * pred_h
    return torch.stack((x1, y1, x2, y2), dim=-1).reshape(deltas.shape)


def random_boxes(gen, n, height=800.0, width=1344.0, min_size=16.0, max_size=512.0):
    """RPN-like boxes: centres uniform over the image, side log-uniform in [min_size, max_size], ratio 0.5..2."""
    size = torch.exp(torch.empty(n).uniform_(math.log(min_size), math.log(max_size), generator=gen))
    ratio = torch.exp(torch.empty(n).uniform_(math.log(0.5), math.log(2.0), generator=gen))
    w = size / torch.sqrt(ratio)
    h = size * torch.sqrt(ratio)
    cx = torch.rand(n, generator=gen) * width
    cy = torch.rand(n, generator=gen) * height
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=1).float()


def deltas():
    gen = torch.Generator().manual_seed(1)
    cases = {}
    n = 3000
    boxes = random_boxes(gen, n)
    normal = torch.randn(n, 4, generator=gen) * 0.5
    for weights in [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0), (20.0, 20.0, 10.0, 10.0), (30.0, 30.0, 15.0, 15.0)]:
        name = "random_w%d" % weights[0]
        cases[name] = dict(boxes=boxes.numpy(), deltas=normal.numpy(), weights=np.array(weights, f32),
                           scale_clamp=f32(SCALE_CLAMP), out=d2_apply_deltas(normal, boxes, weights).numpy())
    # edge cases: huge deltas hitting the clamp, very negative sizes, zero-area / inverted boxes, non-finite deltas
    inf, nan = float("inf"), float("nan")
    eb = torch.tensor([[10, 20, 50, 80], [10, 20, 50, 80], [10, 20, 50, 80], [10, 20, 50, 80],
                       [5, 5, 5, 5], [30, 30, 10, 10], [0, 0, 1e-3, 1e-3], [1000, 700, 1344, 800],
                       [10, 20, 50, 80], [10, 20, 50, 80], [10, 20, 50, 80], [-5, -7, 3, 2],
                       [10, 20, 50, 80], [0.1, 0.2, 0.3, 0.4]], dtype=torch.float32)
    ed = torch.tensor([[0, 0, 100, 100], [0, 0, 4.135166556742356, 4.2], [0, 0, -100, -200], [1e30, -1e30, 0, 0],
                       [3, 4, 5, 6], [0.5, -0.5, 1, 2], [0, 0, 20, 20], [-0.1, 0.3, 0.05, -2],
                       [inf, 0, 0, 0], [0, 0, inf, -inf], [nan, 0, 0, nan], [1.5, 2.5, 3.5, 4.5],
                       [0, 0, 4.1351666, 4.1351667], [-1e-7, 1e-7, -1e-40, 1e-40]], dtype=torch.float32)
    for weights in [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)]:
        cases["edge_w%d" % weights[0]] = dict(boxes=eb.numpy(), deltas=ed.numpy(), weights=np.array(weights, f32),
                                              scale_clamp=f32(SCALE_CLAMP), out=d2_apply_deltas(ed, eb, weights).numpy())
    cases["small_clamp"] = dict(boxes=eb.numpy(), deltas=ed.numpy(), weights=np.array([1, 1, 1, 1], f32),
                                scale_clamp=f32(0.5), out=d2_apply_deltas(ed, eb, (1.0, 1.0, 1.0, 1.0), 0.5).numpy())
    cases["empty"] = dict(boxes=np.zeros((0, 4), f32), deltas=np.zeros((0, 4), f32), weights=np.ones(4, f32),
                          scale_clamp=f32(SCALE_CLAMP), out=np.zeros((0, 4), f32))
    return cases


# ---------------------------------------------------------------- clip / nonempty / finite (detectron2 boxes.py, proposal_utils.py)
def clip_cases():
    gen = torch.Generator().manual_seed(2)
    cases = {}
    b = random_boxes(gen, 2000) * 1.3 - 100  # many boxes leave the image on every side
    extra = torch.tensor([[-1e9, -1e9, 1e9, 1e9], [-0.0, -0.0, 0.0, 0.0], [700, 500, 650, 450], [10, 10, 10, 10],
                          [3, 4, 3.5, 4.00001], [799.9, 1343.9, 800.1, 1344.1]], dtype=torch.float32)
    b = torch.cat([b, extra])
    for h, w in [(800, 1344), (37, 53), (1, 1)]:
        t = b.clone()
        x1 = t[:, 0].clamp(min=0, max=w)
        y1 = t[:, 1].clamp(min=0, max=h)
        x2 = t[:, 2].clamp(min=0, max=w)
        y2 = t[:, 3].clamp(min=0, max=h)
        clipped = torch.stack((x1, y1, x2, y2), dim=-1)
        case = dict(boxes=b.numpy(), size=np.array([h, w], np.int32), clipped=clipped.numpy())
        widths = clipped[:, 2] - clipped[:, 0]
        heights = clipped[:, 3] - clipped[:, 1]
        for i, thr in enumerate([0.0, 1.5, 16.0]):
            keep = (widths > thr) & (heights > thr)
            case["nonempty%d_threshold" % i] = f32(thr)
            case["nonempty%d" % i] = torch.where(keep)[0].numpy().astype(np.int32)
        cases["clip_%dx%d" % (h, w)] = case
    inf, nan = float("inf"), float("nan")
    fb = torch.tensor([[0, 0, 1, 1], [0, nan, 1, 1], [0, 0, inf, 1], [0, 0, 1, 1], [-inf, 0, 1, 1], [2, 2, 3, 3]],
                      dtype=torch.float32)
    fs = torch.tensor([0.5, 0.5, 0.5, nan, 0.1, -inf], dtype=torch.float32)
    valid = torch.isfinite(fb).all(dim=1) & torch.isfinite(fs)
    cases["finite"] = dict(boxes=fb.numpy(), scores=fs.numpy(), keep=torch.where(valid)[0].numpy().astype(np.int32))
    return cases


# ---------------------------------------------------------------- nms (torchvision ops)
def nms_case(boxes, scores, thr):
    b = torch.as_tensor(np.asarray(boxes, f32)).reshape(-1, 4)
    s = torch.as_tensor(np.asarray(scores, f32))
    keep = torchvision.ops.nms(b, s, thr)
    return dict(boxes=b.numpy(), scores=s.numpy(), threshold=np.float64(thr), keep=keep.numpy().astype(np.int32))


def nms_cases():
    gen = torch.Generator().manual_seed(3)
    cases = {}
    # IoU exactly 0.5 (inter 2, union 4): kept at threshold 0.5, suppressed just below
    half = [[0, 0, 3, 1], [1, 0, 4, 1]]
    cases["iou_exactly_half_at_0.5"] = nms_case(half, [0.9, 0.8], 0.5)
    cases["iou_exactly_half_at_0.4999"] = nms_case(half, [0.9, 0.8], 0.4999)
    # IoU 3/10 rounds up to float 0.3000000119 > 0.3 (double): torchvision suppresses at threshold 0.3
    cases["iou_float_rounds_above_0.3"] = nms_case([[0, 0, 10, 1], [0, 0, 3, 1]], [0.9, 0.8], 0.3)
    # IoU 7/10 rounds down to float 0.69999999 < 0.7 (double): kept at threshold 0.7
    cases["iou_float_rounds_below_0.7"] = nms_case([[0, 0, 10, 1], [0, 0, 7, 1]], [0.9, 0.8], 0.7)
    # equal scores: the stable descending sort keeps the lower index first
    cases["equal_scores"] = nms_case([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60],
                                      [50, 50, 60, 61]], [0.5, 0.5, 0.5, 0.5, 0.5], 0.5)
    cases["equal_scores_chain"] = nms_case([[0, 0, 10, 10], [3, 0, 13, 10], [6, 0, 16, 10], [9, 0, 19, 10]],
                                           [0.7, 0.7, 0.7, 0.7], 0.3)
    cases["signed_zero_scores"] = nms_case([[0, 0, 1, 1], [5, 5, 6, 6], [0, 0, 1, 1]], [-0.0, 0.0, 0.0], 0.5)
    cases["empty"] = nms_case(np.zeros((0, 4), f32), np.zeros(0, f32), 0.5)
    cases["single"] = nms_case([[1, 2, 3, 4]], [0.1], 0.5)
    # zero-area boxes (0/0 IoU is NaN: never suppresses), inverted boxes (negative area)
    cases["zero_area"] = nms_case([[5, 5, 5, 5], [5, 5, 5, 5], [0, 0, 0, 10], [0, 0, 10, 10]], [0.9, 0.8, 0.7, 0.6], 0.1)
    cases["inverted"] = nms_case([[10, 10, 0, 0], [0, 0, 10, 10], [2, 2, 8, 8], [8, 8, 2, 2], [0, 0, 10, 9]],
                                 [0.9, 0.8, 0.7, 0.6, 0.5], 0.5)
    cases["negative_and_infinite_scores"] = nms_case([[0, 0, 10, 10], [0, 0, 10, 9], [0, 0, 9, 10], [20, 20, 30, 30]],
                                                     [-1.0, float("inf"), float("-inf"), -5.0], 0.5)
    cases["threshold_zero"] = nms_case([[0, 0, 10, 10], [9, 9, 20, 20], [10, 0, 20, 10], [30, 30, 31, 31]],
                                       [0.9, 0.8, 0.7, 0.6], 0.0)
    cases["threshold_one"] = nms_case([[0, 0, 10, 10], [0, 0, 10, 10]], [0.9, 0.8], 1.0)
    for n in [1000, 4000]:
        b = random_boxes(gen, n)
        s = torch.rand(n, generator=gen)
        for thr in [0.3, 0.5, 0.7, 0.9]:
            cases["random%d_%s" % (n, thr)] = nms_case(b, s, thr)
    # integer coordinates and scores with many ties: IoUs and ranks collide often
    b = torch.randint(0, 60, (3000, 2), generator=gen).float()
    wh = torch.randint(0, 25, (3000, 2), generator=gen).float()
    bq = torch.cat([b, b + wh], dim=1)
    sq = torch.randint(0, 20, (3000,), generator=gen).float() / 20
    for thr in [0.0, 0.25, 0.5, 0.75]:
        cases["quantized3000_%s" % thr] = nms_case(bq, sq, thr)
    return cases


def batched_case(boxes, scores, idxs, thr):
    b = torch.as_tensor(np.asarray(boxes, f32)).reshape(-1, 4)
    s = torch.as_tensor(np.asarray(scores, f32))
    g = torch.as_tensor(np.asarray(idxs, np.int64))
    public = box_ops.batched_nms(b, s, g, thr)
    vanilla = box_ops._batched_nms_vanilla(b, s, g, thr)
    trick = box_ops._batched_nms_coordinate_trick(b, s, g, thr)
    return dict(boxes=b.numpy(), scores=s.numpy(), groups=g.numpy().astype(np.int32), threshold=np.float64(thr),
                keep=public.numpy().astype(np.int32), vanilla=vanilla.numpy().astype(np.int32),
                trick=trick.numpy().astype(np.int32),
                public_uses_vanilla=np.bool_(b.numel() > 4000))


def batched_cases():
    gen = torch.Generator().manual_seed(4)
    cases = {}
    cases["empty"] = batched_case(np.zeros((0, 4), f32), np.zeros(0, f32), np.zeros(0, np.int64), 0.5)
    # identical boxes in different groups never suppress each other; group ids need not be contiguous
    cases["groups_apart"] = batched_case([[0, 0, 10, 10]] * 4 + [[1, 1, 10, 10]], [0.9, 0.8, 0.7, 0.6, 0.95],
                                         [0, 7, 0, -3, 7], 0.5)
    for n, groups, thr in [(500, 3, 0.5), (1000, 3, 0.7), (3000, 3, 0.5), (4000, 3, 0.5), (3000, 80, 0.5),
                           (4000, 5, 0.7)]:
        b = random_boxes(gen, n)
        s = torch.rand(n, generator=gen)
        g = torch.randint(0, groups, (n,), generator=gen)
        cases["random%d_g%d_%s" % (n, groups, thr)] = batched_case(b, s, g, thr)
    # quantized scores: many ties in the final descending sort
    b = random_boxes(gen, 2500)
    s = torch.randint(0, 10, (2500,), generator=gen).float() / 10
    g = torch.randint(0, 4, (2500,), generator=gen)
    cases["tied_scores2500_g4_0.5"] = batched_case(b, s, g, 0.5)
    # The coordinate trick adds idx * (max + 1) to every coordinate; with large offsets the float IoU of
    # two boxes of a high class is computed on rounded coordinates. Search (seeded) for pairs where the
    # trick flips the decision, and record them: maskrt promises the exact per-group IoU (vanilla).
    found = []
    pairs_gen = torch.Generator().manual_seed(5)
    for attempt in range(20000):
        base = torch.rand(2, generator=pairs_gen) * 1000
        w = 1 + torch.rand(1, generator=pairs_gen) * 3
        shift = torch.rand(1, generator=pairs_gen) * w
        a = torch.cat([base, base + w])
        c = torch.stack([base[0] + shift[0], base[1], base[0] + shift[0] + w[0], base[1] + w[0]])
        boxes = torch.stack([a, c, torch.tensor([0.0, 0.0, 2000.0, 2000.0])])  # third box sets max_coordinate
        gid = torch.tensor([60, 60, 0])
        sc = torch.tensor([0.9, 0.8, 0.1])
        v = box_ops._batched_nms_vanilla(boxes, sc, gid, 0.5)
        t = box_ops._batched_nms_coordinate_trick(boxes, sc, gid, 0.5)
        if not torch.equal(v, t):
            found.append((boxes, sc, gid))
            if len(found) == 4:
                break
    assert found, "no case found where the coordinate trick differs"
    for i, (bx, sc, gid) in enumerate(found):
        case = batched_case(bx, sc, gid, 0.5)
        assert not np.array_equal(case["vanilla"], case["trick"])
        cases["trick_differs_%d" % i] = case
    return cases


# ---------------------------------------------------------------- topk (detectron2 find_top_rpn_proposals)
def topk_cases():
    gen = torch.Generator().manual_seed(6)
    cases = {}
    for name, scores, k in [
        ("random", torch.randn(20000, generator=gen), 1000),
        ("small_k", torch.randn(5000, generator=gen), 10),
        ("k_equals_n", torch.randn(300, generator=gen), 300),
        ("ties", torch.randint(0, 50, (4000,), generator=gen).float(), 1000),
        ("infinite", torch.tensor([1.0, float("inf"), -float("inf"), 0.0, -0.0, 3.0]), 4),
        ("empty", torch.zeros(0), 0),
    ]:
        values, indices = torch.topk(scores, k)
        stable = torch.sort(scores, descending=True, stable=True)[1][:k]
        cases[name] = dict(scores=scores.numpy().astype(f32), k=np.int32(k), values=values.numpy(),
                           indices=indices.numpy().astype(np.int32), stable=stable.numpy().astype(np.int32))
    return cases


# ---------------------------------------------------------------- ONNX NonMaxSuppression node tests
def onnx_cases():
    import onnx
    from onnx import numpy_helper
    cases = {}
    for d in sorted(glob.glob(os.path.join(ONNX_NODE_DIR, "test_nonmaxsuppression_*"))):
        name = os.path.basename(d)[len("test_nonmaxsuppression_"):]
        model = onnx.load(os.path.join(d, "model.onnx"))
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in model.graph.node[0].attribute}
        tensors = []
        for i in range(6):
            f = os.path.join(d, "test_data_set_0", "input_%d.pb" % i)
            if os.path.exists(f):
                t = onnx.TensorProto()
                with open(f, "rb") as fh:
                    t.ParseFromString(fh.read())
                tensors.append(numpy_helper.to_array(t))
        t = onnx.TensorProto()
        with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "rb") as fh:
            t.ParseFromString(fh.read())
        expected = numpy_helper.to_array(t)
        boxes, scores, max_out, iou, score_thr = tensors
        cases[name] = dict(boxes=boxes.astype(f32), scores=scores.astype(f32),
                           max_output_boxes_per_class=np.int32(max_out.reshape(-1)[0]),
                           iou_threshold=f32(iou.reshape(-1)[0]), score_threshold=f32(score_thr.reshape(-1)[0]),
                           center_point_box=np.int32(attrs.get("center_point_box", 0)),
                           selected=expected.astype(np.int32).reshape(-1, 3))
    return cases


if __name__ == "__main__":
    save("anchors.npz", anchors())
    save("deltas.npz", deltas())
    save("clip.npz", clip_cases())
    save("nms.npz", nms_cases())
    save("batched_nms.npz", batched_cases())
    save("topk.npz", topk_cases())
    save("onnx_nms.npz", onnx_cases())
