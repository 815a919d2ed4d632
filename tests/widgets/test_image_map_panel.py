"""Image Map's window: thumbnails in view, rectangle and lasso selection, colours, errors."""
from __future__ import annotations

import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QMouseEvent
from PyQt5.QtWidgets import QApplication

from imgflow.data import Column, Table

KIND_CENTRES = np.eye(4, 8) * 5 + 1


@pytest.fixture
def mapped(qtbot, tmp_path):
    """A table of 16 drawn images (4 kinds) -> Image Map, with the map's window open."""
    from tests.support.images import make_image_tree
    from tests.support.panels import panel_fed_with

    paths = make_image_tree(tmp_path / "images", per_kind=4, size=(64, 48))
    kinds = np.array([p.parent.name for p in paths])
    codes = np.unique(kinds, return_inverse=True)[1]
    X = KIND_CENTRES[codes] + np.random.default_rng(1).normal(0, 0.2, (len(paths), 8))
    table = Table(X, [f"f{i}" for i in range(8)], (
        Column.text("image name", [p.stem for p in paths]),
        Column.image("image", [str(p) for p in paths]),
        Column.categorical("kind", kinds, role="meta")))

    panel, engine, node = panel_fed_with(qtbot, table, "imgflow.image_map", {"method": "pca"},
                                         timeout=30000)
    yield panel, engine, node, table, codes
    engine.shutdown()


def screen_point(panel, x, y) -> QPoint:
    scene = panel.plot.box.mapViewToScene(QPointF(x, y))
    return panel.plot.mapFromScene(scene)


def drag(qtbot, panel, points, modifiers=Qt.NoModifier) -> None:
    """Press, move through the points with the left button held, release (as a hand would).

    pyqtgraph takes at most about 60 moves a second, so the moves are paced.
    """
    viewport = panel.plot.viewport()
    send = lambda kind, p, buttons: QApplication.sendEvent(viewport, QMouseEvent(
        kind, QPointF(p), Qt.LeftButton, buttons, modifiers))
    send(QEvent.MouseButtonPress, points[0], Qt.LeftButton)
    for p in points[1:]:
        qtbot.wait(25)
        send(QEvent.MouseMove, p, Qt.LeftButton)
    send(QEvent.MouseButtonRelease, points[-1], Qt.NoButton)


def kind_box(panel, codes, kind, pad=0.02):
    xy = panel._view.xy[codes == kind]
    return xy.min(0) - pad, xy.max(0) + pad


def selected_output(engine, node):
    return engine.state(node.id).outputs.get("Selected Data")


def test_dragging_a_rectangle_round_one_kind_outputs_those_rows(qtbot, mapped):
    panel, engine, node, table, codes = mapped
    (x0, y0), (x1, y1) = kind_box(panel, codes, 2)
    others = panel._view.xy[codes != 2]
    inside = ((others[:, 0] >= x0) & (others[:, 0] <= x1)
              & (others[:, 1] >= y0) & (others[:, 1] <= y1))
    assert not inside.any(), "the drawn kinds should lie apart in the map"
    corners = [screen_point(panel, x0, y0), screen_point(panel, (x0 + x1) / 2, (y0 + y1) / 2),
               screen_point(panel, x1, y1)]
    drag(qtbot, panel, corners)
    expected = sorted(table.column("image").data[codes == 2])
    assert sorted(node.settings["selection"]) == expected
    qtbot.waitUntil(lambda: selected_output(engine, node) is not None and engine.is_idle(),
                    timeout=20000)
    chosen = selected_output(engine, node)
    assert sorted(chosen.ids.tolist()) == sorted(table.ids[codes == 2].tolist())
    assert chosen.has_column("x") and chosen.has_column("y")

    # Shift adds a second kind; a plain click on empty space clears
    (x0, y0), (x1, y1) = kind_box(panel, codes, 0)
    drag(qtbot, panel, [screen_point(panel, x0, y0), screen_point(panel, x1, y1)], Qt.ShiftModifier)
    assert len(node.settings["selection"]) == 8
    empty = panel._view.xy.max(0) + 0.05
    qtbot.mouseClick(panel.plot.viewport(), Qt.LeftButton, pos=screen_point(panel, *empty))
    assert node.settings["selection"] == []


def test_lasso_selects_the_points_it_goes_round(qtbot, mapped):
    panel, engine, node, table, codes = mapped
    panel.tool_buttons["lasso"].click()
    (x0, y0), (x1, y1) = kind_box(panel, codes, 1, pad=0.05)
    ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0 + 0.01)]
    drag(qtbot, panel, [screen_point(panel, x, y) for x, y in ring])
    assert sorted(node.settings["selection"]) == sorted(table.column("image").data[codes == 1])


def test_thumbnails_load_for_the_points_in_view_only(qtbot, mapped):
    panel, engine, node, table, codes = mapped
    layer = panel.plot.layer
    qtbot.waitUntil(lambda: len(layer.shown) > 0 and not any(
        panel.plot.loader.is_loading(table.column("image").data[r], layer.size)
        for r in layer.shown), timeout=20000)
    assert not panel.plot.loader.failed
    # zoomed in on one kind, only its images are drawn (and asked for)
    (x0, y0), (x1, y1) = kind_box(panel, codes, 3, pad=0.0)
    panel.plot.box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.05)
    panel.plot.grab()                    # paint now
    assert len(layer.shown) and set(codes[layer.shown]) == {3}


def test_colour_by_a_category_colours_points_and_lists_the_kinds(qtbot, mapped):
    panel, engine, node, table, codes = mapped
    assert [panel.color_combo.itemText(i) for i in range(panel.color_combo.count())] == \
        ["(none)", "kind"]
    panel.color_combo.setCurrentIndex(1)
    panel.color_combo.activated.emit(1)
    assert node.settings["color_by"] == "kind"
    colors = panel.plot.layer.colors
    assert len({c.name() for c in colors}) == 4
    assert all(name in panel.legend.text() for name in set(table.column("kind").data))
    engine.workflow.set_settings(node, {"color_by": ""})     # undo, a load, another window
    assert panel.color_combo.currentText() == "(none)"
    assert all(c is None for c in panel.plot.layer.colors) and panel.legend.text() == ""


def test_changing_the_method_and_layout_lays_out_again(qtbot, mapped):
    panel, engine, node, table, codes = mapped
    before = panel._view.xy
    panel.layout_combo.activated.emit(1)
    assert node.settings["layout"] == "grid"
    qtbot.waitUntil(lambda: engine.is_idle() and panel._view.xy is not before, timeout=20000)
    xy = panel._view.xy
    assert np.array_equal(xy, np.round(xy)) and len({tuple(p) for p in xy}) == len(xy)


def test_bad_input_shows_the_reason_in_the_window(qtbot, mapped):
    panel, engine, node, table, codes = mapped
    source = next(n for n in engine.workflow.nodes.values() if n is not node)
    engine.workflow.widget(source).table = table.subset([0, 1])
    engine.workflow.set_settings(node, {"method": "tsne"})
    engine.invalidate(source.id)
    qtbot.waitUntil(lambda: "t-SNE needs at least 5 rows; the data has 2" in panel.info.text(),
                    timeout=20000)


def test_double_clicking_a_point_previews_its_image_and_space_the_selected(qtbot, mapped):
    panel, engine, node, table, codes = mapped
    at = QPointF(screen_point(panel, *panel._view.xy[6]))
    viewport = panel.plot.viewport()
    # what a real double-click delivers (QTest's sends a second press instead of a release)
    for kind, buttons in ((QEvent.MouseButtonPress, Qt.LeftButton),
                          (QEvent.MouseButtonRelease, Qt.NoButton),
                          (QEvent.MouseButtonDblClick, Qt.LeftButton),
                          (QEvent.MouseButtonRelease, Qt.NoButton)):
        QApplication.sendEvent(viewport, QMouseEvent(kind, at, Qt.LeftButton, buttons,
                                                     Qt.NoModifier))
    qtbot.waitUntil(lambda: panel.preview.isVisible() and panel.preview.current is not None)
    assert panel.preview.row == 6 and panel.preview.current[1] == (64, 48)
    assert node.settings["selection"] == [table.column("image").data[6]]   # the first click
    qtbot.keyClick(panel.preview, Qt.Key_Escape)
    assert not panel.preview.isVisible()
    engine.workflow.set_settings(node, {"selection": [table.column("image").data[9]]})
    qtbot.waitUntil(lambda: engine.is_idle() and panel.plot.layer.selected[9])
    qtbot.keyClick(panel, Qt.Key_Space)
    assert panel.preview.isVisible() and panel.preview.row == 9
    panel.preview.close()
