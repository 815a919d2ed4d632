"""Any timm model by name ("timm:convnext_tiny"): its pooled features as the vector.

The network is timm's own (``timm.create_model(name, num_classes=0)``), and
how images are fitted to it (input size, centre crop, interpolation, mean
and std) comes from the model's pretrained config, as timm's own
evaluation transform does.

Weights, first found wins:
- a local file (the Image Embedding setting weights_file, ``imgflow serve
  --weights``): a state dict saved by torch.save, read with
  ``weights_only=True`` so a file cannot run code; its content hash goes
  into the cache key, so two files never share vectors;
- timm's download cache (Hugging Face's), read without touching the network;
- timm's normal download, after a quick check that the hub can be reached
  at all: huggingface_hub retries for about a minute on a machine without a
  network, where one clear line at once serves the user better.

A name is accepted only when timm lists it (``timm.list_models``), so a
workflow file cannot make timm fetch configs or code from elsewhere (for
example an 'hf-hub:' repository).
"""
from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import torch
from torch import nn

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.models import TIMM_PREFIX, offline_models
from imgflow.embedders.models.info import ModelInfo

DOWNLOAD_TIMEOUT_S = 30.0
PROBE_TIMEOUT_S = 5.0
# the files timm looks for in a model's hub repository, in its order
_HUB_FILES = ("model.safetensors", "pytorch_model.bin")
_RESAMPLE = {"bicubic": "bicubic", "bilinear": "bilinear", "lanczos": "lanczos"}


def check_name(name: str) -> None:
    """EmbedderError unless timm knows ``name`` ('arch' or 'arch.tag')."""
    import timm

    arch, _, tag = name.partition(".")
    known = arch in timm.list_models() and (not tag or name in timm.list_models(pretrained=True))
    if not known:
        raise EmbedderError(
            f"timm has no model named '{name}'. Use a name from timm.list_models() "
            f"(for example convnext_tiny or resnet50), or an offline model: {offline_models()}.")


def model_info(name: str, net: nn.Module, width: int, version: str) -> ModelInfo:
    """How timm's evaluation transform fits an image to this model, as a ModelInfo."""
    from timm.data import resolve_data_config

    config = resolve_data_config({}, model=net)
    _, height, wide = config["input_size"]
    return ModelInfo(
        id=TIMM_PREFIX + name,
        name=f"timm {name}",
        width=width,
        input_size=(int(height), int(wide)),
        needs_network=True,
        version=version,
        description=f"timm's {name}; its weights come from timm's download or a local file.",
        # timm's 'center' crop (nearly every model); other crop modes are
        # approximated by it
        resize="crop",
        crop_fraction=float(config.get("crop_pct") or 1.0),
        resample=_RESAMPLE.get(config.get("interpolation"), "bicubic"),
        mean=tuple(255.0 * m for m in config["mean"]),
        std=tuple(255.0 * s for s in config["std"]),
    )


def _read_weights(path: str) -> dict:
    if not Path(path).is_file():
        raise EmbedderError(f"The weights file '{path}' does not exist.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickle, zip and torch errors all mean "unreadable"
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise EmbedderError(
            f"Cannot read the weights file '{path}' ({reason}); it must be a state dict "
            "saved by torch.save.") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]  # a training checkpoint around the state dict
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise EmbedderError(f"The weights file '{path}' does not hold a state dict.")
    return state


def _load_file(name: str, net: nn.Module, path: str) -> None:
    state = _read_weights(path)
    classifier = net.pretrained_cfg.get("classifier") or ()
    heads = tuple(f"{c}." for c in ((classifier,) if isinstance(classifier, str) else classifier))
    # the classifier is not part of the embedding network (num_classes=0)
    own = net.state_dict()
    state = {k: v for k, v in state.items() if not (k.startswith(heads) and k not in own)}
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError:
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        example = (missing or unexpected or ["tensor shapes differ"])[0]
        raise EmbedderError(
            f"The weights file '{path}' does not fit timm's {name} ({len(missing)} missing, "
            f"{len(unexpected)} unexpected tensors, e.g. {example}).") from None


def _hub_reachable() -> bool:
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    parts = urlsplit(constants.ENDPOINT)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=PROBE_TIMEOUT_S).close()
    except OSError:
        return False
    return True


def _cached_hub_file(name: str) -> str | None:
    from huggingface_hub import try_to_load_from_cache
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(name)
    repo = cfg.hf_hub_id if cfg is not None else None
    if not repo:
        return None
    repo, _, revision = repo.partition("@")
    for filename in _HUB_FILES:
        found = try_to_load_from_cache(repo, filename, revision=revision or None)
        if isinstance(found, str):
            return found
    return None


def _missing_weights(name: str, reason: str) -> EmbedderError:
    return EmbedderError(
        f"timm's {name} needs its pretrained weights, which could not be downloaded "
        f"({reason}). Connect to the network once (timm keeps them), or give a weights "
        f"file (a state dict saved by torch.save), or use an offline model: {offline_models()}.")


def _pretrained(name: str) -> nn.Module:
    import timm

    cached = _cached_hub_file(name)
    if cached is not None:  # no network needed, and none touched
        return timm.create_model(name, pretrained=True, num_classes=0,
                                 pretrained_cfg_overlay={"file": cached})
    if not _hub_reachable():
        raise _missing_weights(name, "no network")
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        return timm.create_model(name, pretrained=True, num_classes=0)
    except Exception as e:  # connection, hub and disk errors alike
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise _missing_weights(name, reason) from None
    finally:
        socket.setdefaulttimeout(previous)


def build(name: str, weights_path: str | None = None) -> tuple[nn.Module, ModelInfo, str | None]:
    """(network, its ModelInfo, the custom weights file or None)."""
    import timm

    check_name(name)
    if weights_path:
        net = timm.create_model(name, pretrained=False, num_classes=0)
        _load_file(name, net, weights_path)
        version = f"timm:{name}/file/p1"  # load() appends the file's content hash
    else:
        net = _pretrained(name)
        cfg = net.pretrained_cfg
        version = f"timm:{cfg.get('architecture', name)}.{cfg.get('tag') or ''}/hub/p1"
    net.eval()
    # the pooled width, as the network really gives it (some heads add a layer)
    _, height, wide = timm.data.resolve_data_config({}, model=net)["input_size"]
    with torch.inference_mode():
        width = net(torch.zeros(1, 3, height, wide)).reshape(1, -1).shape[1]
    info = model_info(name, net, int(width), version)
    if weights_path:
        # the run's summary then says which file gave the vectors
        info = replace(info, name=f"{info.name} ({Path(weights_path).name})")
    return net, info, weights_path or None
