"""Every edit is undoable: add, move, rename, remove, settings, notes, arrange."""
import json

from PyQt5.QtCore import QPointF, Qt
from PyQt5.QtWidgets import QApplication

from imgflow.workflow import dumps
from tests.gui.mouse import centre, double_click, drag


def _snapshot(window):
    """The workflow as saved, independent of the order items were (re)inserted in."""
    doc = json.loads(dumps(window.document.workflow))
    for key in ("nodes", "links", "annotations"):
        doc[key].sort(key=lambda item: item["id"])
    return doc


def test_undo_and_redo_walk_back_and_forth_through_edits(window):
    doc = window.document
    states = [_snapshot(window)]
    a = doc.add_node("test.numbers", (0, 0))
    states.append(_snapshot(window))
    b = doc.add_node("test.double", (200, 0))
    states.append(_snapshot(window))
    doc.link(a.id, b.id)
    states.append(_snapshot(window))
    doc.rename(b, "Twice")
    states.append(_snapshot(window))
    doc.remove([a])
    states.append(_snapshot(window))
    assert not doc.workflow.links
    for expected in reversed(states[:-1]):
        window.undo()
        assert _snapshot(window) == expected
    assert not window.actions_.undo.isEnabled()
    for expected in states[1:]:
        window.redo()
        assert _snapshot(window) == expected
    assert set(window.scene.node_items) == set(doc.workflow.nodes)


def test_undo_action_names_the_edit_and_title_marks_changes(window):
    assert not window.isWindowModified()
    window.document.add_node("test.numbers", (0, 0))
    assert window.actions_.undo.text() == "&Undo Add Numbers"
    assert window.isWindowModified() and window.windowTitle().startswith("Untitled")
    window.undo()
    assert not window.isWindowModified()


def test_dragging_a_node_moves_it_in_one_undo_step(window):
    doc = window.document
    node = doc.add_node("test.numbers", (0, 0))
    drag(window.view, centre(window, node), QPointF(120, 80))
    assert node.position == (120.0, 80.0)
    window.undo()
    assert node.position == (0.0, 0.0)
    assert window.scene.node_items[node.id].pos() == QPointF(0, 0)


def test_rubber_band_selects_and_delete_removes_with_undo(window, qtbot):
    doc = window.document
    a = doc.add_node("test.numbers", (0, 0))
    b = doc.add_node("test.double", (200, 0))
    doc.add_node("test.double", (200, 300))
    doc.link(a.id, b.id)
    drag(window.view, QPointF(-100, -100), QPointF(300, 100))
    assert {n.title for n in window.scene.selected_nodes()} == {"Numbers", "Double"}
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert [n.title for n in doc.workflow.nodes.values()] == ["Double (1)"]
    window.undo()
    assert len(doc.workflow.nodes) == 3 and len(doc.workflow.links) == 1


def test_rename_in_place_with_f2(window, qtbot):
    node = window.document.add_node("test.numbers", (0, 0))
    window.scene.select_nodes([node.id])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_F2)
    title = window.scene.node_items[node.id].title
    assert title.editing
    qtbot.keyClicks(window.view, "Source")
    qtbot.keyClick(window.view, Qt.Key_Return)
    assert node.title == "Source" and title.toPlainText() == "Source"
    window.undo()
    assert node.title == "Numbers" and title.toPlainText() == "Numbers"


def test_settings_changed_in_a_widget_window_are_undoable(window, qtbot):
    doc = window.document
    node = doc.add_node("test.numbers", (0, 0))
    double_click(window.view, centre(window, node))
    host, panel = window.panels.open_panels[node.id]
    assert panel.isVisible() and panel.windowTitle() == "Numbers"
    panel.spin.setValue(5)
    assert node.settings["count"] == 5
    qtbot.waitUntil(lambda: doc.engine.state(node.id).outputs.get("Data") == [0, 1, 2, 3, 4])
    window.undo()
    assert node.settings["count"] == 3 and panel.spin.value() == 3
    qtbot.waitUntil(lambda: doc.engine.state(node.id).outputs.get("Data") == [0, 1, 2])
    # Opening again raises the same window instead of making another.
    assert window.panels.open(node) is panel


def test_open_window_geometry_is_kept_with_the_node(window, qtbot):
    node = window.document.add_node("test.numbers", (0, 0))
    panel = window.panels.open(node)
    panel.resize(333, 222)
    panel.close()
    assert node.panel_state.get("geometry")


def test_copy_paste_and_duplicate(window):
    doc = window.document
    a = doc.add_node("test.numbers", (0, 0))
    b = doc.add_node("test.double", (200, 0))
    doc.link(a.id, b.id)
    doc.set_settings(a, {"count": 7})
    window.scene.select_all()
    window.actions_.copy.trigger()
    text = QApplication.clipboard().text()
    assert '"format": "imgflow-workflow"' in text      # JSON in the file format, not pickle
    window.actions_.paste.trigger()
    wf = doc.workflow
    assert len(wf.nodes) == 4 and len(wf.links) == 2
    pasted = [n for n in wf.nodes.values() if n.id not in (a.id, b.id)]
    assert {n.title for n in pasted} == {"Numbers (1)", "Double (1)"}
    assert [n.settings["count"] for n in pasted if n.widget_id == "test.numbers"] == [7]
    assert {n.id for n in window.scene.selected_nodes()} == {n.id for n in pasted}
    assert all(n.position != a.position and n.position != b.position for n in pasted)
    window.actions_.duplicate.trigger()
    assert len(wf.nodes) == 6 and len(wf.links) == 3
    window.undo()
    window.undo()
    assert len(wf.nodes) == 2 and len(wf.links) == 1


def test_pasting_text_that_is_not_a_workflow_does_nothing(window):
    QApplication.clipboard().setText("hello")
    window.actions_.paste.trigger()
    assert not window.document.workflow.nodes
    assert "no widgets" in window.statusBar().currentMessage()


def test_text_notes_and_arrows_are_undoable(window, qtbot):
    doc = window.document
    window.actions_.add_text.trigger()
    drag(window.view, QPointF(0, 0), QPointF(10, 10), steps=1)
    [note] = doc.workflow.annotations.values()
    item = window.scene.annotation_items[note.id]
    assert note.kind == "text" and item.text.hasFocus()
    qtbot.keyClicks(window.view, "Hello")
    window.scene.clearFocus()
    item.text.clearFocus()
    assert note.text == "Hello"
    window.actions_.add_arrow.trigger()
    drag(window.view, QPointF(0, 100), QPointF(100, 150))
    arrows = [a for a in doc.workflow.annotations.values() if a.kind == "arrow"]
    assert [a.geometry for a in arrows] == [(0.0, 100.0, 100.0, 150.0)]
    window.undo()
    assert len(doc.workflow.annotations) == 1
    window.undo()
    assert note.text == ""


def test_a_text_note_is_resized_by_its_corner(window):
    doc = window.document
    note = doc.add_annotation("text", (0, 0, 200, 50), "A note that wraps once it is narrow")
    item = window.scene.annotation_items[note.id]
    corner = item.mapToScene(item.boundingRect().adjusted(2, 2, -2, -2).bottomRight())
    drag(window.view, corner - QPointF(3, 3), corner + QPointF(97, 37))
    x, y, width, height = note.geometry
    assert (x, y) == (0, 0) and (width, height) == (corner.x() + 100, corner.y() + 40)
    assert window.actions_.undo.text().endswith("Resize note")
    assert item.text.textWidth() == width - 10  # the text wraps to the new width
    window.undo()
    assert note.geometry == (0, 0, 200, 50)
    # never smaller than a note can show; a drag elsewhere still moves it
    drag(window.view, corner - QPointF(3, 3), QPointF(-500, -500))
    assert note.geometry[2:] == item.MIN_SIZE
    drag(window.view, item.mapToScene(QPointF(20, 10)), item.mapToScene(QPointF(70, 10)))
    assert note.geometry[:2] == (50, 0)


def test_arrange_lays_out_left_to_right_by_depth(window):
    doc = window.document
    a = doc.add_node("test.numbers", (300, 300))
    b = doc.add_node("test.double", (0, 0))
    c = doc.add_node("test.collect", (-200, 50))
    doc.link(a.id, b.id)
    doc.link(b.id, c.id)
    before = [n.position for n in (a, b, c)]
    window.actions_.arrange.trigger()
    xs = [n.position[0] for n in (a, b, c)]
    assert xs[0] < xs[1] < xs[2]
    assert len({n.position[1] for n in (a, b, c)}) == 1
    window.undo()
    assert [n.position for n in (a, b, c)] == before


def test_double_click_on_empty_canvas_adds_the_chosen_widget_there(window):
    window.scene.widget_chooser = lambda pos, accept, text: window.registry.get("test.double")
    double_click(window.view, QPointF(40, 40))
    [node] = window.document.workflow.nodes.values()
    assert node.widget_id == "test.double" and node.position == (40.0, 40.0)


def test_typing_on_the_canvas_searches_with_what_was_typed(window, qtbot):
    typed = []

    def chooser(pos, accept, text):
        typed.append(text)
        return None
    window.scene.widget_chooser = chooser
    window.view.setFocus()
    qtbot.keyClick(window.view, "d")
    assert typed == ["d"]


def test_delete_key_while_renaming_edits_the_text_not_the_canvas(window, qtbot):
    node = window.document.add_node("test.numbers", (0, 0))
    window.scene.select_nodes([node.id])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_F2)
    qtbot.keyClick(window.view, Qt.Key_End)
    qtbot.keyClick(window.view, Qt.Key_Backspace)
    qtbot.keyClick(window.view, Qt.Key_Return)
    assert node.title == "Number" and len(window.document.workflow.nodes) == 1
