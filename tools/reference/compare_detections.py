#!/usr/bin/env python3
"""Compares two sets of instance detections one-to-one, e.g. upstream detectron2 against maskrt's Java output.

    python3 tools/reference/compare_detections.py A.json B.json [--coco-images MAP] [--class-names a,b,c] [-v]

Each of A and B is either
  * the JSON of tools/reference/detectron2_run.py: {"class_names": [...], "images": [{"file", "height", "width",
    "instances": [{"box": [x0, y0, x1, y1], "score", "class", "mask": {"size", "counts" | "counts_uncompressed"}}]}]},
  * or a COCO results file, e.g. maskrt's coco_results.json: [{"image_id", "category_id", "bbox": [x, y, w, h],
    "score", "segmentation": {"size": [h, w], "counts": "<compressed RLE>"}}, ...].

COCO image ids -> file names (what `maskrt predict` does, maskrt/src/main/java/dev/maskrt/cli/PredictCommand.java):
  * with --coco-gt GT.json: ids of GT's `images` by `file_name`, category ids by name among GT's `categories`;
  * without: if every image's file name (without extension) is all digits and they are distinct, that number is the
    id (COCO's own naming); otherwise 1..N in the order the files were processed (--images as given, directories
    expanded sorted by name, duplicates dropped), written to coco_image_ids.json ({"<path as given>": id}) next
    to coco_results.json. Category id = class index + 1.
--coco-images MAP gives that mapping: a coco_image_ids.json, a COCO ground truth JSON (its `images` and
`categories`; classes then map by name through the class names of the other side or --class-names), or a text
file with one image path per line (ids 1..N). Without --coco-images, coco_image_ids.json next to the results file
is used if present, else numeric file names of the other side's images. Images are paired by file name (the
base name; the whole normalised path if base names repeat).

Matching, per image: pairs of detections of the same class, greedily by descending box IoU (pairs below
--match-iou, default 0.5, are not matched). Criteria (issue tracker): class equal, box IoU >= 0.99,
|score diff| <= 1e-3, mask IoU >= 0.98. Every detection must be matched and every match must pass.
Exit status 0 if all pass, 1 otherwise, 2 for unusable input.
"""
import argparse
import json
import os
import sys

import numpy as np


# ------------------------------------------------------------------------------------------------------- RLE

def decode_mask(seg):
    """{"size": [h, w], "counts": str | list} or {"size", "counts_uncompressed": list} -> bool [h, w]."""
    h, w = (int(v) for v in seg["size"])
    if "counts_uncompressed" in seg:
        counts = list(seg["counts_uncompressed"])
    elif isinstance(seg["counts"], str):
        # pycocotools (a wheel on every machine of ours) is the reference decoder of compressed RLE
        from pycocotools import mask as mask_utils
        return mask_utils.decode({"size": [h, w], "counts": seg["counts"].encode("ascii")}).astype(bool)
    elif isinstance(seg["counts"], list):
        counts = list(seg["counts"])
    else:
        raise ValueError(f"unsupported segmentation {type(seg['counts'])}")
    if sum(counts) != h * w:
        raise ValueError(f"RLE covers {sum(counts)} pixels, size is {h}x{w}")
    values = np.arange(len(counts)) % 2 == 1  # runs alternate 0, 1, 0, ... starting with zeros
    flat = np.repeat(values, counts)
    return flat.reshape((w, h)).T  # column-major


# ---------------------------------------------------------------------------------------------------- inputs

class InputError(ValueError):
    pass


def _key_names(files):
    """file -> key: base names if they are distinct, else normalised paths."""
    bases = [os.path.basename(f) for f in files]
    if len(set(bases)) == len(bases):
        return {f: b for f, b in zip(files, bases)}
    return {f: os.path.normpath(f) for f in files}


def load_d2(data):
    """detectron2_run.py JSON -> (class_names, {file: {"height", "width", "dets": [...]}})."""
    images = {}
    for im in data["images"]:
        dets = [{"box": [float(v) for v in d["box"]], "score": float(d["score"]), "class": int(d["class"]),
                 "mask": d.get("mask")} for d in im["instances"]]
        images[im["file"]] = {"height": im.get("height"), "width": im.get("width"), "dets": dets}
    return list(data.get("class_names", [])), images


def _stem(path):
    base = os.path.basename(path)
    dot = base.rfind(".")
    return base[:dot] if dot > 0 else base


def coco_mapping(results_path, coco_images, other_files):
    """(id -> file, category id -> name or None); None names mean class = category_id - 1."""
    path = coco_images
    if path is None:
        guess = os.path.join(os.path.dirname(os.path.abspath(results_path)), "coco_image_ids.json")
        if os.path.exists(guess):
            path = guess
    if path is None:  # maskrt's numeric-name rule, applied to the other side's files
        ids = {}
        for f in other_files:
            stem = _stem(f)
            if not stem.isdigit() or len(stem) > 18:
                raise InputError(f"{results_path}: COCO results need --coco-images (no coco_image_ids.json next to "
                                 f"it, and '{f}' has no numeric name)")
            ids[int(stem)] = f
        if len(ids) != len(other_files):
            raise InputError(f"{results_path}: numeric file names are not distinct; give --coco-images")
        return ids, None
    with open(path) as f:
        text = f.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        files = [line.strip() for line in text.splitlines() if line.strip()]
        return {i + 1: name for i, name in enumerate(files)}, None
    if isinstance(data, dict) and "images" in data:  # COCO ground truth
        ids = {int(im["id"]): im["file_name"] for im in data["images"]}
        cats = {int(c["id"]): c["name"] for c in data.get("categories", [])}
        return ids, cats
    if isinstance(data, dict):  # maskrt's coco_image_ids.json
        return {int(v): k for k, v in data.items()}, None
    raise InputError(f"{path}: not a coco_image_ids.json, COCO ground truth or list of files")


def load_coco(results, results_path, coco_images, other_files, class_names):
    ids, cats = coco_mapping(results_path, coco_images, other_files)
    if cats is not None and not class_names:
        raise InputError(f"{results_path}: categories map by name: the other side has no class_names; "
                         "give --class-names")
    name_to_class = {n: i for i, n in enumerate(class_names)}
    images = {f: {"height": None, "width": None, "dets": []} for f in ids.values()}
    for r in results:
        image_id = int(r["image_id"])
        if image_id not in ids:
            raise InputError(f"{results_path}: image_id {image_id} is not in the image mapping")
        if cats is None:
            cls = int(r["category_id"]) - 1
        else:
            name = cats.get(int(r["category_id"]))
            if name not in name_to_class:
                raise InputError(f"{results_path}: category {r['category_id']} ({name}) is not a class {class_names}")
            cls = name_to_class[name]
        x, y, w, h = (float(v) for v in r["bbox"])
        seg = r.get("segmentation")
        im = images[ids[image_id]]
        if seg is not None:
            im["height"], im["width"] = int(seg["size"][0]), int(seg["size"][1])
        im["dets"].append({"box": [x, y, x + w, y + h], "score": float(r["score"]), "class": cls, "mask": seg})
    return images


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: {e}") from e


# -------------------------------------------------------------------------------------------------- matching

def box_iou(a, b):
    """IoU matrix of [n, 4] and [m, 4] xyxy boxes (float64, continuous coordinates)."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    iw = (np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])).clip(0)
    ih = (np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])).clip(0)
    inter = iw * ih
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def mask_iou(ma, mb):
    if ma is None or mb is None:
        return None
    a, b = decode_mask(ma), decode_mask(mb)
    if a.shape != b.shape:
        return 0.0
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def match(dets_a, dets_b, match_iou):
    """Greedy one-to-one pairs (i, j, iou) of the same class by descending box IoU."""
    if not dets_a or not dets_b:
        return []
    iou = box_iou([d["box"] for d in dets_a], [d["box"] for d in dets_b])
    ca = np.array([d["class"] for d in dets_a])
    cb = np.array([d["class"] for d in dets_b])
    iou = np.where(ca[:, None] == cb[None, :], iou, -1.0)
    order = np.argsort(-iou, axis=None, kind="stable")
    used_a, used_b, pairs = set(), set(), []
    for flat in order:
        i, j = divmod(int(flat), len(dets_b))
        if iou[i, j] < match_iou:
            break
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((i, j, float(iou[i, j])))
    return pairs


def compare_image(name, a, b, args, out):
    pairs = match(a["dets"], b["dets"], args.match_iou)
    matched_a = {i for i, _, _ in pairs}
    matched_b = {j for _, j, _ in pairs}
    stats = {"image": name, "a": len(a["dets"]), "b": len(b["dets"]), "matched": len(pairs),
             "unmatched_a": len(a["dets"]) - len(pairs), "unmatched_b": len(b["dets"]) - len(pairs),
             "min_box_iou": None, "max_score_diff": None, "min_mask_iou": None, "failed_matches": 0}
    problems = []
    for i, j, biou in pairs:
        da, db = a["dets"][i], b["dets"][j]
        sdiff = abs(da["score"] - db["score"])
        miou = mask_iou(da.get("mask"), db.get("mask"))
        stats["min_box_iou"] = biou if stats["min_box_iou"] is None else min(stats["min_box_iou"], biou)
        stats["max_score_diff"] = sdiff if stats["max_score_diff"] is None else max(stats["max_score_diff"], sdiff)
        if miou is not None:
            stats["min_mask_iou"] = miou if stats["min_mask_iou"] is None else min(stats["min_mask_iou"], miou)
        why = []
        if biou < args.box_iou:
            why.append(f"box IoU {biou:.5f}")
        if sdiff > args.score_diff:
            why.append(f"|score diff| {sdiff:.2e}")
        if miou is None and args.mask_iou > 0:
            why.append("mask missing")
        elif miou is not None and miou < args.mask_iou:
            why.append(f"mask IoU {miou:.5f}")
        if why:
            stats["failed_matches"] += 1
            problems.append(f"A[{i}]~B[{j}] class {da['class']}: " + ", ".join(why)
                            + f" (A box {_fmt(da['box'])} score {da['score']:.6f}; B box {_fmt(db['box'])} "
                              f"score {db['score']:.6f})")
    for side, dets, other, used in (("A", a["dets"], b["dets"], matched_a), ("B", b["dets"], a["dets"], matched_b)):
        for k, d in enumerate(dets):
            if k in used:
                continue
            hint = ""
            if other:
                ious = box_iou([d["box"]], [o["box"] for o in other])[0]
                best = int(np.argmax(ious))
                hint = (f"; nearest on the other side: class {other[best]['class']} IoU {ious[best]:.4f} "
                        f"score {other[best]['score']:.6f}")
            problems.append(f"unmatched {side}[{k}] class {d['class']} score {d['score']:.6f} box "
                            f"{_fmt(d['box'])}{hint}")
    ok = stats["unmatched_a"] == 0 and stats["unmatched_b"] == 0 and stats["failed_matches"] == 0
    stats["ok"] = ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: A {stats['a']}, B {stats['b']}, matched {stats['matched']}, "
          f"unmatched A {stats['unmatched_a']} / B {stats['unmatched_b']}, "
          f"min box IoU {_opt(stats['min_box_iou'], '.6f')}, max |score diff| {_opt(stats['max_score_diff'], '.2e')}, "
          f"min mask IoU {_opt(stats['min_mask_iou'], '.6f')}, failed matches {stats['failed_matches']}", file=out)
    limit = None if args.verbose else 10
    for line in problems[:limit]:
        print(f"     {line}", file=out)
    if limit is not None and len(problems) > limit:
        print(f"     ... {len(problems) - limit} more (-v shows all)", file=out)
    return stats


def _fmt(box):
    return "[" + ", ".join(f"{v:.3f}" for v in box) + "]"


def _opt(v, spec):
    return "-" if v is None else format(v, spec)


# ------------------------------------------------------------------------------------------------------ main

def load_side(path, data, coco_images, other_files, class_names):
    if isinstance(data, dict) and "images" in data:
        return load_d2(data)[1]
    if isinstance(data, list):
        return load_coco(data, path, coco_images, other_files, class_names)
    raise InputError(f"{path}: neither detectron2_run.py JSON nor a COCO results list")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a", help="detectron2_run.py JSON or COCO results")
    ap.add_argument("b", help="detectron2_run.py JSON or COCO results (e.g. maskrt's coco_results.json)")
    ap.add_argument("--coco-images", default=None,
                    help="image id -> file for COCO results: coco_image_ids.json, COCO GT JSON, or a list of files")
    ap.add_argument("--class-names", default=None, help="comma-separated class names (COCO GT categories by name)")
    ap.add_argument("--match-iou", type=float, default=0.5, help="least box IoU of a matched pair (0.5)")
    ap.add_argument("--box-iou", type=float, default=0.99, help="criterion: box IoU >= this (0.99)")
    ap.add_argument("--score-diff", type=float, default=1e-3, help="criterion: |score diff| <= this (1e-3)")
    ap.add_argument("--mask-iou", type=float, default=0.98, help="criterion: mask IoU >= this (0.98; 0: no masks)")
    ap.add_argument("--json", default=None, help="also write the per-image statistics as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every problem")
    args = ap.parse_args(argv)
    try:
        data_a, data_b = read_json(args.a), read_json(args.b)
        names = args.class_names.split(",") if args.class_names else []
        for data in (data_a, data_b):
            if not names and isinstance(data, dict):
                names = list(data.get("class_names", []))
        if isinstance(data_a, list) and isinstance(data_b, list):
            raise InputError("at least one side must be detectron2_run.py JSON (it names the image files)")
        if isinstance(data_a, list):
            images_b = load_side(args.b, data_b, None, [], names)
            images_a = load_side(args.a, data_a, args.coco_images, list(images_b), names)
        else:
            images_a = load_side(args.a, data_a, None, [], names)
            images_b = load_side(args.b, data_b, args.coco_images, list(images_a), names)
    except (InputError, KeyError, TypeError, ValueError) as e:
        print(f"compare_detections: {e}", file=sys.stderr)
        return 2

    keys_a, keys_b = _key_names(list(images_a)), _key_names(list(images_b))
    by_key_b = {keys_b[f]: f for f in images_b}
    all_stats, ok = [], True
    empty = {"height": None, "width": None, "dets": []}
    for fa in images_a:
        key = keys_a[fa]
        fb = by_key_b.pop(key, None)
        if fb is None:
            print(f"FAIL {key}: not in B", file=sys.stdout)
            ok = False
            continue
        a, b = images_a[fa], images_b[fb]
        if None not in (a["height"], b["height"]) and (a["height"], a["width"]) != (b["height"], b["width"]):
            print(f"FAIL {key}: sizes differ: A {a['height']}x{a['width']}, B {b['height']}x{b['width']}")
            ok = False
            continue
        stats = compare_image(key, a, b, args, sys.stdout)
        all_stats.append(stats)
        ok &= stats["ok"]
    for key, fb in by_key_b.items():
        if images_b[fb]["dets"]:
            print(f"FAIL {key}: not in A ({len(images_b[fb]['dets'])} detections in B)")
            ok = False
        else:
            all_stats.append(compare_image(key, empty, images_b[fb], args, sys.stdout))

    def agg(key, fn):
        vals = [s[key] for s in all_stats if s[key] is not None]
        return fn(vals) if vals else None

    total = {k: sum(s[k] for s in all_stats) for k in ("a", "b", "matched", "unmatched_a", "unmatched_b",
                                                        "failed_matches")}
    print(f"{'PASS' if ok else 'FAIL'}: {len(all_stats)} image(s), A {total['a']}, B {total['b']}, matched "
          f"{total['matched']}, unmatched A {total['unmatched_a']} / B {total['unmatched_b']}, min box IoU "
          f"{_opt(agg('min_box_iou', min), '.6f')}, max |score diff| {_opt(agg('max_score_diff', max), '.2e')}, "
          f"min mask IoU {_opt(agg('min_mask_iou', min), '.6f')}, failed matches {total['failed_matches']} "
          f"(criteria: box IoU >= {args.box_iou}, |score diff| <= {args.score_diff}, mask IoU >= {args.mask_iou})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"ok": ok, "total": total, "images": all_stats}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
