"""Trains the exporter's Cascade Mask R-CNN on synthetic cells, on CPU, reproducibly.

  nice -n 5 /usr/bin/python3 -m tools.train.train --config tools/configs/synthcells_cascade_R_18_FPN.yaml \
      --data target/synthcells --out target/train-synthcells [--iters 800] [--seed 0] [--resume]
      [--init-weights EARLIER.pth] [--crop 384 --batch 2 --base-lr 0.005 ...]

The network is `tools.maskrt_export.modules.CascadeMaskRCNN` with its FrozenBN layers swapped for trainable
nn.BatchNorm2d (same parameter and buffer names), so the state_dict saved in `model_XXXXXXX.pth` /
`model_final.pth` (detectron2 style: weights under "model") is exactly what `python3 -m tools.maskrt_export
export --weights` loads: at inference BN with running statistics is the FrozenBN affine. Losses are
tools/train/losses.py. Every `--checkpoint-period` iterations a checkpoint (with optimizer and RNG state, for
--resume) is written, so a run that is cut off still leaves a usable model. The log (one line per
--log-period iterations, plus the settings as JSON on the first line) goes to OUT/train_log.txt and stdout.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

from tools.maskrt_export import config as C
from tools.maskrt_export.modules import CascadeMaskRCNN, FrozenBatchNorm2d

from . import losses as L
from .data import SynthCells
from .dsb import Dsb2018, read_split

DEFAULTS = {
    "iters": 800, "batch": 4, "crop": 256, "base_lr": 0.01, "momentum": 0.9, "weight_decay": 1e-4,
    "warmup_iters": 100, "warmup_factor": 0.001, "final_lr_factor": 0.02, "grad_clip": 10.0,
    "rpn_batch": 256, "rpn_pos_fraction": 0.5, "rpn_pre_nms_topk": 1000, "rpn_post_nms_topk": 500,
    "roi_batch": 128, "roi_pos_fraction": 0.25, "stage_ious": [0.5, 0.6, 0.7],
    "checkpoint_period": 100, "log_period": 10, "seed": 0, "threads": 2,
}


def trainable_bn(module):
    """Replaces every FrozenBatchNorm2d by an nn.BatchNorm2d with the same names (weight, bias, running_*)."""
    for name, child in module.named_children():
        if isinstance(child, FrozenBatchNorm2d):
            setattr(module, name, nn.BatchNorm2d(child.num_features, eps=child.eps))
        else:
            trainable_bn(child)
    return module


def c2_msra_fill(m):
    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    if m.bias is not None:
        nn.init.zeros_(m.bias)


def c2_xavier_fill(m):
    nn.init.kaiming_uniform_(m.weight, a=1)
    if m.bias is not None:
        nn.init.zeros_(m.bias)


def init_weights(model):
    """detectron2's initialisations: MSRA for ResNet and mask convs, Xavier-like for FPN and box FCs, small
    normals for the RPN head and the predictors, BN affine (1, 0)."""
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            if name.startswith("proposal_generator."):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)
            elif name.startswith("backbone.fpn_") or name.startswith("roi_heads.box_head."):
                c2_xavier_fill(m)
            elif name.endswith("cls_score"):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)
            elif name.endswith("bbox_pred") or name.endswith("mask_head.predictor"):
                nn.init.normal_(m.weight, std=0.001)
                nn.init.zeros_(m.bias)
            else:
                c2_msra_fill(m)


def lr_at(it, cfg):
    """Linear warm-up, then cosine decay from base_lr to base_lr * final_lr_factor at the last iteration."""
    if it < cfg["warmup_iters"]:
        alpha = it / cfg["warmup_iters"]
        warm = cfg["warmup_factor"] * (1 - alpha) + alpha
    else:
        warm = 1.0
    t = it / max(cfg["iters"], 1)
    f = cfg["final_lr_factor"] + (1 - cfg["final_lr_factor"]) * 0.5 * (1 + math.cos(math.pi * t))
    return cfg["base_lr"] * warm * f


def make_batch(dataset, rng, cfg, settings):
    imgs, targets = [], []
    mean = torch.tensor(settings["input"]["pixel_mean"], dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(settings["input"]["pixel_std"], dtype=torch.float32).view(3, 1, 1)
    for _ in range(cfg["batch"]):
        img, boxes, classes, masks = dataset.random_crop(rng, cfg["crop"])
        if img.ndim == 2:
            x = torch.from_numpy(img).float()[None].expand(3, -1, -1)  # grayscale: 3 equal channels
        else:
            x = torch.from_numpy(img).float().permute(2, 0, 1)  # [H, W, 3] BGR -> [3, H, W]
        imgs.append((x - mean) / std)
        targets.append({"boxes": torch.from_numpy(boxes), "classes": torch.from_numpy(classes),
                        "masks": torch.from_numpy(masks)})
    return torch.stack(imgs), targets


def param_groups(model, cfg):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim == 1 and ("norm" in name) else decay).append(p)
    return [{"params": decay, "weight_decay": cfg["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}]


def save_checkpoint(path, model, optimizer, it, rng, gen, cfg):
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "iteration": it, "optimizer": optimizer.state_dict(),
                "numpy_rng": rng.bit_generator.state, "torch_gen": gen.get_state(), "train_config": cfg}, tmp)
    os.replace(tmp, path)


def train(args):
    cfg = dict(DEFAULTS)
    for key in DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:
            cfg[key] = value
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    settings = C.load_settings(args.config)
    cfg["image_size"] = (cfg["crop"], cfg["crop"])
    model = trainable_bn(CascadeMaskRCNN(settings["architecture"]))
    init_weights(model)
    if args.init_weights:
        # a later phase of a schedule: weights (and BN statistics) of an earlier run, fresh optimizer; with
        # --init-partial, parameters whose shapes differ (class-specific predictors) keep their fresh init
        state = torch.load(args.init_weights, map_location="cpu")["model"]
        if args.init_partial:
            own = model.state_dict()
            skipped = sorted(k for k, v in state.items() if k not in own or own[k].shape != v.shape)
            state = {k: v for k, v in state.items() if k not in skipped}
            print(f"init-weights: {len(state)} tensors loaded, fresh: {skipped}", flush=True)
            model.load_state_dict(state, strict=False)
        else:
            model.load_state_dict(state)
    model.train()
    optimizer = torch.optim.SGD(param_groups(model, cfg), lr=cfg["base_lr"], momentum=cfg["momentum"])
    rng = np.random.default_rng(cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"])
    os.makedirs(args.out, exist_ok=True)
    start_it = 0
    last = os.path.join(args.out, "last_checkpoint.pth")
    if args.resume and os.path.exists(last):
        ck = torch.load(last, map_location="cpu")
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        rng.bit_generator.state = ck["numpy_rng"]
        gen.set_state(ck["torch_gen"])
        start_it = ck["iteration"]
    log = open(os.path.join(args.out, "train_log.txt"), "a" if start_it else "w")

    def emit(line):
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    if args.dataset == "dsb2018":
        held_out = read_split(args.held_out)
        inp = settings["input"]
        dataset = Dsb2018(args.data, held_out, inp["min_size_test"], inp["max_size_test"])
    else:
        dataset = SynthCells(args.data, "train")
    if start_it == 0:
        emit(json.dumps({"config": os.path.basename(args.config), "dataset": args.dataset, "data": args.data,
                         "held_out": args.held_out if args.dataset == "dsb2018" else None,
                         "train_images": len(dataset), "init_weights": args.init_weights,
                         "torch": torch.__version__, **{k: v for k, v in cfg.items()}}))
    else:
        emit(f"# resumed at iteration {start_it} with " + json.dumps({k: cfg[k] for k in ("iters", "base_lr", "batch", "crop")}))
    sums, count, t0 = {}, 0, time.time()
    for it in range(start_it, cfg["iters"]):
        lr = lr_at(it, cfg)
        for g in optimizer.param_groups:
            g["lr"] = lr
        images, targets = make_batch(dataset, rng, cfg, settings)
        features, logits, deltas = model.run_backbone(images)
        shapes = [tuple(l.shape[2:]) for l in logits]
        anchors = L.RpnTargets(settings, shapes).anchors
        lg, dl = L.flatten_rpn(logits, deltas)
        loss_obj, loss_rpn_box = L.rpn_losses(lg, dl, anchors, [t["boxes"] for t in targets], cfg, gen)
        proposals = L.rpn_proposals([l.detach() for l in logits], [d.detach() for d in deltas], shapes,
                                    cfg["image_size"], settings, cfg)
        losses = {"loss_rpn_cls": loss_obj, "loss_rpn_loc": loss_rpn_box}
        losses.update(L.cascade_losses(model, features, proposals, targets, settings, cfg, gen))
        total = sum(losses.values())
        if not torch.isfinite(total):
            raise FloatingPointError(f"iteration {it}: loss is {total.item()} ({ {k: v.item() for k, v in losses.items()} })")
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        if cfg["grad_clip"]:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
        optimizer.step()
        for k, v in losses.items():
            sums[k] = sums.get(k, 0.0) + v.item()
        sums["total_loss"] = sums.get("total_loss", 0.0) + total.item()
        count += 1
        done = it + 1
        if done % cfg["log_period"] == 0 or done == cfg["iters"]:
            rec = {"iter": done, "lr": round(lr, 6), "s_per_iter": round((time.time() - t0) / count, 3)}
            rec.update({k: round(v / count, 4) for k, v in sums.items()})
            emit(json.dumps(rec))
            sums, count, t0 = {}, 0, time.time()
        if done % cfg["checkpoint_period"] == 0 or done == cfg["iters"]:
            model.eval()
            save_checkpoint(last, model, optimizer, done, rng, gen, cfg)
            name = "model_final.pth" if done == cfg["iters"] else f"model_{done:07d}.pth"
            torch.save({"model": model.state_dict(), "iteration": done}, os.path.join(args.out, name))
            model.train()
    log.close()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.train.train")
    p.add_argument("--config", required=True)
    p.add_argument("--dataset", choices=["synthcells", "dsb2018"], default="synthcells")
    p.add_argument("--data", required=True, help="synthcells root (with train/annotations.json) or the DSB2018 "
                   "stage-1 folder (annotations.json, images/)")
    p.add_argument("--held-out", default="samples/dsb2018-val/image_ids.txt",
                   help="dsb2018: image ids never trained on (python3 -m tools.train.dsb split)")
    p.add_argument("--init-partial", action="store_true",
                   help="with --init-weights: skip tensors whose shapes differ (another class count)")
    p.add_argument("--out", required=True)
    p.add_argument("--resume", action="store_true", help="continue from OUT/last_checkpoint.pth")
    p.add_argument("--init-weights", help="start from this checkpoint's weights (a second phase of a schedule)")
    for key, value in DEFAULTS.items():
        if isinstance(value, list):
            continue
        p.add_argument("--" + key.replace("_", "-"), dest=key, type=type(value), default=None)
    args = p.parse_args(argv)
    train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
