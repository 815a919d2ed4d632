"""Dendrogram drawing data, computed on the worker so the panel only draws.

Coordinates are in "tree space": ``h`` is the merge height (0 at the
leaves), ``s`` the slot of a leaf (0, 1, 2, ... from the first leaf).  Large
trees are pruned: nodes deeper than a depth are hidden and the node at that
depth is drawn as one leaf standing for its whole sub-tree (with a count).
Every drawn line belongs to one node, so colouring a selected branch is a
lookup, and a click maps to the node whose branch is under it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tree import Tree

AUTO_PRUNE_LEAVES = 1000     # above this many leaves, prune automatically


@dataclass(frozen=True)
class DendrogramView:
    n_items: int
    root_height: float
    depth: int | None            # pruning depth in force (None: the whole tree)
    leaf_nodes: np.ndarray       # drawn leaves (real or collapsed), by slot
    leaf_labels: tuple[str, ...]
    leaf_images: tuple[str | None, ...]   # image path of the (first) leaf, or None
    leaf_counts: np.ndarray      # items under each drawn leaf
    nodes: np.ndarray            # every drawn node
    node_s: np.ndarray           # its slot position (internal: between its children)
    node_h: np.ndarray           # its drawn height (drawn leaves: 0)
    node_lo: np.ndarray          # first and last slot under it
    node_hi: np.ndarray
    parent_h: np.ndarray         # drawn height of its parent (root: itself)
    segments: np.ndarray         # (m, 2, 2): [[h0, s0], [h1, s1]] per line
    segment_node: np.ndarray     # which node's line it is
    clusters: tuple[int, ...]    # the selected branches, C1, C2, ... in this order
    cluster_names: tuple[str, ...]
    cluster_sizes: tuple[int, ...]
    node_cluster: np.ndarray     # per drawn node: index into clusters, or -1
    cut_height: float | None     # the cut line in "height" mode
    tree_fingerprint: str = ""   # Tree.fingerprint, saved with a manual selection
    leaf_more_images: tuple[tuple[str, ...], ...] = ()   # per drawn leaf: more images of a group

    def node_at(self, h: float, s: float) -> int | None:
        """The node whose branch is at (h, s): its leaves span s and h lies
        between its merge and its parent's."""
        hit = ((self.node_lo - 0.5 <= s) & (s <= self.node_hi + 0.5)
               & (self.node_h <= h) & ((h < self.parent_h) | (self.nodes == self.nodes[0])))
        if not hit.any():
            return None
        candidates = np.flatnonzero(hit)
        return int(self.nodes[candidates[np.argmax(self.node_h[candidates])]])


def depths(tree: Tree) -> np.ndarray:
    """Distance of every node from the root, in edges."""
    depth = np.zeros(2 * tree.n - 1, dtype=np.int64)
    children = tree.Z[:, :2].astype(np.int64)
    for i in range(tree.n - 2, -1, -1):           # parents before children
        depth[children[i]] = depth[tree.n + i] + 1
    return depth


def auto_depth(tree: Tree, depth: np.ndarray, limit: int = AUTO_PRUNE_LEAVES) -> int | None:
    """The deepest pruning that draws at most ``limit`` leaves (None: no need)."""
    if tree.n <= limit:
        return None
    leaf_depths = np.bincount(depth[:tree.n])
    inner_depths = np.bincount(depth[tree.n:], minlength=len(leaf_depths))
    # leaves drawn when pruned at d: real leaves at depth <= d + inner nodes at depth d
    drawn = np.cumsum(np.pad(leaf_depths, (0, len(inner_depths) - len(leaf_depths))))
    drawn = drawn + inner_depths
    ok = np.flatnonzero(drawn <= limit)
    return int(ok[-1]) if ok.size else 1


def visible_nodes(tree: Tree, depth: np.ndarray, max_depth: int | None):
    """(drawn nodes, which of them are drawn as leaves)."""
    if max_depth is None:
        nodes = np.arange(2 * tree.n - 1)
    else:
        nodes = np.flatnonzero(depth <= max_depth)
    as_leaf = (nodes < tree.n) | (depth[nodes] == (max_depth if max_depth is not None else -1))
    return nodes, as_leaf


def build_view(tree: Tree, labels: list[str], images: list[str | None], clusters: list[int],
               cluster_names: list[str], max_depth: int,
               cut_height: float | None = None, rows_per_leaf: np.ndarray | None = None,
               more_images: tuple[tuple[str, ...], ...] | None = None) -> DendrogramView:
    """What to draw; ``rows_per_leaf`` (and ``more_images``) when each leaf is a group of rows."""
    depth = depths(tree)
    if max_depth > 0:
        prune = max_depth if max_depth < depth.max() else None
    else:
        prune = auto_depth(tree, depth)
    nodes, as_leaf = visible_nodes(tree, depth, prune)
    nodes = nodes[::-1]                     # root first, then by falling id
    as_leaf = as_leaf[::-1]
    leaf_nodes = nodes[as_leaf]
    leaf_nodes = leaf_nodes[np.argsort(tree.start[leaf_nodes], kind="stable")]
    slot = {int(v): i for i, v in enumerate(leaf_nodes)}
    index = {int(v): i for i, v in enumerate(nodes)}
    m = len(nodes)
    node_s, node_h = np.zeros(m), np.zeros(m)
    lo, hi = np.zeros(m), np.zeros(m)
    parent_h = np.full(m, tree.height[tree.root])
    segments, owner = [], []
    for i in range(m - 1, -1, -1):          # children before parents
        v = int(nodes[i])
        if v in slot:
            node_s[i] = lo[i] = hi[i] = slot[v]
            continue
        a, b = (index[c] for c in tree.children(v))
        h = tree.height[v]
        node_s[i], node_h[i] = (node_s[a] + node_s[b]) / 2, h
        lo[i], hi[i] = min(lo[a], lo[b]), max(hi[a], hi[b])
        parent_h[a] = parent_h[b] = h
        segments += [((node_h[a], node_s[a]), (h, node_s[a])),
                     ((node_h[b], node_s[b]), (h, node_s[b])),
                     ((h, node_s[a]), (h, node_s[b]))]
        owner += [nodes[a], nodes[b], v]
    node_cluster = _node_clusters(tree, nodes, clusters)
    rows = node_rows(tree, rows_per_leaf)
    counts = rows[leaf_nodes]
    leaf_labels = tuple(_leaf_label(tree, v, labels, rows) for v in leaf_nodes)
    # a collapsed branch shows what its first leaf shows, as its label names that leaf
    first = [int(v) if v < tree.n else int(tree.order[tree.start[v]]) for v in leaf_nodes]
    leaf_images = tuple(images[v] for v in first)
    more = tuple(more_images[v] for v in first) if more_images else ()
    return DendrogramView(
        n_items=tree.n, root_height=float(tree.height[tree.root]), depth=prune,
        leaf_nodes=leaf_nodes, leaf_labels=leaf_labels, leaf_images=leaf_images,
        leaf_counts=counts, nodes=nodes, node_s=node_s, node_h=node_h, node_lo=lo,
        node_hi=hi, parent_h=parent_h,
        segments=np.asarray(segments, dtype=float).reshape(-1, 2, 2),
        segment_node=np.asarray(owner, dtype=np.int64),
        clusters=tuple(int(c) for c in clusters), cluster_names=tuple(cluster_names),
        cluster_sizes=tuple(int(rows[c]) for c in clusters),
        node_cluster=node_cluster, cut_height=cut_height, leaf_more_images=more)


def node_rows(tree: Tree, rows_per_leaf: np.ndarray | None) -> np.ndarray:
    """Rows under every node: its leaves, or the rows its leaves (groups) stand for."""
    if rows_per_leaf is None:
        return tree.size
    before = np.concatenate([[0], np.cumsum(np.asarray(rows_per_leaf)[tree.order])])
    return before[tree.start + tree.size] - before[tree.start]


def _node_clusters(tree: Tree, nodes: np.ndarray, clusters: list[int]) -> np.ndarray:
    """Per node: the cluster it lies in (that of its first leaf, if it fits inside), or -1."""
    if not clusters:
        return np.full(len(nodes), -1, dtype=np.int64)
    first_leaf = tree.order[tree.start[nodes]]
    candidate = tree.labels(clusters)[first_leaf]
    c = np.asarray(clusters, dtype=np.int64)[np.maximum(candidate, 0)]
    inside = (candidate >= 0) & (tree.start[nodes] + tree.size[nodes] <= tree.start[c] + tree.size[c])
    return np.where(inside, candidate, -1)


def _leaf_label(tree: Tree, v: int, labels: list[str], rows: np.ndarray) -> str:
    if v < tree.n:
        return labels[v]
    first = labels[tree.leaves(v)[0]]
    return f"{first} … ({rows[v]:,} items)"
