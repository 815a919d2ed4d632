"""The cluster tree: linkage, and which branches a selection picks.

Nodes are numbered as scipy numbers them: leaves 0..n-1 are the measured
items, and row i of the linkage matrix Z makes node n + i (the root is
2n - 2).  In the dendrogram's leaf order every node's leaves are contiguous,
so a node is an interval [start, start + size) of that order: membership,
nesting and numbering are all interval arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgflow.api import WidgetError

from imgflow.widgets.common.memory import available_bytes, empty_large, too_big_message

LINKAGES = ("single", "average", "weighted", "complete", "ward")


def linkage(condensed: np.ndarray, n: int, method: str, in_place: bool = False) -> np.ndarray:
    """The linkage matrix of a condensed distance matrix (float32 or float64).

    fastcluster works in place on a float64 copy we own: the widget's input
    is shared with other links and needed again when the method changes, so
    it must not be overwritten.  That copy is the memory a clustering needs
    beyond the distances (1.6 GB at 20,000 items, whatever the input's
    precision); it is checked before it is made.  ``in_place=True`` (for a
    caller that owns a float64 matrix and is done with it, like the
    benchmark's one-shot path) skips the copy and destroys the input.
    """
    if n < 2:
        raise WidgetError(f"Clustering needs at least two items; there is {n}.")
    reuse = in_place and condensed.dtype == np.float64 and condensed.flags.c_contiguous
    needed = (0 if reuse else 8 * condensed.size) + 64 * n
    available = available_bytes()
    if available is not None and needed > available:
        raise WidgetError(too_big_message(
            f"Clustering {n:,} items", needed, available,
            "Use fewer rows (e.g. a sample) or a machine with more memory."))
    # A sum is NaN or infinite exactly when some value is (short of overflow,
    # which a float64 accumulator makes unlikely), and needs no temporary
    # array the size of the matrix.
    if not np.isfinite(np.sum(condensed, dtype=np.float64)):
        raise WidgetError("Some distances are missing or infinite; clustering needs them all.")
    if reuse:
        work = condensed
    else:
        # converted straight into fastcluster's buffer: no other temporary
        work = empty_large(condensed.size, np.float64)
        np.copyto(work, condensed)
    Z = _fastcluster_in_place(work, n, method)
    del work
    return Z


def _fastcluster_in_place(work: np.ndarray, n: int, method: str) -> np.ndarray:
    """fastcluster's linkage, overwriting ``work`` (contiguous float64).

    fastcluster 1.3's Python wrapper copies its input even with
    preserve_input=False (``numpy.array(X, subok=True)`` copies under
    numpy 2): 1.6 GB more at 20,000 items.  So its C entry point is called
    directly, with the same arguments the wrapper passes; the wrapper is the
    fallback should that entry point move.
    """
    import fastcluster

    try:
        from _fastcluster import linkage_wrap
        code = fastcluster.mthidx[method]
    except (ImportError, AttributeError, KeyError):
        return fastcluster.linkage(work, method=method, preserve_input=False)
    if work.dtype != np.float64 or not work.flags.c_contiguous or work.shape != (n * (n - 1) // 2,):
        raise ValueError("a contiguous float64 condensed matrix is needed")
    Z = np.empty((n - 1, 4))
    linkage_wrap(n, work, Z, code)
    return Z


@dataclass(frozen=True)
class Tree:
    """A linkage matrix with, for every node, where its leaves lie in the leaf order."""
    Z: np.ndarray
    n: int
    order: np.ndarray      # leaf (item) ids from left to right
    start: np.ndarray      # per node: first position of its leaves in `order`
    size: np.ndarray       # per node: number of leaves
    height: np.ndarray     # per node: merge height (leaves: 0)

    @property
    def fingerprint(self) -> str:
        """Names this tree's shape: branch ids saved for one tree mean nothing in another."""
        import hashlib
        merges = np.ascontiguousarray(self.Z[:, :2], dtype=np.int64)
        return hashlib.sha1(merges.tobytes() + str(self.n).encode()).hexdigest()[:16]

    @classmethod
    def from_linkage(cls, Z: np.ndarray) -> "Tree":
        from scipy.cluster.hierarchy import leaves_list

        n = len(Z) + 1
        order = leaves_list(Z)
        start = np.empty(2 * n - 1, dtype=np.int64)
        start[order] = np.arange(n)
        children = Z[:, :2].astype(np.int64)
        for i, (a, b) in enumerate(children):      # children come before parents
            start[n + i] = min(start[a], start[b])
        size = np.concatenate([np.ones(n, dtype=np.int64), Z[:, 3].astype(np.int64)])
        height = np.concatenate([np.zeros(n), Z[:, 2]])
        return cls(Z, n, order, start, size, height)

    @property
    def root(self) -> int:
        return 2 * self.n - 2

    def children(self, node: int) -> tuple[int, int] | None:
        if node < self.n:
            return None
        a, b = self.Z[node - self.n, :2].astype(np.int64)
        return int(a), int(b)

    def leaves(self, node: int) -> np.ndarray:
        return self.order[self.start[node]:self.start[node] + self.size[node]]

    def contains(self, outer: int, inner: int) -> bool:
        s, t = self.start[outer], self.start[inner]
        return s <= t and t + self.size[inner] <= s + self.size[outer]

    # -- selections: each gives disjoint nodes, in leaf order ---------------------
    def in_leaf_order(self, nodes) -> list[int]:
        return sorted({int(v) for v in nodes}, key=lambda v: (self.start[v], -self.size[v]))

    def outermost(self, nodes) -> list[int]:
        """The nodes not inside another of them (a branch selected twice counts once)."""
        kept: list[int] = []
        for v in self.in_leaf_order(nodes):
            if not kept or not self.contains(kept[-1], v):
                kept.append(v)
        return kept

    def top(self, k: int) -> list[int]:
        """The k clusters left after undoing the k - 1 last merges."""
        k = int(min(max(k, 1), self.n))
        if k == 1:
            return [self.root]
        undone = set(range(2 * self.n - k, 2 * self.n - 1))
        children = self.Z[self.n - k:, :2].astype(np.int64).ravel()
        return self.in_leaf_order(c for c in children if c not in undone)

    def cut(self, height: float) -> list[int]:
        """The clusters below a horizontal cut: merges higher than it are undone."""
        return self.top(1 + int(np.sum(self.Z[:, 2] > height)))

    def labels(self, clusters: list[int]) -> np.ndarray:
        """Per item: the index of its cluster in ``clusters``, or -1."""
        out = np.full(self.n, -1, dtype=np.int64)
        for index, node in enumerate(clusters):
            out[self.leaves(node)] = index
        return out


def choose_clusters(tree: Tree, mode: str, selected: list, top_n: int,
                    height_ratio: float) -> tuple[list[int], str | None]:
    """The selected branches (disjoint, in leaf order) and a warning, if any."""
    if mode == "top_n":
        return tree.top(top_n), None
    if mode == "height":
        return tree.cut(height_ratio * tree.height[tree.root]), None
    valid = [v for v in selected if isinstance(v, int) and 0 <= v <= tree.root]
    warning = None
    if len(valid) < len(selected):
        warning = (f"{len(selected) - len(valid)} saved branch(es) are not in this tree "
                   f"(the data changed?) and were left out.")
    return tree.outermost(valid), warning
