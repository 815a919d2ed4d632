"""Widget windows open at a size where their content is usable, remember their size per
node, and the dendrogram keeps fitting its window until the user zooms."""
import numpy as np
import pytest
from PyQt5.QtCore import QPoint, QPointF, QRect, QSize, Qt
from PyQt5.QtGui import QWheelEvent
from PyQt5.QtWidgets import QApplication

from imgflow.api import Output, Widget
from imgflow.data import Column, Table
from imgflow.gui import panels
from imgflow.registry import Registry
from tests.support.images import make_image_tree

SCREEN = QRect(0, 0, 1600, 1000)      # the offscreen platform's own screen is 800 x 600


class TableSource(Widget):
    id, name = "test.table_source", "Table Source"
    outputs = (Output("Data", Table, default=True),)
    table = None

    def compute(self, inputs, settings, ctx):
        return {"Data": TableSource.table}


@pytest.fixture
def registry():
    return Registry([*Registry.discover().widgets(), TableSource])


@pytest.fixture(autouse=True)
def big_screen(monkeypatch):
    monkeypatch.setattr(panels, "available_area", lambda near: SCREEN)


@pytest.fixture
def images(tmp_path, registry):
    if "imgflow.hierarchical_clustering" not in registry:
        pytest.skip("the clustering widgets are not installed")
    paths = make_image_tree(tmp_path / "images", per_kind=5, size=(64, 48))   # 20 images
    rng = np.random.default_rng(3)
    X = np.repeat(np.eye(4) * 9, 5, axis=0) + rng.normal(0, 0.5, (20, 4))
    TableSource.table = Table(X, ("a", "b", "c", "d"), (
        Column.text("image name", [p.stem for p in paths]),
        Column.image("image", [str(p) for p in paths])))
    return paths


def clustering(window):
    doc = window.document
    source = doc.add_node("test.table_source", (0, 0))
    dist = doc.add_node("imgflow.distances", (150, 0))
    hc = doc.add_node("imgflow.hierarchical_clustering", (300, 0))
    doc.link(source.id, dist.id)
    doc.link(dist.id, hc.id)
    return hc


def open_tree(window, qtbot, hc):
    panel = window.panels.open(hc)
    qtbot.waitExposed(panel)
    plot = panel.plot
    qtbot.waitUntil(lambda: plot.view is not None and len(plot._thumbs) == 20, timeout=20000)
    QApplication.processEvents()
    return panel, plot


def leaf_margin_px(plot) -> float:
    """Pixels between the leaves (height 0) and the right edge of the plot's box."""
    box = plot.viewbox
    leaves_x = box.mapViewToScene(QPointF(0.0, 0.0)).x()
    return box.mapRectToScene(box.boundingRect()).right() - leaves_x


def test_the_dendrogram_opens_with_20_readable_thumbnails(window, qtbot, images):
    from imgflow.widgets.hierarchical_clustering.dendrogram import READABLE_PX, THUMBNAIL_PX
    panel, plot = open_tree(window, qtbot, clustering(window))
    assert panel.size() == panel.comfortable_size()
    assert plot._thumbnail_scale() * THUMBNAIL_PX >= READABLE_PX
    assert all(item.isVisible() for item, _ in plot._thumbs)
    top, bottom = sorted(plot.viewbox.viewRange()[1])
    assert top <= -0.4 and bottom >= 19.4               # every leaf in view
    assert panel.bar.auto_box is not None               # Hierarchical Clustering has Apply


def test_the_dendrogram_refits_on_resize_until_the_user_zooms(window, qtbot, images):
    panel, plot = open_tree(window, qtbot, clustering(window))
    margin = leaf_margin_px(plot)
    assert 40 <= margin <= 60                           # room for the thumbnails, no more
    panel.resize(panel.width() + 300, panel.height() - 200)
    QApplication.processEvents()
    assert leaf_margin_px(plot) == pytest.approx(margin, abs=2)
    assert sorted(plot.viewbox.viewRange()[1]) == pytest.approx([-0.5, 19.5])

    centre = plot.mapFromScene(plot.viewbox.mapViewToScene(QPointF(1.0, 10.0)))
    wheel = QWheelEvent(QPointF(centre), QPointF(plot.viewport().mapToGlobal(centre)),
                        QPoint(0, 0), QPoint(0, 240), Qt.NoButton, Qt.NoModifier,
                        Qt.NoScrollPhase, False)
    QApplication.sendEvent(plot.viewport(), wheel)        # the user zooms in
    zoomed = plot.viewbox.viewRange()
    assert sorted(zoomed[1]) != pytest.approx([-0.5, 19.5])
    panel.resize(panel.width() - 200, panel.height() + 100)
    QApplication.processEvents()
    assert plot.viewbox.viewRange()[1] == pytest.approx(zoomed[1])   # the zoom is kept
    plot.fit()                                            # Fit: back to the whole tree
    panel.resize(panel.width() + 100, panel.height())
    QApplication.processEvents()
    assert leaf_margin_px(plot) == pytest.approx(margin, abs=2)


@pytest.mark.parametrize("thumbnail_size", [128, 256])
def test_the_viewer_opens_showing_at_least_3_by_2_thumbnails(window, qtbot, images,
                                                              thumbnail_size):
    doc = window.document
    source = doc.add_node("test.table_source", (0, 0))
    viewer = doc.add_node("imgflow.image_viewer", (150, 0))
    doc.set_settings(viewer, {"thumbnail_size": thumbnail_size})
    doc.link(source.id, viewer.id)
    panel = window.panels.open(viewer)
    qtbot.waitExposed(panel)
    grid = panel.grid
    qtbot.waitUntil(lambda: grid.model().rowCount() == 20)
    QApplication.processEvents()
    cell = grid.gridSize()
    assert grid.viewport().width() // cell.width() >= 3
    assert grid.viewport().height() // cell.height() >= 2


def test_every_window_opens_at_least_at_the_size_its_panel_asks(window, qtbot, registry):
    doc = window.document
    for i, widget in enumerate(w for w in registry if w.panel):
        node = doc.add_node(widget.id, (i * 120.0, 0))
        panel = window.panels.open(node)
        wanted = panel.comfortable_size()
        assert panel.width() >= min(wanted.width(), SCREEN.width() - 40), widget.name
        assert panel.height() >= min(wanted.height(), SCREEN.height() - 60), widget.name
        assert panel.width() >= panel.minimumSizeHint().width(), widget.name


def test_a_window_reopens_at_the_size_the_user_gave_it(window, qtbot, images):
    hc = clustering(window)
    panel = window.panels.open(hc)
    panel.resize(1000, 620)
    panel.close()
    window.panels._discard(hc.id)
    again = window.panels.open(hc)
    assert again is not panel and again.size() == QSize(1000, 620)


def test_no_window_is_taller_or_wider_than_the_screen():
    assert panels.fit_on_screen(QSize(3000, 900), QRect(0, 0, 1280, 800)) == QSize(1240, 740)
    assert panels.fit_on_screen(QSize(600, 400), QRect(0, 0, 1280, 800)) == QSize(600, 400)
