#!/usr/bin/python3
"""Writes maskrt/src/test/resources/util/npy_sample.npz: one small array per dtype that dev.maskrt.util.Npy reads."""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), "../../maskrt/src/test/resources/util/npy_sample.npz")
os.makedirs(os.path.dirname(out), exist_ok=True)
np.savez_compressed(
    out,
    f4=np.array([[0, 0.5, 1], [1.5, 2, -3.25]], dtype=np.float32),
    f8=np.array([1e-300, 2.5], dtype=np.float64),
    i4=np.array([-1, 7, 2147483647], dtype=np.int32),
    i8=np.array([-5, 9], dtype=np.int64),
    b1=np.array([True, False, True]),
    u1=np.array([0, 255], dtype=np.uint8),
    scalar=np.array(4.0, dtype=np.float32),
    empty=np.zeros((0, 4), dtype=np.float32),
)
print("wrote", out)
