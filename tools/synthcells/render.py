"""Renders one synthetic phase-contrast-like image and its non-overlapping instance masks.

Cells are unions of primitives (a star-shaped "blob" with random harmonics, and tapered "segment" processes),
evaluated on the pixel centres of their own bounding box. They are painted into a label map in order, so a
later cell occludes an earlier one (Sartorius ground truth is non-overlapping too). The grey image is then
made from the label map: bright halo outside each cell and dark rim inside (blur(mask) - mask), per-cell
body offset and grainy texture, darker nuclei, bright lines where cells touch, unannotated debris, uneven
illumination, blur and noise. Everything is numpy with one seeded Generator per image: deterministic.
"""
import math

import numpy as np

WIDTH, HEIGHT = 704, 520
CLASSES = ("shsy5y", "astro", "cort")
MIN_VISIBLE_AREA = 20  # occluded remnants smaller than this are dropped from the ground truth


# ------------------------------------------------------------------------------------------------- filters

def gaussian_kernel(sigma):
    r = max(1, int(math.ceil(3 * sigma)))
    x = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def blur(img, sigma):
    """Separable Gaussian blur with edge replication (sum of shifted slices: exact, order fixed)."""
    k = gaussian_kernel(sigma)
    r = len(k) // 2
    h, w = img.shape
    p = np.pad(img.astype(np.float64), ((0, 0), (r, r)), mode="edge")
    tmp = sum(k[i] * p[:, i:i + w] for i in range(len(k)))
    p = np.pad(tmp, ((r, r), (0, 0)), mode="edge")
    return sum(k[i] * p[i:i + h, :] for i in range(len(k)))


# ---------------------------------------------------------------------------------------------- primitives

def blob(cx, cy, radius, elong, angle, harmonics):
    """Star-shaped blob: r(theta) = radius * (1 + sum a cos(k theta + phi)) in a frame rotated by angle and
    stretched by elong along its first axis. harmonics: list of (k, a, phi)."""
    extent = radius * elong * (1 + sum(abs(a) for _, a, _ in harmonics)) + 1
    return ("blob", cx, cy, radius, elong, angle, harmonics, extent)


def segment(ax, ay, bx, by, w0, w1):
    """Tapered capsule from (ax, ay) (width w0) to (bx, by) (width w1)."""
    return ("seg", ax, ay, bx, by, w0, w1)


def primitive_bounds(p):
    if p[0] == "blob":
        _, cx, cy, _, _, _, _, e = p
        return cx - e, cy - e, cx + e, cy + e
    _, ax, ay, bx, by, w0, w1 = p
    m = max(w0, w1) / 2 + 1
    return min(ax, bx) - m, min(ay, by) - m, max(ax, bx) + m, max(ay, by) + m


def evaluate(p, xx, yy):
    """Bool mask of primitive p at pixel centres (xx, yy)."""
    if p[0] == "blob":
        _, cx, cy, radius, elong, angle, harmonics, _ = p
        dx, dy = xx - cx, yy - cy
        c, s = math.cos(angle), math.sin(angle)
        u = (dx * c + dy * s) / elong
        v = -dx * s + dy * c
        theta = np.arctan2(v, u)
        r = np.ones_like(theta)
        for k, a, phi in harmonics:
            r += a * np.cos(k * theta + phi)
        return u * u + v * v < (radius * np.maximum(r, 0.3)) ** 2
    _, ax, ay, bx, by, w0, w1 = p
    vx, vy = bx - ax, by - ay
    t = np.clip(((xx - ax) * vx + (yy - ay) * vy) / max(vx * vx + vy * vy, 1e-9), 0.0, 1.0)
    d2 = (xx - ax - t * vx) ** 2 + (yy - ay - t * vy) ** 2
    half = (w0 + (w1 - w0) * t) / 2
    return d2 < half * half


def rasterise(prims, height, width):
    """(y0, x0, bool mask) of the union of primitives, clipped to the image; None when wholly outside."""
    bounds = [primitive_bounds(p) for p in prims]
    x0 = max(int(math.floor(min(b[0] for b in bounds))), 0)
    y0 = max(int(math.floor(min(b[1] for b in bounds))), 0)
    x1 = min(int(math.ceil(max(b[2] for b in bounds))) + 1, width)
    y1 = min(int(math.ceil(max(b[3] for b in bounds))) + 1, height)
    if x1 <= x0 or y1 <= y0:
        return None
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64) + 0.5
    m = np.zeros(xx.shape, dtype=bool)
    for p in prims:
        m |= evaluate(p, xx, yy)
    return y0, x0, m


# --------------------------------------------------------------------------------------------- cell types

def harmonics(rng, roughness, kmax=6):
    return [(k, float(rng.normal(0, roughness) / math.sqrt(k - 1)), float(rng.uniform(0, 2 * math.pi)))
            for k in range(2, kmax + 1)]


def shsy5y_cell(rng, cx, cy):
    """Small irregular body, often elongated, with 0-2 thin short neurites."""
    r = rng.uniform(7, 13)
    angle = rng.uniform(0, math.pi)
    prims = [blob(cx, cy, r, rng.uniform(1.0, 1.8), angle, harmonics(rng, 0.14))]
    for _ in range(rng.integers(0, 3)):
        a = rng.uniform(0, 2 * math.pi)
        length = r + rng.uniform(8, 24)
        prims.append(segment(cx, cy, cx + length * math.cos(a), cy + length * math.sin(a),
                             rng.uniform(3, 5), rng.uniform(1.5, 2.5)))
    return prims, r


def astro_cell(rng, cx, cy):
    """Large elongated body with 2-5 long tapered branches, some forked."""
    r = rng.uniform(13, 21)
    prims = [blob(cx, cy, r, rng.uniform(1.3, 2.6), rng.uniform(0, math.pi), harmonics(rng, 0.12))]
    for _ in range(rng.integers(2, 6)):
        a = rng.uniform(0, 2 * math.pi)
        length = r + rng.uniform(25, 85)
        bx, by = cx + length * math.cos(a), cy + length * math.sin(a)
        w0 = rng.uniform(9, 15)
        prims.append(segment(cx, cy, bx, by, w0, rng.uniform(3, 5)))
        if rng.random() < 0.5:
            t = rng.uniform(0.4, 0.7)
            mx, my = cx + t * (bx - cx), cy + t * (by - cy)
            a2 = a + rng.choice([-1, 1]) * rng.uniform(0.4, 1.0)
            l2 = rng.uniform(15, 45)
            prims.append(segment(mx, my, mx + l2 * math.cos(a2), my + l2 * math.sin(a2), w0 * 0.6, 3.0))
    return prims, r


def cort_cell(rng, cx, cy):
    """Small round body, now and then with one short thin process."""
    r = rng.uniform(5, 9)
    prims = [blob(cx, cy, r, rng.uniform(1.0, 1.3), rng.uniform(0, math.pi), harmonics(rng, 0.05))]
    if rng.random() < 0.3:
        a = rng.uniform(0, 2 * math.pi)
        length = r + rng.uniform(5, 15)
        prims.append(segment(cx, cy, cx + length * math.cos(a), cy + length * math.sin(a), 3.0, 1.5))
    return prims, r


# per class: cell builder, count range, clustering, halo amplitude, body offset range, texture amplitude
STYLE = {
    "shsy5y": dict(cell=shsy5y_cell, count=(100, 170), clusters=(3, 7), spread=(35, 80),
                   halo=65.0, body=(-14.0, 2.0), texture=9.0),
    "astro": dict(cell=astro_cell, count=(9, 18), clusters=None, spread=None,
                  halo=45.0, body=(-4.0, 10.0), texture=5.0),
    "cort": dict(cell=cort_cell, count=(25, 55), clusters=None, spread=None,
                 halo=75.0, body=(-12.0, -2.0), texture=6.0),
}


def cell_centres(rng, style, n, height, width):
    if style["clusters"] is None:
        return np.stack([rng.uniform(0, width, n), rng.uniform(0, height, n)], axis=1)
    k = int(rng.integers(style["clusters"][0], style["clusters"][1] + 1))
    centres = np.stack([rng.uniform(40, width - 40, k), rng.uniform(40, height - 40, k)], axis=1)
    spread = rng.uniform(*style["spread"], k)
    which = rng.integers(0, k, n)
    pts = centres[which] + rng.normal(0, 1, (n, 2)) * spread[which, None]
    # a quarter scattered uniformly so the whole field has cells
    scatter = rng.random(n) < 0.25
    pts[scatter] = np.stack([rng.uniform(0, width, scatter.sum()), rng.uniform(0, height, scatter.sum())], axis=1)
    return pts


# ------------------------------------------------------------------------------------------------- image

def render_image(rng, cell_type, height=HEIGHT, width=WIDTH):
    """Returns (uint8 image [H, W], list of bool masks [H, W] (non-overlapping, visible area >= 20 px))."""
    style = STYLE[cell_type]
    n = int(rng.integers(style["count"][0], style["count"][1] + 1))
    labels = np.zeros((height, width), dtype=np.int32)
    nuclei = np.zeros((height, width), dtype=np.float64)
    offsets = [0.0]
    for i, (cx, cy) in enumerate(cell_centres(rng, style, n, height, width)):
        prims, r = style["cell"](rng, float(cx), float(cy))
        raster = rasterise(prims, height, width)
        offsets.append(float(rng.uniform(*style["body"])))
        if raster is None:
            continue
        y0, x0, m = raster
        labels[y0:y0 + m.shape[0], x0:x0 + m.shape[1]][m] = i + 1  # later cells occlude earlier ones
        nuc = rasterise([blob(cx + rng.normal(0, r * 0.15), cy + rng.normal(0, r * 0.15), r * rng.uniform(0.3, 0.45),
                              1.0, 0.0, harmonics(rng, 0.05, 3))], height, width)
        if nuc is not None:
            ny, nx, nm = nuc
            nuclei[ny:ny + nm.shape[0], nx:nx + nm.shape[1]][nm] += rng.uniform(6, 16)

    # ground truth: what stays visible of each cell
    ids, areas = np.unique(labels[labels > 0], return_counts=True)
    keep = ids[areas >= MIN_VISIBLE_AREA]
    masks = [labels == i for i in keep]

    cells = (labels > 0).astype(np.float64)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    gx, gy = rng.uniform(-1, 1, 2)
    cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
    vignette = ((xx - cx) ** 2 + (yy - cy) ** 2) / (width * width)
    illumination = 1.0 + 0.07 * (gx * (xx / width - 0.5) + gy * (yy / height - 0.5)) - rng.uniform(0.1, 0.3) * vignette

    background = rng.uniform(115, 135)
    img = np.full((height, width), background)
    img += 4.0 * blur(rng.normal(0, 1, (height, width)), 6.0) * 3.0  # slow background mottling
    img += np.asarray(offsets)[labels] * cells
    texture = blur(rng.normal(0, 1, (height, width)), 1.2)
    img += style["texture"] * texture / texture.std() * cells
    img -= blur(nuclei * cells, 1.5)
    img += style["halo"] * (blur(cells, rng.uniform(1.3, 2.0)) - cells)
    touching = np.zeros((height, width), dtype=bool)
    for a, b in ((labels[:, 1:], labels[:, :-1]), (labels[1:, :], labels[:-1, :])):
        edge = (a != b) & (a > 0) & (b > 0)
        if a.shape[1] != width:
            touching[:, 1:] |= edge
        else:
            touching[1:, :] |= edge
    img += 30.0 * blur(touching.astype(np.float64), 0.8)
    # unannotated debris: small dark grains, some in clumps
    for _ in range(int(rng.integers(10, 40))):
        dx, dy = rng.uniform(0, width), rng.uniform(0, height)
        for _ in range(int(rng.integers(1, 6))):
            gxx, gyy = dx + rng.normal(0, 4), dy + rng.normal(0, 4)
            rr = rng.uniform(1.2, 2.8)
            x0, x1 = max(int(gxx - rr - 1), 0), min(int(gxx + rr + 2), width)
            y0, y1 = max(int(gyy - rr - 1), 0), min(int(gyy + rr + 2), height)
            if x1 > x0 and y1 > y0:
                py, px = np.mgrid[y0:y1, x0:x1] + 0.5
                img[y0:y1, x0:x1] -= 35.0 * (((px - gxx) ** 2 + (py - gyy) ** 2) < rr * rr)
    img = blur(img * illumination, rng.uniform(0.5, 0.9))
    img += rng.normal(0, rng.uniform(2.5, 5.0), (height, width))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), masks
