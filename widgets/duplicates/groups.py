"""Groups of near-identical rows: connected components of the pairs closer than a threshold.

Cosine distances are measured block by block (a block of rows against the
rows after it), and only the pairs under the threshold are kept.  Should a
threshold find very many pairs, they are folded into their components as
they come (each component kept as a star), so memory stays bounded by the
number of rows, not of pairs.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from imgflow.widgets.common.distance_metrics import prepare, rows_per_block

FOLD_PAIRS = 2_000_000      # pairs kept before folding them into components


def _components(n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _as_stars(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges joining every row to the first row of its component (same components)."""
    first = np.full(labels.max() + 1, -1)
    for row in range(len(labels) - 1, -1, -1):
        first[labels[row]] = row
    rows = np.arange(len(labels))
    keep = first[labels] != rows
    return first[labels][keep], rows[keep]


def close_pairs_components(X: np.ndarray, threshold: float,
                           confirm: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                           progress: Callable[[float], None] = lambda f: None,
                           check: Callable[[], None] = lambda: None,
                           fold_pairs: int = FOLD_PAIRS) -> tuple[np.ndarray, np.ndarray]:
    """(component of each row, smallest distance to another row of its component).

    Rows whose component is only themselves get distance inf.  ``X`` must
    have no missing values.  ``confirm(i, j)``, if given, says which of the
    close pairs (i[k], j[k]) really are copies; the others are dropped.
    """
    n = len(X)
    Y, block_fn = prepare(X, "cosine", False)
    pair_rows: list[np.ndarray] = []
    pair_cols: list[np.ndarray] = []
    kept = 0
    closest = np.full(n, np.inf)
    a = 0
    while a < n - 1:
        b = min(n - 1, a + rows_per_block(n - a))
        block = block_fn(Y[a:b], Y[a:])                  # (b - a) x (n - a)
        i, j = np.nonzero(np.triu(block <= threshold, k=1))
        if len(i):
            d = block[i, j].astype(np.float64)
            i, j = i + a, j + a
            if confirm is not None:
                yes = confirm(i, j)
                i, j, d = i[yes], j[yes], d[yes]
            np.minimum.at(closest, i, d)
            np.minimum.at(closest, j, d)
            pair_rows.append(i)
            pair_cols.append(j)
            kept += len(i)
            if kept > fold_pairs:
                labels = _components(n, np.concatenate(pair_rows), np.concatenate(pair_cols))
                star_rows, star_cols = _as_stars(labels)
                pair_rows, pair_cols, kept = [star_rows], [star_cols], len(star_rows)
        del block
        a = b
        check()
        progress(a / max(n - 1, 1))
    rows = np.concatenate(pair_rows) if pair_rows else np.empty(0, dtype=np.intp)
    cols = np.concatenate(pair_cols) if pair_cols else np.empty(0, dtype=np.intp)
    return _components(n, rows, cols), closest


def numbered_groups(labels: np.ndarray) -> np.ndarray:
    """Group number (0, 1, ...) of each row, -1 for a row alone; groups are
    numbered in the order of their first row."""
    sizes = np.bincount(labels)
    out = np.full(len(labels), -1)
    number: dict[int, int] = {}
    for row, label in enumerate(labels):
        if sizes[label] > 1:
            out[row] = number.setdefault(int(label), len(number))
    return out
