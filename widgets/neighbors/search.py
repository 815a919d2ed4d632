"""The k nearest rows of a data matrix for each query row, block by block.

A block of query rows is measured against all data rows at once (one matrix
product for most metrics) and only its k smallest distances per row are
kept, so working memory is one block, whatever the number of rows: 20,000
queries against 20,000 rows never hold the 20,000 x 20,000 matrix.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from imgflow.widgets.common.distance_metrics import prepare_pair, rows_per_block


def excluded_positions(query_keys: Sequence[Sequence], data_keys: Sequence[Sequence]):
    """For each query row, the data positions that share one of its keys.

    Keys are, per row, a tuple of hashables (its row id, its image path);
    ``None`` keys never match.
    """
    where: dict = {}
    for position, keys in enumerate(data_keys):
        for key in keys:
            if key is not None:
                where.setdefault(key, []).append(position)
    return [sorted({p for key in keys if key is not None for p in where.get(key, ())})
            for keys in query_keys]


def nearest(Q: np.ndarray, X: np.ndarray, metric: str, k: int,
            excluded: list[list[int]] | None = None,
            progress: Callable[[float], None] = lambda f: None,
            check: Callable[[], None] = lambda: None) -> tuple[np.ndarray, np.ndarray]:
    """(positions, distances), each (len(Q), k): nearest data rows first.

    Where a query has fewer than k candidates (after exclusion), the rest of
    its row is position -1 and distance inf.
    """
    Qp, Xp, block_fn = prepare_pair(Q, X, metric)
    n, k = len(Xp), min(k, len(Xp))
    positions = np.full((len(Qp), k), -1, dtype=np.intp)
    distances = np.full((len(Qp), k), np.inf)
    step = max(16, rows_per_block(n) // 2)     # the block, its ranks and its copies fit

    for a in range(0, len(Qp), step):
        b = min(len(Qp), a + step)
        block = block_fn(Qp[a:b], Xp)
        if excluded is not None:
            for i in range(b - a):
                block[i, excluded[a + i]] = np.inf
        part = np.argpartition(block, k - 1, axis=1)[:, :k] if k < n else \
            np.broadcast_to(np.arange(n), (b - a, n))
        values = np.take_along_axis(block, part, axis=1)
        # distance first, then position: ties come out in data order, run after run
        order = np.lexsort((part, values), axis=1)
        part, values = np.take_along_axis(part, order, 1), np.take_along_axis(values, order, 1)
        values[~np.isfinite(values)] = np.inf
        positions[a:b] = np.where(np.isfinite(values), part, -1)
        distances[a:b] = values
        del block
        check()
        progress(b / len(Qp))
    return positions, distances
