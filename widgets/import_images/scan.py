"""Finding images in a folder tree (or under a storage URL) and reading their sizes
from the headers.

Pure Python (no Qt): used by Import Images' compute on a worker thread.
Dimensions come from the file headers only, read by a few threads at once,
since on network drives most of the time goes into waiting for the disk.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from imgflow.api import WidgetError
from imgflow.embedders import storage
from imgflow.embedders.images import SUPPORTED_EXTENSIONS, ImageSkipped, read_size
from imgflow.data import Column, Table

CHUNK = 200          # files per thread task: small enough for smooth progress
MAX_THREADS = 8
REMOTE_THREADS = 16  # objects in storage: each header read waits on the network, not a CPU


@dataclass(frozen=True)
class Found:
    """An image file found in the tree: absolute path, path under the root, size in bytes."""
    path: str
    relative: tuple[str, ...]
    size: int


@dataclass
class ScanResult:
    table: Table | None
    n_images: int = 0
    categories: tuple[str, ...] = ()
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (relative path, reason)
    unreadable_folders: list[str] = field(default_factory=list)


def find_images(root: Path, recursive: bool,
                check: Callable[[], None]) -> tuple[list[Found], list[str]]:
    """Image files under root with a supported extension, sorted by path.

    Returns the files and the sub-folders that could not be listed.
    Symbolic links to folders are not followed (they can make loops); hidden
    files and folders (".thumbnails", "._x.jpg" resource forks) are left out.
    """
    found: list[Found] = []
    unreadable: list[str] = []

    def on_error(exc: OSError) -> None:
        unreadable.append(os.path.relpath(exc.filename, root) if exc.filename else str(exc))

    for folder, dirs, files in os.walk(root, onerror=on_error):
        check()
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
        rel_folder = Path(folder).relative_to(root).parts
        for name in files:
            extension = os.path.splitext(name)[1].lower()
            if name.startswith(".") or extension not in SUPPORTED_EXTENSIONS:
                continue
            path = os.path.join(folder, name)
            try:
                size = os.stat(path).st_size
            except OSError:
                size = -1   # read_size will say why
            found.append(Found(path, rel_folder + (name,), size))
    found.sort(key=lambda f: f.relative)
    return found, unreadable


def find_objects(url: str, recursive: bool, check: Callable[[], None]) -> list[Found]:
    """The images under a storage URL, as find_images finds them in a folder: by extension,
    hidden names left out, sorted; each with its own URL as its path."""
    check()
    try:
        listing = list(storage.walk(url, recursive))
    except storage.StorageError as exc:
        reason = str(exc)
        if reason == "file not found":
            raise WidgetError(f"Folder not found: {url}") from None
        raise WidgetError(f"Cannot read {url}: {reason}") from None
    check()
    found = []
    for relative, info in listing:
        extension = os.path.splitext(relative[-1])[1].lower()
        if any(p.startswith(".") for p in relative) or extension not in SUPPORTED_EXTENSIONS:
            continue
        size = info.get("size")
        found.append(Found(storage.child(url, relative), relative,
                           size if isinstance(size, int) else -1))
    found.sort(key=lambda f: f.relative)
    return found


def read_sizes(files: list[Found], progress: Callable[[int, int], None],
               check: Callable[[], None]) -> list[tuple[int, int] | str]:
    """(width, height) of each file, or the reason it cannot be read."""
    remote = bool(files) and storage.is_storage_url(files[0].path)

    def read_chunk(chunk: list[Found]) -> list[tuple[int, int] | str]:
        out = []
        for f in chunk:
            try:
                out.append(read_size(f.path, f.size if remote else None))
            except ImageSkipped as exc:
                out.append(str(exc) or "not an image")
        return out

    chunk_size = CHUNK // 8 if remote else CHUNK
    chunks = [files[i:i + chunk_size] for i in range(0, len(files), chunk_size)]
    results: list[tuple[int, int] | str] = []
    most = REMOTE_THREADS if remote else min(MAX_THREADS, (os.cpu_count() or 2) * 2)
    threads = max(1, min(most, len(chunks)))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="imgflow-scan") as pool:
        futures = [pool.submit(read_chunk, c) for c in chunks]
        try:
            for future in futures:       # in order: results stay aligned with files
                check()
                results.extend(future.result())
                progress(len(results), len(files))
        finally:
            for future in futures:       # on cancel, do not read the rest
                future.cancel()
    return results


def build_table(files: list[Found], sizes: list[tuple[int, int] | str]) -> ScanResult:
    """The output table from the files that are readable images; the rest listed as skipped."""
    good = [(f, s) for f, s in zip(files, sizes) if not isinstance(s, str)]
    skipped = [("/".join(f.relative), s) for f, s in zip(files, sizes) if isinstance(s, str)]
    if not good:
        return ScanResult(None, 0, (), skipped)
    columns = [
        Column.text("image name", [os.path.splitext(f.relative[-1])[0] for f, _ in good]),
        Column.image("image", [f.path for f, _ in good]),
        Column.numeric("size", np.array([f.size for f, _ in good], dtype=float)),
        Column.numeric("width", np.array([s[0] for _, s in good], dtype=float)),
        Column.numeric("height", np.array([s[1] for _, s in good], dtype=float)),
    ]
    categories: tuple[str, ...] = ()
    if any(len(f.relative) > 1 for f, _ in good):
        # As Orange: the category is the sub-folder path under the chosen folder;
        # images lying in the chosen folder itself have no category (missing).
        names = ["/".join(f.relative[:-1]) or None for f, _ in good]
        column = Column.categorical("category", names, role="class")
        columns.append(column)
        categories = column.categories
    return ScanResult(Table.from_columns(columns, len(good)), len(good), categories, skipped)
