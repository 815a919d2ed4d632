"""Two numbers per row: t-SNE, UMAP or PCA of a table's features.

Rows are L2-normalised first, so that Euclidean distance in the projection's
input ranks neighbours as cosine distance does (the metric that suits image
embeddings), then reduced to at most 50 principal components: t-SNE and UMAP
run on those, which is faster and drops noise.  t-SNE is openTSNE's (chosen
by measurement; see benchmarks/image_map.py); UMAP is an optional extra.
"""
from __future__ import annotations

import os

import numpy as np

from imgflow.api import Context, WidgetError

METHODS = {"tsne": "t-SNE", "umap": "UMAP", "pca": "PCA"}
MIN_ROWS = {"tsne": 5, "umap": 5, "pca": 2}   # fewer have no neighbourhoods to keep
PCA_COMPONENTS = 50
TSNE_ITERATIONS = (250, 500)                  # openTSNE's: early exaggeration, then the rest
CALLBACK_EVERY = 25
FFT_ROWS = 10_000                             # openTSNE's own switch from Barnes-Hut to FFT
UMAP_MISSING = ("UMAP needs the optional package umap-learn (pip install 'imgflow[umap]'); "
                "choose t-SNE or PCA, or install it.")


def check_rows(n: int, method: str) -> None:
    need = MIN_ROWS[method]
    if n < need:
        hint = " Choose PCA for so few." if method != "pca" and n >= MIN_ROWS["pca"] else ""
        raise WidgetError(f"{METHODS[method]} needs at least {need} rows; the data has {n}.{hint}")


def normalized(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero)."""
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def principal_components(X: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The first k principal component scores (fewer when the data has fewer)."""
    from sklearn.decomposition import PCA

    k = max(1, min(k, X.shape[0], X.shape[1]))
    scores = PCA(n_components=k, random_state=seed).fit_transform(X)
    if scores.shape[1] < 2:          # one feature or one distinct row: a flat line is honest
        scores = np.hstack([scores, np.zeros((len(scores), 2 - scores.shape[1]))])
    return scores


def project(X: np.ndarray, method: str, seed: int, ctx: Context) -> np.ndarray:
    """An (n, 2) layout of the rows of X (which has no missing values)."""
    check_rows(len(X), method)
    X = normalized(X)
    if method == "umap":
        umap = _import_umap()
    ctx.progress(0.02)
    reduced = principal_components(X, PCA_COMPONENTS if method != "pca" else 2, seed)
    ctx.check()
    ctx.progress(0.08)
    if method == "pca" or np.ptp(reduced, axis=0).max() == 0:
        return reduced[:, :2]          # identical rows: nothing for t-SNE or UMAP to spread
    if method == "tsne":
        return _tsne(reduced, seed, ctx)
    return _umap(umap, reduced, seed, ctx)


def _tsne(X: np.ndarray, seed: int, ctx: Context) -> np.ndarray:
    from openTSNE import TSNE

    total = sum(TSNE_ITERATIONS)
    done = [0]

    def callback(iteration, error, embedding):
        done[0] += CALLBACK_EVERY
        ctx.check()                    # raises Cancelled out of openTSNE's loop
        ctx.progress(0.1 + 0.9 * min(done[0] / total, 1.0))
        return False

    # openTSNE needs 3 * perplexity < n; 30 is its default for larger sets
    perplexity = min(30.0, (len(X) - 1) / 3.0 - 0.01)
    tsne = TSNE(n_components=2, perplexity=perplexity, early_exaggeration_iter=TSNE_ITERATIONS[0],
                n_iter=TSNE_ITERATIONS[1], initialization="pca", random_state=seed,
                **scalable_options(len(X)),
                n_jobs=_threads(len(X)), callbacks=callback,
                callbacks_every_iters=CALLBACK_EVERY, verbose=False)
    return np.asarray(tsne.fit(X), dtype=np.float64)


def scalable_options(n: int) -> dict:
    """openTSNE's ways for n rows, named rather than left to its "auto" (which picks the
    same today): from FFT_ROWS rows the repulsive forces are interpolated on a grid
    (FFT, about linear in n) instead of a Barnes-Hut tree (n log n, slower above some
    ten thousand), and from 1,000 rows the affinities come from approximate neighbours
    (Annoy): a sparse matrix of about 90 neighbours a row, never the n x n one."""
    return {"negative_gradient_method": "fft" if n >= FFT_ROWS else "bh",
            "neighbors": "annoy" if n >= 1000 else "exact"}


def _threads(n: int) -> int:
    # Threads pay off only for larger sets; for a few hundred rows they cost more than they save.
    return 1 if n < 1000 else (os.cpu_count() or 1)


def _import_umap():
    try:
        import umap
    except ImportError:
        raise WidgetError(UMAP_MISSING) from None
    return umap


def _umap(umap, X: np.ndarray, seed: int, ctx: Context) -> np.ndarray:
    ctx.progress(0.2)
    neighbours = max(2, min(15, len(X) - 1))
    model = umap.UMAP(n_components=2, n_neighbors=neighbours, random_state=seed, n_jobs=1)
    layout = model.fit_transform(X)
    ctx.check()
    return np.asarray(layout, dtype=np.float64)
