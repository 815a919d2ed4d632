import csv

import numpy as np
import pytest

from imgflow.data import Column, Distances, Table


def image_table(n=4):
    return Table.from_columns([
        Column.text("image name", [f"img{i}" for i in range(n)]),
        Column.image("image", [f"/photos/img{i}.jpg" for i in range(n)]),
        Column.numeric("size", [100 * (i + 1) for i in range(n)]),
        Column.categorical("category", ["cat", "dog"] * (n // 2)),
    ])


def test_rows_get_unique_ids_that_subsets_keep():
    a, b = image_table(), image_table()
    assert len(set(a.ids) | set(b.ids)) == 8
    sub = a.subset([3, 1])
    assert list(sub.ids) == [a.ids[3], a.ids[1]]
    assert list(sub.column("image name").data) == ["img3", "img1"]
    assert list(a.subset_by_ids([a.ids[2], a.ids[0]]).ids) == [a.ids[0], a.ids[2]]
    mask = np.array([True, False, True, False])
    assert list(a.subset(mask).ids) == [a.ids[0], a.ids[2]]


def test_add_features_appends_columns_and_keeps_rows():
    t = image_table()
    emb = t.add_features([f"n{i}" for i in range(3)], np.arange(12, dtype=np.float32).reshape(4, 3))
    assert emb.feature_names == ("n0", "n1", "n2")
    assert emb.X.dtype == np.float32
    assert list(emb.ids) == list(t.ids)
    assert emb.column("category").categories == ("cat", "dog")
    with pytest.raises(ValueError, match="4x2"):
        t.add_features(["a", "b"], np.zeros((3, 2)))


def test_duplicate_names_and_wrong_lengths_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        Table(np.zeros((2, 1)), ("size",), (Column.numeric("size", [1, 2]),))
    with pytest.raises(ValueError, match="rows"):
        Table(np.zeros((2, 0)), (), (Column.numeric("size", [1, 2, 3]),))


def test_csv_export_has_header_all_columns_and_row_order(tmp_path):
    t = image_table().add_features(["n0"], np.array([[0.5], [1.0], [np.nan], [2.25]]))
    path = tmp_path / "out.csv"
    t.subset([2, 0]).to_csv(path)
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["image name", "image", "size", "category", "n0"]
    assert rows[1] == ["img2", "/photos/img2.jpg", "300", "cat", ""]
    assert rows[2] == ["img0", "/photos/img0.jpg", "100", "cat", "0.5"]


def test_missing_values_are_counted():
    t = Table.from_columns([Column.numeric("w", [1, np.nan]), Column.text("n", ["a", None])])
    assert t.missing_count() == 2


def test_distances_round_trip_between_square_and_condensed():
    m = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], dtype=float)
    d = Distances.from_matrix(m)
    assert list(d.condensed) == [1, 2, 3]
    assert np.array_equal(d.matrix(), m)
    with pytest.raises(ValueError, match="one row per item"):
        Distances.from_matrix(m, table=image_table(4))
