"""How long Import Images takes for 10,000 small images in 10 category folders.

    .venv/bin/python benchmarks/import_images.py [N] [--keep DIR]

Generates N (default 10,000) small JPEG/PNG files in a temporary folder,
then runs the widget's compute (headless, as the engine would) and prints
the time of the first scan and of a second one (file headers cached by the
OS, as when a user presses Reload).
"""
from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402

from imgflow.api import Context  # noqa: E402
from imgflow.widgets.import_images import ImportImages  # noqa: E402


def generate(root: Path, n: int, folders: int = 10) -> None:
    """n tiny files; bytes are encoded once per format and size, then copied."""
    encoded = {}
    for fmt, suffix in (("JPEG", ".jpg"), ("PNG", ".png")):
        for w in (48, 64, 80):
            buf = io.BytesIO()
            Image.new("RGB", (w, 36), (w * 3, 90, 160)).save(buf, fmt)
            encoded[(suffix, w)] = buf.getvalue()
    keys = list(encoded)
    for i in range(n):
        folder = root / f"category-{i % folders:02d}"
        folder.mkdir(exist_ok=True)
        suffix, w = keys[i % len(keys)]
        (folder / f"image-{i:05d}{suffix}").write_bytes(encoded[(suffix, w)])


def timed_import(root: Path) -> tuple[float, object]:
    ctx = Context()
    start = time.perf_counter()
    result = ImportImages().compute({}, {"directory": str(root), "recursive": True}, ctx)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--keep", help="generate into this folder and keep it")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="imgflow-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        generate(root, args.n)
        print(f"generated {args.n} files in {time.perf_counter() - start:.2f} s")
        for label in ("first import", "second import"):
            seconds, result = timed_import(root)
            table = result.outputs["Data"]
            print(f"{label}: {len(table)} images, {len(result.view.categories)} categories "
                  f"in {seconds:.2f} s ({len(table) / seconds:,.0f} images/s)")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
