"""Data Table: selection output, tabs per input, sorting, big tables."""
from __future__ import annotations

import numpy as np
import pytest

from imgflow.api import Context, Output, Widget
from imgflow.data import Column, Table
from imgflow.engine import Engine
from imgflow.registry import Registry
from imgflow.workflow import Workflow, load, save
from tests.support.images import make_image_tree
from tests.support.panels import show_panel
from imgflow.widgets.data_table import (DataTable, parse_selection, selected_rows, selection_setting,
                                summarize)
from imgflow.widgets.import_images import ImportImages


def small_table() -> Table:
    X = np.array([[1.0, 0.5], [np.nan, 2.25], [3.0, -1.0], [2.0, 0.0]])
    return Table(X, ("f1", "f2"), (
        Column.text("name", ["d", "b", None, "a"]),
        Column.categorical("kind", ["x", "y", "x", "y"]),
        Column.numeric("size", [10, 30, 20, 40]),
    ))


def compute(tables, selection=(), labels=()):
    ctx = Context(input_labels={"Data": list(labels)})
    return DataTable().compute({"Data": list(tables)},
                               {"selection": list(selection), "sort": []}, ctx)


def test_selection_outputs_rows_of_the_chosen_input_keeping_ids():
    a, b = small_table(), small_table()
    result = compute([a, b], selection_setting(1, [3, 0, 1]), labels=["First", "Second"])
    out = result.outputs["Selected Data"]
    assert list(out.ids) == [b.ids[0], b.ids[1], b.ids[3]]
    assert [s.label for s in result.view] == ["First", "Second"]
    assert compute([a]).outputs["Selected Data"] is None


def test_selection_setting_is_compact_and_tolerant():
    setting = selection_setting(0, [5, 1, 2, 3, 9])
    assert setting == [{"input": 0, "rows": [[1, 4], [5, 6], [9, 10]]}]
    assert list(selected_rows(setting, 6)) == [1, 2, 3, 5]          # rows past the end dropped
    assert parse_selection([{"input": "x", "rows": [[3, 1], "junk", [0, 2]]}]) == (0, [(0, 2)])
    assert parse_selection(["nonsense"]) == (0, [])


def test_summary_counts_features_metas_classes_and_missing():
    summary = summarize(small_table(), "t")
    assert (summary.rows, summary.features, summary.metas, summary.missing) == (4, 2, 2, 2)
    assert summary.classes == ("kind",)
    assert "2 missing values" in summary.describe() and "class: kind" in summary.describe()


def test_engine_headless_import_then_table(tmp_path):
    root = tmp_path / "img"
    make_image_tree(root, per_kind=2, size=(40, 30))
    wf = Workflow(Registry([ImportImages, DataTable]))
    imp = wf.add_node("imgflow.import_images", settings={"directory": str(root)})
    table = wf.add_node("imgflow.data_table", settings={"selection": selection_setting(0, [1, 2])})
    wf.add_link(imp, "Data", table, "Data")
    engine = Engine(wf)
    try:
        assert engine.run_until_idle(timeout=30)
        imported = engine.outputs(imp.id)["Data"]
        out = engine.outputs(table.id)["Selected Data"]
        assert list(out.ids) == list(imported.ids[1:3])
        assert engine.state(table.id).view[0].label == "Import Images"
    finally:
        engine.shutdown()


def test_model_of_20000_by_2050_opens_at_once_and_reads_cells(qtbot):
    from PyQt5.QtCore import Qt
    from imgflow.widgets.data_table.model import TableModel
    n, f = 20_000, 2_048
    X = np.zeros((n, f), dtype=np.float32)
    X[:, 7] = np.arange(n, dtype=np.float32)[::-1]
    X[5, 3], X[6, 3] = np.nan, 0.123456
    table = Table(X, tuple(f"x{i}" for i in range(f)), (
        Column.image("image", [f"/p/{i}.jpg" for i in range(n)]),
        Column.numeric("size", np.arange(n))))
    model = TableModel(table)
    assert (model.rowCount(), model.columnCount()) == (n, f + 2)
    assert model.data(model.index(n - 1, 1)) == str(n - 1)
    assert model.data(model.index(0, 2 + 7)) == str(n - 1)
    assert model.data(model.index(5, 2 + 3)) == "?"
    assert model.data(model.index(6, 2 + 3)) == "0.1235"
    assert model.headerData(2 + 7, Qt.Horizontal) == "x7"
    model.sort(2 + 7, Qt.AscendingOrder)
    assert model.data(model.index(0, 1)) == str(n - 1)      # the smallest x7 is the last row
    assert model.headerData(0, Qt.Vertical) == str(n)


def test_sort_keys_put_missing_last_and_categories_in_their_order(qtbot):
    from PyQt5.QtCore import Qt
    from imgflow.widgets.data_table.model import TableModel
    model = TableModel(small_table())
    names = lambda: [model.data(model.index(r, model.section_of("name"))) for r in range(4)]
    model.sort(model.section_of("name"), Qt.AscendingOrder)
    assert names() == ["a", "b", "d", "?"]
    model.sort(model.section_of("name"), Qt.DescendingOrder)
    assert names() == ["d", "b", "a", "?"]
    model.sort(model.section_of("f1"), Qt.DescendingOrder)
    assert names() == ["?", "a", "d", "b"]                  # f1: 3, 2, 1, missing
    model.sort(-1)
    assert names() == ["d", "b", "?", "a"]
    assert model.section_of("kind") == 0                    # the class column comes first


# -- the window ---------------------------------------------------------------------------

class Source(Widget):
    """A stand-in upstream node that outputs a given table."""
    id, name = "test.table_source", "Source"
    outputs = (Output("Data", Table),)

    def compute(self, inputs, settings, ctx):
        return {"Data": small_table()}


@pytest.fixture
def gui(qtbot):
    from imgflow.gui.qtpost import QtPoster
    wf = Workflow(Registry([Source, DataTable]))
    first = wf.add_node("test.table_source", title="Cats")
    second = wf.add_node("test.table_source", title="Dogs")
    node = wf.add_node("imgflow.data_table")
    wf.add_link(first, "Data", node, "Data")
    wf.add_link(second, "Data", node, "Data")
    engine = Engine(wf, post=QtPoster())
    yield wf, engine, node
    engine.shutdown()


open_table = show_panel


def test_tabs_per_input_and_selection_output(gui, qtbot):
    from PyQt5.QtCore import QItemSelectionModel
    wf, engine, node = gui
    panel = open_table(qtbot, wf, engine, node)
    assert [panel.tabs.tabText(i) for i in range(panel.tabs.count())] == ["Cats", "Dogs"]
    assert "4 rows; 2 feature columns; 2 meta columns" in panel.info.text()
    view = panel.views[1]
    flags = QItemSelectionModel.Select | QItemSelectionModel.Rows
    view.selectionModel().select(view.model().index(2, 0), flags)
    view.selectionModel().select(view.model().index(3, 0), flags)
    qtbot.waitUntil(lambda: node.settings["selection"] == selection_setting(1, [2, 3]))
    qtbot.waitUntil(engine.is_idle)
    dogs = engine.state(node.id).inputs["Data"][1]
    assert list(engine.outputs(node.id)["Selected Data"].ids) == list(dogs.ids[2:4])
    panel.views[0].selectionModel().select(panel.views[0].model().index(0, 0), flags)
    qtbot.waitUntil(lambda: node.settings["selection"] == selection_setting(0, [0]))
    assert panel.selected_table_rows(1) == []                # one input's rows at a time


def test_header_click_sorts_and_the_selection_follows_the_rows(gui, qtbot, tmp_path):
    from PyQt5.QtCore import QItemSelectionModel, QPoint, Qt
    wf, engine, node = gui
    panel = open_table(qtbot, wf, engine, node)
    view = panel.views[0]
    model = view.model()
    view.selectionModel().select(model.index(1, 0),
                                 QItemSelectionModel.Select | QItemSelectionModel.Rows)
    qtbot.waitUntil(lambda: node.settings["selection"] == selection_setting(0, [1]))
    header = view.horizontalHeader()
    size = model.section_of("size")
    qtbot.mouseClick(header.viewport(), Qt.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(size) + 5, header.height() // 2))
    assert node.settings["sort"] == ["size", "ascending"]
    panel._header_clicked(0, size)
    assert node.settings["sort"] == ["size", "descending"]
    sizes = [model.data(model.index(r, size)) for r in range(4)]
    assert sizes == ["40", "30", "20", "10"]
    assert header.sortIndicatorSection() == size
    assert panel.selected_table_rows(0) == [1]              # still the row with size 30
    assert [i.row() for i in view.selectionModel().selectedRows()] == [1]
    assert panel.views[1].model().sort_column == size       # the other tab sorts the same way
    path = tmp_path / "flow.imgflow"
    save(wf, path)
    loaded = load(path, wf.registry)
    assert next(n for n in loaded.nodes.values() if n.widget_id == "imgflow.data_table") \
        .settings == node.settings
    panel._header_clicked(0, size)
    assert node.settings["sort"] == [] and model.order is None


def test_image_cells_get_thumbnails_in_the_background(qtbot, tmp_path):
    from imgflow.gui.panel import open_panel
    from imgflow.gui.qtpost import QtPoster
    from PyQt5.QtCore import Qt
    root = tmp_path / "img"
    make_image_tree(root, per_kind=1, size=(64, 48))
    wf = Workflow(Registry([ImportImages, DataTable]))
    imp = wf.add_node("imgflow.import_images", settings={"directory": str(root)})
    node = wf.add_node("imgflow.data_table")
    wf.add_link(imp, "Data", node, "Data")
    engine = Engine(wf, post=QtPoster())
    try:
        panel = open_panel(wf, engine, node)
        qtbot.addWidget(panel)
        qtbot.waitUntil(lambda: engine.is_idle() and len(panel.views) == 1)
        model = panel.views[0].model()
        image = model.section_of("image")
        model.data(model.index(0, image), Qt.DecorationRole)    # asks; never waits
        first = str(root / "checks" / "checks-0.jpg")
        qtbot.waitUntil(lambda: panel.loader.cache.get((first, 32)) is not None)
        thumb = model.data(model.index(0, image), Qt.DecorationRole)
        assert max(thumb.width(), thumb.height()) == 32
        panel.thumbnails_box.setChecked(False)
        assert model.data(model.index(0, image), Qt.DecorationRole) is None
    finally:
        engine.shutdown()


def test_clicking_a_row_number_selects_the_row(gui, qtbot):
    from PyQt5.QtCore import QPoint, Qt
    wf, engine, node = gui
    panel = open_table(qtbot, wf, engine, node)
    rows = panel.views[0].verticalHeader()
    qtbot.mouseClick(rows.viewport(), Qt.LeftButton,
                     pos=QPoint(rows.width() // 2,
                                rows.sectionViewportPosition(2) + rows.sectionSize(2) // 2))
    qtbot.waitUntil(lambda: node.settings["selection"] == selection_setting(0, [2]))


def test_widget_modules_import_without_qt_or_torch():
    import subprocess
    import sys
    code = ("import sys, imgflow.widgets.import_images, imgflow.widgets.image_viewer, imgflow.widgets.data_table; "
            "print([m for m in ('PyQt5', 'torch') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
