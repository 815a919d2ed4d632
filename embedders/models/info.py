"""ModelInfo: what a model is and how images are fitted to it (no torch)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

_RESAMPLE = {
    "lanczos": Image.Resampling.LANCZOS,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
}


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    width: int
    input_size: tuple[int, int]  # (height, width)
    needs_network: bool
    version: str  # part of the cache key: change it with preprocessing/weights
    description: str
    # How prepare() fits an image: "stretch" resizes to input_size ignoring
    # the aspect ratio; "crop" scales the shorter side to
    # input / crop_fraction and takes the centre.
    resize: str = "crop"
    crop_fraction: float = 0.875
    resample: str = "bilinear"
    # Per-channel normalisation on the 0..255 scale, applied in Model.embed:
    # x = (pixel - mean) / std.  Kept here so a remote server and a local
    # model agree on it.
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    # Orange's preprocess_squeezenet means to turn RGB into BGR but indexes
    # the width axis of its 4-D array: it swaps pixel columns 0 and 2 and
    # leaves the channels in RGB. True reproduces that, so vectors equal
    # Orange's (and its clustering results).
    orange_column_swap: bool = False

    @property
    def decode_target(self) -> tuple[int, int]:
        """(width, height) an image must at least have before prepare().

        Passed to images.open_rgb so JPEG draft mode never decodes smaller
        than what the resize needs.
        """
        height, width = self.input_size
        if self.resize == "stretch":
            return width, height
        side = _short_side(self)
        return side, side

    def prepare(self, image: Image.Image) -> np.ndarray:
        """uint8 (H, W, 3) at input_size, by this model's resize rule."""
        height, width = self.input_size
        resample = _RESAMPLE[self.resample]
        if image.mode != "RGB":
            image = image.convert("RGB")
        if self.resize == "stretch":
            fitted = image.resize((width, height), resample)
        else:
            fitted = image.resize((width, height), resample,
                                  box=_centre_box(image.size, self))
        array = np.asarray(fitted, dtype=np.uint8)
        if self.orange_column_swap:
            array = array.copy()
            array[:, [0, 2]] = array[:, [2, 0]]
        if array.shape != (height, width, 3):  # defensive: exotic modes
            raise ValueError(f"prepared image has shape {array.shape}")
        return array


def _short_side(info: ModelInfo) -> int:
    return int(round(min(info.input_size) / info.crop_fraction))


def _centre_box(size: tuple[int, int], info: ModelInfo):
    """Source rectangle that resize-shorter-side-then-centre-crop keeps.

    Resizing just this box straight to the input size is one resampling pass
    instead of two, with the same result up to sub-pixel rounding.
    """
    src_w, src_h = size
    height, width = info.input_size
    scale = _short_side(info) / min(src_w, src_h)
    box_w = min(src_w, width / scale)
    box_h = min(src_h, height / scale)
    left = (src_w - box_w) / 2
    top = (src_h - box_h) / 2
    return left, top, left + box_w, top + box_h
