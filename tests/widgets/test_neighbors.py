"""Neighbors: the right k rows per reference, block by block, and clear refusals."""
import numpy as np
import pytest
from scipy.spatial.distance import cdist

from imgflow.api import Cancelled, Context, WidgetError
from imgflow.data import Column, Table
from imgflow.widgets.common import distance_metrics as metrics
from imgflow.widgets.neighbors import Neighbors

RNG = np.random.default_rng(5)


def table(X, names=None, images=None) -> Table:
    X = np.asarray(X)
    columns = []
    if names is not False:
        columns.append(Column.text("image name", names or [f"r{i}" for i in range(len(X))]))
    if images is not None:
        columns.append(Column.image("image", images))
    return Table(X, tuple(f"n{i}" for i in range(X.shape[1])), tuple(columns))


def run(data, reference, ctx=None, **settings):
    ctx = ctx or Context()
    result = Neighbors().compute({"Data": data, "Reference": reference},
                                 {**Neighbors.default_settings(), **settings}, ctx)
    return result.outputs["Neighbors"], ctx


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(metrics, "WORK_BLOCK_BYTES", 1)     # blocks of 16 queries


@pytest.mark.parametrize("metric, scipy_metric", [
    ("cosine", "cosine"), ("euclidean", "euclidean"), ("manhattan", "cityblock"),
    ("pearson", "correlation")])
def test_each_reference_gets_its_k_nearest_rows_sorted_by_distance(small_blocks, metric,
                                                                   scipy_metric):
    D, R = RNG.normal(size=(70, 6)), RNG.normal(size=(23, 6))
    out, _ = run(table(D), table(R, [f"q{i}" for i in range(23)]), k=4, metric=metric)
    expected = cdist(R, D, scipy_metric)
    assert len(out) == 23 * 4
    refs = out.column("reference").data
    assert list(refs) == [f"q{i}" for i in range(23) for _ in range(4)]
    names = out.column("image name").data
    for q in range(23):
        best = np.argsort(expected[q])[:4]
        assert list(names[4 * q:4 * q + 4]) == [f"r{i}" for i in best]
        np.testing.assert_allclose(out.column("distance").data[4 * q:4 * q + 4],
                                   expected[q, best], atol=1e-9)


def test_the_same_table_on_both_inputs_never_finds_a_row_itself():
    D = RNG.normal(size=(30, 5))
    t = table(D)
    out, _ = run(t, t, k=3)
    pairs = list(zip(out.column("reference").data, out.column("image name").data))
    assert len(pairs) == 90 and all(a != b for a, b in pairs)
    # with exclusion off, each row's nearest is itself at distance 0
    out, _ = run(t, t, k=1, exclude_references=False)
    assert list(out.column("image name").data) == list(out.column("reference").data)
    assert np.allclose(out.column("distance").data, 0, atol=1e-9)


def test_a_reference_of_the_same_image_file_is_excluded_though_its_row_differs():
    D = RNG.normal(size=(5, 4))
    paths = [f"/photos/{i}.jpg" for i in range(5)]
    data = table(D, images=paths)
    reference = table(D[:1] + 1e-6, ["query"], images=paths[:1])   # re-embedded: new row id
    out, _ = run(data, reference, k=2)
    assert "r0" not in out.column("image name").data


def test_ids_of_data_rows_are_kept_so_selections_trace_back():
    D = RNG.normal(size=(12, 3))
    data = table(D)
    out, _ = run(data, table(D[:2]), k=3)
    assert set(out.ids) <= set(data.ids)


def test_reference_without_names_is_numbered_from_one():
    D = RNG.normal(size=(8, 3))
    out, _ = run(table(D), table(D[:3] + 5, names=False), k=2)
    assert list(out.column("reference").data) == ["1", "1", "2", "2", "3", "3"]


def test_columns_in_another_order_are_matched_by_name():
    D = RNG.normal(size=(9, 3))
    data = table(D)
    shuffled = Table(D[:, [2, 0, 1]], ("n2", "n0", "n1"))
    out, _ = run(data, shuffled, k=1, exclude_references=False)
    assert list(out.column("image name").data) == [f"r{i}" for i in range(9)]


def test_different_columns_are_a_clear_error_naming_them():
    with pytest.raises(WidgetError, match="different numeric columns.*only Reference has 'n3'"):
        run(table(RNG.normal(size=(5, 3))), table(RNG.normal(size=(2, 4))))


def test_tables_without_numeric_columns_are_a_clear_error():
    images = Table.from_columns([Column.image("image", ["a.jpg", "b.jpg"])])
    with pytest.raises(WidgetError, match="Data has no numeric columns.*Image Embedding"):
        run(images, images)


def test_a_single_row_on_both_inputs_has_no_neighbours_and_says_so():
    t = table(RNG.normal(size=(1, 3)))
    out, ctx = run(t, t)
    assert out is None and "No neighbours" in ctx.warnings[0]


def test_fewer_rows_than_k_give_what_there_is_with_a_warning():
    t = table(RNG.normal(size=(4, 3)))
    out, ctx = run(t, t, k=10)
    assert len(out) == 4 * 3
    assert "fewer than 10 neighbours" in ctx.warnings[0]


def test_missing_values_are_filled_by_column_means_with_a_warning():
    D = RNG.normal(size=(10, 3))
    D[3, 1] = np.nan
    out, ctx = run(table(D), table(D[:2]), k=2)
    assert np.isfinite(out.column("distance").data).all()
    assert "missing values" in ctx.warnings[0]


def test_progress_ends_at_one_and_cancel_stops_between_blocks(small_blocks):
    t = table(RNG.normal(size=(60, 4)))
    seen = []
    run(t, t, Context(on_progress=seen.append))
    assert seen[-1] == pytest.approx(1.0) and len(seen) > 2
    cancelled = Context(on_progress=lambda f: cancelled.cancel())
    with pytest.raises(Cancelled):
        run(t, t, cancelled)


def test_precision_on_real_photos(shared_data):
    """Every photo of animals4 as reference: most of its 10 neighbours share its folder
    (measured 0.969; benchmarks/neighbors.py prints the figure)."""
    from tests.widgets.real_embeddings import embedded_folder

    t = embedded_folder(shared_data / "animals4")
    out, _ = run(t, t, k=10)
    assert len(out) == 10 * len(t)
    reference_category = np.repeat(t.column("category").data, 10)
    assert np.mean(reference_category == out.column("category").data) > 0.8


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "pearson", "spearman"])
@pytest.mark.parametrize("same, data_block", [(True, None), (False, None), (False, 700)],
                         ids=["same table", "two tables", "two tables, data in blocks"])
def test_faiss_search_finds_what_brute_force_finds(monkeypatch, metric, same, data_block):
    """Embedding-like float32 data: faiss's neighbours and distances are the blockwise ones
    (also when Data is prepared a block at a time, as a million rows are)."""
    from imgflow.widgets.neighbors import search

    D = RNG.normal(size=(3000, 48)).astype(np.float32)
    data = table(D)
    reference = data if same else table(RNG.normal(size=(300, 48)).astype(np.float32))
    if data_block:
        monkeypatch.setattr(search, "DATA_BLOCK", data_block)
    found, _ = run(data, reference, k=10, metric=metric)
    monkeypatch.setattr(search, "FAISS_METRICS", ())          # today's blockwise products
    expected, _ = run(data, reference, k=10, metric=metric)
    assert len(found) == len(expected) == 10 * len(reference)
    np.testing.assert_allclose(found.column("distance").data, expected.column("distance").data,
                               rtol=1e-6, atol=1e-6)
    # the same rows, ties aside (Spearman's ranks tie often): a row that differs is
    # tied with another neighbour of its reference, or with the k-th
    differ = np.flatnonzero(found.ids != expected.ids)
    distance = expected.column("distance").data.reshape(-1, 10)
    for at in differ:
        row = distance[at // 10]
        assert np.isclose(row, row[at % 10], rtol=0, atol=1e-6).sum() > 1 \
            or np.isclose(row[at % 10], row[-1], atol=1e-6)
    assert len(differ) < 0.01 * len(found) or metric == "spearman"
    if same:
        pairs = zip(found.column("reference").data, found.column("image name").data)
        assert all(a != b for a, b in pairs)


def test_a_reference_excluding_many_rows_still_gets_k_others(small_blocks):
    """The same image file in many rows: all of them are left out, k others still found."""
    D = RNG.normal(size=(400, 8)).astype(np.float32)
    images = ["same.jpg"] * 60 + [f"{i}.jpg" for i in range(340)]
    data = table(D, images=images)
    out, _ = run(data, data.subset(np.arange(1)), k=10)
    names = list(out.column("image name").data)
    assert len(names) == 10 and not {f"r{i}" for i in range(60)} & set(names)
    expected = np.argsort(cdist(D[:1], D[60:], "cosine")[0])[:10] + 60
    assert names == [f"r{i}" for i in expected]
