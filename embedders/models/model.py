"""A loaded model: runs prepared uint8 batches through torch."""
from __future__ import annotations

import importlib
import os
from contextlib import contextmanager

import numpy as np
import torch

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.models import with_weights
from imgflow.embedders.models.fold import fold_batch_norms
from imgflow.embedders.models.info import ModelInfo

# model id -> (module with build(weights_path, **arguments), arguments)
_LITE = "imgflow.embedders.models.efficientnet_lite"
_BUILDERS = {
    "inception-v3": ("imgflow.embedders.models.inception", {}),
    "squeezenet": ("imgflow.embedders.models.squeezenet", {}),
    **{f"efficientnet-lite{n}": (_LITE, {"model_id": f"efficientnet-lite{n}"}) for n in (0, 1, 2)},
}

# Images per batch on a CPU. Measured on 2 cores with two lanes, 4 beat 8
# (EfficientNet-Lite0 +40 %, Inception v3 and SqueezeNet +5 %), and 8 beat 16
# and 32. A layer's output over 32 MB (EfficientNet-Lite0 and Inception v3
# at 8 images) is above glibc's largest mmap threshold, so it is fresh
# memory from the kernel each time: 3,000+ page faults per image, a quarter
# of the CPU time. Small batches also keep progress and cancellation frequent.
_CPU_BATCH = 4
_ACCELERATOR_BATCH = 64
# Batches run at once on a CPU, each on cores // lanes threads; each lane
# also decodes its own batch (pipeline._run_lanes). On 2 cores two
# single-threaded batches gave 1.2x (SqueezeNet, EfficientNet-Lite0) the
# images/s of one batch on two threads: no barrier waits between the
# threads, and one lane decoding does not stall the other.
_MAX_CPU_LANES = 4


def choose_device(device: str | None = None) -> str:
    if device is not None:
        if device not in ("cuda", "mps", "cpu") and not device.startswith("cuda:"):
            raise EmbedderError(f"Unknown device '{device}': use cuda, mps or cpu.")
        return device
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def configure_threads() -> None:
    """Use every core for the model: image decoding runs in other threads,
    but Pillow releases the GIL and is several times cheaper than the model,
    so the model threads should not be held back for it."""
    cores = os.cpu_count() or 1
    if torch.get_num_threads() != cores:
        torch.set_num_threads(cores)


class Model:
    """Embeds uint8 (B, H, W, 3) batches made by info.prepare."""

    def __init__(self, info: ModelInfo, network: torch.nn.Module, device: str):
        self.info = info
        self.device = device
        self.batch_size = _CPU_BATCH if device == "cpu" else _ACCELERATOR_BATCH
        # channels_last: the (B, H, W, 3) input already is in that layout,
        # and the convolutions run faster with it on CPU and GPU alike
        self._network = network.eval().to(device, memory_format=torch.channels_last)
        shape = (1, 3, 1, 1)
        self._mean = torch.tensor(info.mean, dtype=torch.float32, device=device).view(shape)
        self._scale = (1.0 / torch.tensor(info.std, dtype=torch.float32,
                                          device=device)).view(shape)

    @property
    def lanes(self) -> int:
        """How many batches embed_images may run at once (within lanes_running)."""
        if self.device != "cpu":
            return 1
        return max(1, min(_MAX_CPU_LANES, os.cpu_count() or 1))

    @contextmanager
    def lanes_running(self):
        """Split torch's threads among the lanes while they run.

        torch's thread count is process-wide and new threads take it when they
        first run an op, so it is set before the lane threads start.
        """
        before = torch.get_num_threads()
        torch.set_num_threads(max(1, before // self.lanes))
        try:
            yield
        finally:
            torch.set_num_threads(before)

    @property
    def network(self) -> torch.nn.Module:
        return self._network

    def embed(self, batch: np.ndarray) -> np.ndarray:
        """uint8 (B, H, W, 3) -> float32 (B, width); normalisation is done here."""
        batch = np.asarray(batch)
        height, width = self.info.input_size
        if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[1:] != (height, width, 3):
            raise EmbedderError(
                f"{self.info.name} takes uint8 batches of shape (B, {height}, {width}, 3), "
                f"not {batch.dtype} {batch.shape}.")
        if len(batch) == 0:
            return np.zeros((0, self.info.width), dtype=np.float32)
        try:
            with torch.inference_mode():
                return self._forward(batch)
        except RuntimeError as e:  # out of memory, device lost, ...
            raise EmbedderError(f"{self.info.name} failed on {self.device}: {e}") from None

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        if not (batch.flags.c_contiguous and batch.flags.writeable):
            batch = np.array(batch)  # torch.from_numpy wants writable memory
        pixels = torch.from_numpy(batch)
        if self.device != "cpu":
            pixels = pixels.pin_memory() if self.device.startswith("cuda") else pixels
            pixels = pixels.to(self.device, non_blocking=True)
        # NHWC bytes viewed as NCHW are channels_last; float() keeps the layout
        x = pixels.permute(0, 3, 1, 2).float()
        x = x.sub_(self._mean).mul_(self._scale)
        out = self._network(x)
        out = out.reshape(len(batch), -1).float().cpu().numpy()
        if out.shape[1] != self.info.width:
            raise EmbedderError(
                f"{self.info.name} gave {out.shape[1]} values per image, "
                f"expected {self.info.width}.")
        return out


def _device(device: str | None) -> str:
    device = choose_device(device)
    if device == "cpu":
        configure_threads()
    return device


def _model(info: ModelInfo, network: torch.nn.Module, custom_weights: str | None,
           device: str) -> Model:
    # the same rule as models.model_info, which finds cached vectors without torch
    return Model(with_weights(info, custom_weights), network, device)


def load(info: ModelInfo, device: str | None = None,
         weights_path: str | None = None) -> Model:
    device = _device(device)
    module, arguments = _BUILDERS[info.id]
    network, custom_weights = importlib.import_module(module).build(weights_path, **arguments)
    fold_batch_norms(network.eval())  # inference only: norms become conv weights
    return _model(info, network, custom_weights, device)


def load_timm(name: str, device: str | None = None, weights_path: str | None = None) -> Model:
    """timm's model ``name`` (see timm_models). Its batch norms are not folded:
    fold_batch_norms relies on a layer order checked for our own models only."""
    from imgflow.embedders.models.timm_models import build

    device = _device(device)
    network, info, custom_weights = build(name, weights_path)
    return _model(info, network, custom_weights, device)
