"""The distance matrix of a table's rows (or columns): what the Distances widget
computes, here so that Hierarchical Clustering's Data input computes it the same way.

Measured on the feature columns (for images: the embedding vectors).
Missing values are replaced by their column's mean (Jaccard: by 0, "absent"),
and a warning says how many rows and columns had any; a column with no
values at all is left out.  Before allocating, the memory the matrix needs
(and a clustering of it after) is compared with what the machine has, and a
matrix that would not fit is refused with both figures.
"""
from __future__ import annotations

import numpy as np

from imgflow.api import Context, Result, WidgetError
from imgflow.data import Distances as DistanceMatrix
from imgflow.data import Table

from .memory import (WORK_BLOCK_BYTES, available_bytes, condensed_bytes, condensed_dtype,
                     format_bytes, too_big_message)

METRICS = {
    "euclidean": ("Euclidean", "straight-line distance"),
    "manhattan": ("Manhattan", "sum of absolute differences"),
    "cosine": ("Cosine", "1 - cosine of the angle; ignores the vectors' lengths"),
    "pearson": ("Pearson", "1 - Pearson correlation"),
    "spearman": ("Spearman", "1 - Spearman rank correlation"),
    "jaccard": ("Jaccard", "for binary (0/1) data: 1 - shared / either"),
    "hamming": ("Hamming", "fraction of values that differ"),
}
NORMALIZABLE = ("euclidean", "manhattan")


def impute_missing(X: np.ndarray, metric: str) -> tuple[np.ndarray, str | None]:
    """X without NaNs by the documented rule, and a warning saying what was done."""
    missing = np.isnan(X)
    if not missing.any():
        return X, None
    empty = missing.all(axis=0)
    rows, cols = int(missing.any(axis=1).sum()), int(missing.any(axis=0).sum())
    X = X[:, ~empty].copy()
    missing = missing[:, ~empty]
    fill = np.zeros(X.shape[1]) if metric == "jaccard" else np.nanmean(X, axis=0)
    X[missing] = np.take(fill, np.nonzero(missing)[1])
    how = "0 (absent)" if metric == "jaccard" else "the column's mean"
    text = (f"{rows} row(s) and {cols} column(s) have missing values; "
            f"they were replaced by {how}.")
    if empty.any():
        text += f" {int(empty.sum())} column(s) with no values were left out."
    return X, text


def check_binary(X: np.ndarray, names) -> None:
    bad = np.flatnonzero(~np.isin(X, (0.0, 1.0)).all(axis=0))
    if bad.size:
        raise WidgetError(
            f"Jaccard distance is for binary data (0 and 1), but {bad.size} column(s) have "
            f"other values (first: '{names[bad[0]]}'). Choose another metric.")


def needed_bytes(n: int, itemsize: int, data_bytes: int) -> tuple[int, int, int]:
    """(the matrix, a clustering's copy of it, all that measuring then clustering needs)."""
    matrix = condensed_bytes(n, itemsize)
    # A clustering works on its own float64 copy (the matrix is shared with other links).
    work = condensed_bytes(n, 8)
    return matrix, work, matrix + work + WORK_BLOCK_BYTES + data_bytes


def check_memory(n: int, itemsize: int, data_bytes: int) -> int:
    """Bytes the matrix takes; WidgetError when it (and a clustering's copy) would not fit."""
    matrix, work, needed = needed_bytes(n, itemsize, data_bytes)
    available = available_bytes()
    if available is not None and needed > available:
        raise WidgetError(too_big_message(
            f"The distances between {n:,} items ({format_bytes(matrix)}, and "
            f"{format_bytes(work)} more to cluster them)", needed, available,
            "To cluster them, connect the data straight to Hierarchical Clustering's Data "
            "input: it clusters in two stages without this matrix. Or use fewer rows."))
    return matrix


def compute_distances(table: Table, metric: str, normalize: bool, axis: str,
                      ctx: Context) -> Result:
    from .distance_metrics import fill_condensed, prepare

    if table.n_features == 0:
        raise WidgetError("The data has no numeric features to measure distances on. "
                          "For images, connect Image Embedding first.")
    X, warning = impute_missing(table.X, metric)
    if warning:
        ctx.warning(warning)
    names = [n for n, keep in zip(table.feature_names, ~np.isnan(table.X).all(axis=0)) if keep]
    if X.shape[1] == 0:
        raise WidgetError("Every feature column is empty (all values missing).")
    if metric == "jaccard":
        check_binary(X, names)
    if axis == "columns":
        X = np.ascontiguousarray(X.T)
    n = len(X)
    what = "rows" if axis == "rows" else "columns"
    if n < 2:
        raise WidgetError(f"Distances need at least two {what}; the data has {n}.")
    dtype = condensed_dtype(X.dtype)
    matrix_bytes = check_memory(n, dtype.itemsize, 2 * X.nbytes)
    ctx.check()
    Y, block = prepare(X, metric, normalize and metric in NORMALIZABLE)
    condensed = fill_condensed(Y, block, ctx.progress, ctx.check, dtype=dtype)
    del Y
    # Overflow in extreme data.  A sum needs no N x N temporary; summed in
    # float64 (buffered), many large float32 distances cannot overflow it.
    if not np.isfinite(np.sum(condensed, dtype=np.float64)):
        raise WidgetError("Some distances are not finite numbers; the data has too large values.")
    result = DistanceMatrix(condensed, n, table=table, axis=axis,
                            labels=tuple(names) if axis == "columns" else (),
                            metric=metric)
    info = f"{n:,} × {n:,} distances between {what} ({format_bytes(matrix_bytes)})"
    return Result({"Distances": result}, view={"n": n, "bytes": matrix_bytes, "axis": axis},
                  info=info)
