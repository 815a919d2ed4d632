"""Distance metrics (shared by Distances, Hierarchical Clustering, Neighbors and Duplicates), filled into the condensed matrix block by block.

The full N x N matrix is never made: a block of rows is measured against all
rows after its first (one matrix product for the metrics that have one), and
the upper triangle of that block is copied into the condensed vector, whose
rows a..b are contiguous.  Working memory is one block, whatever N is.

Each metric first *prepares* the data once (normalise, rank, centre), so the
block step is a product plus a few in-place operations.  Products run in the
data's own precision: float32 embeddings make float32 products (twice as fast
as float64, and as precise as the vectors themselves), and the condensed
matrix is float32 too: half the memory, and no precision lost that the
vectors had.  Other data gives float64 distances.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.spatial.distance import cdist

from .memory import WORK_BLOCK_BYTES, empty_large

BlockFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1; all-zero rows stay zero (distance 1 to all others)."""
    norms = np.sqrt(np.einsum("ij,ij->i", X, X, dtype=np.float64))
    norms[norms == 0] = 1.0
    return (X / norms[:, None].astype(X.dtype)).astype(X.dtype, copy=False)


def _standardised(X: np.ndarray) -> np.ndarray:
    """Columns scaled to mean 0 and standard deviation 1 (constant columns to 0)."""
    mean = X.mean(axis=0, dtype=np.float64)
    std = X.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    return ((X - mean) / std).astype(X.dtype, copy=False)


def _cosine_block(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    block = a @ b.T
    np.subtract(1.0, block, out=block)
    return np.clip(block, 0.0, 2.0, out=block)


def _euclidean_block_fn(Y: np.ndarray) -> BlockFn:
    squares = np.einsum("ij,ij->i", Y, Y, dtype=np.float64)

    def block(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # rows of `a` start where `b` starts (see fill_condensed)
        first = len(squares) - len(b)
        products = (a @ b.T).astype(np.float64, copy=False)
        products *= -2.0
        products += squares[first:first + len(a), None]
        products += squares[None, first:]
        np.maximum(products, 0.0, out=products)
        return np.sqrt(products, out=products)
    return block


def _jaccard_block(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    both = a @ b.T
    either = a.sum(axis=1)[:, None] + b.sum(axis=1)[None, :] - both
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 1.0 - both / either
    out[either == 0] = 0.0      # two empty sets are the same set
    return out


def prepare(X: np.ndarray, metric: str, normalize: bool) -> tuple[np.ndarray, BlockFn]:
    """The data as the metric wants it, and the function measuring one block."""
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = np.asarray(X, dtype=dtype)
    if metric == "cosine":
        return _unit_rows(X), _cosine_block
    if metric in ("pearson", "spearman"):
        if metric == "spearman":
            from scipy.stats import rankdata   # scipy.stats takes long to import
            X = rankdata(X, axis=1).astype(dtype)
        centred = X - X.mean(axis=1, dtype=np.float64)[:, None].astype(dtype)
        return _unit_rows(centred), _cosine_block
    if metric == "euclidean":
        Y = _standardised(X) if normalize else X - X.mean(axis=0, dtype=np.float64).astype(dtype)
        # centring changes no distance but keeps |a|^2 + |b|^2 - 2ab from cancelling badly
        return np.ascontiguousarray(Y), _euclidean_block_fn(Y)
    if metric == "manhattan":
        Y = _standardised(X) if normalize else X
        return np.ascontiguousarray(Y, dtype=np.float64), lambda a, b: cdist(a, b, "cityblock")
    if metric == "jaccard":
        return (X != 0).astype(dtype), _jaccard_block
    if metric == "hamming":
        return np.ascontiguousarray(X, dtype=np.float64), lambda a, b: cdist(a, b, "hamming")
    raise ValueError(f"unknown metric {metric!r}")


def _euclidean_pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between any two sets of prepared rows."""
    products = (a @ b.T).astype(np.float64, copy=False)
    products *= -2.0
    products += np.einsum("ij,ij->i", a, a, dtype=np.float64)[:, None]
    products += np.einsum("ij,ij->i", b, b, dtype=np.float64)[None, :]
    np.maximum(products, 0.0, out=products)
    return np.sqrt(products, out=products)


ROW_BY_ROW = ("cosine", "pearson", "spearman", "jaccard", "hamming")   # prepared row by row


def pair_dtype(Q: np.ndarray, X: np.ndarray):
    """The precision two matrices are measured in: float32 when both are (embeddings)."""
    return np.float32 if Q.dtype == X.dtype == np.float32 else np.float64


def prepare_pair(Q: np.ndarray, X: np.ndarray, metric: str,
                 normalize: bool = False) -> tuple[np.ndarray, np.ndarray, BlockFn]:
    """Query rows Q and data rows X prepared together (one centring, one scaling),
    and a function measuring any block of prepared queries against prepared data.

    Q and X are never stacked into one copy where the preparation needs no statistic
    of both (a million embedding rows are 5 GB a copy): a row-by-row metric prepares
    each on its own, Euclidean centres both on their common mean."""
    if Q is X:                    # one table on both sides: prepare it once
        Y, block = prepare(X, metric, normalize)
        return Y, Y, (_euclidean_pair if metric == "euclidean" else block)
    dtype = pair_dtype(Q, X)
    Q, X = np.asarray(Q, dtype=dtype), np.asarray(X, dtype=dtype)
    if metric in ROW_BY_ROW or (metric == "manhattan" and not normalize):
        Xp, block = prepare(X, metric, normalize)
        return prepare(Q, metric, normalize)[0], Xp, block
    if metric == "euclidean" and not normalize:
        # centring changes no distance but keeps |a|^2 + |b|^2 - 2ab from cancelling badly
        mean = ((Q.sum(axis=0, dtype=np.float64) + X.sum(axis=0, dtype=np.float64))
                / (len(Q) + len(X))).astype(dtype)
        return Q - mean, X - mean, _euclidean_pair
    Y, block = prepare(np.vstack([Q, X]), metric, normalize)
    if metric == "euclidean":     # its block function is tied to fill_condensed's positions
        block = _euclidean_pair
    return Y[:len(Q)], Y[len(Q):], block


def rows_per_block(width: int) -> int:
    """Rows measured at once against ``width`` rows: one block fits the work budget."""
    return int(min(4096, max(16, WORK_BLOCK_BYTES // (8 * max(width, 1)))))


def fill_condensed(Y: np.ndarray, block_fn: BlockFn,
                   progress: Callable[[float], None] = lambda f: None,
                   check: Callable[[], None] = lambda: None,
                   dtype=np.float64) -> np.ndarray:
    """The condensed distance vector between the rows of Y (scipy's pdist order)."""
    n = len(Y)
    out = empty_large(n * (n - 1) // 2, dtype)
    total = max(len(out), 1)
    a, pos = 0, 0
    while a < n - 1:
        b = min(n - 1, a + rows_per_block(n - a))
        block = block_fn(Y[a:b], Y[a:])          # (b - a) x (n - a)
        for i in range(b - a):
            segment = block[i, i + 1:]           # row a + i against the rows after it
            out[pos:pos + len(segment)] = segment
            pos += len(segment)
        del block
        a = b
        check()
        progress(pos / total)
    return out
