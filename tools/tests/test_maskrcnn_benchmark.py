"""The maskrcnn-benchmark exporter: its configs (published values, refusals naming the key), its checkpoint names,
the graphs' tensor contract (background last, its regression columns dropped) and the reference's pieces."""
import math
import os
import tempfile
import unittest

import onnx
import torch

from tools.maskrt_export import __main__ as cli
from tools.maskrt_export import mrcnn_benchmark as mb
from tools.maskrt_export import mrcnn_benchmark_pipeline as mbp
from tools.tests.helpers import CONFIGS, ROOT, write

MB_CONFIGS = os.path.join(CONFIGS, "maskrcnn_benchmark")
TINY_MASK = os.path.join(MB_CONFIGS, "tiny_e2e_mask_rcnn_R_50_FPN.yaml")
TINY_PACKAGE = os.path.join(ROOT, "src", "test", "resources", "models", "tiny-mb-mask-rcnn")


class ConfigTest(unittest.TestCase):
    def test_published_mask_rcnn_r50_fpn(self):
        s = mb.load_settings(os.path.join(MB_CONFIGS, "e2e_mask_rcnn_R_50_FPN_1x.yaml"))
        self.assertEqual(80, s["num_classes"])
        self.assertEqual("BGR", s["input"]["format"])
        self.assertEqual([102.9801, 115.9465, 122.7717], s["input"]["pixel_mean"])
        self.assertEqual((800, 1333, 32), (s["input"]["min_size_test"], s["input"]["max_size_test"],
                                           s["input"]["size_divisibility"]))
        self.assertEqual([[32.0], [64.0], [128.0], [256.0], [512.0]], s["anchors"]["sizes"])
        self.assertEqual(1000, s["rpn"]["pre_nms_topk"])
        self.assertEqual(1000, s["rpn"]["post_nms_topk"])  # FPN_POST_NMS_TOP_N_TEST, per image at test time
        self.assertEqual(1000, s["conventions"]["rpn_post_nms_topk_per_level"])  # POST_NMS_TOP_N_TEST
        self.assertEqual(2, s["roi_heads"]["box_pooler"]["sampling_ratio"])
        self.assertEqual("ROIAlign", s["roi_heads"]["box_pooler"]["type"])
        self.assertEqual(14, s["roi_heads"]["mask_pooler"]["resolution"])
        self.assertEqual([[10.0, 10.0, 5.0, 5.0]], s["roi_heads"]["stage_bbox_reg_weights"])
        self.assertEqual((0.05, 0.5, 100), (s["roi_heads"]["score_thresh"], s["roi_heads"]["nms_thresh"],
                                            s["roi_heads"]["detections_per_image"]))
        self.assertAlmostEqual(math.log(1000 / 16), s["rpn"]["scale_clamp"])
        arch = s["architecture"]
        self.assertEqual([3, 6, 64, 256, 256, 1024], [arch["anchors_per_cell"], arch["stage_blocks"][2],
                                                      arch["width_per_group"], arch["res2_out_channels"],
                                                      arch["fpn_out_channels"], arch["mlp_head_dim"]])
        faster = mb.load_settings(os.path.join(MB_CONFIGS, "e2e_faster_rcnn_R_50_FPN_1x.yaml"))
        self.assertFalse(faster["architecture"]["mask_on"])
        self.assertNotIn("mask_pooler", faster["roi_heads"])

    def test_refusals_name_the_key(self):
        import yaml
        cases = {
            "MODEL:\n  BACKBONE:\n    CONV_BODY: \"R-50-C4\"\n": "MODEL.BACKBONE.CONV_BODY",
            "MODEL:\n  KEYPOINT_ON: True\n": "MODEL.KEYPOINT_ON",
            "MODEL:\n  RESNETS:\n    STAGE_WITH_DCN: (False, True, True, True)\n": "MODEL.RESNETS.STAGE_WITH_DCN",
            "MODEL:\n  ROI_BOX_HEAD:\n    FEATURE_EXTRACTOR: \"FPNXconv1fcFeatureExtractor\"\n":
                "MODEL.ROI_BOX_HEAD.FEATURE_EXTRACTOR",
            "TEST:\n  BBOX_AUG:\n    ENABLED: True\n": "TEST.BBOX_AUG.ENABLED",
            "MODEL:\n  FPN:\n    USE_GN: True\n": "MODEL.FPN.USE_GN",
            "MODEL:\n  ROI_MASK_HEAD:\n    POSTPROCESS_MASKS: True\n": "MODEL.ROI_MASK_HEAD.POSTPROCESS_MASKS",
        }
        with open(TINY_MASK) as f:
            base = yaml.safe_load(f)
        with tempfile.TemporaryDirectory() as tmp:
            for i, (extra, key) in enumerate(cases.items()):
                cfg = mb._merge(base, yaml.safe_load(extra), "", "test")
                path = write(os.path.join(tmp, f"c{i}.yaml"), yaml.safe_dump(
                    {k: v for k, v in cfg.items()}, default_flow_style=None))
                with self.assertRaises(mb.ConfigError) as e:
                    mb.load_settings(path)
                self.assertIn(key, str(e.exception))
                self.assertIn(path, str(e.exception))

    def test_r101_fpn_body(self):
        import yaml
        with open(os.path.join(MB_CONFIGS, "e2e_mask_rcnn_R_50_FPN_1x.yaml")) as f:
            cfg = yaml.safe_load(f)
        cfg["MODEL"]["BACKBONE"]["CONV_BODY"] = "R-101-FPN"
        with tempfile.TemporaryDirectory() as tmp:
            s = mb.load_settings(write(os.path.join(tmp, "r101.yaml"), yaml.safe_dump(cfg)))
        self.assertEqual([3, 4, 23, 3], s["architecture"]["stage_blocks"])
        model = mb.MaskRcnnBenchmark(s["architecture"])
        self.assertIn("backbone.body.layer3.22.conv3.weight", model.state_dict())

    def test_tuples_are_read_as_yacs_reads_them(self):
        cfg = mb.load_config(TINY_MASK)
        self.assertEqual((4, 8, 16, 32, 64), cfg["MODEL"]["RPN"]["ANCHOR_STRIDE"])
        self.assertEqual("R-50-FPN", cfg["MODEL"]["BACKBONE"]["CONV_BODY"])


class CheckpointAndExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.settings = mb.load_settings(TINY_MASK)
        model = mb.MaskRcnnBenchmark(cls.settings["architecture"]).eval()
        g = torch.Generator().manual_seed(3)
        state = {}
        for k, v in model.state_dict().items():
            t = torch.randn(v.shape, generator=g) * 0.1
            if k.endswith("running_var"):
                t = t.abs() + 0.5
            state["module." + k] = t  # as DistributedDataParallel training saves them
        state["module.rpn.anchor_generator.cell_anchors.0"] = torch.zeros(3, 4)
        cls.state = {k[len("module."):]: v for k, v in state.items() if "anchor_generator" not in k}
        cls.ckpt = os.path.join(cls.tmp.name, "model_final.pth")
        torch.save({"model": state, "optimizer": {}, "iteration": 90000}, cls.ckpt)
        cls.out = os.path.join(cls.tmp.name, "pkg")
        assert cli.main(["export", "--framework", "maskrcnn_benchmark", "--config", TINY_MASK, "--weights", cls.ckpt,
                         "--out", cls.out]) == 0

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_checkpoint_names_become_the_initializers(self):
        model, settings, manifest = mb.load_package(self.out)
        self.assertEqual("maskrcnn_benchmark", manifest["flavour"])
        self.assertEqual({"config": "tiny_e2e_mask_rcnn_R_50_FPN.yaml", "weights": "model_final.pth"},
                         manifest["source"])
        for k, v in model.state_dict().items():
            self.assertTrue(torch.equal(v, self.state[k]), k)
        names = {i.name for i in onnx.load(os.path.join(self.out, "box_head_0.onnx")).graph.initializer}
        self.assertIn("roi_heads.box.predictor.cls_score.weight", names)
        self.assertIn("roi_heads.box.feature_extractor.fc6.weight", names)

    def test_graph_outputs_follow_maskrts_contract(self):
        model, settings, manifest = mb.load_package(self.out)
        k = manifest["num_classes"]
        self.assertEqual(["R", k + 1], manifest["graphs"]["box_heads"][0]["outputs"]["class_logits"]["shape"])
        self.assertEqual(["R", 4 * k], manifest["graphs"]["box_heads"][0]["outputs"]["box_deltas"]["shape"])
        self.assertEqual(["R", k, 28, 28], manifest["graphs"]["mask_head"]["outputs"]["mask_logits"]["shape"])
        x = torch.randn(3, 16, 7, 7)
        scores, deltas = mb._BoxPiece(model)(x)
        ref_scores, ref_deltas = model.run_box_head(x)
        self.assertTrue(torch.equal(scores[:, -1], ref_scores[:, 0]))
        self.assertTrue(torch.equal(scores[:, :k], ref_scores[:, 1:]))
        self.assertTrue(torch.equal(deltas, ref_deltas[:, 4:]))
        m = torch.randn(2, 16, 14, 14)
        self.assertTrue(torch.equal(mb._MaskPiece(model)(m), model.run_mask_head(m)[:, 1:]))

    def test_a_checkpoint_that_does_not_fit_is_refused_listing_the_keys(self):
        bad = dict(self.state)
        bad.pop("rpn.head.conv.weight")
        bad["roi_heads.box.predictor.cls_score.weight"] = torch.zeros(2, 2)
        path = os.path.join(self.tmp.name, "bad.pth")
        torch.save({"model": bad}, path)
        model = mb.MaskRcnnBenchmark(self.settings["architecture"])
        with self.assertRaises(mb.ConfigError) as e:
            mb.load_checkpoint(model, path)
        self.assertIn("missing 1 [rpn.head.conv.weight]", str(e.exception))
        self.assertIn("roi_heads.box.predictor.cls_score.weight", str(e.exception))


class ReferencePiecesTest(unittest.TestCase):
    def test_generate_anchors_matches_detectron(self):
        a = mbp.generate_anchors(16, [128, 256, 512], [0.5, 1.0, 2.0])
        self.assertEqual([-84.0, -40.0, 99.0, 55.0], a[0].tolist())

    def test_roi_align_rewrite_equals_torchvision_unaligned(self):
        import torchvision
        g = torch.Generator().manual_seed(0)
        f = torch.randn(1, 3, 12, 17, generator=g)
        x0, y0 = torch.rand(50, generator=g) * 80 - 10, torch.rand(50, generator=g) * 60 - 10
        rois = torch.stack([torch.zeros(50), x0, y0, x0 + torch.rand(50, generator=g) * 40,
                            y0 + torch.rand(50, generator=g) * 40], 1)
        for sr in (0, 2):
            self.assertTrue(torch.equal(mbp.roi_align(f, rois, 0.25, 7, 7, sr),
                                        torchvision.ops.roi_align(f, rois, (7, 7), 0.25, sr, aligned=False)))

    def test_nms_suppresses_at_equality(self):
        boxes = torch.tensor([[0, 0, 9, 9], [0, 0, 9, 4]], dtype=torch.float32)
        self.assertEqual([0], mbp.nms(boxes, torch.tensor([0.9, 0.8]), 0.5).tolist())

    def test_get_size_truncates(self):
        self.assertEqual((800, 1066), mbp.get_size(640, 480, 800, 1333))
        self.assertEqual((267, 1335), mbp.get_size(1000, 200, 800, 1333))


if __name__ == "__main__":
    unittest.main()
