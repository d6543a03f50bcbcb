#!/bin/bash
# Sets up UPSTREAM mmdetection 2.16 on mmcv 1.3.9 (mmcv-full: its C++ ops compiled for the CPU) for
# tools/reference/mmdet_run.py, on Debian's /usr/bin/python3 (torch 1.13 / torchvision 0.14 CPU from apt).
#
# Usage: tools/reference/setup_mmdetection.sh [MIRRORS_DIR [DEST]]
#   MIRRORS_DIR  where the three bare git mirrors are (default /work/.mirror): MIRRORS_DIR/<owner>+<name>/repo
#   DEST         where to put everything (default /work/mmenv; keep it outside the repository)
# Environment:
#   MMDET_REV    mmdetection revision (default HEAD of the mirror = fa105393, whose mmdet/version.py says 2.16.0;
#                it is 29 commits after the tag v2.16.0 = 7bd39044, none of which changes the inference of the
#                Faster/Mask/Cascade R-CNN models beyond empty-proposal guards; MMDET_REV=v2.16.0 takes the tag)
#   MMCV_EXT     "build" (default): compile mmcv._ext, falling back to torchvision substitutes if that fails;
#                "torchvision": skip the compilation and install the substitutes
#   MAX_JOBS     compiler jobs for the mmcv build (default 2)
#
# Steps:
#  0. (not done here) bring the sources with the session's `fetch` tool — it is a tool call, not a shell command:
#       fetch github:dragonlzm/mmdetection   -> /work/.mirror/dragonlzm+mmdetection/repo   (a fork of open-mmlab's)
#       fetch github:open-mmlab/mmcv         -> /work/.mirror/open-mmlab+mmcv/repo
#       fetch github:mewwts/addict           -> /work/.mirror/mewwts+addict/repo
#     Debian packages: python3-torch python3-torchvision (torch 1.13 / torchvision 0.14), python3-numpy (1.24),
#     python3-yaml python3-pil, and for mmcv/mmdet python3-yapf (0.32: mmcv 1.3.9's Config.pretty_text calls
#     yapf's FormatCode(verify=True), removed in yapf 0.40) python3-terminaltables python3-matplotlib
#     python3-opencv python3-six python3-packaging; python3-dev (Python.h) g++ ninja-build for the build.
#  1. Extract with `git archive` into DEST/src: mmdetection MMDET_REV's `mmdet/` and `configs/`, mmcv tag v1.3.9's
#     `mmcv/` (mmdet 2.16 asserts 1.3.8 <= mmcv <= 1.4.0); addict tag v2.4.0's `addict/` into DEST/site (mmcv's
#     Config needs it; pure Python; not in the local wheel directory).
#  2. pip-install pycocotools (cp311 wheel; imports under /usr/bin/python3 with numpy 1.24) from /opt/pypi/files
#     (no index, no deps) into DEST/site: mmdet.apis imports mmdet.datasets, which imports pycocotools.
#  3. Build mmcv's C++ extension `mmcv._ext` for the CPU, as mmcv's own instructions do it, on a full `git archive
#     v1.3.9` checkout in DEST/src-mmcv-build:
#       MMCV_WITH_OPS=1 MAX_JOBS=2 nice -n 19 python3 setup.py build_ext --inplace
#     (no CUDA here: setup.py compiles ./mmcv/ops/csrc/pytorch/*.cpp only, as a CppExtension, ~15-30 min on 2 cores)
#     One change to the checkout: the line `setup_requires=['pytest-runner'],` is deleted from setup.py, because
#     setuptools would otherwise try to download pytest-runner from PyPI before building anything, and fail
#     offline ("DistutilsError: Command [... pip wheel ... pytest-runner] returned non-zero exit status 1").
#     The built _ext.cpython-311-x86_64-linux-gnu.so is copied into DEST/src/mmcv. A build already made from the
#     same mmcv commit (DEST/src-mmcv-build/BUILT_FROM) is reused; delete that folder to rebuild.
#     Result on this machine: BUILT, no error (g++ 12.2, torch 1.13.0a0 headers, 31 .cpp files, warnings only;
#     ~14 min at nice 19 on 2 shared cores; a 105 MB .so with debug info); its CPU nms and roi_align match
#     torchvision's exactly on the checks of step 6.
#     If the build fails, the fallback is DEST/src/mmcv/_ext.py = the torchvision substitutes of step 4, and
#     mmdet_run.py reports mmcv.ops "torchvision substitutes".
#  4. Always write DEST/src/mmcv/_ext_torchvision.py: torchvision CPU kernels with the signatures mmcv 1.3.9's
#     Python wrappers call (nms offset 0 -> torchvision.ops.nms; roi_align_forward avg -> torchvision.ops.roi_align
#     into `output`; deform_conv_forward / modulated_deform_conv_forward -> torchvision.ops.deform_conv2d (same
#     offset layout: per deformable group and kernel tap a (dy, dx) pair), every other name ext_loader asserts
#     raising NotImplementedError). Even the compiled mmcv 1.3.9 has no CPU deformable convolution
#     ("DeformConv is not implemented on CPU"): mmdet_run.py routes only those two CPU calls to torchvision
#     (`patch_compiled`), so the DCN configs run; NMS and RoIAlign stay mmcv's compiled kernels.
#  5. Write DEST/versions.json (the commits used; mmdet_run.py records them), DEST/env.sh (exports
#     PYTHONPATH = DEST/site:DEST/src) and DEST/verify_mmcv_ops.py.
#  6. Smoke test: import mmcv.ops and mmdet.apis under /usr/bin/python3, then DEST/verify_mmcv_ops.py: mmcv's nms
#     and roi_align == torchvision's on random inputs; DeformConv2d / ModulatedDeformConv2d with zero offsets ==
#     F.conv2d, and with random offsets/masks == a naive implementation of mmcv's CUDA kernel semantics.
#
# Afterwards:
#   source /work/mmenv/env.sh
#   /usr/bin/python3 tools/reference/mmdet_run.py --config configs/mask_rcnn/mask_rcnn_r50_fpn_1x_coco.py \
#       --checkpoint CKPT.pth --images samples/images/* --out /tmp/mmdet.json
set -euo pipefail

MIRRORS=${1:-/work/.mirror}
DEST=${2:-/work/mmenv}
PY=/usr/bin/python3
WHEELS=/opt/pypi/files
MMDET_REV=${MMDET_REV:-HEAD}
MMCV_REV=v1.3.9
ADDICT_REV=v2.4.0
MMCV_EXT=${MMCV_EXT:-build}
export MAX_JOBS=${MAX_JOBS:-2}

declare -A REPO=([mmdetection]=dragonlzm+mmdetection [mmcv]=open-mmlab+mmcv [addict]=mewwts+addict)
declare -A REV=([mmdetection]=$MMDET_REV [mmcv]=$MMCV_REV [addict]=$ADDICT_REV)
declare -A COMMIT

mkdir -p "$DEST/src" "$DEST/site"

# 1. sources
for name in mmdetection mmcv addict; do
    git_dir="$MIRRORS/${REPO[$name]}/repo"
    [[ -d "$git_dir" ]] || { echo "missing mirror $git_dir: fetch github:${REPO[$name]/+//} first" >&2; exit 1; }
    COMMIT[$name]=$(git --git-dir="$git_dir" rev-parse "${REV[$name]}^{commit}")
done
archive() {  # archive NAME DIR PATHS...: extract PATHS of NAME's commit into DIR (replacing them)
    local name=$1 dir=$2; shift 2
    for p in "$@"; do rm -rf "${dir:?}/$p"; done
    git --git-dir="$MIRRORS/${REPO[$name]}/repo" archive "${COMMIT[$name]}" "$@" | tar -x -C "$dir"
    echo "extracted $name ${REV[$name]} = ${COMMIT[$name]}: $*"
}
archive mmdetection "$DEST/src" mmdet configs
archive mmcv "$DEST/src" mmcv
archive addict "$DEST/site" addict
mmdet_version=$(sed -n "s/^__version__ = '\(.*\)'/\1/p" "$DEST/src/mmdet/version.py")
mmcv_version=$(sed -n "s/^__version__ = '\(.*\)'/\1/p" "$DEST/src/mmcv/version.py")
echo "mmdet $mmdet_version, mmcv $mmcv_version"

# 2. wheels
"$PY" -m pip install --quiet --no-index --find-links "$WHEELS" --target "$DEST/site" --no-deps --upgrade pycocotools

# 3. mmcv._ext, compiled for the CPU
BUILD="$DEST/src-mmcv-build"
ext_so=""
if [[ "$MMCV_EXT" == build ]]; then
    if [[ -f "$BUILD/BUILT_FROM" && "$(cat "$BUILD/BUILT_FROM")" == "${COMMIT[mmcv]}" ]] \
            && ls "$BUILD"/mmcv/_ext.*.so >/dev/null 2>&1; then
        echo "reusing the mmcv._ext built from ${COMMIT[mmcv]} in $BUILD"
    else
        rm -rf "$BUILD"
        mkdir -p "$BUILD"
        git --git-dir="$MIRRORS/${REPO[mmcv]}/repo" archive "${COMMIT[mmcv]}" | tar -x -C "$BUILD"
        sed -i "/^    setup_requires=\['pytest-runner'\],$/d" "$BUILD/setup.py"
        if grep -q "setup_requires" "$BUILD/setup.py"; then
            echo "setup_requires still in $BUILD/setup.py" >&2
            exit 1
        fi
        echo "building mmcv._ext (CPU, MAX_JOBS=$MAX_JOBS; log $DEST/mmcv-build.log) ..."
        if (cd "$BUILD" && MMCV_WITH_OPS=1 nice -n 19 "$PY" setup.py build_ext --inplace) \
                > "$DEST/mmcv-build.log" 2>&1 && ls "$BUILD"/mmcv/_ext.*.so >/dev/null 2>&1; then
            echo "${COMMIT[mmcv]}" > "$BUILD/BUILT_FROM"
        else
            echo "mmcv._ext build FAILED (tail of $DEST/mmcv-build.log below); using torchvision substitutes" >&2
            tail -20 "$DEST/mmcv-build.log" >&2
        fi
    fi
    ls "$BUILD"/mmcv/_ext.*.so >/dev/null 2>&1 && [[ -f "$BUILD/BUILT_FROM" ]] && ext_so=$(ls "$BUILD"/mmcv/_ext.*.so)
fi
rm -f "$DEST/src/mmcv/_ext.py" "$DEST"/src/mmcv/_ext.*.so
if [[ -n "$ext_so" ]]; then
    cp "$ext_so" "$DEST/src/mmcv/"
    mmcv_ops=compiled
else
    mmcv_ops="torchvision substitutes"
fi

# 4. torchvision substitutes (always: CPU deformable convolution), and the fallback mmcv/_ext.py
cat > "$DEST/src/mmcv/_ext_torchvision.py" <<'PYEOF'
"""torchvision CPU kernels standing in for mmcv 1.3.9's compiled `mmcv._ext` (written by maskrt's
tools/reference/setup_mmdetection.sh; not part of mmcv).

Same names and call signatures as mmcv 1.3.9's Python wrappers use them (mmcv/ops/nms.py, roi_align.py,
deform_conv.py, modulated_deform_conv.py); results are written in place where mmcv's kernels write in place:

  nms(boxes, scores, iou_threshold, offset)        -> torchvision.ops.nms; offset 1 (legacy "+1" areas) refused
  roi_align_forward(input, rois, output, argmax_y, argmax_x, aligned_height, aligned_width, spatial_scale,
                    sampling_ratio, pool_mode, aligned)
                                                   -> torchvision.ops.roi_align into `output`; pool_mode 1 (avg) only
  deform_conv_forward(input, weight, offset, output, columns, ones, kW, kH, dW, dH, padW, padH, dilationW,
                      dilationH, group, deformable_group, im2col_step)
                                                   -> torchvision.ops.deform_conv2d into `output`
  modulated_deform_conv_forward(input, weight, bias, ones, offset, mask, output, columns, kernel_h, kernel_w,
                                stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, group, deformable_group,
                                with_bias)         -> torchvision.ops.deform_conv2d(mask=...) into `output`

Offsets: mmcv and torchvision share the layout [N, deform_groups * kH * kW * 2, Ho, Wo], per deformable group and
kernel tap (row-major i*kW+j) a (dy, dx) pair; the mask is [N, deform_groups * kH * kW, Ho, Wo]. Both sample
bilinearly with zero outside the image and return 0 for points at or beyond one pixel outside it.

Every other name mmcv's ext_loader asserts (STUB_NAMES) raises NotImplementedError naming the op.

Two uses:
  * fallback `mmcv/_ext.py` (when the C++ extension could not be built): `from mmcv._ext_torchvision import *`;
  * with the compiled extension, whose 1.3.9 deform_conv_forward / modulated_deform_conv_forward have no CPU kernel
    ("DeformConv is not implemented on CPU"): patch_compiled(mmcv._ext) routes CPU calls of those two to the
    functions here (CUDA tensors still go to the compiled kernels) and counts the calls in CALLS.
"""
import collections

import torch
import torchvision

CALLS = collections.Counter()

IMPLEMENTED = ('nms', 'roi_align_forward', 'deform_conv_forward', 'modulated_deform_conv_forward')

# every other function mmcv 1.3.9's ops modules assert on `mmcv._ext` (ext_loader.load_ext)
STUB_NAMES = (
    'bbox_overlaps', 'border_align_backward', 'border_align_forward', 'bottom_pool_backward', 'bottom_pool_forward',
    'box_iou_rotated', 'ca_backward', 'ca_forward', 'ca_map_backward', 'ca_map_forward', 'carafe_backward',
    'carafe_forward', 'carafe_naive_backward', 'carafe_naive_forward', 'contour_expand',
    'deform_conv_backward_input', 'deform_conv_backward_parameters', 'deform_roi_pool_backward',
    'deform_roi_pool_forward', 'fused_bias_leakyrelu', 'get_compiler_version', 'get_compiling_cuda_version',
    'left_pool_backward', 'left_pool_forward', 'masked_col2im_forward', 'masked_im2col_forward',
    'modulated_deform_conv_backward', 'ms_deform_attn_backward', 'ms_deform_attn_forward', 'nms_match',
    'nms_rotated', 'pixel_group', 'psamask_backward', 'psamask_forward', 'right_pool_backward', 'right_pool_forward',
    'roi_align_backward', 'roi_align_rotated_backward', 'roi_align_rotated_forward', 'roi_pool_backward',
    'roi_pool_forward', 'sigmoid_focal_loss_backward', 'sigmoid_focal_loss_forward', 'softmax_focal_loss_backward',
    'softmax_focal_loss_forward', 'softnms', 'sync_bn_backward_data', 'sync_bn_backward_param',
    'sync_bn_forward_mean', 'sync_bn_forward_output', 'sync_bn_forward_var', 'tin_shift_backward',
    'tin_shift_forward', 'top_pool_backward', 'top_pool_forward', 'upfirdn2d',
)

__all__ = list(IMPLEMENTED) + list(STUB_NAMES) + ['CALLS', 'patch_compiled']


def nms(boxes, scores, iou_threshold, offset):
    CALLS['nms'] += 1
    if int(offset) != 0:
        raise NotImplementedError('mmcv._ext.nms: offset=1 (legacy +1 box areas) has no torchvision substitute')
    return torchvision.ops.nms(boxes, scores, float(iou_threshold))


def roi_align_forward(input, rois, output, argmax_y, argmax_x, aligned_height, aligned_width, spatial_scale,
                      sampling_ratio, pool_mode, aligned):
    CALLS['roi_align_forward'] += 1
    if int(pool_mode) != 1:
        raise NotImplementedError("mmcv._ext.roi_align_forward: pool_mode 'max' has no torchvision substitute")
    out = torchvision.ops.roi_align(input, rois.to(input.dtype), (int(aligned_height), int(aligned_width)),
                                    spatial_scale=float(spatial_scale), sampling_ratio=int(sampling_ratio),
                                    aligned=bool(aligned))
    output.copy_(out)


def _check_groups(name, input, weight, offset, kh, kw, group, deformable_group):
    if input.size(1) != weight.size(1) * group:
        raise ValueError(f'{name}: input channels {input.size(1)} != weight in-channels {weight.size(1)} x '
                         f'group {group}')
    if offset.size(1) != 2 * kh * kw * deformable_group:
        raise ValueError(f'{name}: offset channels {offset.size(1)} != 2 x {kh}x{kw} x deformable_group '
                         f'{deformable_group}')


def deform_conv_forward(input, weight, offset, output, columns, ones, kW, kH, dW, dH, padW, padH, dilationW,
                        dilationH, group, deformable_group, im2col_step):
    CALLS['deform_conv_forward'] += 1
    _check_groups('deform_conv_forward', input, weight, offset, kH, kW, group, deformable_group)
    out = torchvision.ops.deform_conv2d(input, offset, weight, None, stride=(dH, dW), padding=(padH, padW),
                                        dilation=(dilationH, dilationW))
    output.copy_(out)


def modulated_deform_conv_forward(input, weight, bias, ones, offset, mask, output, columns, kernel_h, kernel_w,
                                  stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, group,
                                  deformable_group, with_bias):
    CALLS['modulated_deform_conv_forward'] += 1
    _check_groups('modulated_deform_conv_forward', input, weight, offset, kernel_h, kernel_w, group,
                  deformable_group)
    if mask.size(1) != kernel_h * kernel_w * deformable_group:
        raise ValueError(f'modulated_deform_conv_forward: mask channels {mask.size(1)} != {kernel_h}x{kernel_w} x '
                         f'deformable_group {deformable_group}')
    out = torchvision.ops.deform_conv2d(input, offset, weight, bias if with_bias else None,
                                        stride=(stride_h, stride_w), padding=(pad_h, pad_w),
                                        dilation=(dilation_h, dilation_w), mask=mask)
    output.copy_(out)


def _stub(name):
    def stub(*args, **kwargs):
        raise NotImplementedError(f'mmcv._ext.{name}: mmcv was not compiled here; only {", ".join(IMPLEMENTED)} '
                                  f'have torchvision CPU substitutes (mmcv/_ext_torchvision.py)')
    stub.__name__ = stub.__qualname__ = name
    return stub


for _name in STUB_NAMES:
    globals()[_name] = _stub(_name)


def patch_compiled(ext):
    """Route CPU calls of the compiled extension's deform_conv_forward / modulated_deform_conv_forward (which raise
    'not implemented on CPU' in mmcv 1.3.9) to the torchvision versions here. Returns the patched names."""
    if not hasattr(ext, '__file__') or ext.__file__.endswith('.py'):
        return []
    patched = []
    for name, substitute, tensor_arg in (('deform_conv_forward', deform_conv_forward, 0),
                                         ('modulated_deform_conv_forward', modulated_deform_conv_forward, 0)):
        original = getattr(ext, name)
        if getattr(original, '_torchvision_cpu_patch', False):
            patched.append(name)
            continue

        def routed(*args, _orig=original, _sub=substitute, _i=tensor_arg, **kwargs):
            if args[_i].device.type == 'cpu':
                return _sub(*args, **kwargs)
            return _orig(*args, **kwargs)

        routed._torchvision_cpu_patch = True
        routed.__name__ = name
        setattr(ext, name, routed)
        patched.append(name)
    return patched
PYEOF
if [[ "$mmcv_ops" == compiled ]]; then
    echo "mmcv._ext: compiled $(basename "$ext_so") (+ mmcv/_ext_torchvision.py for CPU deformable convolution)"
else
    cat > "$DEST/src/mmcv/_ext.py" <<'PYEOF'
"""Fallback `mmcv._ext` written by maskrt's tools/reference/setup_mmdetection.sh (mmcv's C++ extension was not
built): torchvision CPU substitutes for nms, roi_align_forward, deform_conv_forward, modulated_deform_conv_forward;
every other op raises NotImplementedError. See mmcv/_ext_torchvision.py."""
from mmcv._ext_torchvision import *  # noqa: F401,F403
from mmcv._ext_torchvision import __all__  # noqa: F401
PYEOF
    echo "mmcv._ext: torchvision substitutes (mmcv/_ext.py)"
fi

# 5. versions, environment, op checks
cat > "$DEST/versions.json" <<JSON
{"mmdetection": {"rev": "${REV[mmdetection]}", "commit": "${COMMIT[mmdetection]}", "version": "$mmdet_version"},
 "mmcv": {"rev": "${REV[mmcv]}", "commit": "${COMMIT[mmcv]}", "version": "$mmcv_version", "ops": "$mmcv_ops"},
 "addict": {"rev": "${REV[addict]}", "commit": "${COMMIT[addict]}"}}
JSON
PYPATH="$DEST/site:$DEST/src"
cat > "$DEST/env.sh" <<EOF2
# source me: the PYTHONPATH for upstream mmdetection/mmcv under /usr/bin/python3 (made by setup_mmdetection.sh)
export PYTHONPATH="$PYPATH\${PYTHONPATH:+:\$PYTHONPATH}"
EOF2
cat > "$DEST/verify_mmcv_ops.py" <<'PYEOF'
"""Checks mmcv's ops as this environment runs them on the CPU (written by maskrt's setup_mmdetection.sh).

  * mmcv.ops.nms == torchvision.ops.nms (kept indices) on random boxes;
  * mmcv.ops.roi_align (avg, aligned True/False, sampling_ratio 0/2) == torchvision.ops.roi_align;
  * DeformConv2d / ModulatedDeformConv2d with zero offsets (mask 1) == F.conv2d (+ bias);
  * DeformConv2d / ModulatedDeformConv2d with random offsets/masks == a naive NumPy-free torch implementation of
    mmcv's CUDA kernel semantics (deformable_im2col: offsets per deformable group and kernel tap (i*kW+j) as a
    (dy, dx) pair, bilinear sampling, 0 at or beyond one pixel outside the image, zero corners outside).
Prints what mmcv._ext is and exits non-zero on any mismatch.
"""
import sys

import torch
import torch.nn.functional as F
import torchvision

import mmcv._ext as ext
import mmcv._ext_torchvision as tv
from mmcv.ops import DeformConv2d, ModulatedDeformConv2d, nms, roi_align

torch.manual_seed(0)
compiled = not ext.__file__.endswith('.py')
patched = tv.patch_compiled(ext) if compiled else []
print(f'mmcv._ext: {ext.__file__} ({"compiled" if compiled else "torchvision substitutes"}); '
      f'CPU deform conv patched: {patched or "n/a"}')
failures = []


def check(name, ok, detail=''):
    print(f'  {"ok  " if ok else "FAIL"} {name} {detail}')
    if not ok:
        failures.append(name)


# nms
for trial in range(5):
    n = 500
    xy = torch.rand(n, 2) * 200
    wh = torch.rand(n, 2) * 60 + 1
    boxes = torch.cat([xy, xy + wh], 1)
    scores = torch.rand(n)
    for thr in (0.3, 0.5, 0.7):
        _, keep = nms(boxes, scores, thr)
        ref = torchvision.ops.nms(boxes, scores, thr)
        check(f'nms trial {trial} iou {thr}', torch.equal(keep, ref), f'({len(keep)} kept)')

# roi_align
feat = torch.randn(2, 16, 40, 56)
k = 64
b = torch.randint(0, 2, (k, 1)).float()
xy = torch.rand(k, 2) * torch.tensor([200., 150.])
wh = torch.rand(k, 2) * 120 + 0.5
rois = torch.cat([b, xy, xy + wh], 1)
for aligned in (True, False):
    for sr in (0, 2):
        for scale in (0.25, 0.125):
            out = roi_align(feat, rois, (7, 7), scale, sr, 'avg', aligned)
            ref = torchvision.ops.roi_align(feat, rois, (7, 7), scale, sr, aligned)
            err = (out - ref).abs().max().item()
            check(f'roi_align aligned={aligned} sampling_ratio={sr} scale={scale}', err <= 1e-5,
                  f'max |diff| {err:.2e}')


def naive_deform_conv(x, offset, weight, bias, stride, pad, dil, mask=None):
    """mmcv's deformable_im2col + GEMM, written out (groups 1, any deformable groups)."""
    n, c, h, w = x.shape
    oc, _, kh, kw = weight.shape
    ho = (h + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    wo = (w + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    dg = offset.shape[1] // (2 * kh * kw)
    xp = F.pad(x, (1, 1, 1, 1))  # zero corners one pixel outside
    base_y = (torch.arange(ho) * stride - pad).view(ho, 1).double()
    base_x = (torch.arange(wo) * stride - pad).view(1, wo).double()
    cols = torch.zeros(n, c, kh * kw, ho, wo, dtype=torch.float64)
    for bi in range(n):
        for ci in range(c):
            g = ci // (c // dg)
            for i in range(kh):
                for j in range(kw):
                    t = i * kw + j
                    py = base_y + i * dil + offset[bi, g * 2 * kh * kw + 2 * t].double()
                    px = base_x + j * dil + offset[bi, g * 2 * kh * kw + 2 * t + 1].double()
                    inside = (py > -1) & (px > -1) & (py < h) & (px < w)
                    y0 = torch.floor(py)
                    x0 = torch.floor(px)
                    ly, lx = py - y0, px - x0
                    y0i = y0.long().clamp(-1, h) + 1
                    x0i = x0.long().clamp(-1, w) + 1
                    y1i = (y0i + 1).clamp(max=h + 1)
                    x1i = (x0i + 1).clamp(max=w + 1)
                    img = xp[bi, ci].double()
                    v = ((1 - ly) * (1 - lx) * img[y0i, x0i] + (1 - ly) * lx * img[y0i, x1i]
                         + ly * (1 - lx) * img[y1i, x0i] + ly * lx * img[y1i, x1i])
                    v = torch.where(inside, v, torch.zeros_like(v))
                    if mask is not None:
                        v = v * mask[bi, g * kh * kw + t].double()
                    cols[bi, ci, t] = v
    out = torch.einsum('nctyx,oct->noyx', cols, weight.double().view(oc, c, kh * kw))
    if bias is not None:
        out = out + bias.double().view(1, oc, 1, 1)
    return out.float()


with torch.no_grad():
    x = torch.randn(2, 8, 13, 17)
    for stride, pad, dil in ((1, 1, 1), (2, 1, 1), (1, 2, 2)):
        for dgroups in (1, 2):
            dc = DeformConv2d(8, 6, 3, stride=stride, padding=pad, dilation=dil, deform_groups=dgroups, bias=False)
            ho = (13 + 2 * pad - dil * 2 - 1) // stride + 1
            wo = (17 + 2 * pad - dil * 2 - 1) // stride + 1
            zero = torch.zeros(2, dgroups * 18, ho, wo)
            ref = F.conv2d(x, dc.weight, None, stride, pad, dil)
            err = (dc(x, zero) - ref).abs().max().item()
            check(f'DeformConv2d zero offset == conv s{stride} p{pad} d{dil} dg{dgroups}', err <= 1e-4,
                  f'max |diff| {err:.2e}')
            off = torch.randn(2, dgroups * 18, ho, wo) * 3
            err = (dc(x, off) - naive_deform_conv(x, off, dc.weight, None, stride, pad, dil)).abs().max().item()
            check(f'DeformConv2d random offset == naive mmcv semantics s{stride} p{pad} d{dil} dg{dgroups}',
                  err <= 1e-4, f'max |diff| {err:.2e}')

            mdc = ModulatedDeformConv2d(8, 6, 3, stride=stride, padding=pad, dilation=dil, deform_groups=dgroups,
                                        bias=True)
            torch.nn.init.normal_(mdc.bias)
            ones = torch.ones(2, dgroups * 9, ho, wo)
            ref = F.conv2d(x, mdc.weight, mdc.bias, stride, pad, dil)
            err = (mdc(x, zero, ones) - ref).abs().max().item()
            check(f'ModulatedDeformConv2d zero offset, mask 1 == conv s{stride} p{pad} d{dil} dg{dgroups}',
                  err <= 1e-4, f'max |diff| {err:.2e}')
            m = torch.rand(2, dgroups * 9, ho, wo)
            err = (mdc(x, off, m) - naive_deform_conv(x, off, mdc.weight, mdc.bias, stride, pad, dil, m)
                   ).abs().max().item()
            check(f'ModulatedDeformConv2d random offset/mask == naive s{stride} p{pad} d{dil} dg{dgroups}',
                  err <= 1e-4, f'max |diff| {err:.2e}')

print(f'substitute calls: {dict(sorted(tv.CALLS.items()))}')
if failures:
    sys.exit(f'{len(failures)} op checks FAILED: {failures}')
print('all mmcv op checks passed')
PYEOF

# 6. smoke test
PYTHONPATH="$PYPATH" "$PY" - <<'PYEOF' 2> >(grep -v "No CUDA runtime is found" >&2)
import torch
torch.set_num_threads(1)
import mmcv, mmcv.ops, mmdet, addict, pycocotools.mask
from mmdet.apis import init_detector, inference_detector
import mmcv._ext as ext
print("mmdet", mmdet.__version__, "from", mmdet.__file__)
print("mmcv", mmcv.__version__, "_ext", ext.__file__)
PYEOF
(cd "$DEST" && PYTHONPATH="$PYPATH" nice -n 10 "$PY" verify_mmcv_ops.py) 2> >(grep -v "No CUDA runtime is found" >&2) \
    | grep -v "^  ok "
echo "versions: $(tr -d '\n' < "$DEST/versions.json")"
echo "ready: source $DEST/env.sh"
