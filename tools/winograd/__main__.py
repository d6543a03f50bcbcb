"""Adds CPU forms of a package's fp32 graphs for ONNX Runtime (`graphs.<g>.winograd_file`): Winograd convolutions,
and the mask head's upsampling at the RoIs' resolution.

    python3 -m tools.winograd --model PKG [--graphs backbone,mask_head] [--tile 4] [--min-channels 128]
        [--mask-head-winograd] [--check-size H,W]

Run from the project root with the `python3` that has onnxruntime and onnx (tools/README.md). For each graph named
in `--graphs` (`backbone`, `mask_head`):

1. ONNX Runtime's basic optimisations fold the FrozenBN arithmetic into the convolutions (as `tools.quantize`
   does); the folded graph is standard ONNX.
2. Every 3x3, stride-1, ungrouped convolution with at least `--min-channels` input and output channels is rewritten
   into Winograd F(4x4, 3x3) form (`rewrite.py`): 4x fewer multiplications in its GEMM, at the price of
   memory-bound transforms, so it pays on wide layers over large maps (an R50-FPN backbone's FPN, RPN and res3-res5
   3x3 convolutions) and not on narrow ones or on the mask head's 14x14 RoIs (measured in benchmarks/RESULTS.md:
   the mask head's convolutions stay direct unless `--mask-head-winograd`).
   The mask head's tail (ConvTranspose 2x2 stride 2, ReLU, 1x1 predictor) is rewritten as a 1x1 convolution to
   the four sub-pixels' channels, ReLU, the predictor per sub-pixel and a DepthToSpace (`subpixel_upsample`): the
   same sums over the channels, taken at 14x14 instead of 28x28 (R50: 543 -> 499 ms for 100 RoIs, bit-identical
   there; the bundled DSB model: 31.5 -> 22.3 ms for 177 RoIs, within 2.4e-7).
3. Checked on a seeded random input (`--check-size`, default the package's test size, padded as the pipeline pads
   it): every rewritten convolution against the original on the input the original graph gives it, refused above
   1e-4 of its largest output; then the whole graph against the original, recorded and reported but not refused
   (random-weight deformable backbones turn any 1e-6 input change into a 0.2-0.4 change of their outputs by
   themselves), except for a rewritten mask-head tail, whose graph is refused above 1e-4 too.
4. `PKG/<name>.winograd.onnx` is written and the manifest's graph entry gains `winograd_file` and `winograd`
   (provenance). maskrt's CPU backend runs that file in place of the fp32 one (`PredictorOptions.winograd`,
   `maskrt predict --no-winograd` to turn it off); TensorRT and the int8 graph set ignore it.
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from tools.winograd.rewrite import rewrite, subpixel_upsample, winograd_nodes

GRAPHS = ("backbone", "mask_head")
MAX_RELATIVE_ERROR = 1e-4


def _session(path, threads=2):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def check_input(manifest, graph, size):
    """A seeded random input of the graph's declared shape: the backbone at the test size (divisible padding), the
    mask head on 16 RoIs at its pooler resolution."""
    rng = np.random.default_rng(0)
    if graph == "backbone":
        div = max(1, manifest["input"].get("size_divisibility", 32))
        h, w = size
        h, w = -(-h // div) * div, -(-w // div) * div
        return rng.uniform(-120, 140, (1, 3, h, w)).astype(np.float32)
    spec = next(iter(manifest["graphs"]["mask_head"]["inputs"].values()))["shape"]
    res = manifest["roi_heads"]["mask_pooler"]["resolution"]
    return rng.standard_normal((16, spec[1], res, res)).astype(np.float32)


def winograd_name(fname):
    stem, ext = os.path.splitext(fname)
    return f"{stem}.winograd{ext}"


def _relative_error(expected, got):
    return float(np.abs(expected - got).max() / max(float(np.abs(expected).max()), 1e-12))


def run_original(folded, replaced, x):
    """The original (folded) graph on `x`, with every replaced convolution's input and output as extra outputs (added
    to `folded` in place). Returns (the graph's own outputs by name, in order; every tensor by name)."""
    own = [o.name for o in folded.graph.output]
    names = dict.fromkeys(t for nd in replaced for t in (nd.input[0], nd.output[0]) if t not in own)
    folded.graph.output.extend(helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in names)
    session = onnxruntime.InferenceSession(folded.SerializeToString(), providers=["CPUExecutionProvider"])
    tensors = dict(zip([o.name for o in session.get_outputs()], session.run(None, {session.get_inputs()[0].name: x})))
    return {n: tensors[n] for n in own}, tensors


def check_convolutions(folded, replaced, tile, tensors):
    """Each rewritten convolution against the original on the input it really gets (`tensors`, from `run_original`):
    the Winograd forms alone (one graph, inputs renamed apart) run on those inputs. Returns each convolution's
    relative error (of its largest output), by name."""
    wanted = {t for nd in replaced for t in nd.input[1:] if t}
    inits = {i.name: numpy_helper.to_array(i) for i in folded.graph.initializer if i.name in wanted}
    nodes, weights, inputs, outputs = [], {}, [], []
    for k, nd in enumerate(replaced):
        alone = helper.make_node("Conv", [f"in{k}"] + list(nd.input[1:]), [f"out{k}"], name=f"conv{k}")
        bias = inits[nd.input[2]] if len(nd.input) > 2 and nd.input[2] else None
        sub_nodes, sub_inits = winograd_nodes(alone, inits[nd.input[1]], bias, tile, f"conv{k}/winograd")
        nodes += sub_nodes
        weights.update(sub_inits)
        inputs.append(helper.make_tensor_value_info(f"in{k}", TensorProto.FLOAT, None))
        outputs.append(helper.make_tensor_value_info(f"out{k}", TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "winograd_check", inputs, outputs,
                              [numpy_helper.from_array(v, n) for n, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)], ir_version=8)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    results = session.run(None, {f"in{k}": tensors[nd.input[0]] for k, nd in enumerate(replaced)})
    return {nd.name or nd.output[0]: _relative_error(tensors[nd.output[0]], y) for nd, y in zip(replaced, results)}


def transform(src, dst, tile, min_channels, x, work, convolutions=True, subpixel=False):
    """Writes `dst`, the CPU form of graph `src` (Winograd convolutions where `convolutions`, the upsampling tail
    where `subpixel`), checked on `x`; returns its provenance, or None when there was nothing to rewrite."""
    folded_path = os.path.join(work, os.path.basename(src) + ".folded.onnx")
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = folded_path
    onnxruntime.InferenceSession(src, options, providers=["CPUExecutionProvider"])
    folded = onnx.load(folded_path)
    model = onnx.ModelProto()
    model.CopyFrom(folded)
    model, replaced = rewrite(model, tile, min_channels) if convolutions else (model, [])
    model, tails = subpixel_upsample(model) if subpixel else (model, [])
    if not replaced and not tails:
        return None
    # one run of the original serves both checks: each convolution's input and output, and the graph's outputs
    expected, tensors = run_original(folded, replaced, x)
    errors = check_convolutions(folded, replaced, tile, tensors) if replaced else {}
    worst_conv = max(errors, key=errors.get) if errors else None
    if worst_conv and errors[worst_conv] > MAX_RELATIVE_ERROR:
        raise SystemExit(f"winograd: {os.path.basename(dst)}: convolution {worst_conv} differs from the original by "
                         f"{errors[worst_conv]:.2e} of its largest output (limit {MAX_RELATIVE_ERROR:g}); not written")
    onnx.save(model, dst)
    session = _session(dst)
    graph_error = 0.0
    for out, q in zip(session.get_outputs(), session.run(None, {session.get_inputs()[0].name: x})):
        p = expected[out.name]
        if p.shape != q.shape or not np.isfinite(q).all():
            os.remove(dst)
            raise SystemExit(f"winograd: {os.path.basename(dst)}: output {out.name} has shape {q.shape} (expected "
                             f"{p.shape}) or non-finite values; not written")
        graph_error = max(graph_error, _relative_error(p, q))
    if tails and graph_error > MAX_RELATIVE_ERROR:
        os.remove(dst)
        raise SystemExit(f"winograd: {os.path.basename(dst)}: outputs differ from the original graph's by "
                         f"{graph_error:.2e} of their largest value (limit {MAX_RELATIVE_ERROR:g}); not written")
    if graph_error > MAX_RELATIVE_ERROR:
        print(f"winograd: note: {os.path.basename(dst)}'s outputs differ from the original graph's by "
              f"{graph_error:.2e} of their largest value on the random check input, while every rewritten convolution "
              f"agrees to {errors[worst_conv]:.1e}: the network amplifies float rounding there (deformable "
              f"convolutions with random weights do), as it does between any two fp32 implementations",
              file=sys.stderr)
    return {"convolutions": len(replaced), "max_relative_error": errors[worst_conv] if worst_conv else 0.0,
            "subpixel_upsampling": len(tails), "graph_max_relative_error": graph_error, "check_input": list(x.shape)}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.winograd", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="model package directory (changed in place)")
    p.add_argument("--graphs", default="backbone", help="graphs to transform: backbone, mask_head; default backbone")
    p.add_argument("--tile", type=int, choices=(2, 4), default=4, help="output tile m of F(m x m, 3 x 3); default 4")
    p.add_argument("--min-channels", type=int, default=128,
                   help="rewrite only convolutions with at least this many input and output channels; default 128")
    p.add_argument("--mask-head-winograd", action="store_true",
                   help="also rewrite the mask head's 3x3 convolutions (slower on 14x14 RoIs here; for tests)")
    p.add_argument("--check-size", help="H,W of the backbone check input; default the package's test size")
    args = p.parse_args(argv)
    graphs = [g.strip() for g in args.graphs.split(",") if g.strip()]
    for g in graphs:
        if g not in GRAPHS:
            raise SystemExit(f"winograd: --graphs: unknown graph {g!r} (expected {', '.join(GRAPHS)})")
    pkg = os.path.abspath(args.model)
    path = os.path.join(pkg, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    if "mask_head" in graphs and "mask_head" not in manifest["graphs"]:
        raise SystemExit(f"winograd: {path}: graphs.mask_head: missing (a box-only model has no mask head)")
    inp = manifest["input"]
    if args.check_size:
        size = tuple(int(v) for v in args.check_size.split(","))
    else:
        size = (inp["min_size_test"], min(inp["max_size_test"], inp["min_size_test"] * 5 // 3))
    with tempfile.TemporaryDirectory(prefix="maskrt-winograd-") as work:
        for g in graphs:
            decl = manifest["graphs"][g]
            dst_name = winograd_name(decl["file"])
            started = time.time()
            mask = g == "mask_head"
            info = transform(os.path.join(pkg, decl["file"]), os.path.join(pkg, dst_name), args.tile,
                             args.min_channels, check_input(manifest, g, size), work,
                             convolutions=not mask or args.mask_head_winograd, subpixel=mask)
            if info is None:
                print(f"winograd: {g}: nothing to rewrite (no 3x3 convolution with >= {args.min_channels} channels"
                      f"{', no 2x2 stride-2 upsampling tail' if mask else ''}); left as it is", file=sys.stderr)
                decl.pop("winograd_file", None)
                decl.pop("winograd", None)
                continue
            decl["winograd_file"] = dst_name
            decl["winograd"] = {"tool": f"tools/winograd (onnx {onnx.__version__}, onnxruntime "
                                        f"{onnxruntime.__version__} basic optimisations)",
                                "tile": f"F({args.tile}x{args.tile}, 3x3)", "min_channels": args.min_channels, **info}
            print(f"winograd: {dst_name}: {info['convolutions']} convolutions rewritten, each within "
                  f"{info['max_relative_error']:.1e} of the original on its input, {info['subpixel_upsampling']} "
                  f"upsampling tail(s) at the RoI resolution, graph outputs within "
                  f"{info['graph_max_relative_error']:.1e}, on {info['check_input']}, {time.time() - started:.0f} s",
                  file=sys.stderr)
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
