#!/usr/bin/python3
"""Re-saves .npz archives as folders of plain .npy files for the CUDA golden driver (maskrt/src/main/native/test), which
reads .npy only (no zip or zlib). Every array is converted to one of the dtypes the driver reads: float32 (float64
stays float64: NMS thresholds are doubles), int32 (int64 and other ints, range-checked), uint8 (bool, uint8); integer arrays beyond int32 are left out.

  /usr/bin/python3 tools/reference/export_npy.py SRC_DIR OUT_DIR

mirrors SRC_DIR/**/name.npz to OUT_DIR/**/name/<array>.npy. Used for the committed goldens
(maskrt/src/test/resources/ops) and for the benchmark inputs (benchmarks/target/inputs).
"""
import os
import sys

import numpy as np


def canonical(a):
    if a.dtype == np.float64 or a.dtype == np.float32:
        return a
    if a.dtype.kind == "f":
        return a.astype(np.float32)
    if a.dtype == np.bool_ or a.dtype == np.uint8:
        return a.astype(np.uint8)
    if a.dtype.kind in "iu":
        if a.size and (a.min() < -2**31 or a.max() >= 2**31):
            return None  # out of int32 range: not an input of any CUDA op; left out
        return a.astype(np.int32)
    raise ValueError("unsupported dtype %s" % a.dtype)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    count = 0
    for root, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith(".npz"):
                continue
            rel = os.path.relpath(os.path.join(root, f[:-4]), src)
            target = os.path.join(out, rel)
            os.makedirs(target, exist_ok=True)
            with np.load(os.path.join(root, f)) as z:
                for key in z.files:
                    a = canonical(z[key])
                    if a is None:
                        print("left out %s/%s: integers beyond int32" % (rel, key))
                        continue
                    np.save(os.path.join(target, key + ".npy"), np.ascontiguousarray(a))
                    count += 1
    print("exported %d arrays from %s to %s" % (count, src, out))


if __name__ == "__main__":
    main()
