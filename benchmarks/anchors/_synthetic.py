"""The seeded synthetic image of the R50 pipeline workload, shared by pipeline_detectron2.py and
pipeline_real_detectron2.py (numpy only, so it imports under either Python path)."""
import numpy as np


def synthetic_image(h, w, seed):
    """Bright ellipses ("cells") on a noisy grey background, uint8 RGB."""
    rng = np.random.default_rng(seed)
    img = rng.normal(90, 12, size=(h, w, 3))
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(60):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(10, 80), rng.uniform(10, 80)
        colour = rng.uniform(120, 230, size=3)
        inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
        img[inside] = colour + rng.normal(0, 8, size=(int(inside.sum()), 3))
    return np.clip(img, 0, 255).astype(np.uint8)
