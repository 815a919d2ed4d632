"""Neighbors: for each reference row, the k most similar rows of the data.

Data and Reference are tables with the same numeric columns (typically two
outputs of Image Embedding, or the same one linked twice: then every image
queries all the others).  The output holds, per reference row in its order,
its k nearest rows of Data nearest first, with meta columns "reference"
(the reference's image name, or its row number) and "distance".  A row that
is the reference itself (same row id, or the same image file) is left out
unless ``exclude_references`` is off.  Missing values are replaced by column
means, as in Distances.
"""
from __future__ import annotations

import numpy as np

from imgflow.api import Context, Input, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Column, Table
from imgflow.widgets.common.distance_matrix import METRICS, impute_missing

MAX_NAMED = 5       # columns named in a "different columns" message


def check_features(data: Table, reference: Table) -> Table:
    """The reference with its feature columns in Data's order, or a clear error."""
    for table, name in ((data, "Data"), (reference, "Reference")):
        if table.n_features == 0:
            raise WidgetError(f"{name} has no numeric columns to compare. "
                              "For images, connect Image Embedding first.")
    if reference.feature_names == data.feature_names:
        return reference
    mine, theirs = set(data.feature_names), set(reference.feature_names)
    if mine != theirs:
        def named(names):
            names = sorted(names)
            more = f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else ""
            return ", ".join(f"'{n}'" for n in names[:MAX_NAMED]) + more
        parts = []
        if mine - theirs:
            parts.append(f"only Data has {named(mine - theirs)}")
        if theirs - mine:
            parts.append(f"only Reference has {named(theirs - mine)}")
        raise WidgetError("Data and Reference have different numeric columns ("
                          + "; ".join(parts) + "): embed both with the same model.")
    order = [reference.feature_names.index(n) for n in data.feature_names]
    return Table(reference.X[:, order], data.feature_names, reference.columns, reference.ids)


def row_names(table: Table) -> list[str]:
    """The "image name" of each row, or its row number (from 1) without one."""
    if table.has_column("image name"):
        col = table.column("image name")
        return [str(v) if v is not None else str(i + 1) for i, v in enumerate(col.data)]
    return [str(i + 1) for i in range(len(table))]


def row_keys(table: Table) -> list[tuple]:
    """What makes two rows "the same image": the row id, and the image file."""
    images = table.columns_of_kind("image")
    paths = images[0].data if images else [None] * len(table)
    return [(("id", int(i)), ("path", p) if p else None) for i, p in zip(table.ids, paths)]


def query_and_data(reference: Table, data: Table, metric: str, ctx: Context):
    """The two matrices with missing values filled (by the columns' means over both);
    one and the same matrix when both inputs are the same table.  Without missing
    values they are the tables' own (no stacked copy of a million rows)."""
    same = reference.X is data.X or (reference.X.shape == data.X.shape
                                     and np.array_equal(reference.ids, data.ids))
    if not np.isnan(data.X).any() and (same or not np.isnan(reference.X).any()):
        return (data.X, data.X) if same else (reference.X, data.X)
    X, warning = impute_missing(data.X if same else np.vstack([reference.X, data.X]), metric)
    if warning:
        ctx.warning(warning)
    if X.shape[1] == 0:
        raise WidgetError("Every numeric column is empty (all values missing).")
    return (X, X) if same else (X[:len(reference)], X[len(reference):])


def find_neighbors(data: Table, reference: Table, k: int, metric: str,
                   exclude_references: bool, ctx: Context) -> Result:
    from .search import excluded_positions, nearest

    reference = check_features(data, reference)
    Q, X = query_and_data(reference, data, metric, ctx)
    excluded = excluded_positions(row_keys(reference), row_keys(data)) \
        if exclude_references else None
    ctx.check()
    positions, distances = nearest(Q, X, metric, k, excluded, ctx.progress, ctx.check)
    found = positions >= 0
    query = np.repeat(np.arange(len(reference)), positions.shape[1])[found.ravel()]
    rows = positions[found]
    names = row_names(reference)
    if len(rows) == 0:
        ctx.warning("No neighbours: Data has no rows other than the references themselves.")
        return Result({"Neighbors": None}, view=None, info="No neighbours")
    if found.sum(axis=1).min() < k:
        short = int((found.sum(axis=1) < k).sum())
        ctx.warning(f"{short} reference row(s) have fewer than {k} neighbours: Data has too "
                    "few other rows.")
    out = data.subset(rows).add_column(Column.text("reference", [names[q] for q in query])) \
        .add_column(Column.numeric("distance", distances[found]))
    info = f"{len(rows):,} neighbours of {len(reference):,} reference row(s)"
    return Result({"Neighbors": out}, view=None, info=info)


class Neighbors(Widget):
    id = "imgflow.neighbors"
    name = "Neighbors"
    category = "Unsupervised"
    icon = "neighbors.svg"
    description = "For each reference row, the most similar rows of the data (k nearest)."
    keywords = ("neighbours", "nearest", "similar", "knn", "search", "query", "reverse image")
    priority = 30
    inputs = (
        Input("Data", Table, default=True, doc="The rows to search (e.g. embeddings)."),
        Input("Reference", Table, doc="The rows to find neighbours of (same numeric columns)."),
    )
    outputs = (Output("Neighbors", Table, default=True,
                      doc="Per reference row its k nearest rows of Data, nearest first, "
                          "with 'reference' and 'distance' columns."),)
    settings = (
        Setting("k", int, 10, minimum=1, maximum=1000, doc="Neighbours per reference row."),
        Setting("metric", str, "cosine", choices=tuple(METRICS), doc="How distance is measured."),
        Setting("exclude_references", bool, True,
                doc="A reference row (same row or same image file) is never its own neighbour."),
    )
    panel = "imgflow.widgets.neighbors.panel:NeighborsPanel"
    apply_control = True

    def compute(self, inputs, settings, ctx: Context) -> Result:
        return find_neighbors(inputs["Data"], inputs["Reference"], settings["k"],
                              settings["metric"], settings["exclude_references"], ctx)
