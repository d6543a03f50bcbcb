"""The mmdetection exporter: its config reader (mmcv Config semantics: _base_, _delete_; compared with real mmcv's
Config where mmcv is importable), what it serves and refuses (naming the key), mmdetection's own published configs
(where their sources are at hand), and the checkpoint names."""
import copy
import os
import tempfile
import unittest

import torch

from tools.maskrt_export import mmdet
from tools.tests.helpers import CONFIGS, write

MM_CONFIGS = os.path.join(CONFIGS, "mmdetection")
TINY_CASCADE_MASK = os.path.join(MM_CONFIGS, "tiny_cascade_mask_rcnn_r50.py")
SEED = os.path.join(MM_CONFIGS, "tiny_cascade_rcnn_r50_dconv_seed.py")
# mmdetection 2.16's own configs, extracted by tools/reference/setup_mmdetection.sh (optional)
UPSTREAM = os.environ.get("MMDET_CONFIGS", "/work/mmenv/src/configs")

try:
    from mmcv import Config as MmcvConfig  # real mmcv, with tools/reference/setup_mmdetection.sh's env.sh
except ImportError:  # pragma: no cover - depends on the environment
    MmcvConfig = None


class ConfigFileTest(unittest.TestCase):
    def test_base_files_are_merged_and_delete_replaces(self):
        with tempfile.TemporaryDirectory() as d:
            write(os.path.join(d, "base", "a.py"), "model = dict(x=1, sub=dict(p=1, q=2), lst=[1, 2])\nother = 3\n")
            write(os.path.join(d, "base", "b.py"), "pipeline = [dict(type='A')]\n")
            path = write(os.path.join(d, "child.py"),
                         "_base_ = ['./base/a.py', './base/b.py']\n"
                         "model = dict(sub=dict(q=5, r=6), lst=[3], new=dict(_delete_=True, k=1))\n"
                         "other = dict(_delete_=True, z=1)\n")
            cfg = mmdet.load_config(path)
        self.assertEqual({"x": 1, "sub": {"p": 1, "q": 5, "r": 6}, "lst": [3], "new": {"k": 1}}, cfg["model"])
        self.assertEqual({"z": 1}, cfg["other"])
        self.assertEqual([{"type": "A"}], cfg["pipeline"])

    def test_duplicate_keys_among_bases_and_placeholders_are_refused(self):
        with tempfile.TemporaryDirectory() as d:
            write(os.path.join(d, "a.py"), "x = 1\n")
            write(os.path.join(d, "b.py"), "x = 2\n")
            with self.assertRaisesRegex(mmdet.ConfigError, "same keys"):
                mmdet.load_config(write(os.path.join(d, "c.py"), "_base_ = ['a.py', 'b.py']\n"))
            with self.assertRaisesRegex(mmdet.ConfigError, "_base_"):
                mmdet.load_config(write(os.path.join(d, "e.py"), "_base_ = 'a.py'\ny = '{{ _base_.x }}'\n"))
            with self.assertRaisesRegex(mmdet.ConfigError, "ZeroDivisionError"):
                mmdet.load_config(write(os.path.join(d, "f.py"), "x = 1 / 0\n"))
            with self.assertRaisesRegex(mmdet.ConfigError, r"\.py file"):
                mmdet.load_config(write(os.path.join(d, "g.yaml"), "x: 1\n"))

    @unittest.skipIf(MmcvConfig is None, "mmcv is not importable (source /work/mmenv/env.sh)")
    def test_same_dict_as_mmcv_config(self):
        paths = [os.path.join(MM_CONFIGS, f) for f in sorted(os.listdir(MM_CONFIGS)) if f.endswith(".py")]
        for name in ("cascade_rcnn/cascade_mask_rcnn_r50_fpn_1x_coco.py", "dcn/cascade_rcnn_r50_fpn_dconv_c3-c5_1x_coco.py",
                     "faster_rcnn/faster_rcnn_x101_32x4d_fpn_1x_coco.py"):
            if os.path.exists(os.path.join(UPSTREAM, name)):
                paths.append(os.path.join(UPSTREAM, name))
        for path in paths:
            with self.subTest(path=path):
                ours = mmdet.load_config(path)
                theirs = MmcvConfig.fromfile(path)._cfg_dict.to_dict()
                self.assertEqual(_plain(theirs), _plain(ours))


def _plain(value):
    """Tuples as lists (mmcv's ConfigDict keeps tuples; the comparison is about values)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class ResolveTest(unittest.TestCase):
    def test_tiny_cascade_mask_rcnn(self):
        s = mmdet.load_settings(TINY_CASCADE_MASK)
        a = s["architecture"]
        self.assertEqual(("CascadeROIHeads", True, 3, 3), (a["roi_heads"], a["mask_on"], a["mask_heads_averaged"],
                                                          a["num_stages"]))
        self.assertEqual((4, 16, False), (a["stem_out_channels"], a["res2_out_channels"], a["stride_in_1x1"]))
        self.assertEqual("RGB", s["input"]["format"])
        self.assertEqual((800, 1333, 32, "cv2_bilinear"), (s["input"]["min_size_test"], s["input"]["max_size_test"],
                                                           s["input"]["size_divisibility"], s["input"]["interpolation"]))
        self.assertEqual([[10.0, 10.0, 5.0, 5.0], [20.0, 20.0, 10.0, 10.0]],
                         [[round(w, 9) for w in ws] for ws in s["roi_heads"]["stage_bbox_reg_weights"][:2]])
        self.assertAlmostEqual(1 / 0.033, s["roi_heads"]["stage_bbox_reg_weights"][2][0])
        self.assertEqual([0.5, 0.6, 0.7], s["roi_heads"]["stage_ious"])
        self.assertEqual(56, s["roi_heads"]["box_pooler"]["finest_scale"])
        self.assertEqual(("ROIAlignV2", 0), (s["roi_heads"]["mask_pooler"]["type"],
                                            s["roi_heads"]["mask_pooler"]["sampling_ratio"]))
        self.assertEqual("mmdetection", s["conventions"]["anchor_generator"])
        self.assertEqual(["shsy5y", "astro", "cort"], s["roi_heads"]["class_names"])

    def test_multi_scale_flip_testing_is_test_aug(self):
        s = mmdet.load_settings(os.path.join(MM_CONFIGS, "tiny_cascade_rcnn_r50_dconv_seed_tta.py"))
        self.assertEqual({"enabled": True, "min_sizes": [920, 600], "max_sizes": [1080, 800], "flip": True},
                         s["test_aug"])
        self.assertEqual((920, 1080), (s["input"]["min_size_test"], s["input"]["max_size_test"]))
        self.assertIsNone(mmdet.load_settings(SEED)["test_aug"])

    def test_seed_recipe(self):
        s = mmdet.load_settings(SEED)
        self.assertEqual([[0.2, 0.5, 1.0, 2.0, 5.0]] * 5, s["anchors"]["aspect_ratios"])
        self.assertEqual([[32.0], [64.0], [128.0], [256.0], [512.0]], s["anchors"]["sizes"])
        self.assertEqual([False, True, True, True], s["architecture"]["deform_on_per_stage"])
        self.assertFalse(s["architecture"]["deform_modulated"])
        self.assertFalse(s["architecture"]["mask_on"])
        self.assertEqual((920, 1080), (s["input"]["min_size_test"], s["input"]["max_size_test"]))
        self.assertEqual(4, s["architecture"]["num_classes"])

    @unittest.skipIf(not os.path.isdir(UPSTREAM), "mmdetection's configs are not at hand (setup_mmdetection.sh)")
    def test_mmdetection_published_configs(self):
        cases = {
            "faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py": ("StandardROIHeads", False, False, 80),
            "mask_rcnn/mask_rcnn_r50_fpn_1x_coco.py": ("StandardROIHeads", True, False, 80),
            "cascade_rcnn/cascade_rcnn_r50_fpn_1x_coco.py": ("CascadeROIHeads", False, True, 80),
            "cascade_rcnn/cascade_mask_rcnn_r50_fpn_1x_coco.py": ("CascadeROIHeads", True, True, 80),
            "dcn/cascade_rcnn_r50_fpn_dconv_c3-c5_1x_coco.py": ("CascadeROIHeads", False, True, 80),
            "dcn/faster_rcnn_r50_fpn_dconv_c3-c5_1x_coco.py": ("StandardROIHeads", False, False, 80),
            "dcn/mask_rcnn_r50_fpn_mdconv_c3-c5_1x_coco.py": ("StandardROIHeads", True, False, 80),
            "faster_rcnn/faster_rcnn_x101_32x4d_fpn_1x_coco.py": ("StandardROIHeads", False, False, 80),
            "faster_rcnn/faster_rcnn_r50_caffe_fpn_1x_coco.py": ("StandardROIHeads", False, False, 80),
        }
        for name, (heads, masks, agnostic, classes) in cases.items():
            with self.subTest(config=name):
                s = mmdet.load_settings(os.path.join(UPSTREAM, name))
                a = s["architecture"]
                self.assertEqual((heads, masks, agnostic, classes),
                                 (a["roi_heads"], a["mask_on"], a["cls_agnostic_bbox_reg"], a["num_classes"]))
                self.assertEqual((800, 1333), (s["input"]["min_size_test"], s["input"]["max_size_test"]))
        caffe = mmdet.load_settings(os.path.join(UPSTREAM, "faster_rcnn/faster_rcnn_r50_caffe_fpn_1x_coco.py"))
        self.assertEqual(("BGR", [103.53, 116.28, 123.675], [1.0, 1.0, 1.0], True),
                         (caffe["input"]["format"], caffe["input"]["pixel_mean"], caffe["input"]["pixel_std"],
                          caffe["architecture"]["stride_in_1x1"]))
        x101 = mmdet.load_settings(os.path.join(UPSTREAM, "faster_rcnn/faster_rcnn_x101_32x4d_fpn_1x_coco.py"))
        self.assertEqual((32, 4, 101), (x101["architecture"]["num_groups"], x101["architecture"]["width_per_group"],
                                        x101["architecture"]["depth"]))
        mdconv = mmdet.load_settings(os.path.join(UPSTREAM, "dcn/mask_rcnn_r50_fpn_mdconv_c3-c5_1x_coco.py"))
        self.assertTrue(mdconv["architecture"]["deform_modulated"])

    def test_mmdetection_3x_style_config(self):
        """mmdet 3.x configs: data_preprocessor and a flat test_pipeline with Resize(scale=...)."""
        cfg = copy.deepcopy(mmdet.load_config(TINY_CASCADE_MASK))
        cfg.pop("data")
        cfg["model"]["data_preprocessor"] = dict(type="DetDataPreprocessor", mean=[123.675, 116.28, 103.53],
                                                 std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32)
        cfg["test_pipeline"] = [dict(type="LoadImageFromFile"), dict(type="Resize", scale=(1333, 800), keep_ratio=True),
                                dict(type="PackDetInputs")]
        v3 = mmdet.resolve(cfg, "v3")
        v2 = mmdet.load_settings(TINY_CASCADE_MASK)
        self.assertEqual(v2["input"], v3["input"])
        self.assertEqual(v2["architecture"], v3["architecture"])

    def test_refusals_name_the_key(self):
        base = mmdet.load_config(TINY_CASCADE_MASK)
        base["model"]["backbone"].update(dcn=dict(type="DCN"), stage_with_dcn=(False, True, True, True))
        mmdet.resolve(base, "with DCN")  # served as it is
        cases = [
            (("model", "type"), "RetinaNet", "model.type"),
            (("model", "neck", "add_extra_convs"), "on_input", "model.neck.add_extra_convs"),
            (("model", "backbone", "norm_cfg"), dict(type="GN", num_groups=32), "model.backbone.norm_cfg.type"),
            (("model", "backbone", "dcn"), dict(type="DCNv3"), "model.backbone.dcn.type"),
            (("model", "rpn_head", "bbox_coder", "target_means"), [0.1, 0, 0, 0], "model.rpn_head.bbox_coder.target_means"),
            (("model", "roi_head", "mask_head", "type"), "HTCMaskHead", "model.roi_head.mask_head[0].type"),
            (("model", "roi_head", "bbox_roi_extractor", "roi_layer", "type"), "RoIPool",
             "model.roi_head.bbox_roi_extractor.roi_layer.type"),
            (("model", "roi_head", "num_stages"), 2, "model.roi_head.num_stages"),
            (("data", "test", "pipeline", 1, "flip_direction"), "vertical", "MultiScaleFlipAug.flip_direction"),
            (("data", "test", "pipeline", 1, "img_scale"), [(1333, 800, 3)], "MultiScaleFlipAug.img_scale"),
        ]
        for path, value, key in cases:
            with self.subTest(key=key):
                cfg = copy.deepcopy(base)
                node = cfg
                for p in path[:-1]:
                    node = node[p]
                node[path[-1]] = value
                with self.assertRaisesRegex(mmdet.ConfigError, key.replace("[", r"\[").replace("]", r"\]")):
                    mmdet.resolve(cfg, "cfg")


class CheckpointTest(unittest.TestCase):
    def test_round_trip_and_errors_naming_the_key(self):
        s = mmdet.load_settings(TINY_CASCADE_MASK)
        model = mmdet.build_model(s)
        torch.manual_seed(0)
        with torch.no_grad():
            for p in model.state_dict().values():
                p.copy_(torch.randn(p.shape))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "ckpt.pth")
            mmdet.save_checkpoint(model, path, ["a", "b", "c"], {})
            state = torch.load(path)["state_dict"]
            self.assertIn("roi_head.mask_head.2.conv_logits.weight", state)
            self.assertIn("backbone.layer1.0.downsample.1.running_var", state)
            self.assertIn("neck.fpn_convs.3.conv.bias", state)
            other = mmdet.build_model(s)
            meta = mmdet.load_checkpoint(other, path)
            self.assertEqual(("a", "b", "c"), meta["CLASSES"])
            for k, v in model.state_dict().items():
                self.assertTrue(torch.equal(v, other.state_dict()[k]), k)
            state["roi_head.bbox_head.0.fc_cls.weight"] = torch.zeros(7, 32)
            torch.save({"state_dict": state}, path)
            with self.assertRaisesRegex(mmdet.ConfigError, r"roi_head\.bbox_head\.0\.fc_cls\.weight: shape"):
                mmdet.load_checkpoint(other, path)
            del state["roi_head.bbox_head.0.fc_cls.weight"]
            state["roi_head.semantic_head.conv.weight"] = torch.zeros(1)
            torch.save({"state_dict": state}, path)
            with self.assertRaisesRegex(mmdet.ConfigError, "semantic_head"):
                mmdet.load_checkpoint(other, path)


if __name__ == "__main__":
    unittest.main()
