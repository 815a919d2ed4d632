"""Generated photo-like images of clearly different kinds, for tests.

Each kind has its own colours, texture and shapes; images of one kind vary
(random positions, sizes, noise) so that a model sees a family, not copies.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

KINDS = ("stripes", "discs", "checks", "noise")


def make_photo(kind: str, seed: int = 0, size: tuple[int, int] = (320, 240)) -> Image.Image:
    rng = np.random.default_rng(seed * 7919 + KINDS.index(kind))
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "stripes":       # warm diagonal stripes
        period = rng.uniform(14, 26)
        phase = rng.uniform(0, period)
        band = (np.sin((xx + yy + phase) * 2 * np.pi / period) > 0)[..., None]
        img = np.where(band, [230, 120, 30], [120, 20, 10]).astype(np.float32)
    elif kind == "checks":      # black and white checkerboard
        cell = int(rng.integers(16, 32))
        board = (((xx // cell) + (yy // cell)) % 2 == 0)[..., None]
        img = np.where(board, [235, 235, 235], [25, 25, 25]).astype(np.float32)
    elif kind == "noise":       # green grass-like noise
        base = rng.normal(0, 1, (h // 4 + 1, w // 4 + 1))
        base = np.kron(base, np.ones((4, 4)))[:h, :w]
        img = np.stack([40 + 20 * base, 150 + 50 * base, 40 + 15 * base], axis=-1)
    elif kind == "discs":       # white discs on a blue sky gradient
        sky = np.stack([60 + 0.2 * yy, 110 + 0.3 * yy, 230 - 0.1 * yy], axis=-1)
        pil = Image.fromarray(np.clip(sky, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(pil)
        for _ in range(int(rng.integers(3, 7))):
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(12, 40)
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(250, 250, 250))
        img = np.asarray(pil, dtype=np.float32)
    else:
        raise ValueError(f"unknown kind {kind!r}; kinds are {KINDS}")
    img = img + rng.normal(0, 8, img.shape)
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    return pil.filter(ImageFilter.GaussianBlur(0.6))


def make_image_tree(root: str | Path, per_kind: int = 4, kinds=KINDS,
                    size: tuple[int, int] = (320, 240), fmt: str = "JPEG") -> list[Path]:
    """root/<kind>/<kind>-<i>.jpg for each kind; returns the paths, sorted."""
    root = Path(root)
    paths = []
    suffix = {"JPEG": ".jpg", "PNG": ".png"}[fmt]
    for kind in kinds:
        folder = root / kind
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_kind):
            path = folder / f"{kind}-{i}{suffix}"
            make_photo(kind, i, size).save(path, fmt)
            paths.append(path)
    return sorted(paths)
