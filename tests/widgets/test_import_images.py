"""Import Images: what a folder of images becomes, headless and in its window."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from imgflow.api import Cancelled, Context, WidgetError
from imgflow.engine import ERROR, WARNING, Engine
from imgflow.registry import Registry
from imgflow.workflow import Workflow, load, save
from tests.support.images import make_image_tree, make_photo
from imgflow.widgets.import_images import ImportImages


def run(directory, recursive=True, workflow_dir=None):
    ctx = Context(workflow_dir=workflow_dir)
    result = ImportImages().compute({}, {"directory": str(directory), "recursive": recursive,
                                         "recent": []}, ctx)
    return result, ctx


@pytest.fixture
def tree(tmp_path) -> tuple[Path, list[Path]]:
    root = tmp_path / "photos"
    paths = make_image_tree(root, per_kind=3)
    return root, paths


def test_one_row_per_image_with_category_from_subfolder(tree):
    root, paths = tree
    result, ctx = run(root)
    table = result.outputs["Data"]
    assert len(table) == 12 and table.n_features == 0
    assert [c.name for c in table.columns] == ["image name", "image", "size", "width",
                                               "height", "category"]
    assert list(table.column("image").data) == [str(p) for p in paths]   # sorted by path
    assert table.column("image").kind == "image"
    assert table.column("image name").data[0] == paths[0].stem
    assert table.column("size").data.tolist() == [os.stat(p).st_size for p in paths]
    assert set(table.column("width").data) == {320} and set(table.column("height").data) == {240}
    category = table.column("category")
    assert category.role == "class" and category.kind == "categorical"
    assert category.categories == ("checks", "discs", "noise", "stripes")
    assert list(category.data) == [p.parent.name for p in paths]
    assert not ctx.warnings and "12 images, 4 categories" in result.info


def test_unreadable_files_are_listed_in_a_warning_not_output(tree):
    root, _ = tree
    (root / "checks" / "fake.jpg").write_bytes(b"this is not a jpeg")
    (root / "empty.png").write_bytes(b"")
    (root / "notes.txt").write_text("not looked at: not an image extension")
    result, ctx = run(root)
    table = result.outputs["Data"]
    assert len(table) == 12
    assert not any("fake" in p for p in table.column("image").data)
    assert len(ctx.warnings) == 1
    assert "2 files" in ctx.warnings[0]
    assert "checks/fake.jpg" in ctx.warnings[0] and "empty.png" in ctx.warnings[0]
    assert "notes.txt" not in ctx.warnings[0]
    assert {p for p, _ in result.view.skipped} == {"checks/fake.jpg", "empty.png"}


def test_nested_folders_give_their_path_and_top_level_images_no_category(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    make_photo("discs", 1, (40, 30)).save(tmp_path / "top.png")
    make_photo("checks", 2, (50, 20)).save(tmp_path / "a" / "b" / "deep.jpg")
    make_photo("noise", 3, (30, 60)).save(tmp_path / "a" / "mid.JPG")
    table = run(tmp_path)[0].outputs["Data"]
    by_name = dict(zip(table.column("image name").data, table.column("category").data))
    assert by_name == {"top": None, "deep": "a/b", "mid": "a"}
    widths = dict(zip(table.column("image name").data, table.column("width").data))
    assert widths == {"top": 40, "deep": 50, "mid": 30}


def test_without_recursion_only_the_folder_itself_and_no_category(tree):
    root, _ = tree
    make_photo("discs", 5).save(root / "alone.jpg")
    table = run(root, recursive=False)[0].outputs["Data"]
    assert list(table.column("image name").data) == ["alone"]
    assert not table.has_column("category")


def test_flat_folder_has_no_category_column(tmp_path):
    for i in range(3):
        make_photo("stripes", i, (32, 32)).save(tmp_path / f"s{i}.png")
    table = run(tmp_path)[0].outputs["Data"]
    assert len(table) == 3 and not table.has_column("category")


def test_empty_folder_warns_and_outputs_nothing(tmp_path):
    result, ctx = run(tmp_path)
    assert result.outputs["Data"] is None
    assert any("No images found" in w for w in ctx.warnings)


@pytest.mark.parametrize("directory, message", [
    ("", "No folder chosen"),
    ("/no/such/folder/anywhere", "Folder not found"),
])
def test_missing_folder_is_a_clear_error(directory, message):
    with pytest.raises(WidgetError, match=message):
        run(directory)


def test_a_file_is_not_a_folder(tmp_path):
    (tmp_path / "x.jpg").write_bytes(b"x")
    with pytest.raises(WidgetError, match="Not a folder"):
        run(tmp_path / "x.jpg")


def test_relative_folder_is_taken_from_the_workflow_folder(tree):
    root, _ = tree
    result, _ = run("photos", workflow_dir=root.parent)
    assert len(result.outputs["Data"]) == 12


def test_progress_reaches_the_end_and_cancel_stops(tree):
    root, _ = tree
    seen = []
    ctx = Context(on_progress=seen.append)
    ImportImages().compute({}, {"directory": str(root), "recursive": True}, ctx)
    assert seen and seen[-1] == 1.0
    ctx = Context()
    ctx.cancel()
    with pytest.raises(Cancelled):
        ImportImages().compute({}, {"directory": str(root), "recursive": True}, ctx)


def test_rows_are_deterministic_across_runs(tree):
    root, _ = tree
    first = run(root)[0].outputs["Data"]
    second = run(root)[0].outputs["Data"]
    assert list(first.column("image").data) == list(second.column("image").data)
    assert not np.intersect1d(first.ids, second.ids).size     # fresh ids for a fresh run


# -- through the engine, headless ------------------------------------------------------------

def make_workflow(directory) -> tuple[Workflow, object]:
    wf = Workflow(Registry([ImportImages]))
    node = wf.add_node("imgflow.import_images", settings={"directory": str(directory)})
    return wf, node


def test_engine_runs_it_headless(tree):
    root, _ = tree
    (root / "bad.png").write_bytes(b"\x89PNG garbage")
    wf, node = make_workflow(root)
    engine = Engine(wf)
    try:
        assert engine.run_until_idle(timeout=30)
        state = engine.state(node.id)
        assert state.status == WARNING and "bad.png" in state.warnings[0]
        assert len(state.outputs["Data"]) == 12
        wf.set_settings(node, {"directory": str(root / "missing")})
        assert engine.run_until_idle(timeout=30)
        assert engine.state(node.id).status == ERROR
        assert "Folder not found" in engine.state(node.id).message
    finally:
        engine.shutdown()


def test_folder_inside_the_workflow_folder_is_saved_relative(tree, tmp_path):
    root, _ = tree
    wf, node = make_workflow(root)
    wf.set_settings(node, {"recursive": False, "recent": [str(root), "/elsewhere"]})
    path = tmp_path / "flow.imgflow"
    save(wf, path)
    assert '"relative": "photos"' in path.read_text()
    loaded = load(path, wf.registry)
    assert next(iter(loaded.nodes.values())).settings == node.settings


# -- the window ------------------------------------------------------------------------------------

@pytest.fixture
def gui(qtbot):
    from imgflow.gui.qtpost import QtPoster
    wf = Workflow(Registry([ImportImages]))
    node = wf.add_node("imgflow.import_images")
    engine = Engine(wf, post=QtPoster())
    yield wf, engine, node
    engine.shutdown()


def open_panel(qtbot, wf, engine, node):
    from imgflow.gui.panel import open_panel as open_
    panel = open_(wf, engine, node)
    qtbot.addWidget(panel)
    return panel


def test_panel_choose_folder_shows_summary_and_remembers_it(gui, qtbot, tree):
    wf, engine, node = gui
    root, _ = tree
    panel = open_panel(qtbot, wf, engine, node)
    qtbot.waitUntil(engine.is_idle)
    assert "No folder chosen" in panel.info.text()
    panel.choose_directory(str(root))
    qtbot.waitUntil(engine.is_idle)
    assert node.settings["directory"] == str(root) and node.settings["recent"] == [str(root)]
    assert "12 images in 4 categories" in panel.info.text()
    assert panel.folder_combo.itemData(0) == str(root)


def test_panel_reload_picks_up_new_files(gui, qtbot, tree):
    wf, engine, node = gui
    root, _ = tree
    wf.set_settings(node, {"directory": str(root)})
    panel = open_panel(qtbot, wf, engine, node)
    qtbot.waitUntil(engine.is_idle)
    make_photo("discs", 9).save(root / "discs" / "new.jpg")
    (root / "broken.gif").write_bytes(b"GIF89a")
    qtbot.mouseClick(panel.reload_button, 1)      # Qt.LeftButton
    qtbot.waitUntil(engine.is_idle)
    assert len(engine.outputs(node.id)["Data"]) == 13
    assert "13 images" in panel.info.text() and "1 file skipped" in panel.info.text()
    assert "broken.gif" in panel.info.toolTip()


def test_panel_recursive_box_and_recent_combo_edit_settings(gui, qtbot, tree, tmp_path):
    wf, engine, node = gui
    root, _ = tree
    other = tmp_path / "other"
    other.mkdir()
    wf.set_settings(node, {"directory": str(root), "recent": [str(root), str(other)]})
    panel = open_panel(qtbot, wf, engine, node)
    panel.recursive_box.setChecked(False)
    assert node.settings["recursive"] is False
    panel.folder_combo.activated.emit(1)
    assert node.settings["directory"] == str(other)
    assert node.settings["recent"] == [str(other), str(root)]
    qtbot.waitUntil(engine.is_idle)
    assert "No images" in panel.info.text()
    path = tmp_path / "saved.imgflow"
    save(wf, path)
    loaded = next(iter(load(path, wf.registry).nodes.values()))
    assert loaded.settings == node.settings


def test_panel_shows_the_error_of_a_missing_folder(gui, qtbot, tmp_path):
    wf, engine, node = gui
    wf.set_settings(node, {"directory": str(tmp_path / "gone")})
    panel = open_panel(qtbot, wf, engine, node)
    qtbot.waitUntil(engine.is_idle)
    assert "Folder not found" in panel.info.text()
