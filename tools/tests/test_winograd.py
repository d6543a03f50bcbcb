"""tools/winograd: the rewritten convolutions against a direct convolution computed here in float64 with numpy.

Needs onnx and onnxruntime (the PATH python3 of tools/README.md); skipped where they are missing (Debian's python).
"""
import unittest

import numpy as np

try:
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper
    from tools.winograd.rewrite import rewrite, subpixel_upsample
except ImportError:  # pragma: no cover - Debian's interpreter has no onnxruntime
    onnxruntime = None


def conv_reference(x, w, b, stride=1):
    """Direct 3x3 convolution, padding 1, in float64."""
    n, c, h, wd = x.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    oh, ow = (h - 1) // stride + 1, (wd - 1) // stride + 1
    y = np.zeros((n, w.shape[0], oh, ow))
    for i in range(3):
        for j in range(3):
            patch = xp[:, :, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j].astype(np.float64))
    return y + (0 if b is None else b.astype(np.float64)[None, :, None, None])


def conv_model(w, b, relu=False, **attrs):
    inputs = ["x", "w"] + (["b"] if b is not None else [])
    nodes = [helper.make_node("Conv", inputs, ["c" if relu else "y"], name="conv", pads=[1, 1, 1, 1],
                              kernel_shape=[3, 3], **attrs)]
    if relu:
        nodes.append(helper.make_node("Relu", ["c"], ["y"]))
    inits = [numpy_helper.from_array(w, "w")] + ([numpy_helper.from_array(b, "b")] if b is not None else [])
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", w.shape[1] * attrs.get("group", 1), "H", "W"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)], ir_version=8)


def tail_model(wd, bd, wp, bp, strides=(2, 2), pads=(0, 0, 0, 0), relu=True, predictor_group=1,
               second_consumer=False):
    """x -> ConvTranspose 2x2 (weights wd [C, Co, 2, 2], bias bd) -> Relu -> 1x1 Conv predictor (wp, bp) -> y, as
    detectron2 exports MaskRCNNConvUpsampleHead's tail; the keywords make the variants that must not be rewritten."""
    nodes = [helper.make_node("ConvTranspose", ["x", "wd", "bd"], ["u"], name="deconv", kernel_shape=[2, 2],
                              strides=list(strides), pads=list(pads))]
    if relu:
        nodes.append(helper.make_node("Relu", ["u"], ["r"], name="relu"))
    nodes.append(helper.make_node("Conv", ["r" if relu else "u", "wp", "bp"], ["y"], name="predictor",
                                  kernel_shape=[1, 1], group=predictor_group))
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    if second_consumer:
        outputs.append(helper.make_tensor_value_info("r", TensorProto.FLOAT, None))
    inits = [numpy_helper.from_array(v, k) for k, v in (("wd", wd), ("bd", bd), ("wp", wp), ("bp", bp))]
    graph = helper.make_graph(nodes, "tail", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                           ["N", wd.shape[0], "H", "W"])],
                              outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)], ir_version=8)


def run(model, x):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    s = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return s.run(None, {"x": x})[0]


@unittest.skipIf(onnxruntime is None, "needs onnx and onnxruntime (python3 of tools/README.md)")
class WinogradTest(unittest.TestCase):
    def test_rewritten_convolution_equals_the_direct_one(self):
        rng = np.random.default_rng(0)
        # any batch, maps that are and are not whole tiles, one row or column, no bias
        for tile in (4, 2):
            for (n, c, co, h, w, bias) in [(1, 16, 24, 8, 12, True), (2, 8, 8, 13, 7, True), (3, 12, 16, 1, 5, False),
                                           (1, 8, 8, 14, 14, True)]:
                wt = rng.standard_normal((co, c, 3, 3)).astype(np.float32)
                b = rng.standard_normal(co).astype(np.float32) if bias else None
                x = rng.standard_normal((n, c, h, w)).astype(np.float32)
                model, done = rewrite(conv_model(wt, b, relu=True), tile, min_channels=8)
                self.assertEqual([nd.name for nd in done], ["conv"])
                self.assertNotIn("Conv", [nd.op_type for nd in model.graph.node if not nd.name.startswith("conv/")])
                expected = np.maximum(conv_reference(x, wt, b), 0)
                got = run(model, x)
                self.assertEqual(got.shape, expected.shape)
                err = np.abs(got - expected).max() / np.abs(expected).max()
                self.assertLess(err, 1e-5, f"tile {tile}, shape {(n, c, co, h, w)}: relative error {err:.1e}")

    def test_only_wide_stride_one_ungrouped_3x3_convolutions_are_rewritten(self):
        rng = np.random.default_rng(1)
        w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
        for attrs, min_channels in [({"strides": [2, 2]}, 8), ({"group": 2}, 4), ({"dilations": [2, 2]}, 8), ({}, 32)]:
            weights = w[:, : 16 // attrs.get("group", 1)]
            model, done = rewrite(conv_model(weights, None, **attrs), 4, min_channels)
            self.assertEqual(done, [], attrs)
            self.assertEqual([nd.op_type for nd in model.graph.node], ["Conv"], attrs)


    def test_the_upsampling_tail_at_roi_resolution_equals_deconvolution_relu_predictor(self):
        rng = np.random.default_rng(2)
        for (n, c, co, k, h, w) in [(3, 8, 6, 5, 14, 14), (1, 4, 4, 1, 7, 9), (0, 4, 4, 2, 14, 14)]:
            wd = rng.standard_normal((c, co, 2, 2)).astype(np.float32)
            bd = rng.standard_normal(co).astype(np.float32)
            wp = rng.standard_normal((k, co, 1, 1)).astype(np.float32)
            bp = rng.standard_normal(k).astype(np.float32)
            x = rng.standard_normal((n, c, h, w)).astype(np.float32)
            model, done = subpixel_upsample(tail_model(wd, bd, wp, bp))
            self.assertEqual([nd.name for nd in done], ["deconv"])
            self.assertEqual([nd.op_type for nd in model.graph.node], ["Conv", "Relu", "Conv", "DepthToSpace"])
            # float64 reference: each output pixel (2h + i, 2w + j) gets exactly the kernel tap (i, j)
            up = np.einsum("nchw,coij->nohiwj", x.astype(np.float64), wd.astype(np.float64))
            up = np.maximum(up.reshape(n, co, 2 * h, 2 * w) + bd[None, :, None, None], 0)
            expected = np.einsum("nohw,ko->nkhw", up, wp[:, :, 0, 0].astype(np.float64)) + bp[None, :, None, None]
            got = run(model, x)
            self.assertEqual(got.shape, expected.shape)
            if n:
                err = np.abs(got - expected).max() / np.abs(expected).max()
                self.assertLess(err, 1e-5, f"shape {(n, c, co, k, h, w)}: relative error {err:.1e}")

    def test_only_the_exact_upsampling_tail_is_rewritten(self):
        rng = np.random.default_rng(3)
        wd = rng.standard_normal((4, 4, 2, 2)).astype(np.float32)
        wp = rng.standard_normal((2, 4, 1, 1)).astype(np.float32)
        b4, b2 = np.zeros(4, np.float32), np.zeros(2, np.float32)
        for variant in ({"strides": [1, 1]}, {"pads": [1, 1, 1, 1]}, {"relu": False}, {"predictor_group": 2},
                        {"second_consumer": True}):
            model = tail_model(wd if "predictor_group" not in variant else wd, b4,
                               wp if "predictor_group" not in variant else wp[:, :2], b2, **variant)
            ops = [nd.op_type for nd in model.graph.node]
            model, done = subpixel_upsample(model)
            self.assertEqual(done, [], variant)
            self.assertEqual([nd.op_type for nd in model.graph.node], ops, variant)

    def test_the_tool_checks_each_convolution_and_records_the_form_in_the_manifest(self):
        import contextlib, io, json, os, shutil, tempfile
        from tools.winograd.__main__ import main
        root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
        for name, amplifies in (("tiny-mb-mask-rcnn", False), ("tiny-mask-rcnn-dconv-v2", True)):
            with tempfile.TemporaryDirectory() as tmp:
                pkg = os.path.join(tmp, name)
                shutil.copytree(os.path.join(root, "maskrt/src/test/resources/models", name), pkg)
                err = io.StringIO()
                with contextlib.redirect_stderr(err):
                    main(["--model", pkg, "--min-channels", "4"])
                with open(os.path.join(pkg, "manifest.json")) as f:
                    backbone = json.load(f)["graphs"]["backbone"]
                self.assertEqual(backbone["winograd_file"], "backbone.winograd.onnx")
                self.assertTrue(os.path.isfile(os.path.join(pkg, "backbone.winograd.onnx")))
                info = backbone["winograd"]
                self.assertGreater(info["convolutions"], 10)
                self.assertLess(info["max_relative_error"], 1e-4)  # every convolution on its real input
                # the random DCN backbone turns a 1e-6 input change into a 0.3 change of p2 by itself (measured in
                # benchmarks/RESULTS.md): its whole-graph difference is reported, not refused
                self.assertEqual(info["graph_max_relative_error"] > 1e-4, amplifies, err.getvalue())
                self.assertEqual("amplifies float rounding" in err.getvalue(), amplifies, err.getvalue())


if __name__ == "__main__":
    unittest.main()
