"""Embedding a table's images: choosing the column, running the pipeline, building outputs.

No Qt, no torch here: the models package imports torch itself when a local
model is loaded, and the remote client never does.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgflow.api import Cancelled, Context, WidgetError
from imgflow.data import Column, Table

MAX_LISTED = 5      # skipped images named in the warning; the rest are counted


@dataclass(frozen=True)
class EmbeddingSummary:
    """What the panel shows beside the outputs."""
    model: str
    n_images: int
    n_cached: int
    n_computed: int
    skipped: tuple[tuple[str, str], ...]    # (image, reason)


def image_column(table: Table, wanted: str, ctx: Context) -> Column:
    """The column of images to embed: the chosen one, else the first."""
    images = table.columns_of_kind("image")
    if not images:
        raise WidgetError("The data has no image column: connect Import Images (or data "
                          "with a column of image paths).")
    if wanted:
        for col in images:
            if col.name == wanted:
                return col
        ctx.warning(f"There is no image column '{wanted}'; '{images[0].name}' is used.")
    return images[0]


def resolve(source: str | None, base: Path | None) -> str | None:
    """An image path as the pipeline reads it (relative ones: from the workflow's folder)."""
    if not source:
        return None
    if "://" in source or base is None or os.path.isabs(source):
        return source
    return str(base / source)


def read_token(token_file: str, base: Path | None) -> str | None:
    if not token_file:
        return None
    path = Path(resolve(token_file, base))
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise WidgetError(f"Cannot read the token file {path}: {exc.strerror or exc}") from None


def weights_path(settings: dict, base: Path | None) -> str | None:
    """The weights file a timm:NAME embedder loads (relative: from the workflow's folder)."""
    if not settings["embedder"].startswith("timm:") or not settings["weights_file"]:
        return None
    return resolve(settings["weights_file"], base)


def file_stamp(path: str | None) -> tuple[int, int] | None:
    """(size, modification time) of a file, to notice that it changed; None if absent."""
    try:
        stat = os.stat(path) if path else None
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns) if stat else None


def server_urls(text: str) -> list[str]:
    return [u for u in text.replace(",", " ").split() if u]


def embed_table(table: Table, column: Column, model, ctx: Context):
    """Run the pipeline; (vectors, {row: reason} of skipped rows, result)."""
    from imgflow.embedders.cache import EmbeddingCache
    from imgflow.embedders.errors import EmbedderError, EmbeddingCancelled
    from imgflow.embedders.pipeline import embed_images

    sources = [resolve(s, ctx.workflow_dir) for s in column.data]
    rows = [i for i, s in enumerate(sources) if s]
    skipped = {i: "no image path" for i, s in enumerate(sources) if not s}
    cache = EmbeddingCache()
    if cache.warning:
        ctx.warning(cache.warning)
    try:
        result = embed_images([sources[i] for i in rows], model, cache,
                              progress=lambda done, total: ctx.progress(done, total),
                              is_cancelled=lambda: ctx.cancelled)
    except EmbeddingCancelled:
        raise Cancelled() from None
    except EmbedderError as exc:
        raise WidgetError(str(exc)) from None
    finally:
        cache.close()
    vectors = np.full((len(table), model.info.width), np.nan, dtype=np.float32)
    vectors[rows] = result.vectors
    skipped.update({rows[i]: reason for i, reason in result.skipped.items()})
    return vectors, skipped, result


def output_tables(table: Table, vectors: np.ndarray, skipped: dict[int, str]):
    """(Embeddings, Skipped Images): embedded rows with vector features; the others with a reason."""
    names = tuple(f"n{i}" for i in range(vectors.shape[1]))
    keep = np.ones(len(table), dtype=bool)
    keep[list(skipped)] = False
    base = table
    if set(names) & set(table.feature_names):    # embedding an embedded table again
        base = table.without_features()
    embedded = base.subset(keep).add_features(names, vectors[keep]) if keep.any() else None
    if not skipped:
        return embedded, None
    rows = np.array(sorted(skipped))
    reasons = Column.text("reason", [skipped[i] for i in rows])
    return embedded, table.subset(rows).add_column(reasons)


def skipped_warning(table: Table, column: Column, skipped: dict[int, str]) -> str:
    names = table.column("image name").data if table.has_column("image name") else column.data
    first = sorted(skipped)[:MAX_LISTED]
    listed = "; ".join(f"{names[i] or column.data[i] or f'row {i + 1}'} ({skipped[i]})"
                       for i in first)
    more = f"; and {len(skipped) - MAX_LISTED} more" if len(skipped) > MAX_LISTED else ""
    return f"{len(skipped)} of {len(table)} images could not be embedded: {listed}{more}"
