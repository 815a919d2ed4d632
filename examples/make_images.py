"""Draws the small image set that ships with the example workflow.

Four kinds of simple scenes, five of each, all drawn here (no third-party
photos): ``python examples/make_images.py`` rewrites examples/images/ and
examples/duplicates/ (a few of them with planted copies).
"""
from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = (240, 180)
OUT = Path(__file__).resolve().parent / "images"


def sky(rng: random.Random) -> Image.Image:
    img = Image.new("RGB", SIZE)
    draw = ImageDraw.Draw(img)
    for y in range(SIZE[1]):
        t = y / SIZE[1]
        draw.line([(0, y), (SIZE[0], y)], fill=(int(70 + 90 * t), int(130 + 80 * t), 235))
    x, y, r = rng.randint(30, 210), rng.randint(20, 70), rng.randint(14, 24)
    draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 225, 90))
    for _ in range(rng.randint(2, 4)):
        cx, cy = rng.randint(0, SIZE[0]), rng.randint(60, 150)
        for dx in (-18, 0, 18):
            draw.ellipse([cx + dx - 16, cy - 12, cx + dx + 16, cy + 12], fill=(250, 250, 252))
    return img


def sea(rng: random.Random) -> Image.Image:
    img = Image.new("RGB", SIZE, (20, 70, 130))
    draw = ImageDraw.Draw(img)
    horizon = rng.randint(40, 70)
    draw.rectangle([0, 0, SIZE[0], horizon], fill=(160, 200, 230))
    for y in range(horizon + 6, SIZE[1], rng.randint(9, 13)):
        offset = rng.randint(0, 20)
        for x in range(-20, SIZE[0], 28):
            draw.arc([x + offset, y, x + offset + 28, y + 10], 180, 360, fill=(200, 230, 250), width=2)
    return img


def forest(rng: random.Random) -> Image.Image:
    img = Image.new("RGB", SIZE, (200, 225, 180))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 130, SIZE[0], SIZE[1]], fill=(90, 70, 40))
    for _ in range(rng.randint(6, 10)):
        x, h = rng.randint(0, SIZE[0]), rng.randint(70, 120)
        green = (rng.randint(20, 50), rng.randint(90, 140), rng.randint(30, 60))
        draw.rectangle([x - 3, 130 - 10, x + 3, 135], fill=(70, 45, 20))
        draw.polygon([(x, 130 - h), (x - 22, 122), (x + 22, 122)], fill=green)
    return img


def bricks(rng: random.Random) -> Image.Image:
    img = Image.new("RGB", SIZE, (200, 195, 185))
    draw = ImageDraw.Draw(img)
    bw, bh = rng.randint(34, 46), rng.randint(16, 22)
    for row, y in enumerate(range(0, SIZE[1], bh)):
        shift = (bw // 2) * (row % 2)
        for x in range(-shift, SIZE[0], bw):
            red = (rng.randint(150, 185), rng.randint(55, 80), rng.randint(40, 60))
            draw.rectangle([x + 2, y + 2, x + bw - 2, y + bh - 2], fill=red)
    return img


SCENES = {"sky": sky, "sea": sea, "forest": forest, "bricks": bricks}


def main(per_kind: int = 5) -> None:
    for kind, draw in SCENES.items():
        folder = OUT / kind
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_kind):
            rng = random.Random(f"{kind}-{i}")
            image = draw(rng).filter(ImageFilter.GaussianBlur(0.5))
            image.save(folder / f"{kind}-{i + 1}.jpg", quality=88)

    plant_copies()


COPIES = OUT.parent / "duplicates"


def plant_copies() -> None:
    """examples/duplicates/: two scenes of each kind, and copies of three of them
    (for the Duplicates example): one resized to 60 % and re-saved as JPEG at
    quality 75, one exact copy, one resized only."""
    COPIES.mkdir(exist_ok=True)
    for kind in SCENES:
        for i in (1, 2):
            (COPIES / f"{kind}-{i}.jpg").write_bytes((OUT / kind / f"{kind}-{i}.jpg").read_bytes())
    with Image.open(COPIES / "sky-1.jpg") as image:
        image.resize((144, 108), Image.Resampling.LANCZOS).save(COPIES / "sky-1-small.jpg",
                                                                quality=75)
    (COPIES / "sea-2-copy.jpg").write_bytes((COPIES / "sea-2.jpg").read_bytes())
    with Image.open(COPIES / "forest-1.jpg") as image:
        image.resize((192, 144), Image.Resampling.LANCZOS).save(COPIES / "forest-1-resized.jpg",
                                                                quality=88)


if __name__ == "__main__":
    main()
