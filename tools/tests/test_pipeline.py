import math
import unittest

import numpy as np
import torch

from tools.maskrt_export import config, package, pipeline
from tools.maskrt_export.modules import CascadeMaskRCNN
from tools.tests.helpers import TINY_CONFIG


class BoxAlgebraTest(unittest.TestCase):
    def test_cell_anchors_hand_worked(self):
        a = pipeline.cell_anchors([32.0], [0.5, 1.0, 2.0])
        w = math.sqrt(32 * 32 / 0.5)  # 45.2548..., h = 0.5 * w
        expected = torch.tensor([[-w / 2, -w / 4, w / 2, w / 4], [-16, -16, 16, 16], [-w / 4, -w / 2, w / 4, w / 2]])
        torch.testing.assert_close(a, expected.float())

    def test_grid_anchor_order_is_h_w_a_with_a_fastest(self):
        cell = torch.tensor([[-1.0, -1.0, 1.0, 1.0], [-2.0, -2.0, 2.0, 2.0]])
        g = pipeline.grid_anchors(cell, 8, 0.0, 2, 3)
        self.assertEqual(tuple(g.shape), (12, 4))
        torch.testing.assert_close(g[1], torch.tensor([-2.0, -2.0, 2.0, 2.0]))  # (y0, x0, a1)
        torch.testing.assert_close(g[2], torch.tensor([7.0, -1.0, 9.0, 1.0]))  # (y0, x1, a0)
        torch.testing.assert_close(g[6], torch.tensor([-1.0, 7.0, 1.0, 9.0]))  # (y1, x0, a0)

    def test_apply_deltas_hand_worked_and_clamped(self):
        boxes = torch.tensor([[0.0, 0.0, 10.0, 20.0], [0.0, 0.0, 10.0, 20.0]])
        deltas = torch.tensor([[10.0, 0.0, 0.0, 5 * math.log(2.0)], [0.0, 0.0, 1000.0, 0.0]])
        out = pipeline.apply_deltas(deltas, boxes, (10.0, 10.0, 5.0, 5.0), math.log(1000.0 / 16))
        # box 0: centre (5, 10) moves by dx*w = 1*10 -> (15, 10); height doubles to 40
        torch.testing.assert_close(out[0], torch.tensor([10.0, -10.0, 20.0, 30.0]))
        # box 1: dw = 200 is clamped to ln(62.5): width 10 * 62.5 = 625 around x = 5
        torch.testing.assert_close(out[1], torch.tensor([5 - 312.5, 0.0, 5 + 312.5, 20.0]))

    def test_level_assignment(self):
        pooler = {"canonical_level": 4, "canonical_box_size": 224}
        boxes = torch.tensor([[0, 0, 224, 224], [0, 0, 112, 112], [0, 0, 111.9, 112], [0, 0, 10, 10],
                              [0, 0, 2000, 2000], [5, 5, 5, 9]], dtype=torch.float32)
        self.assertEqual(pipeline.assign_levels(boxes, pooler).tolist(), [2, 1, 0, 0, 3, 0])


class PasteTest(unittest.TestCase):
    def test_integer_box_of_ones_pastes_exactly_the_box(self):
        x0, y0, bits = pipeline.paste_mask(torch.ones(28, 28), torch.tensor([2.0, 3.0, 9.0, 7.0]), 12, 12, 0.5)
        full = np.zeros((12, 12), dtype=bool)
        full[y0:y0 + bits.shape[0], x0:x0 + bits.shape[1]] = bits
        expected = np.zeros((12, 12), dtype=bool)
        expected[3:7, 2:9] = True
        np.testing.assert_array_equal(full, expected)
        self.assertEqual((x0, y0, bits.shape), (1, 2, (6, 9)))  # window [floor(x0)-1, ceil(x1)+1) = [1, 10) x [2, 8)

    def test_window_is_clipped_to_the_image(self):
        x0, y0, bits = pipeline.paste_mask(torch.ones(28, 28), torch.tensor([0.0, 0.5, 12.0, 11.0]), 12, 12, 0.5)
        self.assertEqual((x0, y0, bits.shape), (0, 0, (12, 12)))

    def test_matches_an_independent_bilinear_sampler(self):
        rng = np.random.default_rng(11)
        for _ in range(20):
            prob = torch.from_numpy(rng.uniform(0, 1, (28, 28)).astype(np.float32))
            bx0, by0 = rng.uniform(0, 30, 2)
            box = torch.tensor([bx0, by0, bx0 + rng.uniform(0.5, 25), by0 + rng.uniform(0.5, 25)], dtype=torch.float32)
            x0, y0, bits = pipeline.paste_mask(prob, box, 50, 60, 0.5)
            p = prob.double().numpy()
            b = box.double().numpy()
            for yy in range(bits.shape[0]):
                for xx in range(bits.shape[1]):
                    sx = (x0 + xx + 0.5 - b[0]) / (b[2] - b[0]) * 28 - 0.5
                    sy = (y0 + yy + 0.5 - b[1]) / (b[3] - b[1]) * 28 - 0.5
                    ix, iy = math.floor(sx), math.floor(sy)
                    fx, fy = sx - ix, sy - iy
                    v = 0.0
                    for dy, wy in ((0, 1 - fy), (1, fy)):
                        for dx, wx in ((0, 1 - fx), (1, fx)):
                            if 0 <= iy + dy < 28 and 0 <= ix + dx < 28:
                                v += wy * wx * p[iy + dy, ix + dx]
                    if abs(v - 0.5) > 1e-5:
                        self.assertEqual(bool(bits[yy, xx]), v >= 0.5, (yy, xx, v))

    def test_tight_crop(self):
        bitmap = np.zeros((5, 6), dtype=bool)
        bitmap[1:3, 2:5] = True
        bitmap[2, 2] = False
        x, y, w, h, bits = pipeline.tight(10, 20, bitmap)
        self.assertEqual((x, y, w, h), (12, 21, 3, 2))
        self.assertEqual(bits.tolist(), [1, 1, 1, 0, 1, 1])
        self.assertEqual(pipeline.tight(3, 4, np.zeros((2, 2), dtype=bool))[:4], (0, 0, 0, 0))


class RunImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.settings = config.load_settings(TINY_CONFIG)
        cls.model = package.init_random(CascadeMaskRCNN(cls.settings["architecture"]).eval(), 2, cls.settings)
        rng = np.random.default_rng(5)
        cls.image = rng.integers(0, 256, (70, 90), dtype=np.uint8)
        cls.image[20:50, 30:60] = 230

    def test_outputs_are_consistent(self):
        r = pipeline.run_image(self.model, self.settings, self.image)
        n = len(r["scores"])
        self.assertEqual(r["input_size"].tolist(), [320, 411])
        self.assertEqual(r["resized"].shape, (320, 411, 1))
        self.assertLessEqual(len(r["proposals"]), 1000)
        self.assertTrue(np.all(np.diff(r["proposal_logits"]) <= 0))
        self.assertTrue(np.all(r["proposals"][:, 2] <= 411) and np.all(r["proposals"][:, 3] <= 320))
        self.assertEqual(r["stage_probs"].shape, (3, len(r["proposals"]), 4))
        np.testing.assert_allclose(r["stage_probs"].sum(axis=2), 1.0, rtol=1e-5)
        self.assertTrue(np.all(np.diff(r["scores"]) <= 0) and np.all(r["scores"] > 0.05))
        self.assertTrue(np.all(r["boxes"][:, 2] <= 90) and np.all(r["boxes"][:, 3] <= 70))
        self.assertEqual(r["mask_probs"].shape, (n, 28, 28))
        self.assertEqual(r["mask_rects"].shape, (n, 4))
        self.assertEqual(int((r["mask_rects"][:, 2] * r["mask_rects"][:, 3]).sum()), len(r["mask_bits"]))
        # detection scores are the mean of the stage probabilities of their proposal and class
        mean = (r["stage_probs"][0] + r["stage_probs"][1] + r["stage_probs"][2]) * np.float32(1 / 3)
        for s, c in zip(r["scores"], r["classes"]):
            self.assertTrue(np.any(mean[:, c] == s))

    def test_16_bit_images_take_the_float_path(self):
        image16 = self.image.astype(np.uint16) * 257
        r = pipeline.run_image(self.model, self.settings, image16)
        self.assertEqual(r["resized"].dtype, np.float32)
        self.assertEqual(r["input_size"].tolist(), [320, 411])

    def test_no_detection_gives_empty_outputs(self):
        settings = {**self.settings, "roi_heads": {**self.settings["roi_heads"], "score_thresh": 1.0}}
        r = pipeline.run_image(self.model, settings, self.image)
        self.assertEqual((r["boxes"].shape, r["scores"].shape, r["mask_probs"].shape, r["mask_rects"].shape,
                          r["mask_bits"].shape), ((0, 4), (0,), (0, 28, 28), (0, 4), (0,)))


if __name__ == "__main__":
    unittest.main()
