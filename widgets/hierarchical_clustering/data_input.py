"""Clustering a table of embeddings given directly (the ``Data`` input).

While the exact way fits in memory it runs as the Distances widget would
feed it (cosine distances, then the chosen linkage); past that, or when
asked, it runs in two stages (``two_stage.py``).  Either way the result is
a tree whose leaves are mapped to rows: one row per leaf in the exact way,
a group of rows per leaf in two stages.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgflow.api import Context, WidgetError
from imgflow.data import Table
from imgflow.widgets.common.memory import available_bytes, format_bytes, too_big_message

from .tree import Tree, linkage

TWO_STAGE_MODES = ("auto", "always", "never")
DATA_METRIC = "cosine"


@dataclass(frozen=True)
class Clustering:
    """A tree and how its leaves map to the rows of ``table``."""
    tree: Tree
    table: Table
    group_of: np.ndarray | None = None       # per row: its leaf (None: leaf i is row i)
    representatives: np.ndarray | None = None  # per leaf: rows to show for it (-1: none)
    note: str = ""                           # which way ran and why, for the panel

    @property
    def n_rows(self) -> int:
        return len(self.table)

    def rows_per_leaf(self) -> np.ndarray:
        if self.group_of is None:
            return np.ones(self.tree.n, dtype=np.int64)
        return np.bincount(self.group_of, minlength=self.tree.n)

    def leaves(self, labels: list[str], images: list[str | None]):
        """(label, image, more images, rows) of each leaf from those of the rows.

        A group is named by its size and its most central row ("12 × img7") and
        shown by the images of its most central rows; ``rows`` is None when each leaf is one row.
        """
        if self.group_of is None:
            return labels, images, None, None
        reps = self.representatives
        counts = self.rows_per_leaf()
        names = [f"{c:,} × {labels[r[0]]}" if c > 1 else labels[r[0]]
                 for r, c in zip(reps.tolist(), counts.tolist())]
        firsts = [images[r[0]] for r in reps.tolist()]
        more = tuple(tuple(images[i] for i in r[1:] if i >= 0 and images[i])
                     for r in reps.tolist())
        return names, firsts, more, counts

    def row_labels(self, clusters: list[int]) -> np.ndarray:
        """Per row: the index of its cluster in ``clusters``, or -1."""
        per_leaf = self.tree.labels(clusters)
        return per_leaf if self.group_of is None else per_leaf[self.group_of]


def exact_bytes(n: int, X: np.ndarray) -> int:
    """Memory the exact way needs: what Distances checks before it measures."""
    from imgflow.widgets.common.distance_matrix import needed_bytes
    from imgflow.widgets.common.memory import condensed_dtype
    return needed_bytes(n, condensed_dtype(X.dtype).itemsize, 2 * X.nbytes)[2]


def choose_way(n: int, X: np.ndarray, mode: str, max_groups: int) -> tuple[bool, str]:
    """(two stages?, why) for n rows."""
    if mode == "always":
        return True, "in two stages, as chosen in the settings"
    needed = exact_bytes(n, X)
    available = available_bytes()
    if mode == "never":
        if available is not None and needed > available:
            raise WidgetError(too_big_message(
                f"Clustering {n:,} rows exactly", needed, available,
                "Set 'Two stages' to automatic to cluster them without a distance matrix."))
        return False, "exactly, as chosen in the settings"
    if n <= max_groups:
        return False, f"exactly: {n:,} rows are no more than {max_groups:,} groups"
    if available is None or needed <= available:
        return False, f"exactly: all {n:,} × {n:,} distances fit in memory ({format_bytes(needed)})"
    return True, (f"in two stages: the exact way needs {format_bytes(needed)} of memory and "
                  f"only {format_bytes(available)} is available")


def cluster_data(table: Table, way: tuple[bool, str], method: str, max_groups: int,
                 ctx: Context) -> Clustering:
    """The rows of ``table`` clustered the way ``choose_way`` chose: (two stages?, why)."""
    if table.n_features == 0:
        raise WidgetError("The data has no numeric features to cluster. "
                          "For images, connect Image Embedding first.")
    n = len(table)
    if n < 2:
        raise WidgetError(f"Clustering needs at least two items; there is {n}.")
    two, why = way
    if not two:
        return _exact(table, method, ctx, why)
    return _two_stage(table, max_groups, ctx, why)


def _exact(table: Table, method: str, ctx: Context, why: str) -> Clustering:
    from imgflow.widgets.common.distance_matrix import compute_distances

    distances = compute_distances(table, DATA_METRIC, False, "rows", ctx).outputs["Distances"]
    ctx.check()
    Z = linkage(distances.condensed, distances.n, method)
    del distances
    note = f"{why}; {DATA_METRIC} distances, {method} linkage"
    return Clustering(Tree.from_linkage(Z), table, note=note)


def _two_stage(table: Table, max_groups: int, ctx: Context, why: str) -> Clustering:
    from .two_stage import kmeans_groups, weighted_ward

    ctx.progress(0.02)
    groups = kmeans_groups(table.X, max_groups, ctx)
    ctx.check()
    Z = weighted_ward(groups.centres, groups.sizes)
    m = len(groups.sizes)
    note = (f"{why}; k-means into {m:,} groups of rows scaled to unit length (as cosine), "
            f"then Ward over the groups weighted by their sizes")
    return Clustering(Tree.from_linkage(Z), table, groups.group_of, groups.representatives,
                      note)
