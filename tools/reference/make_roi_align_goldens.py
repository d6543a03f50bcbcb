#!/usr/bin/python3
"""Writes the RoIAlign goldens under maskrt/src/test/resources/ops/roialign/ (run with Debian's /usr/bin/python3).

single.npz      torchvision.ops.roi_align on one feature map (batch 2), aligned True/False, sampling ratios
                0 (adaptive), 1, 2, 3, outputs 7x7, 14x14 and 3x5, over hand-placed nasty RoIs plus random ones.
multi.npz       multi-level pooling over p2..p5 (batch 2):
                  d2_*  detectron2's ROIPooler (ROIAlignV2), written out in torch below: assign_boxes_to_levels
                        with the legacy eps 1e-8 and the recent sys.float_info.epsilon, then roi_align per level
                  tv_*  torchvision.ops.MultiScaleRoIAlign itself (aligned=False, its own LevelMapper)
                  mm_*  mmdetection's SingleRoIExtractor.map_roi_levels (finest_scale 56) + aligned roi_align
levels.npz      the three level mappings alone, for boxes placed right at level boundaries.
onnx.npz        the ONNX node tests test_roialign_aligned_true / _false (inputs, expected output, attributes).

Every case key is "<case>_out" with its settings in "<case>_params" = [outH, outW, sampling, aligned].
"""
import os
import sys

import numpy as np
import torch
import torchvision
from torchvision.ops import MultiScaleRoIAlign, roi_align

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../maskrt/src/test/resources/ops/roialign")
ONNX_NODE = "/tmp/onnxtd/usr/share/libonnx-testdata/data/node"

torch.set_num_threads(1)
gen = torch.Generator().manual_seed(20261122)


def randn(*shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float32)


def rois_tensor(boxes, batch_index):
    b = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    return torch.cat([torch.tensor(batch_index, dtype=torch.float32)[:, None], b], dim=1)


def nasty_boxes(img_w, img_h):
    """Hand-placed RoIs in image pixels: borders, beyond borders, tiny, huge, empty, inverted."""
    return [
        [8.0, 6.0, 40.0, 30.0],  # ordinary
        [0.0, 0.0, img_w, img_h],  # the whole image, edges exactly on the border
        [-20.0, -12.0, img_w + 16.0, img_h + 9.0],  # beyond every border
        [img_w - 3.0, img_h - 2.0, img_w + 30.0, img_h + 30.0],  # mostly beyond the bottom-right corner
        [img_w + 10.0, 5.0, img_w + 40.0, 20.0],  # entirely right of the map (samples x > width)
        [-40.0, -40.0, -6.0, -5.0],  # entirely above-left (samples < -1 feature px)
        [-3.0, -2.0, 12.0, 9.0],  # samples in (-1, 0]: clamped to 0
        [10.0, 10.0, 11.0, 11.0],  # 1 image pixel
        [4.0, 4.0, 8.0, 8.0],  # 1 feature pixel at stride 4
        [5.3, 7.1, 5.4, 7.2],  # sub-pixel
        [-500.0, -400.0, 900.0, 800.0],  # far bigger than the image
        [20.0, 20.0, 20.0, 20.0],  # zero area
        [20.0, 5.0, 20.0, 30.0],  # zero width
        [30.0, 30.0, 10.0, 10.0],  # inverted
        [30.0, 10.0, 26.0, 30.0],  # x inverted only (by 1 feature px, see below)
        [60.0, 50.0, 10.0, 10.0],  # inverted a lot both ways
        [0.0, img_h - 1.0, img_w, img_h],  # last image row
        [img_w - 0.5, 0.0, img_w, img_h],  # last half column
        [2.5, 3.25, 61.75, 47.5],  # fractional
        [12.0, 0.0, 13.0, img_h],  # 1 px wide, full height
    ]


def single_level():
    n, c, h, w, scale = 2, 3, 13, 17, 0.25
    img_w, img_h = w / scale, h / scale  # 68 x 52
    features = randn(n, c, h, w)
    boxes = nasty_boxes(img_w, img_h)
    batch = [i % 2 for i in range(len(boxes))]
    # random RoIs: corners anywhere from well outside to well inside; the second half inverted both ways.
    # (torchvision fails on an aligned RoI inverted along one axis by more than a bin with sampling 0: its
    # sample grid is negative along that axis only, and it sizes a vector by the product. maskrt pools such a
    # RoI to zeros, tested by hand in Java.)
    k = 24
    x = torch.rand(k, 2, generator=gen) * (img_w + 40) - 20
    y = torch.rand(k, 2, generator=gen) * (img_h + 40) - 20
    lo_x, hi_x = x.min(1).values, x.max(1).values
    lo_y, hi_y = y.min(1).values, y.max(1).values
    rnd = torch.stack([lo_x, lo_y, hi_x, hi_y], dim=1)
    rnd[k // 2:] = torch.stack([hi_x, hi_y, lo_x, lo_y], dim=1)[k // 2:]
    boxes += rnd.tolist()
    batch += torch.randint(0, 2, (k,), generator=gen).tolist()
    rois = rois_tensor(boxes, batch)
    data = {"features": features.numpy(), "spatial_scale": np.array(scale, np.float32),
            "rois": rois[:, 1:].numpy(), "batch_index": np.array(batch, np.int32)}
    case = 0
    for aligned in (True, False):
        for sampling in (0, 1, 2, 3):
            for out_h, out_w in ((7, 7), (14, 14), (3, 5)):
                if (out_h, out_w) == (14, 14) and sampling in (1, 3):
                    continue  # keep the archive small; 14x14 is covered with 0 and 2
                out = roi_align(features, rois, (out_h, out_w), scale, sampling, aligned)
                key = "c%02d" % case
                data[key + "_out"] = out.numpy()
                data[key + "_params"] = np.array([out_h, out_w, sampling, int(aligned)], np.int32)
                case += 1
    # a second map with scale 1 and a 1-row, 1-column feature map: clamping at height - 1 == 0
    thin = randn(1, 2, 1, 6)
    thin_boxes = [[0.0, 0.0, 6.0, 1.0], [-1.0, -1.0, 2.0, 2.0], [2.0, 0.5, 5.5, 0.75], [0.0, -3.0, 6.0, 4.0]]
    thin_rois = rois_tensor(thin_boxes, [0] * len(thin_boxes))
    data["thin_features"] = thin.numpy()
    data["thin_rois"] = thin_rois[:, 1:].numpy()
    for aligned in (True, False):
        data["thin%d_out" % aligned] = roi_align(thin, thin_rois, (2, 3), 1.0, 0, aligned).numpy()
    np.savez_compressed(os.path.join(OUT, "single.npz"), **data)
    print("single.npz:", case, "cases,", len(boxes), "RoIs")


# ---- multi-level ----------------------------------------------------------------------------------------

IMG_H, IMG_W = 128, 160


def pyramid():
    # p2..p5 of a 128 x 160 image, batch 2
    return [randn(2, 4, IMG_H >> k, IMG_W >> k) for k in (2, 3, 4, 5)]


def multi_boxes():
    boxes, batch = [], []

    def square(cx, cy, side, b):
        boxes.append([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2])
        batch.append(b)

    # sizes across the levels and right at their boundaries (112, 224, 448 with eps 1e-8 / 1e-6)
    for i, side in enumerate([4.0, 16.0, 40.0, 111.9, 112.0, 112.1, 150.0, 223.99, 224.0, 224.01, 300.0,
                              447.9, 448.0, 600.0, 2000.0]):
        square(60.0 + 3 * i, 50.0 + 2 * i, side, i % 2)
    boxes += [[20.0, 20.0, 20.0, 20.0],  # zero area: finest level
              [30.0, 10.0, 10.0, 30.0],  # negative area: NaN size, no level, zeros
              [50.0, 40.0, 20.0, 10.0],  # inverted both ways: positive area
              [-30.0, -30.0, 190.0, 150.0],  # bigger than the image
              [0.0, 0.0, 160.0, 128.0],
              [150.0, 120.0, 170.0, 140.0]]  # over the corner
    batch += [0, 1, 1, 0, 1, 1]
    # random proposals, log-uniform sizes 8..400, centres inside the image
    k = 30
    size = torch.exp(torch.empty(k, 2).uniform_(np.log(8), np.log(400), generator=gen))
    cx = torch.rand(k, generator=gen) * IMG_W
    cy = torch.rand(k, generator=gen) * IMG_H
    rnd = torch.stack([cx - size[:, 0] / 2, cy - size[:, 1] / 2, cx + size[:, 0] / 2, cy + size[:, 1] / 2], 1)
    boxes += rnd.tolist()
    batch += torch.randint(0, 2, (k,), generator=gen).tolist()
    return boxes, batch


def detectron2_levels(boxes, min_level, max_level, eps, canonical_box_size=224, canonical_level=4):
    """detectron2.modeling.poolers.assign_boxes_to_levels (Boxes.area() = (x1 - x0) * (y1 - y0))."""
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    box_sizes = torch.sqrt(area)
    level = torch.floor(canonical_level + torch.log2(box_sizes / canonical_box_size + eps))
    level = torch.clamp(level, min=min_level, max=max_level)
    return level.to(torch.int64) - min_level


def mmdet_levels(boxes, num_levels, finest_scale=56):
    """mmdet SingleRoIExtractor.map_roi_levels."""
    scale = torch.sqrt((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    level = torch.floor(torch.log2(scale / finest_scale + 1e-6))
    return level.clamp(min=0, max=num_levels - 1).long()


def pool_by_levels(features, rois, level, out_size, sampling, aligned, scales):
    """detectron2 ROIPooler.forward / mmdet: zeros, then each level's roi_align scattered back."""
    out = torch.zeros(rois.shape[0], features[0].shape[1], *out_size)
    for lvl, (x, s) in enumerate(zip(features, scales)):
        inds = torch.nonzero(level == lvl, as_tuple=True)[0]
        out[inds] = roi_align(x, rois[inds], out_size, s, sampling, aligned)
    return out


def multi_level():
    feats = pyramid()
    scales = [0.25, 0.125, 0.0625, 0.03125]
    boxes, batch = multi_boxes()
    rois = rois_tensor(boxes, batch)
    data = {"p%d" % (i + 2): f.numpy() for i, f in enumerate(feats)}
    data["rois"] = rois[:, 1:].numpy()
    data["batch_index"] = np.array(batch, np.int32)
    b = rois[:, 1:]
    for name, eps in (("legacy", 1e-8), ("recent", sys.float_info.epsilon)):
        level = detectron2_levels(b, 2, 5, eps)
        for out_h, out_w in ((7, 7), (14, 14)):
            key = "d2_%s_%d" % (name, out_h)
            data[key + "_out"] = pool_by_levels(feats, rois, level, (out_h, out_w), 0, True, scales).numpy()
            data[key + "_params"] = np.array([out_h, out_w, 0, 1], np.int32)
    # detectron2 with a fixed sampling ratio and a non-square output
    level = detectron2_levels(b, 2, 5, 1e-8)
    data["d2_legacy_s2_out"] = pool_by_levels(feats, rois, level, (5, 3), 2, True, scales).numpy()
    data["d2_legacy_s2_params"] = np.array([5, 3, 2, 1], np.int32)
    # torchvision's own module; boxes per image in order, so sort the RoIs by image (stable)
    order = sorted(range(len(batch)), key=lambda i: batch[i])
    tv_rois = rois[order]
    data["tv_order"] = np.array(order, np.int32)
    for sampling in (2, 0):
        m = MultiScaleRoIAlign(["p2", "p3", "p4", "p5"], 7, sampling)
        x = {"p%d" % (i + 2): f for i, f in enumerate(feats)}
        per_image = [tv_rois[tv_rois[:, 0] == i, 1:] for i in range(2)]
        out = m(x, per_image, [(IMG_H, IMG_W)] * 2)
        data["tv_s%d_out" % sampling] = out.numpy()
        data["tv_s%d_params" % sampling] = np.array([7, 7, sampling, 0], np.int32)
    level = mmdet_levels(b, 4)
    data["mm_7_out"] = pool_by_levels(feats, rois, level, (7, 7), 0, True, scales).numpy()
    data["mm_7_params"] = np.array([7, 7, 0, 1], np.int32)
    # a single level: every RoI pooled from it, the mapping is not consulted
    data["one_out"] = roi_align(feats[1], rois, (7, 7), 0.125, 0, True).numpy()
    data["one_params"] = np.array([7, 7, 0, 1], np.int32)
    np.savez_compressed(os.path.join(OUT, "multi.npz"), **data)
    print("multi.npz:", len(boxes), "RoIs")


def tv_levels(boxes, k_min, k_max):
    """torchvision.ops.poolers.LevelMapper with its defaults."""
    from torchvision.ops.poolers import LevelMapper
    return LevelMapper(k_min, k_max)([boxes]) + k_min


def level_boundaries():
    sides = []
    for boundary in (3.5, 7.0, 14.0, 28.0, 56.0, 112.0, 224.0, 448.0, 896.0):
        x = np.float32(boundary)
        up, down = x, x
        for _ in range(6):
            sides += [up, down]
            up = np.nextafter(up, np.float32(np.inf))
            down = np.nextafter(down, np.float32(0))
        sides += [x * np.float32(1 + 1e-6), x * np.float32(1 - 1e-6), x * np.float32(1 + 1e-7), x * np.float32(1 - 1e-7)]
    sides += [0.0, 1e-3, 1.0, 3.0, 10.0, 5000.0, 1e6]
    boxes = [[0.0, 0.0, s, s] for s in sides]
    boxes += [[7.0, 3.0, 7.0 + s, 3.0 + s] for s in sides]  # offset corners: area rounds differently
    boxes += [[0.0, 0.0, 2 * s, s / 2] for s in sides[:40]]  # non-square, same area
    boxes += [[30.0, 10.0, 10.0, 30.0], [10.0, 10.0, 10.0, 10.0], [50.0, 40.0, 20.0, 10.0]]
    b = torch.tensor(np.array(boxes, np.float32))
    data = {"boxes": b.numpy()}
    for name, eps in (("legacy", 1e-8), ("recent", sys.float_info.epsilon)):
        data["d2_" + name] = (detectron2_levels(b, 2, 5, eps) + 2).numpy()
        data["d2_" + name + "_3to6"] = (detectron2_levels(b, 3, 6, eps) + 3).numpy()
        # levels from 0: small boxes, where adding eps = 1e-8 moves sizes just below 2^-k onto it
        data["d2_" + name + "_0to5"] = detectron2_levels(b, 0, 5, eps).numpy()
    data["tv"] = tv_levels(b, 2, 5).numpy()
    data["mm"] = (mmdet_levels(b, 4) + 2).numpy()
    data["mm_5levels"] = mmdet_levels(b, 5).numpy()
    np.savez_compressed(os.path.join(OUT, "levels.npz"), **data)
    print("levels.npz:", len(boxes), "boxes")


def onnx_cases():
    import onnx
    from onnx import numpy_helper

    data = {}
    for name in ("test_roialign_aligned_true", "test_roialign_aligned_false"):
        d = os.path.join(ONNX_NODE, name)
        model = onnx.load(os.path.join(d, "model.onnx"))
        (node,) = model.graph.node
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        mode = attrs.get("coordinate_transformation_mode", b"half_pixel").decode()
        assert attrs.get("mode", b"avg") == b"avg", attrs

        def tensor(path):
            t = onnx.TensorProto()
            with open(path, "rb") as f:
                t.ParseFromString(f.read())
            return numpy_helper.to_array(t)

        x, rois, idx = (tensor(os.path.join(d, "test_data_set_0", "input_%d.pb" % i)) for i in range(3))
        y = tensor(os.path.join(d, "test_data_set_0", "output_0.pb"))
        key = name[len("test_roialign_"):]
        data[key + "_X"] = x
        data[key + "_rois"] = rois
        data[key + "_batch_indices"] = idx.astype(np.int32)
        data[key + "_Y"] = y
        data[key + "_params"] = np.array([attrs["output_height"], attrs["output_width"], attrs["sampling_ratio"],
                                          int(mode == "half_pixel")], np.int32)
        data[key + "_spatial_scale"] = np.array(attrs["spatial_scale"], np.float32)
        print(name, attrs)
    np.savez_compressed(os.path.join(OUT, "onnx.npz"), **data)


if __name__ == "__main__":
    print("torch", torch.__version__, "torchvision", torchvision.__version__)
    os.makedirs(OUT, exist_ok=True)
    single_level()
    multi_level()
    level_boundaries()
    onnx_cases()
