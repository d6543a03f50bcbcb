"""Shared test helpers: paths and a cached tiny model."""
import os

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIGS = os.path.join(ROOT, "tools", "configs")
TINY_CONFIG = os.path.join(CONFIGS, "tiny_cascade_mask_rcnn_R_18_FPN.yaml")
R50_CONFIG = os.path.join(CONFIGS, "cascade_mask_rcnn_R_50_FPN_3x.yaml")
TINY_PACKAGE = os.path.join(ROOT, "maskrt", "src", "test", "resources", "models", "tiny")

torch.set_num_threads(2)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path
