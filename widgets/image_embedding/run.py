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
from imgflow.embedders.models import TIMM_PREFIX
from imgflow.widgets.common.images import resolve

MAX_LISTED = 5      # skipped images named in the warning; the rest are counted


@dataclass(frozen=True)
class EmbeddingSummary:
    """What the panel shows beside the outputs."""
    model: str
    n_images: int
    n_cached: int
    n_computed: int
    skipped: tuple[tuple[str, str], ...]    # (image, reason)


def trusted_tokens(urls: list[str]) -> dict[str, str | None]:
    """{address as checked: the user's token}; WidgetError naming a server not trusted.

    Nothing is sent to a server before this says yes: a workflow file may name
    any address, but only the user's own trusted-server list lets images go there.
    """
    from imgflow import trusted_servers
    from imgflow.user_settings import UserSettingsError
    tokens = {}
    try:
        for url in urls:
            if not trusted_servers.is_trusted(url):
                raise WidgetError(trusted_servers.untrusted_message(url))
            tokens[trusted_servers.canonical(url)] = trusted_servers.token_for(url)
    except UserSettingsError as exc:
        raise WidgetError(str(exc)) from None
    return tokens


def token_file_warning(saved: dict) -> list[str]:
    """The warning for a file that names a token file (imgflow 0.x wrote them)."""
    if not saved.get("token_file"):
        return []
    from imgflow.trusted_servers import origin
    urls = server_urls(saved.get("server_url") if isinstance(saved.get("server_url"), str) else "")
    try:
        where = origin(urls[0]) if urls else "URL"
    except ValueError:
        where = "URL"
    # The file's token path is not repeated: a hostile file could suggest a secret there.
    return [f"the workflow names a token file, which is never read from a workflow: add the "
            f"server's token to your own servers (imgflow servers add {where} --token-file "
            f"YOUR_TOKEN_FILE, or Edit > Preferences)"]


def weights_path(settings: dict, base: Path | None) -> str | None:
    """The weights file a timm:NAME embedder loads (relative: from the workflow's folder)."""
    if not settings["embedder"].startswith(TIMM_PREFIX) or not settings["weights_file"]:
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
    for warning in result.warnings:  # a damaged cache, say
        ctx.warning(warning)
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
