"""Clustering without an N x N matrix: k-means into groups, then Ward over the groups.

Past a size, the exact way (all pairwise distances, then a linkage) does
not fit in memory: 100,000 rows need 60 GB.  Two stages need memory in
proportion to the rows: k-means puts the rows (unit length, so that
Euclidean distance orders them as cosine distance does) into at most M
groups, and Ward's linkage runs over the group centres, each weighing as
many rows as it holds.  Ward's merge cost of two groups is the growth of
the within-group sum of squares, so a group of 500 rows is merged as those
500 rows would be, not as one point.

The tree's leaves are the groups; ``group_of`` maps every row to its leaf,
so any selection of branches maps back to every row.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgflow.api import Context, WidgetError

REPRESENTATIVES = 3       # rows shown for a group (those nearest its centre)
KMEANS_ITERATIONS = 10
TRAIN_ROWS_PER_GROUP = 16  # k-means learns its centres from a sample this many times M
ASSIGN_BLOCK = 8192        # rows assigned to their nearest centre at once


@dataclass(frozen=True)
class Groups:
    """The first stage: which group each row is in, and each group's centre and size."""
    group_of: np.ndarray        # per row: its group (0..m-1)
    centres: np.ndarray         # (m, d) float32
    sizes: np.ndarray           # rows per group
    representatives: np.ndarray  # (m, REPRESENTATIVES) rows nearest each centre, -1 = none


def unit_rows(X: np.ndarray) -> np.ndarray:
    """float32 copies of rows scaled to length 1 (all-zero rows stay zero; missing values 0)."""
    Y = np.array(X, dtype=np.float32)
    np.nan_to_num(Y, copy=False)
    norms = np.linalg.norm(Y, axis=1)
    norms[norms == 0] = 1.0
    Y /= norms[:, None]
    return Y


def blocks(n: int):
    for start in range(0, n, ASSIGN_BLOCK):
        yield start, min(n, start + ASSIGN_BLOCK)


def kmeans_groups(X: np.ndarray, m: int, ctx: Context, seed: int = 0) -> Groups:
    """At most ``m`` groups of the rows of X (as unit vectors); deterministic for a seed.

    X is never copied whole (at a million rows it is 5 GB): rows are scaled
    a block at a time.  faiss learns the centres from a sample
    (TRAIN_ROWS_PER_GROUP rows per centre) and then assigns every row.
    Chosen by measurement over scikit-learn's MiniBatchKMeans (100,000 x
    1,280 into 2,000 groups, this 2-core machine under load: faiss 91 s, of
    which 15 s assigning; MiniBatchKMeans 123 s, 30 s assigning, and it left
    20 groups empty); ``benchmarks/scale.py --kmeans`` measures both.  A
    sample of 16 rows per centre clusters as well as 32 (planted groups at
    100,000 rows: ARI 0.928 and 0.925) in 38 CPU s instead of 62.
    """
    n = len(X)
    m = int(min(m, n))
    if m < 2:
        raise WidgetError(f"Clustering needs at least two items; there is {n}.")
    centres = _train_centres(X, m, seed)
    ctx.progress(0.5)
    ctx.check()
    group_of, dist = _assign(X, centres, ctx)
    sizes = np.bincount(group_of, minlength=m)
    used = np.flatnonzero(sizes)                # drop empty groups, renumber the rest
    if len(used) < m:
        renumber = np.full(m, -1, dtype=np.int64)
        renumber[used] = np.arange(len(used))
        group_of, sizes = renumber[group_of], sizes[used]
    # the centre of the rows actually in a group (training saw a sample)
    centres = _means(X, group_of, len(sizes))
    return Groups(group_of, centres, sizes, _representatives(group_of, dist, len(sizes)))


def _faiss():
    try:
        import faiss
    except ImportError:
        raise WidgetError("Clustering in two stages needs faiss: pip install faiss-cpu") from None
    return faiss


def _train_centres(X: np.ndarray, m: int, seed: int) -> np.ndarray:
    faiss = _faiss()
    n, d = X.shape
    rows = np.arange(n) if n <= m * TRAIN_ROWS_PER_GROUP else \
        np.sort(np.random.default_rng(seed).choice(n, m * TRAIN_ROWS_PER_GROUP, replace=False))
    km = faiss.Kmeans(d, m, niter=KMEANS_ITERATIONS, seed=seed, verbose=False,
                      max_points_per_centroid=TRAIN_ROWS_PER_GROUP + 1, min_points_per_centroid=1)
    km.train(unit_rows(X[rows]))
    return np.ascontiguousarray(km.centroids, dtype=np.float32)


def _assign(X: np.ndarray, centres: np.ndarray, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the nearest centre and the squared distance to it (in blocks: bounded memory)."""
    index = _faiss().IndexFlatL2(centres.shape[1])
    index.add(centres)
    n = len(X)
    group_of = np.empty(n, dtype=np.int64)
    dist = np.empty(n, dtype=np.float32)
    for start, stop in blocks(n):
        d, i = index.search(unit_rows(X[start:stop]), 1)
        group_of[start:stop], dist[start:stop] = i[:, 0], d[:, 0]
        ctx.progress(0.5 + 0.4 * stop / n)
        ctx.check()
    return group_of, dist


def _means(X: np.ndarray, group_of: np.ndarray, m: int) -> np.ndarray:
    """The mean unit row of each group, summed a sorted block at a time."""
    sums = np.zeros((m, X.shape[1]), dtype=np.float64)
    for start, stop in blocks(len(X)):
        g = group_of[start:stop]
        order = np.argsort(g, kind="stable")
        gs = g[order]
        cuts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
        sums[gs[cuts]] += np.add.reduceat(unit_rows(X[start:stop])[order], cuts, axis=0,
                                          dtype=np.float64)
    return (sums / np.bincount(group_of, minlength=m)[:, None]).astype(np.float32)


def _representatives(group_of: np.ndarray, dist: np.ndarray, m: int) -> np.ndarray:
    order = np.lexsort((dist, group_of))        # by group, nearest first
    g = group_of[order]
    first = np.searchsorted(g, np.arange(m))
    reps = np.full((m, REPRESENTATIVES), -1, dtype=np.int64)
    for k in range(REPRESENTATIVES):
        pos = first + k
        ok = (pos < len(g)) & (g[np.minimum(pos, len(g) - 1)] == np.arange(m))
        reps[ok, k] = order[pos[ok]]
    return reps


def weighted_ward(centres: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Ward's linkage of points that each stand for ``weights`` rows (scipy's format).

    Heights are those scipy's Ward would give the rows themselves were each
    group's rows all at its centre: sqrt(2 w_a w_b / (w_a + w_b)) * |c_a - c_b|.
    Nearest-neighbour chains (exact for Ward, which is reducible) with the
    Lance-Williams update: O(m^2) time and one m x m matrix (32 MB at 2,000).
    Column 3 counts groups (leaves), as the tree's interval arithmetic needs.
    """
    c = np.asarray(centres, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64).copy()
    m = len(c)
    sq = np.einsum("ij,ij->i", c, c)
    d = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (c @ c.T), 0.0)
    d *= 2.0 * np.outer(w, w) / np.add.outer(w, w)
    np.fill_diagonal(d, np.inf)
    active = np.ones(m, dtype=bool)
    merges = np.empty((m - 1, 3))
    chain: list[int] = []
    for step in range(m - 1):
        if not chain:
            chain.append(int(np.argmax(active)))
        while True:
            x = chain[-1]
            y = int(np.argmin(d[x]))
            if len(chain) > 1 and d[x, chain[-2]] <= d[x, y]:
                y = chain[-2]                    # ties go back down the chain: no cycles
            if len(chain) > 1 and y == chain[-2]:
                break
            chain.append(y)
        b, a = chain.pop(), chain.pop()
        merges[step] = (a, b, np.sqrt(d[a, b]))
        wa, wb, dab = w[a], w[b], d[a, b]
        new = ((w + wa) * d[a] + (w + wb) * d[b] - w * dab) / (w + wa + wb)
        new[~active] = np.inf
        new[a] = new[b] = np.inf
        d[a, :] = new
        d[:, a] = new
        d[b, :] = np.inf
        d[:, b] = np.inf
        w[a] = wa + wb
        active[b] = False
    return _scipy_order(merges, m)


def _scipy_order(merges: np.ndarray, m: int) -> np.ndarray:
    """Merges of slots (in the order found) as a linkage matrix: by height, nodes numbered."""
    order = np.argsort(merges[:, 2], kind="stable")     # children before parents on ties
    parent = np.arange(m)
    node = np.arange(m)
    count = np.ones(m, dtype=np.int64)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    Z = np.empty((m - 1, 4))
    for i, k in enumerate(order):
        ra, rb = find(int(merges[k, 0])), find(int(merges[k, 1]))
        Z[i] = (min(node[ra], node[rb]), max(node[ra], node[rb]), merges[k, 2],
                count[ra] + count[rb])
        parent[rb] = ra
        node[ra] = m + i
        count[ra] += count[rb]
    return Z
