"""Distances: right values for every metric, block by block, and clear refusals."""
import os

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import rankdata

from imgflow.api import Cancelled, Context, WidgetError
from imgflow.data import Column, Table
from imgflow.widgets.common import memory
from imgflow.widgets.common import distance_metrics as metrics
from imgflow.widgets.distances import Distances


def table(X, names=None) -> Table:
    X = np.asarray(X)
    names = names or tuple(f"f{i}" for i in range(X.shape[1]))
    return Table(X, names, (Column.text("image name", [f"r{i}" for i in range(len(X))]),))


def run(t, ctx=None, **settings):
    ctx = ctx or Context()
    result = Distances().compute({"Data": t}, {**Distances.default_settings(), **settings}, ctx)
    return result.outputs["Distances"], ctx


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 16 rows, so even small tests go through several blocks."""
    monkeypatch.setattr(metrics, "WORK_BLOCK_BYTES", 1)


RNG = np.random.default_rng(3)
X = RNG.normal(size=(61, 7))


@pytest.mark.parametrize("metric, reference", [
    ("euclidean", lambda X: pdist(X, "euclidean")),
    ("manhattan", lambda X: pdist(X, "cityblock")),
    ("cosine", lambda X: pdist(X, "cosine")),
    ("pearson", lambda X: pdist(X, "correlation")),
    ("spearman", lambda X: pdist(rankdata(X, axis=1), "correlation")),
    ("hamming", lambda X: pdist(np.round(X), "hamming")),
])
def test_every_metric_matches_scipy_across_blocks(small_blocks, metric, reference):
    data = np.round(X) if metric == "hamming" else X
    d, _ = run(table(data), metric=metric, normalize=False)
    assert d.n == 61 and d.metric == metric
    np.testing.assert_allclose(d.condensed, reference(data), atol=1e-12)


def test_jaccard_on_binary_data(small_blocks):
    B = (RNG.random((40, 9)) > 0.6).astype(float)
    B[0] = B[1] = 0                                  # two empty rows are the same
    d, _ = run(table(B), metric="jaccard")
    expected = pdist(B.astype(bool), "jaccard")
    expected[0] = 0.0
    np.testing.assert_allclose(d.condensed, np.nan_to_num(expected), atol=1e-12)


def test_jaccard_refuses_non_binary_data_naming_a_column():
    with pytest.raises(WidgetError, match="binary.*'f0'"):
        run(table(X), metric="jaccard")


def test_normalised_euclidean_standardises_columns():
    scaled = X * np.array([1, 1000, 1, 1, 1, 1, 1])
    d, _ = run(table(scaled), metric="euclidean", normalize=True)
    z = (scaled - scaled.mean(0)) / scaled.std(0)
    np.testing.assert_allclose(d.condensed, pdist(z), atol=1e-10)


def test_float32_embeddings_give_float32_distances_as_exact_as_the_vectors(small_blocks):
    E = RNG.random((300, 512)).astype(np.float32)
    d, _ = run(table(E), metric="cosine")
    assert d.condensed.dtype == np.float32                 # half the memory of float64
    np.testing.assert_allclose(d.condensed, pdist(E.astype(float), "cosine"), atol=2e-6)
    d, _ = run(table(E), metric="euclidean", normalize=False)
    assert d.condensed.dtype == np.float32
    np.testing.assert_allclose(d.condensed, pdist(E.astype(float)), rtol=1e-5)


def test_float64_data_keeps_float64_distances():
    d, _ = run(table(X), metric="cosine")
    assert d.condensed.dtype == np.float64


def test_a_big_matrix_gets_memory_of_its_own_and_right_values(monkeypatch):
    monkeypatch.setattr(memory, "OWN_MAPPING_BYTES", 1)   # every array takes the mmap path
    d, _ = run(table(X.astype(np.float32)), metric="cosine")
    assert d.condensed.flags.writeable and d.condensed.dtype == np.float32
    np.testing.assert_allclose(d.condensed, pdist(X, "cosine"), atol=2e-6)


def test_between_columns_measures_the_features():
    d, _ = run(table(X), axis="columns", metric="euclidean", normalize=False)
    assert d.n == 7 and d.axis == "columns" and d.labels == tuple(f"f{i}" for i in range(7))
    np.testing.assert_allclose(d.condensed, pdist(X.T), atol=1e-12)


def test_missing_values_are_replaced_by_column_means_with_a_warning():
    M = X[:10].copy()
    M[2, 1] = np.nan
    M[:, 4] = np.nan                                 # a column with nothing in it
    d, ctx = run(table(M), metric="euclidean", normalize=False)
    filled = np.delete(M, 4, axis=1)
    filled[2, 1] = np.nanmean(M[:, 1])
    np.testing.assert_allclose(d.condensed, pdist(filled), atol=1e-12)
    assert "10 row(s) and 2 column(s) have missing values" in ctx.warnings[0]
    assert "1 column(s) with no values were left out" in ctx.warnings[0]


def test_no_features_is_a_clear_error():
    images = Table.from_columns([Column.image("image", ["a.jpg", "b.jpg"])])
    with pytest.raises(WidgetError, match="no numeric features.*Image Embedding"):
        run(images)


def test_a_single_row_is_a_clear_error():
    with pytest.raises(WidgetError, match="at least two rows"):
        run(table(X[:1]))


def test_too_big_a_matrix_is_refused_before_allocating(monkeypatch):
    import imgflow.widgets.common.distance_matrix as module
    monkeypatch.setattr(module, "available_bytes", lambda: 10**9)
    big = Table(np.zeros((100_000, 2), dtype=np.float32), ("a", "b"))
    with pytest.raises(WidgetError) as err:
        run(big)
    message = str(err.value)
    # float32 data: a float32 matrix (20 GB) and a clustering's float64 copy (40 GB)
    assert "100,000 items" in message and "20.0 GB" in message and "40.0 GB" in message
    assert "needs" in message and "1.0 GB is available" in message


def test_available_memory_is_read_from_the_system():
    available = memory.available_bytes()
    assert isinstance(available, int) and available > 10**7
    if hasattr(os, "sysconf"):                                # not more than the machine has
        assert available <= os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def test_when_the_system_cannot_tell_its_memory_the_distances_are_computed(monkeypatch):
    def unknown():
        raise FileNotFoundError("/proc/meminfo")
    monkeypatch.setattr(memory.psutil, "virtual_memory", unknown)
    assert memory.available_bytes() is None
    d, _ = run(table(X))
    np.testing.assert_allclose(d.condensed, pdist(X, "cosine"), rtol=1e-6)


def test_progress_reaches_the_end_and_cancel_stops_between_blocks(small_blocks):
    seen = []
    ctx = Context(on_progress=seen.append)
    run(table(X), ctx)
    assert seen[-1] == pytest.approx(1.0) and len(seen) > 2
    cancelled = Context(on_progress=lambda f: cancelled.cancel())
    with pytest.raises(Cancelled):
        run(table(X), cancelled)


def test_the_output_keeps_the_table_and_reports_its_size():
    t = table(X)
    result = Distances().compute({"Data": t}, Distances.default_settings(), Context())
    assert result.outputs["Distances"].table is t
    assert "61 × 61" in result.info


def test_the_panel_sets_the_metric_and_offers_normalising_only_where_it_applies(qtbot):
    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel
    from imgflow.registry import Registry
    from imgflow.workflow import Workflow

    wf = Workflow(Registry.discover())
    node = wf.add_node("imgflow.distances")
    engine = Engine(wf)
    panel = open_panel(wf, engine, node)
    qtbot.addWidget(panel)
    assert not panel.normalize_box.isEnabled()          # cosine
    panel.metric_buttons["manhattan"].click()
    assert node.settings["metric"] == "manhattan" and panel.normalize_box.isEnabled()
    panel.normalize_box.click()
    assert node.settings["normalize"] is False
    panel.axis_buttons["columns"].click()
    assert node.settings["axis"] == "columns"
    engine.shutdown()
