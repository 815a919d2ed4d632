"""EfficientNet-Lite built with torch alone: timm's tf_efficientnet_liteN, layer for layer.

``import timm`` costs 2.7 s on top of torch's 2.1 s here (it imports
torchvision and torch._dynamo), 55 % of a cold run's imports, for a network
of three kinds of layer.  This module builds the same network (same layers,
same order of parameters, the same TensorFlow 'same' padding, the same
operations in forward), so the same weights give the same vectors;
tests/embedders/test_models_torch_only.py compares it with timm's.

Lite0-4 differ only in the multipliers (timm's _gen_efficientnet_lite): the
stem (32) and the head (1280) stay fixed, the first and last stages keep
their depth.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# (block, repeats, kernel, stride, expansion, channels) of each stage
_STAGES = (("ds", 1, 3, 1, 1, 16), ("ir", 2, 3, 2, 6, 24), ("ir", 2, 5, 2, 6, 40),
           ("ir", 3, 3, 2, 6, 80), ("ir", 3, 5, 1, 6, 112), ("ir", 4, 5, 2, 6, 192),
           ("ir", 1, 3, 1, 6, 320))
# timm name -> (channel multiplier, depth multiplier)
VARIANTS = {f"tf_efficientnet_lite{i}": m for i, m in enumerate(
    ((1.0, 1.0), (1.0, 1.1), (1.1, 1.2), (1.2, 1.4), (1.4, 1.8)))}
_BN_EPS = 1e-3  # TensorFlow's


def make_divisible(v: float, divisor: int = 8, round_limit: float = 0.9) -> int:
    """timm's channel rounding."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < round_limit * v else new_v


class Conv2dSame(nn.Conv2d):
    """TensorFlow's 'same' padding for a strided convolution (as timm's Conv2dSame)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ih, iw = x.shape[-2:]
        pad_h = _same_padding(ih, self.kernel_size[0], self.stride[0])
        pad_w = _same_padding(iw, self.kernel_size[1], self.stride[1])
        x = F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
        return F.conv2d(x, self.weight, self.bias, self.stride, (0, 0), self.dilation,
                        self.groups)


def _same_padding(size: int, kernel: int, stride: int) -> int:
    return max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)


def _conv(in_chs: int, out_chs: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    if stride == 1:  # an odd kernel pads the same on every side: a plain conv
        return nn.Conv2d(in_chs, out_chs, kernel, 1, kernel // 2, groups=groups, bias=False)
    return Conv2dSame(in_chs, out_chs, kernel, stride, 0, groups=groups, bias=False)


def _norm(chs: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(chs, eps=_BN_EPS)


class DepthwiseSeparable(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, kernel: int, stride: int):
        super().__init__()
        self.conv_dw = _conv(in_chs, in_chs, kernel, stride, groups=in_chs)
        self.bn1 = _norm(in_chs)
        self.act1 = nn.ReLU6(inplace=True)
        self.conv_pw = _conv(in_chs, out_chs, 1)
        self.bn2 = _norm(out_chs)
        self.has_skip = stride == 1 and in_chs == out_chs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv_pw(self.act1(self.bn1(self.conv_dw(x)))))
        return y + x if self.has_skip else y


class InvertedResidual(nn.Module):
    def __init__(self, in_chs: int, out_chs: int, kernel: int, stride: int, expansion: int):
        super().__init__()
        mid = make_divisible(in_chs * expansion)
        self.conv_pw = _conv(in_chs, mid, 1)
        self.bn1 = _norm(mid)
        self.act1 = nn.ReLU6(inplace=True)
        self.conv_dw = _conv(mid, mid, kernel, stride, groups=mid)
        self.bn2 = _norm(mid)
        self.act2 = nn.ReLU6(inplace=True)
        self.conv_pwl = _conv(mid, out_chs, 1)
        self.bn3 = _norm(out_chs)
        self.has_skip = stride == 1 and in_chs == out_chs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act1(self.bn1(self.conv_pw(x)))
        y = self.bn3(self.conv_pwl(self.act2(self.bn2(self.conv_dw(y)))))
        return y + x if self.has_skip else y


class EfficientNetLite(nn.Module):
    """Image batch (N, 3, H, W) -> pooled features (N, 1280); no classifier."""

    def __init__(self, channel_multiplier: float = 1.0, depth_multiplier: float = 1.0):
        super().__init__()
        self.conv_stem = _conv(3, 32, 3, 2)
        self.bn1 = _norm(32)
        self.act1 = nn.ReLU6(inplace=True)
        stages, in_chs = [], 32
        for i, (kind, repeats, kernel, stride, expansion, chs) in enumerate(_STAGES):
            fixed = i in (0, len(_STAGES) - 1)
            repeats = repeats if fixed else int(math.ceil(repeats * depth_multiplier))
            out_chs = make_divisible(chs * channel_multiplier)
            blocks = []
            for r in range(repeats):
                step = stride if r == 0 else 1
                blocks.append(DepthwiseSeparable(in_chs, out_chs, kernel, step) if kind == "ds"
                              else InvertedResidual(in_chs, out_chs, kernel, step, expansion))
                in_chs = out_chs
            stages.append(nn.Sequential(*blocks))
        self.blocks = nn.Sequential(*stages)
        self.conv_head = _conv(in_chs, 1280, 1)
        self.bn2 = _norm(1280)
        self.act2 = nn.ReLU6(inplace=True)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.num_features = 1280

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv_stem(x)))
        x = self.act2(self.bn2(self.conv_head(self.blocks(x))))
        return self.global_pool(x).flatten(1)


def efficientnet_lite(timm_name: str) -> EfficientNetLite:
    """The network timm.create_model(timm_name, num_classes=0) makes, untrained."""
    return EfficientNetLite(*VARIANTS[timm_name])
