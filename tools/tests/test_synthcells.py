import unittest

import numpy as np
import torch

from tools.maskrt_export import pipeline as P
from tools.synthcells import formats
from tools.synthcells.generate import generate_image
from tools.synthcells.render import CLASSES, HEIGHT, MIN_VISIBLE_AREA, WIDTH
from tools.train import losses as L


class FormatsTest(unittest.TestCase):
    def test_kaggle_rle_is_row_major_one_indexed(self):
        mask = np.array([[0, 1, 1], [1, 0, 0]], dtype=bool)  # row-major flat 0 1 1 1 0 0
        self.assertEqual(formats.kaggle_rle(mask), "2 3")
        mask = np.array([[1, 0], [0, 1]], dtype=bool)  # 1 0 0 1
        self.assertEqual(formats.kaggle_rle(mask), "1 1 4 1")
        self.assertEqual(formats.kaggle_rle(np.zeros((2, 2), dtype=bool)), "")

    def test_coco_counts_are_column_major_starting_with_zeros(self):
        mask = np.array([[0, 1], [1, 1]], dtype=bool)  # column-major flat 0 1 1 1
        self.assertEqual(formats.coco_counts(mask), [1, 3])
        self.assertEqual(formats.coco_counts(np.ones((2, 2), dtype=bool)), [0, 4])
        self.assertEqual(formats.coco_rle_string([1, 3]), "13")

    def test_coco_string_hand_worked_negative_difference(self):
        # fourth count is stored as 1 - 10 = -9: low 5 bits 10111 (sign bit set), no continuation -> chr(23 + 48)
        self.assertEqual(formats.coco_rle_string([2, 10, 3, 1]), "2:3G")
        # 40 = 0b1_01000: low group 01000 with continuation (0x20) -> 8+32+48 = 'X', then 1 -> '1'
        self.assertEqual(formats.coco_rle_string([40]), "X1")

    def test_coco_round_trip_random_masks(self):
        rng = np.random.default_rng(5)
        for shape in ((1, 1), (7, 5), (40, 33)):
            for density in (0.0, 0.1, 0.5, 0.97, 1.0):
                mask = rng.random(shape) < density
                rle = {"size": list(shape), "counts": formats.coco_rle_string(formats.coco_counts(mask))}
                np.testing.assert_array_equal(formats.coco_rle_decode(rle), mask)

    def test_bbox_is_tight(self):
        mask = np.zeros((6, 8), dtype=bool)
        mask[2:4, 3:7] = True
        self.assertEqual(formats.bbox_xywh(mask), [3, 2, 4, 2])


class GeneratorTest(unittest.TestCase):
    def test_deterministic_disjoint_and_typed(self):
        a = generate_image(0, "val", 1)
        b = generate_image(0, "val", 1)
        self.assertEqual(a[0], "synth-val-0001")
        self.assertEqual(a[1], CLASSES[1])
        np.testing.assert_array_equal(a[2], b[2])
        self.assertEqual(len(a[3]), len(b[3]))
        self.assertEqual(a[2].shape, (HEIGHT, WIDTH))
        self.assertEqual(a[2].dtype, np.uint8)
        masks = np.stack(a[3])
        self.assertGreater(len(masks), 3)
        self.assertLessEqual(int(masks.sum(axis=0).max()), 1)  # later cells occlude earlier ones
        self.assertGreaterEqual(int(masks.sum(axis=(1, 2)).min()), MIN_VISIBLE_AREA)
        other = generate_image(0, "train", 1)[2]
        self.assertFalse(np.array_equal(other, a[2]))  # splits never share an image

    def test_cell_types_differ_in_size_and_count(self):
        stats = {}
        for index in range(3):
            _, cell_type, _, masks = generate_image(0, "train", index)
            areas = [int(m.sum()) for m in masks]
            stats[cell_type] = (len(masks), float(np.median(areas)))
        self.assertGreater(stats["astro"][1], 3 * stats["cort"][1])  # astro cells are large
        self.assertGreater(stats["shsy5y"][0], stats["astro"][0])  # shsy5y are dense


class TrainingPiecesTest(unittest.TestCase):
    def test_matcher_thresholds_and_low_quality(self):
        iou = torch.tensor([[0.1, 0.35, 0.75, 0.2],
                            [0.0, 0.05, 0.1, 0.25]])
        idx, labels = L.match(iou, 0.3, 0.7, allow_low_quality=False)
        self.assertEqual(labels.tolist(), [0, -1, 1, 0])
        self.assertEqual(idx.tolist(), [0, 0, 0, 1])
        # gt 1's best anchor (IoU 0.25) becomes positive, still matched to its argmax gt (gt 1 here)
        idx, labels = L.match(iou, 0.3, 0.7, allow_low_quality=True)
        self.assertEqual(labels.tolist(), [0, -1, 1, 1])
        idx, labels = L.match(torch.zeros((0, 3)), 0.5, 0.5, False)
        self.assertEqual(labels.tolist(), [0, 0, 0])

    def test_roi_matcher_is_inclusive_at_threshold(self):
        _, labels = L.match(torch.tensor([[0.5, 0.4999]]), 0.5, 0.5, False)
        self.assertEqual(labels.tolist(), [1, 0])

    def test_subsample_respects_fraction(self):
        gen = torch.Generator().manual_seed(0)
        positive = torch.zeros(100, dtype=torch.bool)
        positive[:10] = True
        pos, neg = L.subsample(positive, ~positive, 16, 0.5, gen)
        self.assertEqual((pos.numel(), neg.numel()), (8, 8))
        pos, neg = L.subsample(positive, ~positive, 64, 0.25, gen)
        self.assertEqual((pos.numel(), neg.numel()), (10, 54))  # too few positives: negatives fill up
        self.assertTrue(bool(positive[pos].all()) and not bool(positive[neg].any()))

    def test_get_deltas_inverts_apply_deltas(self):
        src = torch.tensor([[10.0, 20.0, 30.0, 60.0], [0.0, 0.0, 5.0, 4.0]])
        dst = torch.tensor([[12.0, 18.0, 35.0, 50.0], [1.0, -1.0, 7.0, 9.0]])
        for weights in ((1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)):
            d = L.get_deltas(src, dst, weights)
            back = P.apply_deltas(d, src, weights, 10.0)
            torch.testing.assert_close(back, dst, rtol=0, atol=1e-4)
        # hand-worked: centre moves by half a width, width doubles
        d = L.get_deltas(torch.tensor([[0.0, 0.0, 2.0, 2.0]]), torch.tensor([[0.0, -1.0, 4.0, 3.0]]), (1, 1, 1, 1))
        torch.testing.assert_close(d, torch.tensor([[0.5, 0.0, float(np.log(2)), float(np.log(2))]]))

    def test_mask_targets_crop_the_gt_mask(self):
        gt = torch.zeros((1, 8, 8), dtype=torch.bool)
        gt[0, :, :4] = True  # left half
        boxes = torch.tensor([[0.0, 0.0, 8.0, 8.0], [0.0, 0.0, 4.0, 8.0]])
        t = L.mask_targets(gt, torch.tensor([0, 0]), boxes, 4)
        self.assertEqual(t[0].tolist(), [[True, True, False, False]] * 4)
        self.assertTrue(bool(t[1].all()))


if __name__ == "__main__":
    unittest.main()
