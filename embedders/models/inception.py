"""Inception v3: torchvision's network and ImageNet weights, 2048-wide output.

Weights, first found wins: the weights_path argument, the environment
variable IMGFLOW_INCEPTION_WEIGHTS, torchvision's download cache
(torch.hub's checkpoints folder), a download by torchvision. A random network
is never used in place of missing weights.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

import torch
from torch import nn

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.models import WEIGHTS_ENV, custom_weights

ENV_WEIGHTS = WEIGHTS_ENV["inception-v3"]
DOWNLOAD_TIMEOUT_S = 30.0


def weights_enum():
    from torchvision.models import Inception_V3_Weights
    return Inception_V3_Weights.IMAGENET1K_V1


def expected_file() -> Path:
    """Where torchvision keeps the downloaded weights."""
    name = weights_enum().url.rsplit("/", 1)[-1]
    return Path(torch.hub.get_dir()) / "checkpoints" / name


def architecture() -> nn.Module:
    """torchvision's Inception v3, uninitialised, as its pretrained model is
    configured: transform_input=True re-scales ImageNet-normalised input to
    the [-1, 1] range the Google weights were trained on."""
    from torchvision.models import inception_v3
    return inception_v3(weights=None, aux_logits=False, init_weights=False,
                        transform_input=True)


def _download_state_dict() -> dict:
    """torchvision's own download-and-cache, with a socket timeout so that a
    machine without network fails in seconds instead of hanging."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        return weights_enum().get_state_dict(progress=False, check_hash=True)
    finally:
        socket.setdefaulttimeout(previous)


def _missing_weights_error(reason: str) -> EmbedderError:
    return EmbedderError(
        "Inception v3 needs its ImageNet weights, which could not be "
        f"downloaded ({reason}). torchvision looks for the file "
        f"'{expected_file().name}' in '{expected_file().parent}': copy it "
        f"there, or set the environment variable {ENV_WEIGHTS} to a .pth file "
        "in torchvision's state-dict format. Otherwise use EfficientNet-Lite1, "
        "EfficientNet-Lite2, EfficientNet-Lite0 or SqueezeNet, which work offline.")


def _read_file(path: str | os.PathLike) -> dict:
    if not Path(path).is_file():
        raise EmbedderError(
            f"The Inception v3 weight file '{path}' does not exist. "
            f"Point {ENV_WEIGHTS} or the weights setting at torchvision's "
            f"'{expected_file().name}', or use EfficientNet-Lite1, EfficientNet-Lite2, "
            "EfficientNet-Lite0 or SqueezeNet, "
            "which work offline.")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickle, zip and torch errors all mean "unreadable"
        raise EmbedderError(
            f"Cannot read Inception v3 weights from '{path}' ({e}). It must be "
            "a state dict saved by torch.save in torchvision's format.") from None


def state_dict(weights_path: str | None) -> tuple[dict, str | None]:
    """(state dict, the custom file it came from or None for torchvision's)."""
    custom = custom_weights("inception-v3", weights_path)
    if custom:
        return _read_file(custom), str(custom)
    if expected_file().is_file():
        return _read_file(expected_file()), None
    try:
        return _download_state_dict(), None
    except Exception as e:  # URLError, timeouts, hash mismatch, disk full...
        raise _missing_weights_error(str(e) or type(e).__name__) from None


def build(weights_path: str | None = None) -> tuple[nn.Module, str | None]:
    state, custom = state_dict(weights_path)
    net = architecture()
    # the auxiliary classifier only matters for training, fc is replaced:
    # the embedding is the 2048-wide pooled vector before it
    state = {k: v for k, v in state.items()
             if not k.startswith(("AuxLogits.", "fc."))}
    net.fc = nn.Identity()
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError:
        raise EmbedderError(
            f"The weight file '{custom or expected_file()}' is not an Inception v3 "
            "state dict in torchvision's format.") from None
    return net, custom
