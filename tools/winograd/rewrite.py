"""Rewrites 3x3 convolutions of an ONNX graph into Winograd F(m x m, 3 x 3) form, in standard ONNX operators.

Winograd's minimal filtering (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) computes an
m x m output tile of a 3x3 convolution from an (m+2) x (m+2) input tile with (m+2)^2 multiplications per input and
output channel pair instead of 9 m^2: 4x fewer for m = 4, 2.25x for m = 2. For each rewritten `Conv`:

    Y = A^T [ (G g G^T) (.) (B^T d B) ] A      per tile d, filter g, summed over input channels

as ONNX operators, with every shape computed from the input's at run time (any N, H, W):

    Conv x 2   input transform B^T d B, separably: rows then columns, each a grouped conv with fixed weights
               (kernel (m+2), stride m, zero padding 1 before and m after, standing for the conv's own padding and
               the last partial tile): [N, C, H, W] -> [N, C * (m+2)^2, Th, Tw], channel (c, b, a)
    MatMul     the (m+2)^2 products summed over C, as one batched GEMM with the transformed filters U:
               [1, (m+2)^2, Co, C] x [N, (m+2)^2, C, Th * Tw] (after one Transpose of the transformed input)
    MatMul     output transform A^T M A on the (m+2)^2 axis -> [N, m^2, Co, Th * Tw]
    DepthToSpace   the m x m outputs of each tile into place -> [N, Co, m Th, m Tw]
    Slice      back to H x W (a copy even where H and W are multiples of m: shapes are only known at run time)
    Add        the bias

The filters are transformed in float64 and stored as float32 ((m+2)^2 / 9 times the size of the conv's weights).
Results equal the direct convolution up to float32 rounding of the transforms (relative error ~1e-5 for m = 4 at these sizes; checked by `tools.winograd` on every
graph it writes).
"""
import numpy as np
import onnx
from onnx import helper, numpy_helper

# Lavin & Gray's matrices (the same points as NNPACK and oneDNN use for these tile sizes)
_F4 = dict(
    BT=[[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1]],
    G=[[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6],
       [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
    AT=[[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])
_F2 = dict(
    BT=[[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    G=[[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
    AT=[[1, 1, 1, 0], [0, 1, -1, -1]])
MATRICES = {4: _F4, 2: _F2}


def _attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def is_eligible(node, inits, min_channels):
    """A 3x3, stride 1, dilation 1, group 1 Conv with padding 1 and constant weights of >= min_channels in and out."""
    if node.op_type != "Conv" or node.domain not in ("", "ai.onnx") or node.input[1] not in inits:
        return False
    if len(node.input) > 2 and node.input[2] and node.input[2] not in inits:
        return False
    w = inits[node.input[1]]
    if w.ndim != 4 or w.shape[2:] != (3, 3):
        return False
    if _attr(node, "group", 1) != 1 or list(_attr(node, "strides", [1, 1])) != [1, 1]:
        return False
    if list(_attr(node, "dilations", [1, 1])) != [1, 1] or _attr(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        return False
    if list(_attr(node, "pads", [0, 0, 0, 0])) != [1, 1, 1, 1]:
        return False
    return w.shape[0] >= min_channels and w.shape[1] >= min_channels


def winograd_nodes(node, weight, bias, m, prefix):
    """The nodes and initializers replacing one eligible Conv (same input and output names)."""
    mat = {k: np.array(v, np.float64) for k, v in MATRICES[m].items()}
    t = m + 2
    co, c = weight.shape[:2]
    x, y = node.input[0], node.output[0]
    # U[b, a, o, c] = (G g G^T)[a, b]: the input transform below yields channels (c, b, a). Stored transformed
    # ((m+2)^2 / 9 times the conv's weights): computing it in the graph instead kept ONNX Runtime's constant-folding
    # intermediates resident (R50 backbone: 1.3 GB peak at load against 0.46 GB stored)
    u = np.einsum("ai,ocij,bj->baoc", mat["G"], weight.astype(np.float64), mat["G"]).reshape(1, t * t, co, c)
    rows = np.tile(mat["BT"].reshape(t, 1, 1, t), (c, 1, 1, 1))          # W direction: outputs b
    cols = np.tile(mat["BT"].reshape(t, 1, t, 1), (c * t, 1, 1, 1))      # H direction: outputs a
    # output transform on the (b, a) axis: Y[(i, j)] = sum over (b, a) of A^T[i, a] A^T[j, b] M[(b, a)]
    out = np.einsum("ia,jb->ijba", mat["AT"], mat["AT"]).reshape(m * m, t * t)
    # initializers shared where equal: U per weight (detectron2's RPN conv runs on every level with one weight), the
    # transforms per size, the shape constants per tile
    shared = lambda s: f"winograd_f{m}/{s}"
    names = {"u": f"{node.input[1]}/winograd_f{m}_u", "rows": shared(f"rows_c{c}"), "cols": shared(f"cols_c{c}"),
             "out": shared("out"), "bias": f"{node.input[2]}/winograd_bias" if bias is not None else f"{prefix}/bias",
             "chw_head": shared(f"chw_head_c{c}"), "co_m2": shared(f"co_m2_{co}")}
    for k in ("two", "four", "m_minus_1", "m", "one", "prod_shape", "zero", "hw_axes", "zeros2"):
        names[k] = shared(k)
    if bias is None:
        bias = np.zeros(co, np.float32)
    values = {
        "u": u.astype(np.float32), "rows": rows.astype(np.float32), "cols": cols.astype(np.float32),
        "out": out.astype(np.float32), "bias": bias.astype(np.float32).reshape(co, 1, 1),
        "two": np.array([2], np.int64), "four": np.array([4], np.int64),
        "m_minus_1": np.array([m - 1], np.int64), "m": np.array([m], np.int64),
        "one": np.array([1], np.int64),
        "chw_head": np.array([0, c, t * t, -1], np.int64), "co_m2": np.array([co * m * m], np.int64),
        "prod_shape": np.array([0, t * t, -1], np.int64),
        "zero": np.array([0], np.int64), "hw_axes": np.array([2, 3], np.int64),
        "zeros2": np.array([0, 0], np.int64),
    }
    inits = {names[k]: v for k, v in values.items()}

    def n(s):  # a tensor's name: shared as above, else the conv's own
        return names.get(s, f"{prefix}/{s}")
    mk = helper.make_node
    nodes = [
        mk("Shape", [x], [n("shape")]),
        mk("Slice", [n("shape"), n("two"), n("four")], [n("hw")]),
        mk("Add", [n("hw"), n("m_minus_1")], [n("hw_up")]),
        mk("Div", [n("hw_up"), n("m")], [n("tiles")]),                       # [Th, Tw]
        # the transforms' own zero padding: 1 before, m after (at least what the last tile needs), so that each
        # gives ceil(size / m) tiles: no padded copy of the input
        mk("Conv", [x, n("rows")], [n("r")], group=c, kernel_shape=[1, t], strides=[1, m], pads=[0, 1, 0, m]),
        mk("Conv", [n("r"), n("cols")], [n("v")], group=c * t, kernel_shape=[t, 1], strides=[m, 1], pads=[1, 0, m, 0]),
        mk("Reshape", [n("v"), n("chw_head")], [n("v4")]),                   # [N, C, t*t, T]
        mk("Transpose", [n("v4")], [n("vt")], perm=[0, 2, 1, 3]),            # [N, t*t, C, T]
        mk("MatMul", [n("u"), n("vt")], [n("prod")]),                        # [N, t*t, Co, T]
        mk("Reshape", [n("prod"), n("prod_shape")], [n("prod3")]),          # [N, t*t, Co*T]
        mk("MatMul", [n("out"), n("prod3")], [n("y3")]),                      # [N, m*m, Co*T]
        mk("Slice", [n("shape"), n("zero"), n("one")], [n("batch")]),
        mk("Concat", [n("batch"), n("co_m2"), n("tiles")], [n("y_shape")], axis=0),
        mk("Reshape", [n("y3"), n("y_shape")], [n("y4")]),                   # [N, m*m*Co, Th, Tw], channel (i, j, o)
        mk("DepthToSpace", [n("y4")], [n("yt")], blocksize=m, mode="DCR"),  # [N, Co, m Th, m Tw]
        mk("Slice", [n("yt"), n("zeros2"), n("hw"), n("hw_axes")], [n("yc")]),
        mk("Add", [n("yc"), n("bias")], [y]),
    ]
    for k, nd in enumerate(nodes):
        nd.name = n(f"{k}_{nd.op_type}")
    return nodes, inits


def rewrite(model, m=4, min_channels=128):
    """Returns (model, the replaced Conv nodes). `model` is changed in place: eligible Convs replaced."""
    graph = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    new_nodes, added, done = [], {}, []
    for k, node in enumerate(graph.node):
        if not is_eligible(node, inits, min_channels):
            new_nodes.append(node)
            continue
        bias = inits[node.input[2]] if len(node.input) > 2 and node.input[2] else None
        nodes, extra = winograd_nodes(node, inits[node.input[1]], bias, m, f"{node.name or node.output[0]}/winograd")
        new_nodes.extend(nodes)
        added.update(extra)
        replaced = onnx.NodeProto()
        replaced.CopyFrom(node)
        done.append(replaced)
    del graph.node[:]
    graph.node.extend(new_nodes)
    graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in added.items())
    _drop_unused_initializers(graph)
    return model, done


def _drop_unused_initializers(graph):
    """Removes the initializers no node reads any more (the replaced nodes' weights), keeping the others' order."""
    used = {i for nd in graph.node for i in nd.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def _consumers(graph, tensor):
    """The nodes reading `tensor`, plus None when it is also a graph output."""
    readers = [nd for nd in graph.node if tensor in nd.input]
    return readers + ([None] if any(o.name == tensor for o in graph.output) else [])


def _subpixel_tail(graph, node, inits):
    """The (ConvTranspose, Relu, predictor Conv) of a mask-head tail starting at `node`, or None: a ConvTranspose
    with a 2x2 kernel, stride 2, no padding, dilation or output padding, one group and constant weights and bias,
    whose output only feeds a Relu whose output only feeds an ungrouped 1x1 Conv with constant weights and bias
    (neither intermediate a graph output)."""
    if node.op_type != "ConvTranspose" or len(node.input) < 3 or node.input[1] not in inits or node.input[2] not in inits:
        return None
    if (list(_attr(node, "kernel_shape", [])) != [2, 2] or list(_attr(node, "strides", [1, 1])) != [2, 2]
            or any(_attr(node, "pads", [0, 0, 0, 0])) or list(_attr(node, "dilations", [1, 1])) != [1, 1]
            or _attr(node, "group", 1) != 1 or any(_attr(node, "output_padding", [0, 0]))
            or _attr(node, "output_shape", None) is not None
            or _attr(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET")):
        return None
    relu = _consumers(graph, node.output[0])
    if len(relu) != 1 or relu[0] is None or relu[0].op_type != "Relu":
        return None
    pred = _consumers(graph, relu[0].output[0])
    if len(pred) != 1 or pred[0] is None or pred[0].op_type != "Conv" or len(pred[0].input) < 3:
        return None
    p = pred[0]
    if (p.input[1] not in inits or p.input[2] not in inits or inits[p.input[1]].shape[2:] != (1, 1)
            or _attr(p, "group", 1) != 1 or any(_attr(p, "pads", [0, 0, 0, 0]))
            or list(_attr(p, "strides", [1, 1])) != [1, 1]):
        return None
    return node, relu[0], p


def subpixel_upsample(model):
    """Rewrites a mask head's upsampling tail (detectron2's MaskRCNNConvUpsampleHead: ConvTranspose 2x2 stride 2,
    ReLU, 1x1 predictor) so that every product is taken at the RoI's resolution (14x14) instead of the upsampled
    one (28x28):

        Conv 1x1     x [N, C, H, W] -> [N, 4 Co, H, W], channel (i, j, co) = deconv output (co) at sub-pixel (i, j)
        Relu
        Conv 1x1     the predictor once per sub-pixel (group = 4, its weights repeated) -> [N, 4 K, H, W]
        DepthToSpace blocksize 2, DCR: channel (i, j, k) at (h, w) -> output k at (2h + i, 2w + j)

    A 2x2, stride-2 transposed convolution touches each output pixel with exactly one kernel tap, so each value is
    the same sum over C as the deconvolution's (ONNX Runtime computes both as a GEMM over C), and ReLU and the
    predictor act per pixel. Returns (model, the replaced ConvTranspose nodes); `model` is changed in place.
    """
    graph = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    done = []
    for node in list(graph.node):
        tail = _subpixel_tail(graph, node, inits)
        if tail is None:
            continue
        deconv, relu, pred = tail
        wd, bd = inits[deconv.input[1]], inits[deconv.input[2]]  # [C, Co, 2, 2], [Co]
        wp, bp = inits[pred.input[1]], inits[pred.input[2]]  # [K, Co, 1, 1], [K]
        c, co = wd.shape[:2]
        prefix = f"{deconv.name or deconv.output[0]}/subpixel"
        names = [f"{prefix}/{s}" for s in ("w_up", "b_up", "w_pred", "b_pred", "up", "relu", "pred")]
        weights = {
            names[0]: np.ascontiguousarray(wd.transpose(2, 3, 1, 0).reshape(4 * co, c, 1, 1)),
            names[1]: np.tile(bd, 4),
            names[2]: np.ascontiguousarray(np.tile(wp, (4, 1, 1, 1))),
            names[3]: np.tile(bp, 4),
        }
        nodes = [
            helper.make_node("Conv", [deconv.input[0], names[0], names[1]], [names[4]], name=f"{prefix}/up",
                             kernel_shape=[1, 1]),
            helper.make_node("Relu", [names[4]], [names[5]], name=f"{prefix}/relu"),
            helper.make_node("Conv", [names[5], names[2], names[3]], [names[6]], name=f"{prefix}/pred",
                             kernel_shape=[1, 1], group=4),
            helper.make_node("DepthToSpace", [names[6]], [pred.output[0]], name=f"{prefix}/depth_to_space",
                             blocksize=2, mode="DCR"),
        ]
        at = list(graph.node).index(deconv)
        for old in (deconv, relu, pred):
            graph.node.remove(old)
        for k, nd in enumerate(nodes):
            graph.node.insert(at + k, nd)
        graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in weights.items())
        replaced = onnx.NodeProto()
        replaced.CopyFrom(deconv)
        done.append(replaced)
    _drop_unused_initializers(graph)
    return model, done
