"""detectron2's R-CNN inference networks (Cascade Mask R-CNN, Mask R-CNN, Faster R-CNN; FPN) as plain PyTorch
modules.

Attribute names follow detectron2 exactly, so `state_dict()` keys are those of a detectron2 checkpoint
(`backbone.bottom_up.res2.0.conv1.norm.weight`, `roi_heads.box_predictor.0.cls_score.weight`, ...). Only the
dense parts live here; the sparse steps (anchors, NMS, RoIAlign, decoding, paste) are in `pipeline.py`.
"""
import torch
import torch.nn.functional as F
import torchvision
from torch import nn


class FrozenBatchNorm2d(nn.Module):
    """detectron2's FrozenBN (also used for BN/SyncBN at inference): y = x * scale + shift from fixed buffers.

    Written as plain multiply/add so that the ONNX export keeps the buffer names (no Conv+BN fusion).
    """

    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features) - eps)

    def forward(self, x):
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)


def make_norm(norm, channels):
    """detectron2's get_norm for the norms maskrt serves; None for no norm."""
    if norm == "":
        return None
    if norm in ("FrozenBN", "BN", "SyncBN", "nnSyncBN", "naiveSyncBN"):
        return FrozenBatchNorm2d(channels)
    if norm == "GN":
        return nn.GroupNorm(32, channels)
    raise ValueError(f"unsupported norm {norm!r}")


class Conv2d(nn.Conv2d):
    """detectron2's Conv2d: a conv with an optional `norm` submodule and optional ReLU after it."""

    def __init__(self, *args, norm=None, relu=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.norm = norm
        self.relu = relu

    def forward(self, x):
        x = super().forward(x)
        if self.norm is not None:
            x = self.norm(x)
        return F.relu(x) if self.relu else x


class BasicStem(nn.Module):
    def __init__(self, in_channels, out_channels, norm):
        super().__init__()
        self.conv1 = Conv2d(in_channels, out_channels, 7, stride=2, padding=3, bias=False,
                            norm=make_norm(norm, out_channels), relu=True)

    def forward(self, x):
        return F.max_pool2d(self.conv1(x), kernel_size=3, stride=2, padding=1)


class BasicBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride, norm):
        super().__init__()
        self.shortcut = None
        if in_channels != out_channels:
            self.shortcut = Conv2d(in_channels, out_channels, 1, stride=stride, bias=False,
                                   norm=make_norm(norm, out_channels))
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False,
                            norm=make_norm(norm, out_channels), relu=True)
        self.conv2 = Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False,
                            norm=make_norm(norm, out_channels))

    def forward(self, x):
        out = self.conv2(self.conv1(x))
        return F.relu(out + (self.shortcut(x) if self.shortcut is not None else x))


class BottleneckBlock(nn.Module):
    def __init__(self, in_channels, out_channels, bottleneck_channels, stride, num_groups, norm, stride_in_1x1,
                 dilation):
        super().__init__()
        self.shortcut = None
        if in_channels != out_channels:
            self.shortcut = Conv2d(in_channels, out_channels, 1, stride=stride, bias=False,
                                   norm=make_norm(norm, out_channels))
        stride_1x1, stride_3x3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = Conv2d(in_channels, bottleneck_channels, 1, stride=stride_1x1, bias=False,
                            norm=make_norm(norm, bottleneck_channels), relu=True)
        self.conv2 = Conv2d(bottleneck_channels, bottleneck_channels, 3, stride=stride_3x3, padding=dilation,
                            groups=num_groups, dilation=dilation, bias=False,
                            norm=make_norm(norm, bottleneck_channels), relu=True)
        self.conv3 = Conv2d(bottleneck_channels, out_channels, 1, bias=False, norm=make_norm(norm, out_channels))

    def forward(self, x):
        out = self.conv3(self.conv2(self.conv1(x)))
        return F.relu(out + (self.shortcut(x) if self.shortcut is not None else x))


class _DeformConv2d(torch.autograd.Function):
    """torchvision's deform_conv2d (the same op detectron2 calls for DCNv1 on CPU, and the documented equivalent of
    its CUDA-only ModulatedDeformConv), exported to ONNX as the standard DeformConv (opset 19).

    torch 1.13's exporter stops at opset 17 and has no symbolic for torchvision::deform_conv2d: the symbolic emits
    `maskrt::DeformConv` with DeformConv's inputs and attributes, and `package.py` moves it into the default domain
    when it raises the graph's opset to 19 (docs/MODEL_PACKAGE.md, "Deformable convolution").
    """

    @staticmethod
    def forward(ctx, x, offset, weight, mask, stride, dilation, groups, offset_groups):
        return torchvision.ops.deform_conv2d(x, offset, weight, None, stride=stride, padding=dilation,
                                             dilation=dilation, mask=mask)

    @staticmethod
    def symbolic(g, x, offset, weight, mask, stride, dilation, groups, offset_groups):
        inputs = [x, weight, offset]
        if mask is not None and not (hasattr(mask, "node") and mask.node().mustBeNone()):
            inputs += [g.op("Constant", value_t=torch.zeros(weight.type().sizes()[0])), mask]  # B (zeros), mask
        return g.op("maskrt::DeformConv", *inputs, kernel_shape_i=[3, 3], strides_i=[stride, stride],
                    pads_i=[dilation] * 4, dilations_i=[dilation, dilation], group_i=groups,
                    offset_group_i=offset_groups)


class DeformConv(nn.Module):
    """detectron2's DeformConv / ModulatedDeformConv as DeformBottleneckBlock builds them (3x3, no bias, a norm)."""

    def __init__(self, in_channels, out_channels, stride, dilation, groups, deform_groups, norm):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(out_channels, in_channels // groups, 3, 3))
        self.stride, self.dilation, self.groups, self.deform_groups = stride, dilation, groups, deform_groups
        self.norm = norm

    def forward(self, x, offset, mask=None):
        x = _DeformConv2d.apply(x, offset, self.weight, mask, self.stride, self.dilation, self.groups,
                                self.deform_groups)
        return self.norm(x) if self.norm is not None else x


class DeformBottleneckBlock(nn.Module):
    """detectron2's DeformBottleneckBlock: conv2 is a deformable conv whose offsets (and, when modulated, masks)
    come from conv2_offset; DCNv2 splits conv2_offset's output into offset (first 2/3) and sigmoid(mask)."""

    def __init__(self, in_channels, out_channels, bottleneck_channels, stride, num_groups, norm, stride_in_1x1,
                 dilation, deform_modulated, deform_num_groups):
        super().__init__()
        self.shortcut = None
        if in_channels != out_channels:
            self.shortcut = Conv2d(in_channels, out_channels, 1, stride=stride, bias=False,
                                   norm=make_norm(norm, out_channels))
        stride_1x1, stride_3x3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = Conv2d(in_channels, bottleneck_channels, 1, stride=stride_1x1, bias=False,
                            norm=make_norm(norm, bottleneck_channels), relu=True)
        self.deform_modulated = deform_modulated
        offset_channels = 27 if deform_modulated else 18
        self.conv2_offset = Conv2d(bottleneck_channels, offset_channels * deform_num_groups, 3, stride=stride_3x3,
                                   padding=dilation, dilation=dilation)
        self.conv2 = DeformConv(bottleneck_channels, bottleneck_channels, stride_3x3, dilation, num_groups,
                                deform_num_groups, make_norm(norm, bottleneck_channels))
        self.conv3 = Conv2d(bottleneck_channels, out_channels, 1, bias=False, norm=make_norm(norm, out_channels))

    def forward(self, x):
        out = self.conv1(x)
        if self.deform_modulated:
            offset_x, offset_y, mask = torch.chunk(self.conv2_offset(out), 3, dim=1)
            out = self.conv2(out, torch.cat((offset_x, offset_y), dim=1), mask.sigmoid())
        else:
            out = self.conv2(out, self.conv2_offset(out))
        out = self.conv3(F.relu(out))
        return F.relu(out + (self.shortcut(x) if self.shortcut is not None else x))


BLOCKS_PER_STAGE = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}


class ResNet(nn.Module):
    """detectron2's ResNet with stages res2..res5 (build_resnet_backbone). Returns a dict of res2..res5."""

    def __init__(self, arch):
        super().__init__()
        depth, norm = arch["depth"], arch["resnet_norm"]
        self.stem = BasicStem(3, arch["stem_out_channels"], norm)
        in_ch, out_ch = arch["stem_out_channels"], arch["res2_out_channels"]
        bottleneck = arch["num_groups"] * arch["width_per_group"]
        deform_on = arch.get("deform_on_per_stage", [False] * 4)
        self.stage_names = []
        for idx, stage_idx in enumerate(range(2, 6)):
            dilation = arch["res5_dilation"] if stage_idx == 5 else 1
            first_stride = 1 if idx == 0 or (stage_idx == 5 and dilation == 2) else 2
            blocks = []
            for b in range(BLOCKS_PER_STAGE[depth][idx]):
                stride = first_stride if b == 0 else 1
                if depth in (18, 34):
                    blocks.append(BasicBlock(in_ch, out_ch, stride, norm))
                elif deform_on[idx]:
                    blocks.append(DeformBottleneckBlock(in_ch, out_ch, bottleneck, stride, arch["num_groups"], norm,
                                                        arch["stride_in_1x1"], dilation, arch["deform_modulated"],
                                                        arch["deform_num_groups"]))
                else:
                    blocks.append(BottleneckBlock(in_ch, out_ch, bottleneck, stride, arch["num_groups"], norm,
                                                  arch["stride_in_1x1"], dilation))
                in_ch = out_ch
            name = f"res{stage_idx}"
            self.add_module(name, nn.Sequential(*blocks))
            self.stage_names.append(name)
            out_ch *= 2
            bottleneck *= 2
        self.out_channels = [arch["res2_out_channels"] * 2 ** i for i in range(4)]

    def forward(self, x):
        x = self.stem(x)
        out = {}
        for name in self.stage_names:
            x = getattr(self, name)(x)
            out[name] = x
        return out


class FPN(nn.Module):
    """detectron2's FPN over res2..res5 with LastLevelMaxPool: returns [p2, p3, p4, p5, p6]."""

    def __init__(self, arch):
        super().__init__()
        self.bottom_up = ResNet(arch)
        out, norm = arch["fpn_out_channels"], arch["fpn_norm"]
        use_bias = norm == ""
        if arch["fpn_fuse_type"] not in ("sum", "avg"):
            raise ValueError(f"unsupported FPN fuse type {arch['fpn_fuse_type']!r}")
        self.fuse_avg = arch["fpn_fuse_type"] == "avg"
        for stage, in_ch in zip(range(2, 6), self.bottom_up.out_channels):
            self.add_module(f"fpn_lateral{stage}", Conv2d(in_ch, out, 1, bias=use_bias, norm=make_norm(norm, out)))
            self.add_module(f"fpn_output{stage}", Conv2d(out, out, 3, padding=1, bias=use_bias,
                                                         norm=make_norm(norm, out)))

    def forward(self, x):
        feats = self.bottom_up(x)
        prev = self.fpn_lateral5(feats["res5"])
        results = [self.fpn_output5(prev)]
        for stage in (4, 3, 2):
            top_down = F.interpolate(prev, scale_factor=2.0, mode="nearest")
            prev = getattr(self, f"fpn_lateral{stage}")(feats[f"res{stage}"]) + top_down
            if self.fuse_avg:
                prev = prev / 2
            results.insert(0, getattr(self, f"fpn_output{stage}")(prev))
        results.append(F.max_pool2d(results[-1], kernel_size=1, stride=2, padding=0))  # LastLevelMaxPool on p5
        return results


class StandardRPNHead(nn.Module):
    """Shared 3x3 conv(s) + ReLU, then 1x1 objectness [N, A, H, W] and deltas [N, A*4, H, W] per level."""

    def __init__(self, in_channels, num_anchors, conv_dims):
        super().__init__()
        cur = in_channels
        if len(conv_dims) == 1:
            out = cur if conv_dims[0] == -1 else conv_dims[0]
            self.conv = Conv2d(cur, out, 3, padding=1, relu=True)
            cur = out
        else:
            self.conv = nn.Sequential()
            for k, dim in enumerate(conv_dims):
                out = cur if dim == -1 else dim
                self.conv.add_module(f"conv{k}", Conv2d(cur, out, 3, padding=1, relu=True))
                cur = out
        self.objectness_logits = nn.Conv2d(cur, num_anchors, 1)
        self.anchor_deltas = nn.Conv2d(cur, num_anchors * 4, 1)

    def forward(self, features):
        logits, deltas = [], []
        for x in features:
            t = self.conv(x)
            logits.append(self.objectness_logits(t))
            deltas.append(self.anchor_deltas(t))
        return logits, deltas


class RPN(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.rpn_head = StandardRPNHead(arch["fpn_out_channels"], arch["anchors_per_cell"], arch["rpn_conv_dims"])


class FastRCNNConvFCHead(nn.Module):
    """conv{k} (3x3, optional norm, ReLU) then flatten (C, H, W order) and fc{k} + ReLU."""

    def __init__(self, in_channels, resolution, num_conv, conv_dim, num_fc, fc_dim, norm):
        super().__init__()
        cur = in_channels
        self.num_conv, self.num_fc = num_conv, num_fc
        for k in range(num_conv):
            self.add_module(f"conv{k + 1}", Conv2d(cur, conv_dim, 3, padding=1, bias=norm == "",
                                                   norm=make_norm(norm, conv_dim), relu=True))
            cur = conv_dim
        size = cur * resolution * resolution
        for k in range(num_fc):
            self.add_module(f"fc{k + 1}", nn.Linear(size, fc_dim))
            size = fc_dim
        self.output_size = size

    def forward(self, x):
        for k in range(self.num_conv):
            x = getattr(self, f"conv{k + 1}")(x)
        if self.num_fc:
            x = torch.flatten(x, 1)
            for k in range(self.num_fc):
                x = F.relu(getattr(self, f"fc{k + 1}")(x))
        return x


class FastRCNNOutputLayers(nn.Module):
    """cls_score -> [R, K+1] (background last); bbox_pred -> [R, 4] (class-agnostic) or [R, 4K]."""

    def __init__(self, in_size, num_classes, cls_agnostic=True):
        super().__init__()
        self.cls_score = nn.Linear(in_size, num_classes + 1)
        self.bbox_pred = nn.Linear(in_size, 4 if cls_agnostic else 4 * num_classes)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return self.cls_score(x), self.bbox_pred(x)


class MaskRCNNConvUpsampleHead(nn.Module):
    """mask_fcn{k} 3x3 convs + ReLU, 2x2 stride-2 deconv + ReLU, 1x1 predictor -> [R, K (or 1), 2S, 2S]."""

    def __init__(self, in_channels, num_conv, conv_dim, norm, num_classes, cls_agnostic):
        super().__init__()
        cur = in_channels
        self.num_conv = num_conv
        for k in range(num_conv):
            self.add_module(f"mask_fcn{k + 1}", Conv2d(cur, conv_dim, 3, padding=1, bias=norm == "",
                                                       norm=make_norm(norm, conv_dim), relu=True))
            cur = conv_dim
        self.deconv = nn.ConvTranspose2d(cur, conv_dim, kernel_size=2, stride=2, padding=0)
        self.predictor = nn.Conv2d(conv_dim, 1 if cls_agnostic else num_classes, 1)

    def forward(self, x):
        for k in range(self.num_conv):
            x = getattr(self, f"mask_fcn{k + 1}")(x)
        return self.predictor(F.relu(self.deconv(x)))


def _box_head(arch):
    return FastRCNNConvFCHead(arch["fpn_out_channels"], arch["box_pooler_resolution"], arch["box_num_conv"],
                              arch["box_conv_dim"], arch["box_num_fc"], arch["box_fc_dim"], arch["box_norm"])


def _mask_head(arch):
    return MaskRCNNConvUpsampleHead(arch["fpn_out_channels"], arch["mask_num_conv"], arch["mask_conv_dim"],
                                    arch["mask_norm"], arch["num_classes"], arch["mask_cls_agnostic"])


def heads_kind(arch):
    """(ROI heads name, class-agnostic box regression, mask head): older manifests are Cascade Mask R-CNN."""
    return (arch.get("roi_heads", "CascadeROIHeads"), bool(arch.get("cls_agnostic_bbox_reg", True)),
            bool(arch.get("mask_on", True)))


class CascadeROIHeads(nn.Module):
    """box_head.K / box_predictor.K per stage (class-agnostic), mask_head when the model has masks."""

    def __init__(self, arch):
        super().__init__()
        _, _, mask_on = heads_kind(arch)
        heads, predictors = [], []
        for _ in range(arch["num_stages"]):
            head = _box_head(arch)
            heads.append(head)
            predictors.append(FastRCNNOutputLayers(head.output_size, arch["num_classes"]))
        self.box_head = nn.ModuleList(heads)
        self.box_predictor = nn.ModuleList(predictors)
        averaged = int(arch.get("mask_heads_averaged", 1))
        if not mask_on:
            self.mask_head = None
        elif averaged > 1:  # mmdetection's Cascade Mask R-CNN: one mask head per stage, probabilities averaged
            self.mask_head = nn.ModuleList([_mask_head(arch) for _ in range(averaged)])
        else:
            self.mask_head = _mask_head(arch)

    def stage(self, k):
        return self.box_head[k], self.box_predictor[k]


class StandardROIHeads(nn.Module):
    """One box_head / box_predictor (class-specific or agnostic regression), mask_head when the model has masks."""

    def __init__(self, arch):
        super().__init__()
        _, agnostic, mask_on = heads_kind(arch)
        self.box_head = _box_head(arch)
        self.box_predictor = FastRCNNOutputLayers(self.box_head.output_size, arch["num_classes"], agnostic)
        self.mask_head = _mask_head(arch) if mask_on else None

    def stage(self, k):
        if k != 0:
            raise IndexError(f"StandardROIHeads has one box stage, asked for {k}")
        return self.box_head, self.box_predictor


class GeneralizedRCNN(nn.Module):
    """The parameter container with detectron2's names: backbone, proposal_generator, roi_heads."""

    def __init__(self, arch):
        super().__init__()
        self.arch = dict(arch)
        self.backbone = FPN(arch)
        self.proposal_generator = RPN(arch)
        name = heads_kind(arch)[0]
        self.roi_heads = CascadeROIHeads(arch) if name == "CascadeROIHeads" else StandardROIHeads(arch)

    @property
    def mask_on(self):
        return self.roi_heads.mask_head is not None

    def run_backbone(self, images):
        """images [N, 3, H, W] normalised and padded (H, W multiples of 32) -> (p2..p6, logits, deltas)."""
        features = self.backbone(images)
        logits, deltas = self.proposal_generator.rpn_head(features)
        return features, logits, deltas

    def run_box_stage(self, k, pooled):
        """pooled [R, C, S, S] -> class logits [R, K+1], deltas [R, 4] (or [R, 4K]) of box stage k."""
        head, predictor = self.roi_heads.stage(k)
        return predictor(head(pooled))

    @property
    def averaged_mask_heads(self):
        """Whether the mask heads' sigmoids are averaged (mmdetection's Cascade Mask R-CNN): the mask graph then
        gives probabilities (`mask_probs`), not logits."""
        return isinstance(self.roi_heads.mask_head, nn.ModuleList)

    def run_mask_head(self, pooled):
        """pooled [R, C, S, S] -> mask logits [R, K, 2S, 2S], or with averaged heads the mean of their sigmoids."""
        if self.averaged_mask_heads:
            return mean_of_sigmoids([head(pooled) for head in self.roi_heads.mask_head])
        return self.roi_heads.mask_head(pooled)


def mean_of_sigmoids(logits):
    """mmdetection's merge_aug_masks over the stages' mask heads (cascade_roi_head.py simple_test): the sigmoids
    summed in stage order, then divided by their count (numpy's float32 mean over axis 0 does exactly that)."""
    total = torch.sigmoid(logits[0])
    for x in logits[1:]:
        total = total + torch.sigmoid(x)
    return total / float(len(logits))


CascadeMaskRCNN = GeneralizedRCNN  # the name the first exporter used


# Keys a detectron2 checkpoint may carry that are not weights of the network.
IGNORED_KEY_SUFFIXES = ("num_batches_tracked",)
IGNORED_KEYS = ("pixel_mean", "pixel_std")
IGNORED_KEY_PREFIXES = ("proposal_generator.anchor_generator.",)


def is_ignored_key(key):
    return key in IGNORED_KEYS or key.endswith(IGNORED_KEY_SUFFIXES) or key.startswith(IGNORED_KEY_PREFIXES)
