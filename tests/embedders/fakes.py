"""Test doubles and generated images for the embedders tests."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from imgflow.embedders.models import ModelInfo

FAKE_INFO = ModelInfo(
    id="fake", name="Fake", width=3, input_size=(8, 8), needs_network=False,
    version="fake/1", description="mean colour", resize="stretch",
    resample="bilinear")


class MeanColourModel:
    """Duck-typed model: the vector is an image's mean RGB; records calls.

    With lanes > 1 the pipeline runs that many batches at once, as it does
    for a local model on a CPU.
    """

    def __init__(self, delay: float = 0.0, info: ModelInfo = FAKE_INFO, lanes: int = 1):
        self.info = info
        self.batch_size = 4
        self.lanes = lanes
        self.lanes_entered = 0
        self.delay = delay
        self.calls: list[int] = []
        self.intervals: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def embed(self, batch: np.ndarray) -> np.ndarray:
        start = time.monotonic()
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.calls.append(len(batch))
            self.intervals.append((start, time.monotonic()))
        return batch.reshape(len(batch), -1, 3).mean(axis=1).astype(np.float32)

    @contextmanager
    def lanes_running(self):
        self.lanes_entered += 1
        yield


def photo_like(rng: np.random.Generator, size=(320, 240)) -> Image.Image:
    """Gradient, shapes, blur and noise: compresses like a photo."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = rng.uniform(0, 255, 3) + x[..., None] * rng.uniform(-.3, .3, 3) \
        + y[..., None] * rng.uniform(-.3, .3, 3)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x0, x1 = sorted(rng.integers(0, width, 2))
        y0, y1 = sorted(rng.integers(0, height, 2))
        draw.ellipse((x0, y0, x1, y1), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    image = image.filter(ImageFilter.GaussianBlur(1.0))
    noisy = np.asarray(image, dtype=np.float32) + rng.normal(0, 5, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
