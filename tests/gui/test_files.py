"""Saving, opening, closing with unsaved changes, bad files."""
import json

from PyQt5.QtWidgets import QMessageBox

from imgflow.workflow import dumps


def _build(doc):
    a = doc.add_node("test.numbers", (0, 0))
    b = doc.add_node("test.double", (200, 10))
    doc.link(a.id, b.id)
    doc.set_settings(a, {"count": 9})
    doc.rename(b, "Twice")
    doc.add_annotation("text", (0, -120, 200, 50), "A note")
    doc.add_annotation("arrow", (0, 100, 60, 140))
    return a, b


def test_save_close_open_gives_the_same_workflow(window, tmp_path, answers):
    _build(window.document)
    before = dumps(window.document.workflow)
    path = tmp_path / "flow.imgflow"
    assert window.save_to(path)
    assert not window.isWindowModified() and window.windowTitle().startswith("flow.imgflow")
    window.actions_.close.trigger()
    assert not window.document.workflow.nodes and answers.asked == []   # saved: no question
    assert window.open_path(path)
    assert dumps(window.document.workflow) == before
    assert window.document.path == path
    assert set(window.scene.node_items) == set(window.document.workflow.nodes)
    assert len(window.scene.annotation_items) == 2
    assert str(path.resolve()) in window.recent_files()


def test_saving_asks_for_a_name_the_first_time(window, tmp_path, monkeypatch):
    from PyQt5.QtWidgets import QFileDialog
    target = tmp_path / "chosen"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.document.add_node("test.numbers", (0, 0))
    window.actions_.save.trigger()
    saved = tmp_path / "chosen.imgflow"
    assert json.loads(saved.read_text())["nodes"][0]["widget"] == "test.numbers"


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_work(window, answers):
    window.document.add_node("test.numbers", (0, 0))
    answers.question = QMessageBox.Cancel
    window.actions_.new.trigger()
    assert answers.asked and "Save the changes" in answers.asked[0][1]
    assert len(window.document.workflow.nodes) == 1
    assert not window.close()                # the window stays open too
    answers.question = QMessageBox.Discard
    window.actions_.new.trigger()
    assert not window.document.workflow.nodes


def test_malformed_file_shows_the_loader_message_and_changes_nothing(window, tmp_path, answers):
    a, _b = _build(window.document)
    before = dumps(window.document.workflow)
    bad = tmp_path / "bad.imgflow"
    bad.write_text('{"format": "imgflow-workflow", "version": 1, "nodes": [{"id": "x"}]}')
    assert not window.open_path(bad)
    assert len(answers.critical) == 1 and "bad.imgflow" in answers.critical[0]
    assert "'id' must be a whole number" in answers.critical[0]
    assert dumps(window.document.workflow) == before
    assert answers.asked == []           # no "save changes?" for a file that was not opened
    assert window.document.workflow.nodes[a.id] is a


def test_missing_widgets_stay_as_placeholders_and_explain_themselves(window, tmp_path, monkeypatch):
    path = tmp_path / "other.imgflow"
    path.write_text(json.dumps({
        "format": "imgflow-workflow", "version": 1,
        "nodes": [{"id": 0, "widget": "elsewhere.unknown", "title": "Alien", "position": [0, 0]}]}))
    assert window.open_path(path)
    [node] = window.document.workflow.nodes.values()
    item = window.scene.node_items[node.id]
    assert "not installed" in item.toolTip()
    shown = []
    monkeypatch.setattr(QMessageBox, "show", lambda box: shown.append(box.text()))
    assert window.panels.open(node) is None
    assert "not installed" in shown[0]


def _save_row_of_widgets(registry, path, count: int, step: float) -> None:
    from imgflow.workflow import Workflow, save
    wf = Workflow(registry)
    for i in range(count):
        wf.add_node("test.numbers", position=(i * step, 0))
    save(wf, path)


def test_opening_a_wide_workflow_zooms_out_until_it_all_shows(window, registry, tmp_path):
    window.resize(900, 600)
    wide, small = tmp_path / "wide.imgflow", tmp_path / "small.imgflow"
    _save_row_of_widgets(registry, wide, 7, 200)  # 1,200 wide and more
    _save_row_of_widgets(registry, small, 2, 200)
    assert window.open_path(wide)
    view = window.view
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert 0.5 <= view.zoom < 1
    for item in window.scene.node_items.values():
        assert visible.contains(item.sceneBoundingRect())
    window.actions_.close.trigger()
    view.zoom_reset()
    assert window.open_path(small)
    assert view.zoom == 1  # what fits is never zoomed
