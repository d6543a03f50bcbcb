"""detectron2 checkpoints: model-zoo `.pkl` (numpy arrays under "model") and `.pth` (torch state_dict under
"model"), loaded into a GeneralizedRCNN with every mismatch reported in one error.

Caffe2-era names (`res2_0_branch2a_w`, ImageNet-pretrained MSRA backbones) are out of scope: such a file is
refused with its unexpected keys listed.
"""
import pickle

import numpy as np
import torch

from .modules import is_ignored_key


class CheckpointError(ValueError):
    """A checkpoint that does not fit the model; the message names the file and every bad key."""


def read_state_dict(path):
    """The raw name -> torch.Tensor mapping of a .pkl or .pth checkpoint (float tensors as float32)."""
    try:
        if path.endswith(".pkl"):
            with open(path, "rb") as f:
                data = pickle.load(f, encoding="latin1")
        else:
            data = torch.load(path, map_location="cpu")
    except Exception as e:  # unreadable file: name it
        raise CheckpointError(f"{path}: cannot read checkpoint: {e}") from e
    if isinstance(data, dict) and "model" in data and isinstance(data["model"], dict):
        data = data["model"]
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: expected a dict with the weights under 'model', got {type(data).__name__}")
    out = {}
    for key, value in data.items():
        if key == "__author__" or is_ignored_key(key):
            continue
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(np.ascontiguousarray(value))
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{path}: {key}: expected an array, got {type(value).__name__}")
        out[key] = value.float() if value.is_floating_point() else value
    return out


def check_and_load(model, state, source):
    """Loads `state` into `model`; raises CheckpointError listing all missing, unexpected and mis-shaped keys."""
    expected = {k: v for k, v in model.state_dict().items() if not is_ignored_key(k)}
    state = {k: v for k, v in state.items() if k != "__author__" and not is_ignored_key(k)}
    missing = sorted(k for k in expected if k not in state)
    unexpected = sorted(k for k in state if k not in expected)
    shapes = sorted(f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}"
                    for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape))
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} [{', '.join(missing)}]")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} [{', '.join(unexpected)}]")
        if shapes:
            parts.append(f"shape mismatch {len(shapes)} [{'; '.join(shapes)}]")
        raise CheckpointError(f"{source}: checkpoint does not match the config: " + "; ".join(parts))
    model.load_state_dict({k: state[k] for k in expected}, strict=False)
    return model


def load_checkpoint(model, path):
    return check_and_load(model, read_state_dict(path), path)
