#!/usr/bin/python3
"""Makes the tiny maskrcnn-benchmark packages and their goldens, committed for the Java parity tests
(MaskrcnnBenchmarkParityTest):

  maskrt/src/test/resources/models/tiny-mb-mask-rcnn/     tools/configs/maskrcnn_benchmark/tiny_e2e_mask_rcnn_R_50_FPN.yaml
  maskrt/src/test/resources/models/tiny-mb-faster-rcnn/   tools/configs/maskrcnn_benchmark/tiny_e2e_faster_rcnn_R_50_FPN.yaml
      random weights, seed 1 (so the same backbone and box head), calibrated on the exporter's synthetic image (on a real cell image the tiny R-50's
      scores saturated on the DSB images)
  maskrt/src/test/resources/maskrcnn_benchmark/<package>.json        the reference's detections (FrameworkGolden format)
  maskrt/src/test/resources/maskrcnn_benchmark/<package>-coco/       its bbox.json (and segm.json), as coco_eval.py writes them

The reference is tools/reference/maskrcnn_benchmark_run.py (maskrcnn-benchmark's rules re-written in torch: its C
extension does not build against today's torch). Run from the project root: /usr/bin/python3
tools/reference/make_maskrcnn_benchmark_models.py [--goldens-only]
"""
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = {"tiny-mb-mask-rcnn": "tools/configs/maskrcnn_benchmark/tiny_e2e_mask_rcnn_R_50_FPN.yaml",
          "tiny-mb-faster-rcnn": "tools/configs/maskrcnn_benchmark/tiny_e2e_faster_rcnn_R_50_FPN.yaml"}
SEEDS = {"tiny-mb-mask-rcnn": "1", "tiny-mb-faster-rcnn": "1"}  # seed 2 gave the box-only one no detections on two images
IMAGES = ["maskrt/src/test/resources/image/sartorius-0030fd0e6378.png",
          "maskrt/src/test/resources/image/livecell-A172_Phase_A7_1_00d00h00m_1.tif",
          "samples/dsb2018-val/images/003cee89357d9fe13516167fd67b609a164651b21934585648c740d2c3d86dc1.png",
          "samples/dsb2018-val/images/00ae65c1c6631ae6f2be1a449902976e6eb8483bf6b0740d00530220832c6d3e.png"]


def main():
    os.chdir(ROOT)
    py = sys.executable
    goldens = os.path.join("maskrt/src/test/resources/maskrcnn_benchmark")
    os.makedirs(goldens, exist_ok=True)
    for name, config in MODELS.items():
        out = os.path.join("maskrt/src/test/resources/models", name)
        if "--goldens-only" not in sys.argv:
            if os.path.isdir(out):
                shutil.rmtree(out)
            subprocess.run([py, "-m", "tools.maskrt_export", "export", "--framework", "maskrcnn_benchmark",
                            "--config", config, "--random-weights", "--seed", SEEDS[name], "--out", out], check=True)
        subprocess.run([py, "tools/reference/maskrcnn_benchmark_run.py", "--package", out, "--images", *IMAGES,
                        "--out", os.path.join(goldens, name + ".json"),
                        "--coco-dir", os.path.join(goldens, name + "-coco")], check=True)


if __name__ == "__main__":
    main()
