#!/usr/bin/env python3
"""Golden for `maskrt eval --iou-type bbox` on box-only results (CocoEvaluationTest.boxOnlyResultsMatchPycocotools):
the first 20 images of the DSB 2018 stage-1 COCO ground truth (boxes, areas and iscrowd kept, masks dropped), seeded
detections made from the ground-truth boxes jittered by up to 3 px, with missed nuclei, duplicates and false
positives, and pycocotools' 12 bbox stats for them.

  python3 tools/reference/make_bbox_eval_golden.py   (PATH's python3 with the pycocotools wheel)
"""
import json
import os
import random

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.join(ROOT, "..", "shared", "data", "dsb2018-stage1-train", "annotations.json")
OUT = os.path.join(ROOT, "maskrt", "src", "test", "resources", "eval")


def main():
    with open(SHARED) as f:
        gt = json.load(f)
    images = gt["images"][:20]
    ids = {im["id"] for im in images}
    anns = [{k: a[k] for k in ("id", "image_id", "category_id", "bbox", "area", "iscrowd")}
            for a in gt["annotations"] if a["image_id"] in ids]
    subset = {"images": images, "annotations": anns, "categories": gt["categories"]}
    rng = random.Random(7)
    results = []
    for a in anns:
        if rng.random() < 0.15:
            continue  # missed
        for _ in range(2 if rng.random() < 0.1 else 1):  # some duplicates
            x, y, w, h = a["bbox"]
            j = lambda: rng.uniform(-3, 3)  # noqa: E731
            results.append({"image_id": a["image_id"], "category_id": a["category_id"],
                            "bbox": [round(x + j(), 2), round(y + j(), 2), round(max(1, w + j()), 2),
                                     round(max(1, h + j()), 2)], "score": round(rng.random(), 4)})
    for im in images:  # false positives
        for _ in range(3):
            results.append({"image_id": im["id"], "category_id": 1, "bbox": [round(rng.uniform(0, 200), 2),
                            round(rng.uniform(0, 200), 2), 20.0, 15.0], "score": round(rng.random(), 4)})
    os.makedirs(OUT, exist_ok=True)
    gt_path, res_path = os.path.join(OUT, "dsb20_boxes_gt.json"), os.path.join(OUT, "dsb20_box_results.json")
    with open(gt_path, "w") as f:
        json.dump(subset, f)
    with open(res_path, "w") as f:
        json.dump(results, f)
    coco = COCO(gt_path)
    e = COCOeval(coco, coco.loadRes(res_path), "bbox")
    e.evaluate()
    e.accumulate()
    e.summarize()
    with open(os.path.join(OUT, "dsb20_box_stats.json"), "w") as f:
        json.dump({"pycocotools_stats": [float(s) for s in e.stats]}, f)


if __name__ == "__main__":
    main()
