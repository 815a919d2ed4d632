"""The k nearest rows of a data matrix for each query row, batch by batch.

Cosine, Pearson and Spearman (the cosine of prepared rows) and Euclidean are
searched by faiss's exact brute-force k-NN (``faiss.knn``: no index, so no
copy of the data), a batch of queries at a time; faiss's candidates are then
measured again by the metric's own formula in the data's precision, so the
distances are the same as the brute-force ones (faiss works in float32).
Measured with 1,000 queries among 100,000 rows x 1,280 (benchmarks/scale.py):
2.5 s (4 CPU s) against 3.4 s (6 CPU s) for the blockwise products below.

Other metrics (Manhattan, Jaccard, Hamming) are measured blockwise: a block
of queries against all data rows at once, keeping only its k smallest
distances per row.  Either way working memory is one batch of queries, never
the queries x rows matrix.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from imgflow.widgets.common import distance_metrics
from imgflow.widgets.common.distance_metrics import prepare_pair, rows_per_block

FAISS_METRICS = ("cosine", "pearson", "spearman", "euclidean")
MARGIN = 8             # extra faiss candidates, re-measured, so float32 rounding cannot drop one
MAX_FAISS_K = 2048     # faiss's k-NN selection is made for small k; beyond it, blockwise


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
    use_faiss = metric in FAISS_METRICS
    # faiss searches float32 (no copy for embeddings); candidates are re-measured on Xp
    x32 = np.ascontiguousarray(Xp, dtype=np.float32) if use_faiss else None
    step = faiss_batch() if use_faiss else max(16, rows_per_block(n) // 2)

    for a in range(0, len(Qp), step):
        b = min(len(Qp), a + step)
        skip = excluded[a:b] if excluded is not None else [[]] * (b - a)
        wanted = k + max(map(len, skip)) + MARGIN
        all_rows = not (use_faiss and wanted < min(n, MAX_FAISS_K))
        if all_rows:
            values = block_fn(Qp[a:b], Xp)
            part = np.broadcast_to(np.arange(n), values.shape)
        else:
            part, values = _faiss_candidates(Qp[a:b], Xp, x32, metric, wanted)
        positions[a:b], distances[a:b] = _k_smallest(part, values, skip, k, all_rows)
        del values
        check()
        progress(b / len(Qp))
    return positions, distances


def faiss_batch() -> int:
    """Queries per faiss call: big enough for fast products, small enough to cancel soon.
    (Tied to the work budget so that tests with tiny blocks exercise several batches.)"""
    return int(max(16, min(512, distance_metrics.WORK_BLOCK_BYTES // 262_144)))


def _faiss_candidates(Qp: np.ndarray, Xp: np.ndarray, x32: np.ndarray, metric: str,
                      wanted: int):
    """(positions, distances) of each query's ``wanted`` nearest candidates, the
    distances measured again in the data's precision by the metric's formula."""
    import faiss

    kind = faiss.METRIC_L2 if metric == "euclidean" else faiss.METRIC_INNER_PRODUCT
    q32 = np.ascontiguousarray(Qp, dtype=np.float32)
    _, part = faiss.knn(q32, x32, wanted, metric=kind)
    part = part.astype(np.intp)
    rows = Xp[part]                                    # (queries, wanted, columns)
    products = np.einsum("ij,ikj->ik", Qp, rows, dtype=np.float64)
    if metric == "euclidean":
        squares = (np.einsum("ij,ij->i", Qp, Qp, dtype=np.float64)[:, None]
                   + np.einsum("ikj,ikj->ik", rows, rows, dtype=np.float64))
        values = np.sqrt(np.maximum(squares - 2.0 * products, 0.0))
    else:
        values = np.clip(1.0 - products, 0.0, 2.0)
    return part, values


def _k_smallest(part: np.ndarray, values: np.ndarray, skip, k: int, all_rows: bool):
    """Of each row's candidates (positions ``part``, distances ``values``), the k
    smallest after leaving out the ``skip`` positions: (positions, distances).
    ``all_rows``: the candidates are every data row in order (column = position)."""
    # both callers hand over fresh arrays: exclusion may write into them
    for i, drop in enumerate(skip):
        if len(drop):
            values[i, drop if all_rows else np.isin(part[i], drop)] = np.inf
    m = values.shape[1]
    chosen = np.argpartition(values, k - 1, axis=1)[:, :k] if k < m else \
        np.broadcast_to(np.arange(m), values.shape)
    part, values = np.take_along_axis(part, chosen, 1), np.take_along_axis(values, chosen, 1)
    # distance first, then position: ties come out in data order, run after run
    order = np.lexsort((part, values), axis=1)
    part, values = np.take_along_axis(part, order, 1), np.take_along_axis(values, order, 1)
    values[~np.isfinite(values)] = np.inf
    return np.where(np.isfinite(values), part, -1), values
