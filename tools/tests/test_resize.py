import unittest

import numpy as np
from PIL import Image

from tools.maskrt_export import resize


class ResizeTest(unittest.TestCase):
    def test_matches_pil_bilinear_exactly(self):
        rng = np.random.default_rng(3)
        cases = [(520, 704, 320, 433), (520, 704, 800, 1083), (37, 53, 320, 458), (90, 300, 154, 512),
                 (5, 7, 3, 2), (64, 64, 64, 128), (100, 3, 7, 1), (1, 1, 4, 4), (301, 97, 97, 301)]
        for h, w, nh, nw in cases:
            for c in (1, 3):
                with self.subTest(size=(h, w, nh, nw, c)):
                    img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
                    if c == 1:
                        pil = np.asarray(Image.fromarray(img[:, :, 0], mode="L").resize((nw, nh), Image.BILINEAR))
                        pil = pil[:, :, None]
                    else:
                        pil = np.asarray(Image.fromarray(img).resize((nw, nh), Image.BILINEAR))
                    np.testing.assert_array_equal(resize.resize_uint8(img, nh, nw), pil)

    def test_output_shape_hand_worked(self):
        self.assertEqual(resize.output_shape(520, 704, 800, 1333), (800, 1083))  # 704*800/520 = 1083.08
        self.assertEqual(resize.output_shape(520, 704, 320, 512), (320, 433))  # 433.23
        self.assertEqual(resize.output_shape(90, 300, 320, 512), (154, 512))  # long side capped: 90*512/300=153.6
        self.assertEqual(resize.output_shape(480, 640, 800, 1333), (800, 1067))  # 1066.67 rounds up
        self.assertEqual(resize.output_shape(1000, 500, 800, 1333), (1333, 667))  # 666.5 -> int(667.0)
        self.assertEqual(resize.output_shape(100, 100, 800, 1333), (800, 800))

    def test_float_path_is_torch_bilinear(self):
        img = np.arange(12, dtype=np.float32).reshape(2, 3, 2) * 1000.0
        out = resize.resize_float(img, 4, 6)
        self.assertEqual(out.shape, (4, 6, 2))
        self.assertAlmostEqual(float(out[0, 0, 0]), 0.0)
        # output (1, 1) samples source (0.25, 0.25): 0*.5625 + 2000*.1875 + 6000*.1875 + 8000*.0625 = 2000
        self.assertEqual(float(out[1, 1, 0]), 2000.0)
        self.assertEqual(float(out[3, 5, 1]), 11000.0)  # bottom-right clamps to the last source pixel


if __name__ == "__main__":
    unittest.main()
