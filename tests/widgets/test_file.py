"""File: reads back what --export writes, kinds included; reads other CSVs; runs headless."""
import csv

import numpy as np
import pytest

from imgflow.api import Context, WidgetError
from imgflow.data import Column, Table
from imgflow.data import reading
from imgflow.data.reading import description_path, read_table, write_description
from imgflow.widgets.file import File


def exported_table(rows=7) -> Table:
    rng = np.random.default_rng(2)
    names = [f"img{i}" for i in range(rows)]
    names[1], names[2], names[3] = "=cmd|x", "a, \"quoted\"\nline", None
    return Table(rng.normal(size=(rows, 5)).astype(np.float32), tuple(f"n{j}" for j in range(5)), (
        Column.text("image name", names),
        Column.image("image", [f"/photos/{n}.jpg" for n in range(rows)]),
        Column.numeric("size", rng.integers(1, 10**6, rows).astype(float)),
        Column.categorical("category", ["cats", "dogs"] * (rows // 2) + ["cats"] * (rows % 2)),
        Column.categorical("Cluster", (["C2", "C10", None] * rows)[:rows], role="meta",
                           categories=("C1", "C2", "C10", "C3"))))


def export(table: Table, path) -> None:
    """What `imgflow run --export` writes (Table.export where the core has it)."""
    suffix = path.suffix
    if hasattr(table, "export"):
        table.export(path)
    elif suffix == ".csv":
        table.to_csv(path)
    elif suffix == ".npy":
        numeric = [c.data for c in table.columns if c.kind == "numeric"]
        np.save(path, np.hstack([np.column_stack(numeric), table.X]), allow_pickle=False)
    else:
        pa, pq = pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.parquet")
        arrays = [pa.array(c.data, type=pa.float64()) if c.kind == "numeric" else
                  pa.array(list(c.data), type=pa.string()) for c in table.columns]
        arrays = [a.dictionary_encode() if c.kind == "categorical" else a
                  for a, c in zip(arrays, table.columns)]
        arrays += [pa.array(table.X[:, j]) for j in range(table.n_features)]
        pq.write_table(pa.Table.from_arrays(arrays, names=table.header()), path)
    write_description(table, path)


def load(file, **settings) -> tuple[Table, list[str]]:
    ctx = Context(workflow_dir=file.parent)
    result = File().compute({}, {**File.default_settings(), "path": str(file), **settings}, ctx)
    return result.outputs["Data"], ctx.warnings


def assert_same(a: Table, b: Table, numeric_only=False) -> None:
    assert a.feature_names == b.feature_names
    assert a.X.dtype == b.X.dtype
    np.testing.assert_array_equal(a.X, b.X)
    expected = [c for c in b.columns if c.kind == "numeric" or not numeric_only]
    assert [(c.name, c.kind, c.role, c.categories) for c in a.columns] == \
        [(c.name, c.kind, c.role, c.categories) for c in expected]
    for got, want in zip(a.columns, expected):
        if want.kind == "numeric":
            np.testing.assert_array_equal(got.data, want.data)
        else:
            assert list(got.data) == list(want.data)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_export_reads_back_as_it_was_kinds_included(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow.parquet")
    table = exported_table()
    export(table, tmp_path / f"out{suffix}")
    loaded, warnings = load(tmp_path / f"out{suffix}")
    assert warnings == []
    assert_same(loaded, table)


def test_an_npy_export_reads_back_its_numbers_with_their_names(tmp_path):
    table = exported_table()
    export(table, tmp_path / "out.npy")
    loaded, warnings = load(tmp_path / "out.npy")
    assert warnings == []
    assert_same(loaded, table, numeric_only=True)


def test_a_relative_path_is_read_beside_the_workflow(tmp_path):
    export(exported_table(), tmp_path / "out.csv")
    loaded, _ = load(tmp_path / "out.csv", path="out.csv")
    assert len(loaded) == 7


def test_any_csv_loads_numbers_as_features_and_guesses_the_rest(tmp_path):
    path = tmp_path / "mine.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "label", "note", "x", "y"])
        for i in range(40):
            w.writerow([f"pics/{i}.png", ["a", "b"][i % 2], f"note {i}", i * 0.5, "" if i == 3 else -i])
    loaded, warnings = load(path)
    assert loaded.feature_names == ("x", "y")
    assert loaded.X.dtype == np.float64 and np.isnan(loaded.X[3, 1]) and loaded.X[5, 0] == 2.5
    kinds = {c.name: c.kind for c in loaded.columns}
    assert kinds == {"file": "image", "label": "categorical", "note": "text"}
    assert loaded.column("label").categories == ("a", "b")
    assert warnings == []


def test_a_csv_is_read_in_blocks_into_one_matrix(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    table = Table(rng.normal(size=(3000, 8)).astype(np.float32), tuple(f"d{j}" for j in range(8)),
                  (Column.text("image name", [f"i{k}" for k in range(3000)]),))
    export(table, tmp_path / "big.csv")
    monkeypatch.setattr(reading, "BLOCK_CELLS", 90)          # 10 rows a block: 300 blocks
    seen = []
    loaded, _ = read_table(tmp_path / "big.csv", progress=seen.append)
    assert_same(loaded, table)
    assert len(seen) > 100 and seen == sorted(seen)


def test_kinds_are_guessed_from_the_first_block_and_later_non_numbers_are_missing(
        tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "BLOCK_CELLS", 2)           # blocks of 16 rows
    path = tmp_path / "t.csv"
    path.write_text("x,y,z\n" + "".join(f"{i},{i},{i}\n" for i in range(30)) + "oops,3,\n"
                    + "1,2,three\n")
    loaded, warnings = load(path)
    assert loaded.feature_names == ("x", "y", "z")
    assert np.isnan(loaded.X[30, 0]) and loaded.X[30, 1] == 3 and np.isnan(loaded.X[30, 2])
    assert warnings == ["'x': 1 value(s) that are not numbers were read as missing.",
                        "'z': 1 value(s) that are not numbers were read as missing."]
    path.write_text("x,y\n1,2\noops,3\n")                    # in the first block: text
    loaded, warnings = load(path)
    assert loaded.feature_names == ("y",) and list(loaded.column("x").data) == ["1", "oops"]


def test_a_description_that_does_not_fit_the_file_is_set_aside_with_a_warning(tmp_path):
    table = exported_table()
    export(table, tmp_path / "out.csv")
    Table(table.X, table.feature_names).to_csv(tmp_path / "out.csv")      # the file replaced
    loaded, warnings = load(tmp_path / "out.csv")
    assert loaded.feature_names == table.feature_names
    assert len(warnings) == 1 and "describes other columns" in warnings[0]
    description_path(tmp_path / "out.csv").write_text("{not json")
    _, warnings = load(tmp_path / "out.csv")
    assert len(warnings) == 1 and "was not used" in warnings[0]


def test_an_npy_file_with_objects_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "evil.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(WidgetError, match="evil.npy") as error:
        load(path)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("setting, message", [
    ("", "No file chosen"), ("nothere.csv", "There is no file"), (".", "is a folder")])
def test_bad_paths_give_one_line_reasons(tmp_path, setting, message):
    with pytest.raises(WidgetError, match=message):
        load(tmp_path / "x.csv", path=setting)


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(WidgetError, match=r"needs pyarrow: pip install 'imgflow\[parquet\]'"):
        load(tmp_path / "t.parquet")


def test_headless_run_clusters_a_file_through_the_data_input(tmp_path, capsys):
    pytest.importorskip("faiss")
    from imgflow.cli import main
    from imgflow.registry import Registry
    from imgflow.workflow import Workflow, save

    rng = np.random.default_rng(4)
    truth = np.repeat(np.arange(3), 30)
    X = (rng.normal(size=(3, 16)) * 3)[truth] + rng.normal(size=(90, 16)) * 0.2
    table = Table(X.astype(np.float32), tuple(f"e{j}" for j in range(16)),
                  (Column.text("image name", [f"img{i}" for i in range(90)]),))
    export(table, tmp_path / "embeddings.csv")
    wf = Workflow(Registry.discover())
    source = wf.add_node("imgflow.file", settings={"path": str(tmp_path / "embeddings.csv")})
    hc = wf.add_node("imgflow.hierarchical_clustering")
    wf.add_link(source, "Data", hc, "Data")
    save(wf, tmp_path / "w.imgflow")
    out = tmp_path / "clusters.csv"
    code = main(["run", str(tmp_path / "w.imgflow"),
                 "--set", "Hierarchical Clustering.two_stage=always",
                 "--set", "Hierarchical Clustering.max_groups=12",
                 "--set", "Hierarchical Clustering.selection=top_n",
                 "--set", "Hierarchical Clustering.top_n=3",
                 "--export", f"Hierarchical Clustering:Data={out}"])
    assert code == 0, capsys.readouterr().err
    clustered, warnings = read_table(out)
    assert warnings == [] and len(clustered) == 90
    np.testing.assert_array_equal(clustered.X, table.X)     # the embeddings, as they were
    cluster = clustered.column("Cluster")
    assert cluster.kind == "categorical" and cluster.categories == ("C1", "C2", "C3")
    found = {k: {cluster.data[i] for i in np.flatnonzero(truth == k)} for k in range(3)}
    assert all(len(v) == 1 for v in found.values()) and len(set.union(*found.values())) == 3


def test_the_panel_reads_a_typed_path_and_says_what_it_read(qtbot, tmp_path):
    from imgflow.engine import Engine
    from imgflow.gui.qtpost import QtPoster
    from imgflow.registry import Registry
    from imgflow.workflow import Workflow
    from tests.support.panels import show_panel

    export(exported_table(), tmp_path / "out.csv")
    wf = Workflow(Registry.discover())
    node = wf.add_node("imgflow.file")
    engine = Engine(wf, post=QtPoster())
    panel = show_panel(qtbot, wf, engine, node)
    assert "No file chosen" in panel.info.text()
    panel.chooser.edit.setText(str(tmp_path / "out.csv"))
    panel.chooser.edit.editingFinished.emit()
    assert node.settings["path"] == str(tmp_path / "out.csv")
    qtbot.waitUntil(lambda: "7 rows" in panel.info.text(), timeout=10000)
    assert "5 feature columns" in panel.info.text() and "image (image)" in panel.info.text()
    assert len(engine.state(node.id).outputs["Data"]) == 7
    engine.shutdown()


def test_a_parquet_file_from_elsewhere_gets_kinds_from_its_types(tmp_path):
    pa, pq = pytest.importorskip("pyarrow"), pytest.importorskip("pyarrow.parquet")
    data = pa.table({"file": ["a.jpg", "b.png", None, "c.jpg"],
                     "label": pa.array(["x", "y", "x", "x"]).dictionary_encode(),
                     "v0": pa.array([1.5, 2.5, 3.5, None], type=pa.float32()),
                     "v1": pa.array([1, 2, 3, 4], type=pa.int64())})
    pq.write_table(data, tmp_path / "other.parquet")
    loaded, warnings = load(tmp_path / "other.parquet")
    assert warnings == [] and loaded.feature_names == ("v0", "v1")
    assert loaded.X.dtype == np.float64 and np.isnan(loaded.X[3, 0]) and loaded.X[1, 1] == 2
    assert [(c.name, c.kind) for c in loaded.columns] == [("file", "image"),
                                                         ("label", "categorical")]
    assert loaded.column("label").categories == ("x", "y")
