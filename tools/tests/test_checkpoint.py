import os
import pickle
import tempfile
import unittest

import torch

from tools.maskrt_export import checkpoint, config
from tools.maskrt_export.modules import CascadeMaskRCNN
from tools.tests.helpers import R50_CONFIG, TINY_CONFIG


def tiny_model(seed=0):
    torch.manual_seed(seed)
    model = CascadeMaskRCNN(config.load_settings(TINY_CONFIG)["architecture"]).eval()
    with torch.no_grad():
        for t in model.state_dict().values():
            t.copy_(torch.randn(t.shape))
    return model


class NamesTest(unittest.TestCase):
    def test_r50_names_and_shapes_are_detectron2s(self):
        sd = CascadeMaskRCNN(config.load_settings(R50_CONFIG)["architecture"]).state_dict()
        expected = {
            "backbone.bottom_up.stem.conv1.weight": (64, 3, 7, 7),
            "backbone.bottom_up.stem.conv1.norm.running_var": (64,),
            "backbone.bottom_up.res2.0.shortcut.weight": (256, 64, 1, 1),
            "backbone.bottom_up.res2.0.conv1.weight": (64, 64, 1, 1),
            "backbone.bottom_up.res2.0.conv1.norm.weight": (64,),
            "backbone.bottom_up.res3.0.conv2.weight": (128, 128, 3, 3),
            "backbone.bottom_up.res4.5.conv3.weight": (1024, 256, 1, 1),
            "backbone.bottom_up.res5.2.conv3.norm.bias": (2048,),
            "backbone.fpn_lateral2.weight": (256, 256, 1, 1),
            "backbone.fpn_lateral5.bias": (256,),
            "backbone.fpn_output4.weight": (256, 256, 3, 3),
            "proposal_generator.rpn_head.conv.weight": (256, 256, 3, 3),
            "proposal_generator.rpn_head.objectness_logits.weight": (3, 256, 1, 1),
            "proposal_generator.rpn_head.anchor_deltas.weight": (12, 256, 1, 1),
            "roi_heads.box_head.0.fc1.weight": (1024, 256 * 7 * 7),
            "roi_heads.box_head.2.fc2.bias": (1024,),
            "roi_heads.box_predictor.0.cls_score.weight": (81, 1024),
            "roi_heads.box_predictor.1.bbox_pred.weight": (4, 1024),
            "roi_heads.mask_head.mask_fcn1.weight": (256, 256, 3, 3),
            "roi_heads.mask_head.mask_fcn4.bias": (256,),
            "roi_heads.mask_head.deconv.weight": (256, 256, 2, 2),
            "roi_heads.mask_head.predictor.weight": (80, 256, 1, 1),
        }
        for key, shape in expected.items():
            self.assertIn(key, sd)
            self.assertEqual(tuple(sd[key].shape), shape, key)
        self.assertNotIn("backbone.bottom_up.res2.1.shortcut.weight", sd)
        self.assertNotIn("backbone.fpn_lateral2.norm.weight", sd)
        # R50: 53 convs (incl. 4 shortcuts) with FrozenBN; the published model has 334 backbone tensors
        self.assertEqual(sum(k.startswith("backbone.bottom_up.") for k in sd), 53 * 5)


class LoadTest(unittest.TestCase):
    def test_pth_and_pkl_round_trip(self):
        src = tiny_model(1)
        with tempfile.TemporaryDirectory() as d:
            pth = os.path.join(d, "m.pth")
            torch.save({"model": src.state_dict(), "iteration": 5}, pth)
            pkl = os.path.join(d, "m.pkl")
            with open(pkl, "wb") as f:
                pickle.dump({"model": {k: v.numpy() for k, v in src.state_dict().items()},
                             "__author__": "Detectron2 Model Zoo"}, f)
            for path in (pth, pkl):
                dst = checkpoint.load_checkpoint(tiny_model(2), path)
                for k, v in src.state_dict().items():
                    self.assertTrue(torch.equal(v, dst.state_dict()[k]), f"{path}: {k}")

    def test_all_mismatches_are_listed_in_one_error(self):
        sd = dict(tiny_model().state_dict())
        del sd["backbone.fpn_lateral3.weight"]
        del sd["roi_heads.mask_head.predictor.bias"]
        sd["roi_heads.box_head.0.fc3.weight"] = torch.zeros(3)
        sd["res2_0_branch2a_w"] = torch.zeros(3)
        sd["roi_heads.box_predictor.1.cls_score.weight"] = torch.zeros(5, 32)
        sd["backbone.bottom_up.res2.0.conv1.norm.num_batches_tracked"] = torch.tensor(3)  # ignored
        sd["pixel_mean"] = torch.zeros(3, 1, 1)  # ignored
        with self.assertRaises(checkpoint.CheckpointError) as ctx:
            checkpoint.check_and_load(tiny_model(), sd, "ckpt.pth")
        msg = str(ctx.exception)
        self.assertTrue(msg.startswith("ckpt.pth: "), msg)
        for part in ("missing 2 [backbone.fpn_lateral3.weight, roi_heads.mask_head.predictor.bias]",
                     "unexpected 2 [res2_0_branch2a_w, roi_heads.box_head.0.fc3.weight]",
                     "shape mismatch 1 [roi_heads.box_predictor.1.cls_score.weight: "
                     "checkpoint (5, 32) vs model (4, 32)]"):
            self.assertIn(part, msg)
        self.assertNotIn("num_batches_tracked", msg)
        self.assertNotIn("pixel_mean", msg)

    def test_unreadable_file_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.pkl")
            with open(bad, "wb") as f:
                f.write(b"not a pickle")
            with self.assertRaisesRegex(checkpoint.CheckpointError, "bad.pkl: cannot read checkpoint"):
                checkpoint.read_state_dict(bad)


if __name__ == "__main__":
    unittest.main()
