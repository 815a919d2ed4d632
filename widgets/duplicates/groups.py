"""Groups of near-identical rows: connected components of the pairs closer than a threshold.

Up to APPROXIMATE_ROWS rows, cosine distances are measured block by block
(a block of rows against the rows after it), and only the pairs under the
threshold are kept: exact, and never the N x N matrix.  More rows are
searched with a faiss inverted-file index: approximate, a pair may be
missed.  Measured (benchmarks/scale.py): every planted copy found among
100,000 rows of planted kinds; on random vectors, which have no kinds for
the cells to follow, a trial with the same cells missed 0.2 %.  Should a
threshold find very many pairs, they are folded into their components as
they come (each component kept as a star), so memory stays bounded by the
number of rows, not of pairs.
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from imgflow.widgets.common.distance_metrics import prepare, rows_per_block

FOLD_PAIRS = 2_000_000      # pairs kept before folding them into components
# Above this many rows an index finds the close pairs (benchmarks/scale.py): every
# pair costs as n^2 (at 30,000 rows x 1,280: 21 CPU s, the index 18), the index
# about n^1.5 (at 100,000: 133 CPU s, every pair about 230).
APPROXIMATE_ROWS = 50_000
IVF_PROBE = 16              # cells searched per row (8 missed 2 % of copies in a trial)
TRAIN_PER_CELL = 50         # k-means sample of the cells' centres
SEARCH_BATCH = 4096         # rows searched per faiss call
QUANTISED_SLACK = 0.05      # 8-bit products err by well under this


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
                           fold_pairs: int = FOLD_PAIRS,
                           approximate_rows: int | None = None
                           ) -> tuple[np.ndarray, np.ndarray]:
    """(component of each row, smallest distance to another row of its component).

    Rows whose component is only themselves get distance inf.  ``X`` must
    have no missing values.  ``confirm(i, j)``, if given, says which of the
    close pairs (i[k], j[k]) really are copies; the others are dropped.
    More than ``approximate_rows`` (default APPROXIMATE_ROWS) rows are searched
    with an index (see approximate_pairs) instead of measuring every pair.
    """
    n = len(X)
    if approximate_rows is None:
        approximate_rows = APPROXIMATE_ROWS
    Y, block_fn = prepare(X, "cosine", False)
    batches = exact_pairs(Y, block_fn, threshold, progress) if n <= approximate_rows \
        else approximate_pairs(Y, threshold, progress, check)
    pair_rows: list[np.ndarray] = []
    pair_cols: list[np.ndarray] = []
    kept = 0
    closest = np.full(n, np.inf)
    for i, j, d in batches:
        if len(i) and confirm is not None:
            yes = confirm(i, j)
            i, j, d = i[yes], j[yes], d[yes]
        if len(i):
            np.minimum.at(closest, i, d)
            np.minimum.at(closest, j, d)
            pair_rows.append(i)
            pair_cols.append(j)
            kept += len(i)
            if kept > fold_pairs:
                labels = _components(n, np.concatenate(pair_rows), np.concatenate(pair_cols))
                star_rows, star_cols = _as_stars(labels)
                pair_rows, pair_cols, kept = [star_rows], [star_cols], len(star_rows)
        check()
    rows = np.concatenate(pair_rows) if pair_rows else np.empty(0, dtype=np.intp)
    cols = np.concatenate(pair_cols) if pair_cols else np.empty(0, dtype=np.intp)
    return _components(n, rows, cols), closest


def exact_pairs(Y: np.ndarray, block_fn, threshold: float,
                progress: Callable[[float], None]) -> Iterator[tuple]:
    """Every pair closer than the threshold, a block of rows against the rows after it:
    batches of (rows, rows after them, distances)."""
    n = len(Y)
    a = 0
    while a < n - 1:
        b = min(n - 1, a + rows_per_block(n - a))
        block = block_fn(Y[a:b], Y[a:])                  # (b - a) x (n - a)
        i, j = np.nonzero(np.triu(block <= threshold, k=1))
        d = block[i, j].astype(np.float64)
        del block
        yield i + a, j + a, d
        a = b
        progress(a / max(n - 1, 1))


def approximate_pairs(Y: np.ndarray, threshold: float,
                      progress: Callable[[float], None],
                      check: Callable[[], None]) -> Iterator[tuple]:
    """The pairs closer than the threshold that an inverted-file index finds: batches
    of (row, other row, distance), each pair once per batch, the distances exact.

    Rows are shared among about 2 sqrt(n) cells (k-means on a sample); each
    row is compared only with the rows of its IVF_PROBE nearest cells, which
    are held in 8 bits a value (a quarter of the vectors' memory).  A pair
    those 8 bits put near the threshold is measured again on the vectors.
    """
    import faiss

    n, width = Y.shape
    cells = max(1, int(2 * np.sqrt(n)))
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(width), width, cells,
                                          faiss.ScalarQuantizer.QT_8bit,
                                          faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(n, min(n, TRAIN_PER_CELL * cells), replace=False)
    index.train(np.ascontiguousarray(Y[np.sort(sample)], dtype=np.float32))
    check()
    progress(0.05)
    for a in range(0, n, SEARCH_BATCH):
        index.add(np.ascontiguousarray(Y[a:a + SEARCH_BATCH], dtype=np.float32))
    check()
    progress(0.1)
    index.nprobe = min(IVF_PROBE, cells)
    for a in range(0, n, SEARCH_BATCH):
        queries = np.ascontiguousarray(Y[a:a + SEARCH_BATCH], dtype=np.float32)
        limits, _, found = index.range_search(queries, 1.0 - threshold - QUANTISED_SLACK)
        rows = np.repeat(np.arange(a, a + len(queries)), np.diff(limits).astype(np.int64))
        i, j = np.minimum(rows, found), np.maximum(rows, found)
        keep = i != j
        i, j = np.unique(np.stack([i[keep], j[keep]]), axis=1)
        d = np.clip(1.0 - np.einsum("ij,ij->i", Y[i], Y[j], dtype=np.float64), 0.0, 2.0)
        close = d <= threshold
        yield i[close], j[close], d[close]
        progress(0.1 + 0.9 * min(1.0, (a + len(queries)) / n))


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
