"""Exports: CSV text as before (compared with the old writer; float32 with 9 digits), formats by
extension, atomic writes, spreadsheet-safe text, empty tables."""
from __future__ import annotations

import csv
import io
import os
import sys

import numpy as np
import pytest

from imgflow.data import Column, Table, printable
from imgflow.data import export
from imgflow.data.export import ExportError


def legacy_csv(table: Table) -> bytes:
    """The CSV writer this replaced, kept to compare: csv.writer over Table.rows()."""
    f = io.StringIO(newline="")
    writer = csv.writer(f)
    writer.writerow([printable(name) for name in table.header()])
    writer.writerows(table.rows())
    return f.getvalue().encode("utf-8")


def mixed_table(n: int = 40) -> Table:
    rng = np.random.default_rng(1)
    X32 = rng.standard_normal((n, 7)).astype(np.float32) * 10.0 ** rng.integers(-6, 8, (n, 7))
    X32[X32 < -500] = 0                       # exact zeros, as ReLU features have
    X32[1, :] = [np.nan, -0.0, 3, -7, 1e-5, 2.5e-4, np.inf]
    X32[2, :3] = [1e15, 9.999e14, 1e16]
    names = [f"photo {i}.jpg" for i in range(n)]
    names[3] = "latin1-\udce9.jpg"            # a file name that is not UTF-8
    names[4] = 'comma, "quote"\nand line'
    names[5] = None
    cats = [("cat", "dog", None, "ünï")[i % 4] for i in range(n)]
    size = rng.integers(0, 10**6, n).astype(float)
    size[6] = np.nan
    size[7] = 0.1
    table = Table(X32, tuple(f"n{i}" for i in range(7)), (
        Column.text("image name", names), Column.categorical("category", cats),
        Column.numeric("size", size), Column.image("image", [f"/p/{x}" for x in range(n)])))
    return table


def written(table: Table, tmp_path, name="out.csv") -> bytes:
    path = tmp_path / name
    table.to_csv(path)
    return path.read_bytes()


def test_float64_csv_is_byte_for_byte_the_old_text(tmp_path, monkeypatch):
    table = mixed_table()
    float64 = Table(table.X.astype(np.float64) / 3, table.feature_names, table.columns)
    assert written(float64, tmp_path) == legacy_csv(float64)
    monkeypatch.setattr(export, "_BLOCK_CELLS", 10)   # many blocks: same text
    assert written(float64, tmp_path) == legacy_csv(float64)


def test_float32_features_read_back_exactly_and_the_rest_is_the_old_text(tmp_path, monkeypatch):
    table = mixed_table()
    table = Table(table.X.astype(np.float32), table.feature_names, table.columns)
    ours = list(csv.reader(io.StringIO(written(table, tmp_path).decode("utf-8"))))
    old = list(csv.reader(io.StringIO(legacy_csv(table).decode("utf-8"))))
    width = table.X.shape[1]
    assert [row[:-width] for row in ours] == [row[:-width] for row in old]
    cells = np.array([[c or "nan" for c in row[-width:]] for row in ours[1:]])
    back = cells.astype(np.float64).astype(np.float32)
    np.testing.assert_array_equal(back, table.X)          # every float32, NaN and inf included
    assert max(len(c) for c in cells.ravel()) <= len("-1.23456789e-05")  # 9 digits, not 17
    assert ours[2][-width:][:4] == ["", "0", "3", "-7"]   # missing empty, -0 and whole numbers plain
    monkeypatch.setattr(export, "_BLOCK_CELLS", 10)
    assert list(csv.reader(io.StringIO(written(table, tmp_path).decode("utf-8")))) == ours


@pytest.mark.parametrize("table", [
    Table.from_columns([Column.text("only", ["a", None, ""])]),      # a lone empty field
    Table(np.array([[np.nan], [1.5]]), ("x",)),
    Table(np.zeros((0, 3)), ("a", "b", "c")),
    Table.from_columns([]),
], ids=["one text column", "one number column", "no rows", "nothing"])
def test_edge_tables_match_the_old_text(table, tmp_path):
    assert written(table, tmp_path) == legacy_csv(table)


def test_an_empty_table_writes_its_header(tmp_path):
    table = mixed_table().subset([])
    rows = list(csv.reader(io.StringIO(written(table, tmp_path).decode())))
    assert rows == [table.header()]


def test_text_that_a_spreadsheet_would_run_is_written_as_text(tmp_path):
    table = Table.from_columns([Column.text("name", ["=HYPERLINK(\"x\")", "+1", "-2", "@A1",
                                                      "plain", "a=b"])])
    rows = list(csv.reader(io.StringIO(written(table, tmp_path).decode())))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@A1", "plain", "a=b"]
    numbers = Table(np.array([[-1.5]]), ("n0",))       # numbers are numbers, not text
    assert written(numbers, tmp_path).decode().splitlines()[1] == "-1.5"


def test_a_failed_export_leaves_the_old_file_and_no_litter(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_text("precious")

    def broken(block):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(export, "_float_rows", broken)
    with pytest.raises(OSError):
        mixed_table().to_csv(path)
    assert path.read_text() == "precious"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_an_export_keeps_the_usual_file_permissions(tmp_path):
    mixed_table().to_csv(tmp_path / "out.csv")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o666 & ~umask


def test_npy_holds_the_numeric_columns(tmp_path):
    table = mixed_table()
    table.export(tmp_path / "out.npy")
    matrix = np.load(tmp_path / "out.npy", allow_pickle=False)
    expected = np.column_stack([table.column("size").data, table.X.astype(np.float64)])
    np.testing.assert_array_equal(matrix, expected)
    text_only = Table.from_columns([Column.text("name", ["a"])])
    with pytest.raises(ExportError, match="no numeric columns"):
        text_only.export(tmp_path / "text.npy")
    assert not (tmp_path / "text.npy").exists()


def test_parquet_round_trips(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    table = mixed_table()
    table.export(tmp_path / "out.parquet")
    back = pq.read_table(tmp_path / "out.parquet")
    assert back.column_names == [printable(n) for n in table.header()]
    np.testing.assert_array_equal(np.column_stack([back.column(n).to_numpy()
                                                   for n in table.feature_names]), table.X)
    assert back.column("image name").to_pylist()[3:6] == [
        "latin1-\\xe9.jpg", 'comma, "quote"\nand line', None]
    assert back.column("category").to_pylist()[:4] == ["cat", "dog", None, "ünï"]


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ExportError, match=r"pip install 'imgflow\[parquet\]'"):
        mixed_table().export(tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def test_to_numpy_and_to_pandas(tmp_path):
    table = mixed_table()
    matrix = table.to_numpy()
    np.testing.assert_array_equal(matrix, table.X)
    matrix[0, 0] = 123                      # a copy: the table is unchanged
    assert table.X[0, 0] != 123
    pd = pytest.importorskip("pandas")
    frame = table.to_pandas()
    assert list(frame.columns) == table.header()
    assert frame["image name"][3] == "latin1-\udce9.jpg"   # exactly what the table holds
    assert list(frame["category"].cat.categories) == list(table.column("category").categories)
    np.testing.assert_array_equal(frame[list(table.feature_names)].to_numpy(), table.X)
