#!/bin/bash
# The tiny mmdetection packages of maskrt's tests and their goldens from REAL mmdetection 2.16.0 (MmdetectionParityTest).
#
# Usage, from the repository root, after tools/reference/setup_mmdetection.sh:
#   tools/reference/make_mmdetection_models.sh [MMENV (default /work/mmenv)]
#
# For each (package, config in tools/configs/mmdetection/): export with seeded random weights calibrated on the
# Sartorius image, writing the same weights as an mmdetection checkpoint (--save-checkpoint, kept in a temporary
# folder, not committed); then run mmdetection's own init_detector + inference_detector on that config and
# checkpoint (tools/reference/mmdet_run.py) and keep its detections as the golden.
set -euo pipefail
MMENV=${1:-/work/mmenv}
R=maskrt/src/test/resources
# Images on which the random RPNs do not saturate: on a natural colour photo (image/coco-img_1.jpg) every one of
# mmdetection's 1000 proposals scores exactly 1.0 in float32, and their order is then decided by torch's unstable
# sort (see MmdetectionParityTest).
IMAGES="$R/image/sartorius-0030fd0e6378.png $R/image/livecell-A172_Phase_A7_1_00d00h00m_1.tif \
$R/models/tiny/reference/images/synthetic-rgb-120x160.png"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$R/mmdetection"
for pair in tiny_cascade_rcnn_r50_dconv_seed:tiny-mmdet-cascade-rcnn-dconv \
            tiny_cascade_rcnn_r50_dconv_seed_tta:tiny-mmdet-cascade-rcnn-dconv-tta \
            tiny_cascade_mask_rcnn_r50:tiny-mmdet-cascade-mask-rcnn \
            tiny_faster_rcnn_r50_dconv:tiny-mmdet-faster-rcnn-dconv \
            tiny_mask_rcnn_r50_dcnv2:tiny-mmdet-mask-rcnn-dcnv2 \
            tiny_cascade_mask_rcnn_r50_tta:tiny-mmdet-cascade-mask-rcnn-tta; do
  config=tools/configs/mmdetection/${pair%%:*}.py
  name=${pair##*:}
  rm -rf "$R/models/$name"
  /usr/bin/python3 -m tools.maskrt_export export --framework mmdetection --config "$config" --random-weights --seed 1 \
    --calibration-image "$R/image/sartorius-0030fd0e6378.png" --save-checkpoint "$TMP/$name.pth" \
    --out "$R/models/$name"
  (source "$MMENV/env.sh" && /usr/bin/python3 tools/reference/mmdet_run.py --config "$config" \
    --checkpoint "$TMP/$name.pth" --images $IMAGES --out "$R/mmdetection/$name.json")
done
