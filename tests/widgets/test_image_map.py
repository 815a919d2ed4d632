"""Image Map, headless: neighbourhoods survive, grid snapping, selection, bad input."""
from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from imgflow.api import Cancelled, Context, WidgetError
from imgflow.data import Column, Table
import imgflow.widgets.image_map as map_module
from imgflow.widgets.image_map import ImageMap
from imgflow.widgets.image_map import grid as grid_module
from imgflow.widgets.image_map.grid import snap_to_grid

RNG = np.random.default_rng(3)
KINDS = np.repeat(np.arange(4), 30)
CENTRES = RNG.gamma(1.0, 1.0, (4, 64))
BLOBS = np.maximum(CENTRES[KINDS] + RNG.normal(0, 0.35, (len(KINDS), 64)), 0)


def blob_table(X=BLOBS, images=True) -> Table:
    n = len(X)
    columns = [Column.categorical("kind", [f"k{k}" for k in KINDS[:n]], role="meta")]
    if images:
        columns.append(Column.image("image", [f"/photos/{i}.jpg" for i in range(n)]))
    return Table(X, [f"f{i}" for i in range(X.shape[1])], columns)


def run(table, widget=None, ctx=None, **settings):
    widget = widget or ImageMap()
    ctx = ctx or Context()
    result = widget.compute({"Data": table}, {**ImageMap.default_settings(), **settings}, ctx)
    return result, ctx


def neighbour_agreement(xy, labels, k=5) -> float:
    """Mean share of each point's k nearest points (in the map) that have its label."""
    _, near = cKDTree(xy).query(xy, k + 1)
    return float((labels[near[:, 1:]] == labels[:, None]).mean())


def test_tsne_puts_rows_of_a_kind_together_and_outputs_x_y_for_every_row():
    table = blob_table()
    result, _ = run(table, method="tsne")
    data = result.outputs["Data"]
    assert len(data) == len(table) and np.array_equal(data.ids, table.ids)
    x, y = data.column("x"), data.column("y")
    assert (x.kind, x.role, y.kind, y.role) == ("numeric", "meta", "numeric", "meta")
    assert np.isfinite(x.data).all() and np.isfinite(y.data).all()
    assert neighbour_agreement(np.column_stack([x.data, y.data]), KINDS) > 0.95
    assert result.outputs["Selected Data"] is None


def test_the_same_seed_gives_the_same_map_and_another_seed_another():
    table = blob_table()
    first = run(table, method="tsne", seed=1)[0].view.xy
    again = run(table, method="tsne", seed=1)[0].view.xy
    other = run(table, method="tsne", seed=2)[0].view.xy
    np.testing.assert_allclose(first, again)
    assert not np.allclose(first, other)


def test_pca_is_the_top_two_principal_directions_of_the_normalised_rows():
    X = RNG.normal(size=(40, 6)) * [10, 5, 1, 1, 1, 1]
    xy = run(blob_table(X, images=False), method="pca")[0].view.xy
    rows = X / np.linalg.norm(X, axis=1, keepdims=True)
    centred = rows - rows.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ vt[:2].T
    # directions are defined up to sign
    np.testing.assert_allclose(np.abs(xy), np.abs(expected), atol=1e-8)


def test_umap_keeps_kinds_together_when_installed():
    pytest.importorskip("umap")
    xy = run(blob_table(), method="umap")[0].view.xy
    assert neighbour_agreement(xy, KINDS) > 0.95


def test_umap_missing_says_so_in_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "umap", None)      # import umap -> ImportError
    with pytest.raises(WidgetError, match=r"umap-learn.*pip install 'imgflow\[umap\]'") as info:
        run(blob_table(), method="umap")
    assert "\n" not in str(info.value)


# -- the grid --------------------------------------------------------------------------


def test_grid_gives_each_row_its_own_cell_and_keeps_neighbours():
    result, _ = run(blob_table(), method="tsne", layout="grid")
    xy = result.view.xy
    assert np.array_equal(xy, np.round(xy)) and (xy >= 0).all()
    assert len({tuple(p) for p in xy}) == len(xy)
    # cells on a kind's border have other kinds among their 5 nearest; chance is 0.25
    assert neighbour_agreement(xy, KINDS) > 0.75
    data = result.outputs["Data"]
    np.testing.assert_array_equal(data.column("x").data, xy[:, 0])


def test_small_grids_are_the_optimal_linear_assignment():
    points = RNG.uniform(0, 1, (30, 2))
    cells = snap_to_grid(points)
    columns, rows = grid_module.grid_shape(points)
    gx, gy = np.meshgrid(np.arange(columns), np.arange(rows))
    every = np.column_stack([gx.ravel(), gy.ravel()]).astype(float)
    scaled = (points - points.min(0)) / np.ptp(points, 0) * [columns, rows]
    cost = cdist(scaled, every + 0.5, "sqeuclidean")
    r, c = linear_sum_assignment(cost)
    ours = cdist(scaled, cells + 0.5, "sqeuclidean").diagonal().sum()
    assert ours == pytest.approx(cost[r, c].sum())


def test_large_grids_are_solved_blockwise_and_still_keep_neighbours(monkeypatch):
    monkeypatch.setattr(grid_module, "LEAF_CELLS", 16)
    labels = np.repeat(np.arange(5), 60)
    centres = RNG.uniform(0, 20, (5, 2))
    points = centres[labels] + RNG.normal(0, 1, (300, 2))
    cells = snap_to_grid(points)
    columns, rows = grid_module.grid_shape(points)
    assert len({tuple(p) for p in cells}) == 300
    assert (cells[:, 0] < columns).all() and (cells[:, 1] < rows).all()
    assert neighbour_agreement(cells, labels) > 0.85


def test_points_already_on_a_grid_stay_where_they_are():
    gx, gy = np.meshgrid(np.arange(6), np.arange(4))
    points = np.column_stack([gx.ravel(), gy.ravel()]).astype(float) * 3.0
    np.testing.assert_array_equal(snap_to_grid(points), points / 3.0)


# -- selection and re-runs ------------------------------------------------------------


def test_selection_by_images_gives_selected_data_with_coordinates():
    table = blob_table()
    result, _ = run(table, method="pca", selection=["/photos/3.jpg", "/photos/7.jpg", "/gone.jpg"])
    chosen = result.outputs["Selected Data"]
    assert list(chosen.column("image").data) == ["/photos/3.jpg", "/photos/7.jpg"]
    assert np.array_equal(chosen.ids, table.ids[[3, 7]])
    assert chosen.has_column("x") and chosen.has_column("y")
    assert "2 selected" in result.info


def test_without_images_the_selection_is_row_numbers():
    table = blob_table(images=False)
    result, _ = run(table, method="pca", selection=[0, 5, 999])
    assert np.array_equal(result.outputs["Selected Data"].ids, table.ids[[0, 5]])
    assert map_module.selection_setting(table, "", [5, 0]) == [0, 5]


def test_a_new_selection_does_not_lay_the_map_out_again(monkeypatch):
    import imgflow.widgets.image_map.projection as projection
    calls = []
    real = projection.project
    monkeypatch.setattr(projection, "project", lambda *a: calls.append(1) or real(*a))
    widget, table = ImageMap(), blob_table()
    first = run(table, widget, method="pca")[0].view.xy
    second = run(table, widget, method="pca", selection=["/photos/1.jpg"])[0].view.xy
    assert len(calls) == 1 and second is first
    run(table, widget, method="pca", seed=4)
    run(blob_table(), widget, method="pca", seed=4)          # other data, same settings
    assert len(calls) == 3


def test_cancel_stops_tsne_midway():
    def on_progress(fraction):
        if fraction > 0.15:
            ctx.cancel()
    ctx = Context(on_progress=on_progress)
    with pytest.raises(Cancelled):
        run(blob_table(), ctx=ctx, method="tsne")


# -- bad input ------------------------------------------------------------------------


def test_a_table_without_numeric_columns_is_refused_with_a_hint():
    table = Table.from_columns([Column.text("image name", ["a", "b", "c"])])
    with pytest.raises(WidgetError, match="no numeric columns.*Image Embedding"):
        run(table)


@pytest.mark.parametrize("method", ["tsne", "umap", "pca"])
def test_a_single_row_is_refused(method):
    with pytest.raises(WidgetError, match="at least .* rows; the data has 1"):
        run(blob_table(BLOBS[:1]), method=method)


def test_two_rows_are_too_few_for_tsne_but_pca_maps_them():
    with pytest.raises(WidgetError, match="t-SNE needs at least 5 rows; the data has 2. "
                                          "Choose PCA"):
        run(blob_table(BLOBS[:2]), method="tsne")
    result, _ = run(blob_table(BLOBS[:2]), method="pca", layout="grid")
    assert len({tuple(p) for p in result.view.xy}) == 2


def test_missing_values_are_filled_with_a_warning_and_every_row_is_mapped():
    X = BLOBS.copy()
    X[4, :10] = np.nan
    X[:, 7] = np.nan
    result, ctx = run(blob_table(X), method="tsne")
    assert np.isfinite(result.view.xy).all()
    assert any("missing values" in w for w in ctx.warnings)


def test_all_missing_or_infinite_values_are_refused():
    with pytest.raises(WidgetError, match="missing"):
        run(blob_table(np.full((10, 3), np.nan)), method="pca")
    X = BLOBS.copy()
    X[2, 2] = np.inf
    with pytest.raises(WidgetError, match="infinite"):
        run(blob_table(X), method="pca")


@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_identical_rows_give_a_map_not_an_error(method):
    result, _ = run(blob_table(np.ones((12, 5)), images=False), method=method, layout="grid")
    assert np.isfinite(result.view.xy).all() and len({tuple(p) for p in result.view.xy}) == 12


def test_a_feature_named_x_is_a_clear_error():
    table = Table(BLOBS[:, :2], ("x", "z"))
    with pytest.raises(WidgetError, match="feature named 'x'"):
        run(table, method="pca")


def test_coordinates_replace_those_of_an_earlier_map():
    once = run(blob_table(), method="pca")[0].outputs["Data"]
    twice = run(once, method="pca", layout="grid")[0].outputs["Data"]
    assert [c.name for c in twice.columns].count("x") == 1
    assert np.array_equal(twice.column("x").data, np.round(twice.column("x").data))


def test_large_sets_use_fft_forces_and_approximate_neighbours(monkeypatch):
    """From 10,000 rows t-SNE must not use Barnes-Hut or exact (n x n) neighbours; the
    options reach openTSNE (the layout itself is replaced: 100,000 rows take minutes)."""
    import openTSNE

    given = {}

    class Recording:
        def __init__(self, **options):
            given.update(options)

        def fit(self, X):
            return np.zeros((len(X), 2))

    monkeypatch.setattr(openTSNE, "TSNE", Recording)
    X = np.random.default_rng(0).normal(size=(12_000, 8))
    from imgflow.widgets.image_map.projection import project
    project(X, "tsne", 0, Context())
    assert given["negative_gradient_method"] == "fft" and given["neighbors"] == "annoy"
    project(X[:500], "tsne", 0, Context())
    assert given["negative_gradient_method"] == "bh"
