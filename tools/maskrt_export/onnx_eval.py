"""A small ONNX interpreter in PyTorch for the operators our exported graphs use.

No onnxruntime exists for Debian's Python here; this runs an exported graph node by node with torch ops so
that tests can check the *graph* (wiring, attributes, dynamic shapes) against the torch modules. Operators
outside the set below raise NotImplementedError naming the operator, so a new export pattern cannot pass
silently.
"""
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _sym_pads(pads, op):
    n = len(pads) // 2
    if list(pads[:n]) != list(pads[n:]):
        raise NotImplementedError(f"{op}: asymmetric pads {pads}")
    return list(pads[:n])


def _conv(x, w, b, a):
    return F.conv2d(x, w, b, stride=a.get("strides", [1, 1]), padding=_sym_pads(a.get("pads", [0, 0, 0, 0]), "Conv"),
                    dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))


def _conv_transpose(x, w, b, a):
    if any(a.get("output_padding", [0, 0])) or "output_shape" in a:
        raise NotImplementedError("ConvTranspose: output_padding/output_shape")
    return F.conv_transpose2d(x, w, b, stride=a.get("strides", [1, 1]),
                              padding=_sym_pads(a.get("pads", [0, 0, 0, 0]), "ConvTranspose"),
                              dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))


def _resize(x, roi, scales, sizes, a):
    if a.get("mode", b"nearest") != b"nearest" or a.get("coordinate_transformation_mode") != b"asymmetric" \
            or a.get("nearest_mode") != b"floor":
        raise NotImplementedError(f"Resize with {a}")
    if scales is None or scales.numel() == 0:
        raise NotImplementedError("Resize with sizes")
    s = scales.tolist()
    if s[0] != 1 or s[1] != 1:
        raise NotImplementedError(f"Resize scales {s}")
    out_h, out_w = int(x.shape[2] * s[2]), int(x.shape[3] * s[3])
    # asymmetric + floor: source index = floor(dst / scale)
    iy = torch.clamp(torch.floor(torch.arange(out_h, dtype=torch.float32) / s[2]).long(), max=x.shape[2] - 1)
    ix = torch.clamp(torch.floor(torch.arange(out_w, dtype=torch.float32) / s[3]).long(), max=x.shape[3] - 1)
    return x[:, :, iy][:, :, :, ix]


def _maxpool(x, a):
    if a.get("ceil_mode", 0) or any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("MaxPool with ceil_mode/dilations")
    return F.max_pool2d(x, a["kernel_shape"], stride=a.get("strides", [1, 1]),
                        padding=_sym_pads(a.get("pads", [0, 0, 0, 0]), "MaxPool"))


def _gemm(x, w, b, a):
    if a.get("transA", 0):
        x = x.t()
    if a.get("transB", 0):
        w = w.t()
    y = a.get("alpha", 1.0) * (x @ w)
    return y + a.get("beta", 1.0) * b if b is not None else y


def _reshape(x, shape):
    shape = [int(v) for v in shape.tolist()]
    shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
    return x.reshape(shape)


def _flatten(x, a):
    axis = a.get("axis", 1)
    return x.reshape(int(np.prod(x.shape[:axis])), -1)


def run(model_path, inputs):
    """Runs the ONNX graph at `model_path` on `inputs` (name -> tensor); returns name -> tensor for the outputs."""
    model = onnx.load(model_path)
    env = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    env.update(inputs)
    for node in model.graph.node:
        a = _attrs(node)
        ins = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Constant":
            out = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
        elif op == "Conv":
            out = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "ConvTranspose":
            out = _conv_transpose(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "Shape":
            out = torch.tensor(list(ins[0].shape), dtype=torch.int64)
        elif op == "Unsqueeze":
            axes = ins[1].tolist() if len(ins) > 1 and ins[1] is not None else a["axes"]
            out = ins[0]
            for ax in sorted(int(v) % (out.dim() + len(axes)) for v in axes):
                out = out.unsqueeze(ax)
        elif op == "InstanceNormalization":
            out = F.instance_norm(ins[0], weight=ins[1], bias=ins[2], eps=a.get("epsilon", 1e-5))
        elif op == "Identity":
            out = ins[0]
        elif op == "Relu":
            out = torch.relu(ins[0])
        elif op in ("Add", "Sub", "Mul", "Div"):
            out = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op](ins[0], ins[1])
        elif op == "Sqrt":
            out = torch.sqrt(ins[0])
        elif op == "Reshape":
            out = _reshape(ins[0], ins[1])
        elif op == "Concat":
            out = torch.cat(ins, dim=a["axis"])
        elif op == "Resize":
            out = _resize(ins[0], ins[1] if len(ins) > 1 else None, ins[2] if len(ins) > 2 else None,
                          ins[3] if len(ins) > 3 else None, a)
        elif op == "MaxPool":
            out = _maxpool(ins[0], a)
        elif op == "Flatten":
            out = _flatten(ins[0], a)
        elif op == "Gemm":
            out = _gemm(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        else:
            raise NotImplementedError(f"{model_path}: operator {op} ({node.name})")
        env[node.output[0]] = out
    return {o.name: env[o.name] for o in model.graph.output}
