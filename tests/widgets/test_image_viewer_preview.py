"""Image Viewer's preview: Space or a double-click opens an image at full size; keys move, close."""
from __future__ import annotations

import threading

import pytest
from PIL import Image
from PyQt5.QtCore import QItemSelectionModel, QSize, Qt

from imgflow.engine import Engine
from imgflow.registry import Registry
from imgflow.workflow import Workflow
from imgflow.widgets.image_viewer import ImageViewer
from imgflow.widgets.common import preview as preview_module
from imgflow.widgets.import_images import ImportImages
from tests.support.images import make_image_tree
from tests.support.panels import show_panel

NO_UPDATE = QItemSelectionModel.NoUpdate


@pytest.fixture
def viewer(qtbot, tmp_path):
    """The Image Viewer's window over 8 drawn images (64 x 48)."""
    from imgflow.gui.qtpost import QtPoster

    images = make_image_tree(tmp_path / "img", per_kind=2, size=(64, 48))
    wf = Workflow(Registry([ImportImages, ImageViewer]))
    imp = wf.add_node("imgflow.import_images", settings={"directory": str(tmp_path / "img")})
    node = wf.add_node("imgflow.image_viewer")
    wf.add_link(imp, "Data", node, "Data")
    engine = Engine(wf, post=QtPoster())
    panel = show_panel(qtbot, wf, engine, node)
    qtbot.waitUntil(lambda: panel.model.rowCount() >= 8)
    yield panel
    panel.preview.close()
    engine.shutdown()


def press(qtbot, widget, key):
    qtbot.keyClick(widget, key)


def loaded(preview):
    return preview.isVisible() and preview.current is not None


def test_space_opens_the_current_image_at_its_own_size(qtbot, viewer):
    panel = viewer
    panel.grid.selectionModel().setCurrentIndex(panel.model.index(2), NO_UPDATE)
    press(qtbot, panel.grid, Qt.Key_Space)
    qtbot.waitUntil(lambda: loaded(panel.preview))
    pixmap, size, reason = panel.preview.current
    assert panel.preview.row == 2 and size == (64, 48) and reason == ""
    assert pixmap.size() == QSize(64, 48)                 # full size: it fits the screen
    assert panel.preview.windowTitle().startswith(panel.model.index(2).data())
    assert "3 of" in panel.preview.windowTitle()
    assert panel.selected_rows() == []                     # Space did not select


def test_arrows_move_through_the_shown_images_and_esc_closes(qtbot, viewer):
    panel = viewer
    last = panel.model.rowCount() - 1
    with open(panel.model.source(last), "wb") as f:   # spoilt since it was imported
        f.write(b"not an image any more")
    panel.grid.selectionModel().setCurrentIndex(panel.model.index(0), NO_UPDATE)
    press(qtbot, panel.grid, Qt.Key_Space)
    preview = panel.preview
    qtbot.waitUntil(lambda: loaded(preview))
    press(qtbot, preview, Qt.Key_Right)
    press(qtbot, preview, Qt.Key_Right)
    assert preview.row == 2
    qtbot.waitUntil(lambda: loaded(preview))
    assert preview.current[1] == (64, 48)
    assert panel.grid.currentIndex().row() == 2            # the grid follows along
    press(qtbot, preview, Qt.Key_Left)
    assert preview.row == 1
    press(qtbot, preview, Qt.Key_Left)
    press(qtbot, preview, Qt.Key_Left)                     # stops at the first image
    assert preview.row == 0
    press(qtbot, preview, Qt.Key_End)
    assert preview.row == last
    qtbot.waitUntil(lambda: loaded(preview))
    assert preview.current[0] is None and preview.current[2]   # a reason, not a crash
    press(qtbot, preview, Qt.Key_Escape)
    assert not preview.isVisible()


def test_double_click_opens_that_image(qtbot, viewer):
    panel = viewer
    rect = panel.grid.visualRect(panel.model.index(5))
    # as a hand does it: a click, then the double-click
    qtbot.mouseClick(panel.grid.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.grid.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: loaded(panel.preview))
    assert panel.preview.row == 5


def test_a_large_image_loads_in_a_thread_and_fits_the_screen(qtbot, viewer, tmp_path,
                                                             monkeypatch):
    panel = viewer
    big = tmp_path / "big.png"
    Image.new("RGB", (6000, 4000), (200, 30, 30)).save(big)
    gate = threading.Event()
    real = preview_module.load_for_screen

    def slow(source, fit):
        gate.wait(10)
        return real(str(big), fit)
    monkeypatch.setattr(preview_module, "load_for_screen", slow)
    panel.grid.selectionModel().setCurrentIndex(panel.model.index(0), NO_UPDATE)
    press(qtbot, panel.grid, Qt.Key_Space)
    assert panel.preview.isVisible() and panel.preview.current is None   # open, still loading
    qtbot.wait(50)                                         # the GUI thread keeps going
    gate.set()
    qtbot.waitUntil(lambda: loaded(panel.preview), timeout=10000)
    pixmap, size, _ = panel.preview.current
    fit = panel.preview.screen_fit()
    assert size == (6000, 4000)
    assert pixmap.width() <= fit.width() and pixmap.height() <= fit.height()
    assert abs(pixmap.width() / pixmap.height() - 1.5) < 0.01
    assert panel.preview.width() <= fit.width() / preview_module.SCREEN_SHARE
    assert "6000 × 4000" in panel.preview.windowTitle()
