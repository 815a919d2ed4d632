"""Distances: the distance between every two rows (or columns) of a table.

Measured on the feature columns (for images: the embedding vectors).
Missing values are replaced by their column's mean (Jaccard: by 0, "absent"),
and the widget warns how many rows and columns had any; a column with no
values at all is left out.  Before allocating, the memory the matrix needs
(and a clustering of it after) is compared with what the machine has, and a
matrix that would not fit is refused with both figures.
"""
from __future__ import annotations

import numpy as np

from imgflow.api import Context, Input, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Distances as DistanceMatrix
from imgflow.data import Table

from imgflow.widgets.common.memory import available_bytes, format_bytes, too_big_message

from imgflow.widgets.common.metrics import METRICS, NORMALIZABLE, impute_missing

from .memory import WORK_BLOCK_BYTES, condensed_bytes, condensed_dtype

def check_binary(X: np.ndarray, names) -> None:
    bad = np.flatnonzero(~np.isin(X, (0.0, 1.0)).all(axis=0))
    if bad.size:
        raise WidgetError(
            f"Jaccard distance is for binary data (0 and 1), but {bad.size} column(s) have "
            f"other values (first: '{names[bad[0]]}'). Choose another metric.")


def check_memory(n: int, itemsize: int, data_bytes: int) -> int:
    """Bytes the matrix takes; WidgetError when it (and a clustering's copy) would not fit."""
    matrix = condensed_bytes(n, itemsize)
    # A clustering works on its own float64 copy (the matrix is shared with other links).
    work = condensed_bytes(n, 8)
    needed = matrix + work + WORK_BLOCK_BYTES + data_bytes
    available = available_bytes()
    if available is not None and needed > available:
        raise WidgetError(too_big_message(
            f"The distances between {n:,} items ({format_bytes(matrix)}, and "
            f"{format_bytes(work)} more to cluster them)", needed, available,
            "Use fewer rows (e.g. a sample) or a machine with more memory."))
    return matrix


def compute_distances(table: Table, metric: str, normalize: bool, axis: str,
                      ctx: Context) -> Result:
    from imgflow.widgets.common.metrics import fill_condensed, prepare

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


class Distances(Widget):
    id = "imgflow.distances"
    name = "Distances"
    category = "Unsupervised"
    icon = "distances.svg"
    description = ("Distances between rows (or columns) of the data. "
                   "Missing values are replaced by column means (Jaccard: by 0).")
    keywords = ("distance", "metric", "cosine", "euclidean", "similarity", "dissimilarity")
    priority = 10
    inputs = (Input("Data", Table, default=True, doc="Rows to measure (their features)."),)
    outputs = (Output("Distances", DistanceMatrix, default=True,
                      doc="The distance between every two rows (or columns)."),)
    settings = (
        Setting("metric", str, "cosine", choices=tuple(METRICS), doc="How distance is measured."),
        Setting("normalize", bool, True,
                doc="Scale each column to mean 0 and variance 1 first (Euclidean, Manhattan)."),
        Setting("axis", str, "rows", choices=("rows", "columns"),
                doc="Measure between rows or between columns."),
    )
    panel = "imgflow.widgets.distances.panel:DistancesPanel"
    apply_control = True

    def compute(self, inputs, settings, ctx: Context) -> Result:
        return compute_distances(inputs["Data"], settings["metric"], settings["normalize"],
                                 settings["axis"], ctx)
