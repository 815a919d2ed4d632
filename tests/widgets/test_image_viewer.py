"""Image Viewer: selection as output (headless and by mouse), settings, lazy thumbnails."""
from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image

from imgflow.api import Context, Output, Widget, WidgetError
from imgflow.data import Column, Table
from imgflow.engine import Engine
from imgflow.registry import Registry
from imgflow.workflow import Workflow, load, save
from tests.support.images import make_image_tree
from tests.support.panels import show_panel
from imgflow.widgets.image_viewer import ImageViewer
from imgflow.widgets.import_images import ImportImages

SETTINGS = {"image_column": "", "title_column": "", "thumbnail_size": 128, "selection": []}


def import_table(root):
    return ImportImages().compute({}, {"directory": str(root), "recursive": True}, Context()) \
        .outputs["Data"]


def view(table, **settings):
    return ImageViewer().compute({"Data": table}, {**SETTINGS, **settings}, Context())


@pytest.fixture
def images(tmp_path):
    return make_image_tree(tmp_path / "img", per_kind=3, size=(64, 48))


def test_selection_outputs_a_subset_keeping_row_ids(images):
    table = import_table(images[0].parents[1])
    chosen = [str(images[1]), str(images[7])]
    result = view(table, selection=chosen)
    selected = result.outputs["Selected Images"]
    assert list(selected.column("image").data) == chosen
    assert list(selected.ids) == [table.ids[1], table.ids[7]]
    data = result.outputs["Data"]
    assert list(data.ids) == list(table.ids)
    flags = data.column("Selected")
    assert flags.categories == ("No", "Yes")
    assert [i for i, v in enumerate(flags.data) if v == "Yes"] == [1, 7]
    assert result.view.image_column == "image" and result.view.title_column == "image name"
    assert "2 selected" in result.info


def test_saved_selection_survives_a_rerun_with_new_row_ids(images):
    root = images[0].parents[1]
    first = import_table(root)
    saved = [str(images[4])]
    again = import_table(root)
    assert first.ids[4] != again.ids[4]
    selected = view(again, selection=saved).outputs["Selected Images"]
    assert list(selected.ids) == [again.ids[4]]


def test_no_selection_gives_no_selected_output(images):
    result = view(import_table(images[0].parents[1]))
    assert result.outputs["Selected Images"] is None
    assert set(result.outputs["Data"].column("Selected").data) == {"No"}


def test_column_choice_and_missing_image_column():
    table = Table.from_columns([Column.text("name", ["a", "b"]),
                                Column.image("photo", ["/x/a.png", "/x/b.png"]),
                                Column.image("mask", ["/m/a.png", "/m/b.png"])])
    result = view(table, image_column="mask", title_column="name")
    assert (result.view.image_column, result.view.title_column) == ("mask", "name")
    assert result.view.image_columns == ("photo", "mask", "name")
    assert view(table, image_column="gone").view.image_column == "photo"
    numbers = Table(np.zeros((2, 1)), ("x",))
    with pytest.raises(WidgetError, match="no column of images"):
        view(numbers)


def test_engine_headless_import_then_viewer(images):
    root = images[0].parents[1]
    wf = Workflow(Registry([ImportImages, ImageViewer]))
    imp = wf.add_node("imgflow.import_images", settings={"directory": str(root)})
    viewer = wf.add_node("imgflow.image_viewer", settings={"selection": [str(images[2])]})
    wf.add_link(imp, "Data", viewer, "Data")
    engine = Engine(wf)
    try:
        assert engine.run_until_idle(timeout=30)
        out = engine.outputs(viewer.id)
        imported = engine.outputs(imp.id)["Data"]
        assert list(out["Selected Images"].ids) == [imported.ids[2]]
        assert len(out["Data"]) == 12
    finally:
        engine.shutdown()


# -- the window --------------------------------------------------------------------------------

@pytest.fixture
def gui(qtbot, images):
    from imgflow.gui.qtpost import QtPoster
    wf = Workflow(Registry([ImportImages, ImageViewer]))
    imp = wf.add_node("imgflow.import_images",
                      settings={"directory": str(images[0].parents[1])})
    viewer = wf.add_node("imgflow.image_viewer")
    wf.add_link(imp, "Data", viewer, "Data")
    engine = Engine(wf, post=QtPoster())
    yield wf, engine, viewer
    engine.shutdown()


def open_viewer(qtbot, wf, engine, node):
    panel = show_panel(qtbot, wf, engine, node)
    qtbot.waitUntil(lambda: panel.grid.visualRect(panel.model.index(11)).isValid())
    return panel


def click(qtbot, panel, row, modifier=None):
    from PyQt5.QtCore import Qt
    rect = panel.grid.visualRect(panel.model.index(row))
    qtbot.mouseClick(panel.grid.viewport(), Qt.LeftButton, modifier or Qt.NoModifier, rect.center())


def test_clicks_select_and_the_selection_is_output(gui, qtbot, images):
    from PyQt5.QtCore import Qt
    wf, engine, node = gui
    panel = open_viewer(qtbot, wf, engine, node)
    assert panel.model.rowCount() == 12
    click(qtbot, panel, 2)
    click(qtbot, panel, 5, Qt.ControlModifier)
    qtbot.waitUntil(lambda: node.settings["selection"] == [str(images[2]), str(images[5])])
    qtbot.waitUntil(engine.is_idle)
    table = engine.state(node.id).inputs["Data"]
    selected = engine.outputs(node.id)["Selected Images"]
    assert list(selected.ids) == [table.ids[2], table.ids[5]]
    click(qtbot, panel, 9, Qt.ShiftModifier)       # from the anchor (5) to 9
    qtbot.waitUntil(lambda: len(node.settings["selection"]) == 5)
    assert "5 selected" in panel.info.text()


def test_settings_round_trip_and_selection_restored_on_open(gui, qtbot, images, tmp_path):
    wf, engine, node = gui
    panel = open_viewer(qtbot, wf, engine, node)
    panel.size_slider.setValue(96)
    panel.title_combo.activated.emit(panel.title_combo.findText("category"))
    click(qtbot, panel, 3)
    qtbot.waitUntil(lambda: node.settings["selection"] == [str(images[3])]
                    and node.settings["thumbnail_size"] == 96)
    assert node.settings["title_column"] == "category"
    assert panel.model.data(panel.model.index(0)) == "checks"
    path = tmp_path / "flow.imgflow"
    save(wf, path)
    loaded = load(path, wf.registry)
    loaded_node = next(n for n in loaded.nodes.values() if n.widget_id == "imgflow.image_viewer")
    assert loaded_node.settings == node.settings
    from imgflow.gui.qtpost import QtPoster
    engine2 = Engine(loaded, post=QtPoster())
    try:
        panel2 = open_viewer(qtbot, loaded, engine2, loaded_node)
        assert panel2.selected_rows() == [3]
        assert panel2.size_slider.value() == 96 and panel2.grid.iconSize().width() == 96
        assert panel2.title_combo.currentText() == "category"
    finally:
        engine2.shutdown()


class Source(Widget):
    """A stand-in upstream node that outputs a given table."""
    id, name = "test.source", "Source"
    outputs = (Output("Data", Table),)
    table: Table | None = None

    def compute(self, inputs, settings, ctx):
        return {"Data": Source.table}


def test_thumbnails_arrive_and_unreadable_ones_get_a_broken_mark(qtbot, tmp_path, images):
    from imgflow.gui.panel import open_panel
    from imgflow.gui.qtpost import QtPoster
    from PyQt5.QtCore import Qt
    missing = str(tmp_path / "gone.jpg")
    Source.table = Table.from_columns([Column.text("image name", ["a", "gone"]),
                                       Column.image("image", [str(images[0]), missing])])
    wf = Workflow(Registry([Source, ImageViewer]))
    node = wf.add_node("imgflow.image_viewer")
    wf.add_link(wf.add_node("test.source"), "Data", node, "Data")
    engine = Engine(wf, post=QtPoster())
    try:
        panel = open_panel(wf, engine, node)
        qtbot.addWidget(panel)
        qtbot.waitUntil(engine.is_idle)
        model, loader = panel.model, panel.loader
        first = model.data(model.index(0), Qt.DecorationRole)
        assert first.cacheKey() == loader.mark("loading", 128).cacheKey()   # a placeholder
        model.data(model.index(1), Qt.DecorationRole)
        qtbot.waitUntil(lambda: missing in loader.failed and len(loader.cache) == 1)
        loaded = model.data(model.index(0), Qt.DecorationRole)
        assert (loaded.width(), loaded.height()) == (64, 48)     # never enlarged
        broken = model.data(model.index(1), Qt.DecorationRole)
        assert broken.cacheKey() == loader.mark("broken", 128).cacheKey()
        assert "file not found" in model.data(model.index(1), Qt.ToolTipRole)
    finally:
        engine.shutdown()


def test_gui_thread_keeps_ticking_while_1000_thumbnails_load(qtbot, tmp_path):
    from PyQt5.QtCore import QTimer
    from imgflow.widgets.common.thumbnails import ThumbnailLoader
    buf = io.BytesIO()
    Image.new("RGB", (160, 120), (200, 90, 30)).save(buf, "JPEG")
    sources = []
    for i in range(1000):
        path = tmp_path / f"t{i:04d}.jpg"
        path.write_bytes(buf.getvalue())
        sources.append(str(path))
    loader = ThumbnailLoader()
    arrived = []
    loader.ready.connect(arrived.append)
    ticks = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    for s in sources:
        assert loader.thumbnail(s, 64) is None       # never loads on the caller's thread
    qtbot.waitUntil(lambda: len(arrived) == 1000, timeout=60_000)
    timer.stop()
    assert len(loader.cache) == 1000 and not loader.failed
    gaps = np.diff(ticks)
    print(f"1000 thumbnails: {ticks[-1] - ticks[0]:.2f} s, {len(ticks)} ticks, "
          f"longest gap {gaps.max() * 1000:.0f} ms")
    assert len(ticks) > 5 and gaps.max() < 0.3, f"the GUI thread stalled for {gaps.max():.2f} s"


def test_cache_is_bounded_by_bytes(qtbot):
    from PyQt5.QtGui import QPixmap
    from imgflow.widgets.common.thumbnails import ThumbnailCache
    cache = ThumbnailCache(max_bytes=10 * 64 * 64 * 4)
    for i in range(25):
        cache.put(i, QPixmap(64, 64))
        cache.get(0)                     # keep the first one in use
    assert len(cache) == 10 and cache.bytes <= cache.max_bytes
    assert cache.get(0) is not None and cache.get(1) is None


def test_grid_model_for_20000_rows_reads_rows_on_demand(qtbot):
    from imgflow.widgets.common.thumbnails import ThumbnailLoader
    from imgflow.widgets.image_viewer.grid import ThumbnailGrid, ThumbnailModel
    n = 20_000
    table = Table.from_columns([Column.text("image name", [f"img{i}" for i in range(n)]),
                                Column.image("image", [f"/nowhere/img{i}.jpg" for i in range(n)])])
    loader = ThumbnailLoader()
    model = ThumbnailModel(loader)
    grid = ThumbnailGrid()
    qtbot.addWidget(grid)
    grid.setModel(model)
    grid.set_thumbnail_size(64)
    model.set_table(table, "image", "image name")
    assert model.rowCount() == n
    assert model.data(model.index(n - 1)) == f"img{n - 1}"
    assert len(loader._asked) == 0          # nothing was loaded for rows never shown


def test_thumbnails_of_http_urls_load_in_the_background(qtbot, images, monkeypatch):
    monkeypatch.setenv("IMGFLOW_ALLOW_PRIVATE_URLS", "1")   # the server is on loopback
    import functools
    import http.server
    import threading
    from imgflow.widgets.common.thumbnails import ThumbnailLoader
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(images[0].parents[1]))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        loader = ThumbnailLoader()
        good, missing = f"{base}/discs/discs-0.jpg", f"{base}/nothing.jpg"
        assert loader.thumbnail(good, 64) is None and loader.thumbnail(missing, 64) is None
        qtbot.waitUntil(lambda: loader.thumbnail(good, 64) is not None and missing in loader.failed,
                        timeout=20_000)
        assert "404" in loader.failed[missing]
    finally:
        server.shutdown()
        server.server_close()
