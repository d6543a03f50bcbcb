"""Mask encodings written by the generator: COCO compressed RLE (pycocotools) and Kaggle row-major RLE."""
import numpy as np


def coco_counts(mask):
    """Column-major run lengths of a [H, W] bool mask, starting with a (possibly empty) run of zeros."""
    flat = np.asarray(mask, dtype=np.uint8).flatten(order="F")
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        counts = [0] + counts
    return counts


def coco_rle_string(counts):
    """pycocotools rleToString: each count (minus the one two before, from the third on) as 5-bit groups
    with a continuation bit, offset by 48."""
    out = []
    for i, x in enumerate(counts):
        if i > 2:
            x -= counts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5  # arithmetic shift, like C's on a signed long
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def coco_rle_decode(rle):
    """Inverse of coco_rle_string + coco_counts (for self-checks): {"size": [h, w], "counts": str} -> bool mask."""
    h, w = rle["size"]
    s, counts, p = rle["counts"], [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    flat = np.zeros(h * w, dtype=bool)
    pos, val = 0, False
    for c in counts:
        flat[pos:pos + c] = val
        pos += c
        val = not val
    return flat.reshape(w, h).T


def kaggle_rle(mask):
    """Sartorius train.csv annotation: 'start length ...', starts 1-indexed over the row-major flattened mask."""
    flat = np.concatenate(([0], np.asarray(mask, dtype=np.uint8).reshape(-1), [0]))
    change = np.flatnonzero(np.diff(flat))
    starts, ends = change[0::2], change[1::2]
    return " ".join(f"{s + 1} {e - s}" for s, e in zip(starts, ends))


def bbox_xywh(mask):
    """Tight [x, y, w, h] of the set pixels (pycocotools toBbox of a non-empty mask)."""
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    return [int(xs[0]), int(ys[0]), int(xs[-1] - xs[0] + 1), int(ys[-1] - ys[0] + 1)]
