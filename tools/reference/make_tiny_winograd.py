#!/usr/bin/env python3
"""Makes the committed tiny Winograd test package:

  maskrt/src/test/resources/models/tiny-winograd/   the tiny package's graphs (copied: git stores them once) plus
                                                    the CPU forms of its backbone and mask head made by
                                                    tools/winograd with --min-channels 4 --mask-head-winograd, so
                                                    that every stride-1 3x3 convolution of this narrow model is
                                                    rewritten (maps of 80x.., 40x.., 20x.., 10x.. and 5x.. cells,
                                                    some not a multiple of the tile; the mask head's batch of
                                                    RoIs), and the mask head's upsampling tail too

maskrt's tests run it against the tiny package's reference outputs (tiny/reference, made by the torch reference
pipeline from the fp32 weights). Run from the project root with the python3 that has onnxruntime (tools/README.md):
    python3 tools/reference/make_tiny_winograd.py
"""
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY = os.path.join(ROOT, "maskrt/src/test/resources/models/tiny")
OUT = os.path.join(ROOT, "maskrt/src/test/resources/models/tiny-winograd")


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    shutil.copytree(TINY, OUT, ignore=shutil.ignore_patterns("reference"))
    subprocess.run([sys.executable, "-m", "tools.winograd", "--model", OUT, "--graphs", "backbone,mask_head",
                    "--min-channels", "4", "--mask-head-winograd"], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
