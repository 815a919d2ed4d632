"""Duplicates' threshold, measured on real photos with planted copies.

    .venv/bin/python benchmarks/duplicates.py [FOLDER ...] [--threshold T] [--cache FILE]

For every photo of each folder (default: ../shared/data/animals4 and
imagenet-mix) two copies are planted in a temporary folder: one resized to
60 % and re-saved as JPEG at quality 75, and one exact copy.  All are
embedded with the offline EfficientNet-Lite0 model, and the Duplicates
widget's own code groups them.  Printed per folder:

* the cosine distance of each photo to its planted copies (the largest
  matters: the threshold must be above it), and the distance between
  different photos (the smallest matters: the threshold must be below it);
* recall: the fraction of planted copies found in their photo's group;
* false groups: groups that hold two different photos;

for a sweep of thresholds (so the margin on both sides shows), with the
pixel comparison (the default) and by the threshold alone.

Measured (EfficientNet-Lite0): a resized + re-compressed copy lies up to
0.241 (animals4) / 0.192 (imagenet-mix) from its photo, two different photos
as close as 0.119 / 0.342 (two pinned monarch butterflies).  With pixels, at
the default 0.3: recall 1.000 and 0 false groups on both sets (still 0 at
0.5).  By the threshold alone the best safe value is 0.1: recall 0.827 /
0.819 (exact copies 1.0, resized ones about 0.65), 1 false group at 0.15.  It prints
figures and asserts nothing.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imgflow.api import Context  # noqa: E402
from imgflow.data import Column, Table  # noqa: E402
from imgflow.embedders import EmbeddingCache, embed_images, load_model  # noqa: E402
from imgflow.embedders.images import SUPPORTED_EXTENSIONS  # noqa: E402
from imgflow.widgets.duplicates import DEFAULT_THRESHOLD, find_duplicates  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SWEEP = (0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS)


def plant_copies(originals: list[Path], out: Path) -> tuple[list[str], list[int]]:
    """All files (originals, then resized copies, then exact copies) and each one's photo."""
    resized, exact = [], []
    for i, path in enumerate(originals):
        with Image.open(path) as image:
            image = image.convert("RGB")
            small = image.resize((max(1, round(image.width * 0.6)),
                                  max(1, round(image.height * 0.6))), Image.Resampling.LANCZOS)
            target = out / f"resized-{i:04d}.jpg"
            small.save(target, "JPEG", quality=75)
            resized.append(str(target))
        target = out / f"exact-{i:04d}{path.suffix}"
        shutil.copyfile(path, target)
        exact.append(str(target))
    n = len(originals)
    files = [str(p) for p in originals] + resized + exact
    return files, list(range(n)) * 3


def describe(name: str, values: np.ndarray) -> str:
    if len(values) == 0:
        return f"{name}: none"
    q = np.percentile(values, [0, 1, 50, 99, 100])
    return (f"{name} ({len(values):,}): min {q[0]:.4f}  1% {q[1]:.4f}  median {q[2]:.4f}  "
            f"99% {q[3]:.4f}  max {q[4]:.4f}")


def score(vectors: np.ndarray, photo: np.ndarray, files: list[str], threshold: float,
          pixels: bool) -> tuple[float, int, int]:
    """(recall, false groups, groups) of the widget's grouping at a threshold."""
    table = Table(vectors, tuple(f"n{i}" for i in range(vectors.shape[1])),
                  (Column.text("image name", [str(p) for p in photo]),
                   Column.image("image", files)))
    result = find_duplicates(table, threshold, Context(), compare_pixels=pixels)
    group = result.outputs["Data"].column("Duplicate group").data
    n = int(photo.max()) + 1
    copies = [(p, c) for c in range(n, len(photo)) for p in [photo[c]]]
    found = sum(1 for p, c in copies if group[p] is not None and group[p] == group[c])
    groups: dict[str, set[int]] = {}
    for g, p in zip(group, photo):
        if g is not None:
            groups.setdefault(g, set()).add(int(p))
    false = sum(1 for members in groups.values() if len(members) > 1)
    return found / max(len(copies), 1), false, len(groups)


def measure(folder: Path, model, cache: EmbeddingCache, threshold: float) -> None:
    originals = photos(folder)
    with tempfile.TemporaryDirectory(prefix="imgflow-dups-") as tmp:
        files, photo = plant_copies(originals, Path(tmp))
        result = embed_images(files, model, cache=cache)
        report(folder, originals, files, photo, result, threshold)


def report(folder, originals, files, photo, result, threshold) -> None:
    if result.skipped:
        print(f"  {len(result.skipped)} image(s) skipped: {list(result.skipped.values())[:3]}")
    keep = np.array([i not in result.skipped for i in range(len(files))])
    vectors, photo = result.vectors[keep], np.asarray(photo)[keep]
    files = [f for f, k in zip(files, keep) if k]
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    d = 1.0 - unit @ unit.T
    same_photo = photo[:, None] == photo[None, :]
    upper = np.triu(np.ones_like(same_photo), k=1)
    n = len(originals)
    resized = np.array([d[p, c] for c, p in enumerate(photo) if n <= c < 2 * n])
    exact = np.array([d[p, c] for c, p in enumerate(photo) if c >= 2 * n])
    different = d[upper & ~same_photo]
    category = np.array([Path(originals[p]).parent.name for p in photo])
    same_kind = (category[:, None] == category[None, :])[upper & ~same_photo]
    print(f"{folder.name}: {n} photos, {len(photo) - n} planted copies")
    print("  " + describe("resized 60 % + JPEG 75 to its photo", resized))
    print("  " + describe("exact copy to its photo", exact))
    print("  " + describe("different photos, same folder", different[same_kind]))
    print("  " + describe("different photos, other folders", different[~same_kind]))
    closest = np.argsort(different)[:3]
    print("  closest different photos: " + ", ".join(f"{different[i]:.4f}" for i in closest))
    for t in sorted(set(SWEEP) | {threshold}):
        figures = []
        for pixels in (True, False):
            start = time.perf_counter()
            recall, false, groups = score(vectors, photo, files, t, pixels)
            figures.append(f"recall {recall:.3f}, false groups {false:2d} (of {groups}), "
                           f"{time.perf_counter() - start:.1f} s")
        mark = "  <- default" if t == threshold else ""
        print(f"  threshold {t:.3f}: with pixels {figures[0]} | threshold alone "
              f"{figures[1]}{mark}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path,
                        default=[SHARED / "animals4", SHARED / "imagenet-mix"])
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir())
                                               / "imgflow-bench-duplicates.sqlite"))
    args = parser.parse_args(argv)
    model = load_model("efficientnet-lite0")
    cache = EmbeddingCache(args.cache)
    try:
        for folder in args.folders:
            if not folder.is_dir():
                print(f"{folder}: not found, skipped")
                continue
            measure(folder, model, cache, args.threshold)
    finally:
        cache.close()


if __name__ == "__main__":
    main()
