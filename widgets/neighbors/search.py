"""The k nearest rows of a data matrix for each query row, batch by batch.

Cosine, Pearson and Spearman (the cosine of prepared rows) and Euclidean are
searched by faiss's exact brute-force k-NN (``faiss.knn``: no index, so no
copy of the data), a batch of queries at a time; faiss's candidates are then
measured again by the metric's own formula in the data's precision, so the
distances are the same as the brute-force ones (faiss works in float32).
Measured with 1,000 queries among 100,000 rows x 1,280 (benchmarks/scale.py):
2.5 s (4 CPU s) against 3.4 s (6 CPU s) for the blockwise products below.

Cosine, Pearson and Spearman prepare each row on its own, so Data's rows are
prepared a block at a time on the way into faiss (DATA_BLOCK rows), and the
candidates again when they are re-measured: no prepared copy of all the data
is made (1,000,000 x 1,280: peak 9.7 -> 6.2 GiB, 43 -> 48 CPU s).

Other metrics (Manhattan, Jaccard, Hamming) are measured blockwise: a block
of queries against all data rows at once, keeping only its k smallest
distances per row.  Either way working memory is one batch of queries, never
the queries x rows matrix.
"""
from __future__ import annotations

from typing import Callable, Iterator, Sequence

import numpy as np

from imgflow.widgets.common import distance_metrics
from imgflow.widgets.common.distance_metrics import (ROW_BY_ROW, pair_dtype, prepare,
                                                     prepare_pair, rows_per_block)

FAISS_METRICS = ("cosine", "pearson", "spearman", "euclidean")
MARGIN = 8             # extra faiss candidates, re-measured, so float32 rounding cannot drop one
MAX_FAISS_K = 2048     # faiss's k-NN selection is made for small k; beyond it, blockwise
DATA_BLOCK = 131_072   # data rows prepared at once for faiss (row-by-row metrics): 0.6 GB


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
    use_faiss = metric in FAISS_METRICS
    by_blocks = use_faiss and metric in ROW_BY_ROW and Q is not X and len(X) > DATA_BLOCK
    if by_blocks:              # Data prepared on the way (see the module's doc)
        dtype = pair_dtype(Q, X)
        Qp, block_fn = prepare(np.asarray(Q, dtype=dtype), metric, False)
        Xp = _RowsPreparedOnDemand(X, metric, dtype)
        x32 = None
    else:
        Qp, Xp, block_fn = prepare_pair(Q, X, metric)
        # faiss searches float32 (no copy for embeddings); candidates are re-measured on Xp
        x32 = np.ascontiguousarray(Xp, dtype=np.float32) if use_faiss else None
    n, k = len(Xp), min(k, len(Xp))
    positions = np.full((len(Qp), k), -1, dtype=np.intp)
    distances = np.full((len(Qp), k), np.inf)
    step = faiss_batch() if use_faiss else max(16, rows_per_block(n) // 2)

    for a in range(0, len(Qp), step):
        b = min(len(Qp), a + step)
        skip = excluded[a:b] if excluded is not None else [[]] * (b - a)
        wanted = k + max(map(len, skip)) + MARGIN
        all_rows = not (use_faiss and wanted < min(n, MAX_FAISS_K))
        if all_rows:
            values = block_fn(Qp[a:b], Xp.all() if by_blocks else Xp)
            part = np.broadcast_to(np.arange(n), values.shape)
        else:
            part, values = _faiss_candidates(Qp[a:b], Xp, x32, metric, wanted)
        positions[a:b], distances[a:b] = _k_smallest(part, values, skip, k, all_rows)
        del values
        check()
        progress(b / len(Qp))
    return positions, distances


class _RowsPreparedOnDemand:
    """Data rows prepared for a row-by-row metric when asked for, never all at once
    (unless all() is asked: a search that must measure every row)."""

    def __init__(self, X: np.ndarray, metric: str, dtype):
        self.X, self.metric, self.dtype = X, metric, dtype
        self._all = None

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        flat = np.asarray(self.X[rows.ravel()], dtype=self.dtype)
        return prepare(flat, self.metric, False)[0].reshape(*rows.shape, -1)

    def blocks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, float32 prepared block) over all the data."""
        for start in range(0, len(self.X), DATA_BLOCK):
            block = np.asarray(self.X[start:start + DATA_BLOCK], dtype=self.dtype)
            yield start, np.ascontiguousarray(prepare(block, self.metric, False)[0],
                                              dtype=np.float32)

    def all(self) -> np.ndarray:
        if self._all is None:
            self._all = prepare(np.asarray(self.X, dtype=self.dtype), self.metric, False)[0]
        return self._all


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
    if x32 is not None:
        _, part = faiss.knn(q32, x32, wanted, metric=kind)
    else:
        part = _best_over_blocks(q32, Xp, wanted)
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


def _best_over_blocks(q32: np.ndarray, Xp: "_RowsPreparedOnDemand", wanted: int) -> np.ndarray:
    """Positions of each query's ``wanted`` largest inner products over Data's blocks."""
    import faiss

    best_sim = np.empty((len(q32), 0), dtype=np.float32)
    best_pos = np.empty((len(q32), 0), dtype=np.int64)
    for start, block in Xp.blocks():
        sim, pos = faiss.knn(q32, block, min(wanted, len(block)),
                             metric=faiss.METRIC_INNER_PRODUCT)
        best_sim = np.hstack([best_sim, sim])
        best_pos = np.hstack([best_pos, pos + start])
        if best_sim.shape[1] > wanted:
            keep = np.argpartition(-best_sim, wanted - 1, axis=1)[:, :wanted]
            best_sim = np.take_along_axis(best_sim, keep, 1)
            best_pos = np.take_along_axis(best_pos, keep, 1)
    return best_pos


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
