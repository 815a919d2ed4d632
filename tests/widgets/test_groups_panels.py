"""The windows of Neighbors, Save Images and Duplicates, driven as a user would."""
import numpy as np
import pytest
from PyQt5.QtCore import Qt

from imgflow.api import Output, Widget
from imgflow.data import Column, Table
from imgflow.engine import Engine
from imgflow.gui.qtpost import QtPoster
from imgflow.registry import Registry
from imgflow.widgets.duplicates import Duplicates
from imgflow.widgets.neighbors import Neighbors
from imgflow.widgets.save_images import SaveImages
from imgflow.workflow import Workflow
from tests.support.images import make_image_tree
from tests.support.panels import show_panel


class Source(Widget):
    """A stand-in upstream node that outputs a given table."""
    id, name = "test.groups_source", "Source"
    outputs = (Output("Data", Table),)
    table: Table | None = None

    def compute(self, inputs, settings, ctx):
        return {"Data": Source.table}


@pytest.fixture
def images(tmp_path):
    return make_image_tree(tmp_path / "in", per_kind=2, kinds=("stripes", "discs"),
                           size=(120, 90))


@pytest.fixture
def wired():
    """(workflow, engine, node) of a widget fed by Source on the given inputs."""
    engines = []

    def make(widget, inputs=("Data",)):
        wf = Workflow(Registry([Source, Neighbors, Duplicates, SaveImages]))
        node = wf.add_node(widget.id)
        source = wf.add_node(Source.id)
        for name in inputs:
            wf.add_link(source, "Data", node, name)
        engine = Engine(wf, post=QtPoster())
        engines.append(engine)
        return wf, engine, node
    yield make
    for engine in engines:
        engine.shutdown()


def embedded(images, X) -> Table:
    return Table(np.asarray(X, dtype=float), tuple(f"n{i}" for i in range(len(X[0]))),
                 (Column.text("image name", [p.stem for p in images]),
                  Column.image("image", [str(p) for p in images]),
                  Column.categorical("category", [p.parent.name for p in images], role="class")))


def test_neighbors_window_sets_k_metric_and_exclusion(qtbot, wired, images):
    Source.table = embedded(images, np.random.default_rng(0).normal(size=(4, 3)))
    wf, engine, node = wired(Neighbors, ("Data", "Reference"))
    panel = show_panel(qtbot, wf, engine, node)
    assert "12 neighbours of 4 reference" in panel.status.info.text()
    panel.k_spin.setValue(2)
    assert node.settings["k"] == 2
    panel.metric_combo.activated.emit(panel.metric_combo.findData("euclidean"))
    assert node.settings["metric"] == "euclidean"
    panel.exclude_box.click()
    assert node.settings["exclude_references"] is False
    qtbot.waitUntil(engine.is_idle)
    assert "8 neighbours of 4 reference" in panel.status.info.text()
    wf.set_settings(node, {"k": 5})                       # e.g. undo: the control follows
    assert panel.k_spin.value() == 5


def test_save_images_window_chooses_folder_and_grouping_column(qtbot, wired, images, tmp_path):
    Source.table = embedded(images, np.zeros((4, 1))).add_column(
        Column.categorical("Kind", ["a", "b", "a", "b"], role="meta"))
    wf, engine, node = wired(SaveImages)
    panel = show_panel(qtbot, wf, engine, node)
    assert "No folder chosen" in panel.status.info.text()
    edit = panel.folder.edit
    edit.setText(str(tmp_path / "out"))
    edit.editingFinished.emit()
    assert node.settings["directory"] == str(tmp_path / "out")
    qtbot.waitUntil(engine.is_idle)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["discs", "stripes"]
    combo = panel.group_combo
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert offered[:2] == ["auto", "none"] and "Kind" in offered
    combo.activated.emit(combo.findData("Kind"))
    assert node.settings["group_by"] == "Kind"
    qtbot.waitUntil(engine.is_idle)
    assert {"a", "b"} <= {p.name for p in (tmp_path / "out").iterdir()}
    assert "4 image(s) saved" in panel.status.info.text()


def test_duplicates_window_shows_each_group_side_by_side(qtbot, wired, images):
    v = np.random.default_rng(1).normal(size=(4, 5))
    v[1] = v[0]                                  # same embedding, different pictures
    v[3] = v[2]
    Source.table = embedded(images, v)
    wf, engine, node = wired(Duplicates)
    panel = show_panel(qtbot, wf, engine, node)
    assert panel.model.rowCount() == 0            # the pixel check tells them apart
    panel.pixels_box.click()
    assert node.settings["compare_pixels"] is False
    qtbot.waitUntil(lambda: engine.is_idle() and panel.model.rowCount() == 2)
    row = panel.model.data(panel.model.index(0), Qt.UserRole)
    assert [name for _, name, _ in row] == ["discs-0", "discs-1"]
    assert [kept for _, _, kept in row] == [True, False]
    hint = panel.groups.itemDelegate().sizeHint(None, panel.model.index(0))
    assert hint.width() > 2 * 96                  # two thumbnails side by side
    qtbot.waitUntil(lambda: len(panel.loader.cache) >= 2)   # thumbnails arrive
    panel.threshold_spin.setValue(0.05)
    assert node.settings["threshold"] == pytest.approx(0.05)
