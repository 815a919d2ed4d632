"""The example workflows that ship with imgflow, and copying them out.

Every ``*.imgflow`` file in the examples folder is an example: its title and
description are the workflow file's own ``title`` and ``description`` fields,
so a new example needs nothing but its file (and its images, in a folder
beside it).  The folder is ``examples/`` at the top of a source checkout and
installs as the package data ``imgflow.examples``, as ``icons/`` does.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SUFFIX = ".imgflow"
MAX_HEADER_BYTES = 4 << 20       # an example bigger than this is not one of ours
SKIPPED = ("__pycache__", "*.py", "*.pyc")   # the drawing script stays in the checkout
ORDER_FILE = "order.txt"     # optional: names listed first, in this order; the rest by name


@dataclass(frozen=True)
class Example:
    name: str            # the file's name without .imgflow: what `imgflow examples` lists
    path: Path
    title: str
    description: str


@lru_cache(maxsize=1)
def examples_dir() -> Path:
    here = Path(__file__).resolve().parent
    # An installed wheel has imgflow/examples/; a source checkout has examples/ beside imgflow/.
    # (importlib.resources would hand a folder without __init__.py over as a MultiplexedPath.)
    for folder in (here / "examples", here.parent / "examples"):
        if folder.is_dir():
            return folder
    return here / "examples"


def list_examples(folder: Path | None = None) -> list[Example]:
    """The examples in ``folder`` (the bundled ones by default), by name."""
    folder = examples_dir() if folder is None else folder
    found = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        title, description = _header(path)
        found.append(Example(path.stem, path, title or path.stem.replace("-", " ").capitalize(),
                             description))
    first = _order(folder)
    return sorted(found, key=lambda e: (first.index(e.name) if e.name in first else len(first),
                                        e.name))


def _order(folder: Path) -> list[str]:
    try:
        return (folder / ORDER_FILE).read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return []


def _header(path: Path) -> tuple[str, str]:
    """The workflow's title and description, ("", "") when the file does not say."""
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read(MAX_HEADER_BYTES).decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return "", ""
    if not isinstance(doc, dict):
        return "", ""
    title, description = doc.get("title"), doc.get("description")
    return (title if isinstance(title, str) else "",
            " ".join(description.split()) if isinstance(description, str) else "")


class CopyError(Exception):
    """The examples cannot be copied; the message says why in one line."""


def copy_examples(destination: Path, folder: Path | None = None) -> list[Path]:
    """Copy every example with the folders of images beside it into ``destination``.

    Nothing is overwritten: when any file would be, nothing is copied.
    Returns the copied workflow files.
    """
    folder = examples_dir() if folder is None else folder
    if not folder.is_dir():
        raise CopyError(f"no examples are installed (looked in {folder})")
    destination = Path(destination)
    ignore = shutil.ignore_patterns(*SKIPPED)
    entries = [p for p in sorted(folder.iterdir())
               if not ignore(str(folder), [p.name]) and (p.is_dir() or p.suffix == SUFFIX)]
    clashes = [destination / p.name for p in entries if (destination / p.name).exists()]
    if clashes:
        raise CopyError(f"{clashes[0]} already exists; choose another folder "
                        f"(nothing was copied)")
    try:
        destination.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            if entry.is_dir():
                shutil.copytree(entry, destination / entry.name, ignore=ignore)
            else:
                shutil.copy2(entry, destination / entry.name)
    except OSError as exc:
        raise CopyError(f"cannot copy the examples into {destination}: "
                        f"{exc.strerror or exc}") from None
    return [destination / p.name for p in entries if p.suffix == SUFFIX]
