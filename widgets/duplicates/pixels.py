"""Confirming a pair of near-identical embeddings by the images' pixels.

An embedding says what a photo shows, so two different photos of the same
kind (two pinned monarch butterflies) can be as close as a photo and its
resized, re-compressed copy (measured in benchmarks/duplicates.py).  The
pixels tell them apart: a copy's small grey version correlates with the
original's at 0.99 and more, a different photo's below 0.9.  Images are
loaded only for rows that have a close pair, a few at a time in threads
(decoding releases the GIL), each at thumbnail size (JPEG draft mode).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np

SIDE = 24                 # the grey signature is SIDE x SIDE
MIN_CORRELATION = 0.95    # copies measured >= 0.99, different photos <= 0.89
MAX_ASPECT_CHANGE = 0.1   # |log(aspect ratio a / b)|: copies measured <= 0.03
FLAT = 1e-6               # a signature this flat is an even image: compare brightness
THREADS = 4


def signature(source: str) -> tuple[np.ndarray, float, float] | None:
    """(unit grey vector, aspect ratio, mean brightness), or None when unreadable."""
    from PIL import Image

    from imgflow.embedders.images import ImageSkipped, load_thumbnail
    try:
        image = load_thumbnail(source, 4 * SIDE).convert("L")
    except (ImageSkipped, OSError, ValueError):
        return None
    aspect = image.width / max(image.height, 1)
    grey = np.asarray(image.resize((SIDE, SIDE), Image.Resampling.BILINEAR), dtype=np.float64)
    mean = float(grey.mean())
    vector = grey.ravel() - mean
    norm = np.linalg.norm(vector)
    return (vector / norm if norm > FLAT else np.zeros_like(vector)), aspect, mean


class PixelCheck:
    """Confirms pairs of rows by their images; remembers what it loaded."""

    def __init__(self, sources: Sequence[str | None], check: Callable[[], None] = lambda: None):
        n = len(sources)
        self.sources = sources
        self.check = check
        self.vectors = np.zeros((n, SIDE * SIDE), dtype=np.float32)
        self.aspect = np.ones(n)
        self.mean = np.zeros(n)
        self.loaded = np.zeros(n, dtype=bool)
        self.readable = np.zeros(n, dtype=bool)

    @property
    def unreadable(self) -> np.ndarray:
        return np.flatnonzero(self.loaded & ~self.readable)

    def _load(self, rows: np.ndarray) -> None:
        todo = [int(r) for r in np.unique(rows) if not self.loaded[r]]
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="imgflow-dups") as pool:
            for start in range(0, len(todo), 64):
                self.check()
                chunk = todo[start:start + 64]
                found = pool.map(lambda r: signature(self.sources[r])
                                 if self.sources[r] else None, chunk)
                for row, sig in zip(chunk, found):
                    self.loaded[row] = True
                    if sig is not None:
                        self.readable[row] = True
                        self.vectors[row], self.aspect[row], self.mean[row] = sig

    def __call__(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """For each pair (i[k], j[k]), whether the two images are copies of each other."""
        self._load(np.concatenate([i, j]))
        correlation = np.einsum("ij,ij->i", self.vectors[i], self.vectors[j])
        flat_i, flat_j = ~self.vectors[i].any(axis=1), ~self.vectors[j].any(axis=1)
        # even images (one colour) have no pattern to correlate: compare brightness
        same_flat = flat_i & flat_j & (np.abs(self.mean[i] - self.mean[j]) < 8)
        same_shape = np.abs(np.log(self.aspect[i] / self.aspect[j])) <= MAX_ASPECT_CHANGE
        return (self.readable[i] & self.readable[j] & same_shape
                & ((correlation >= MIN_CORRELATION) | same_flat))
