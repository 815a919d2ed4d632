"""Putting a widget into a link: dropped from the toolbox on the link, or chosen with the
link's "Insert Widget…"; rewired when the channels fit, as one undo step."""
import pytest
from PyQt5.QtCore import QPoint, Qt
from PyQt5.QtGui import QContextMenuEvent, QDragEnterEvent, QDragMoveEvent
from PyQt5.QtWidgets import QApplication, QMenu

from imgflow.workflow.links import IncompatibleTypes, insert_channels
from tests.gui.mouse import drop_on_canvas, toolbox_index


@pytest.fixture
def linked(window):
    doc = window.document
    numbers = doc.add_node("test.numbers", (0, 0))
    collect = doc.add_node("test.collect", (400, 0))
    doc.link(numbers.id, collect.id)
    [link] = doc.workflow.links.values()
    return numbers, collect, link


def links(window):
    wf = window.document.workflow
    return sorted((wf.nodes[l.source].title, l.source_channel, wf.nodes[l.sink].title,
                   l.sink_channel, l.enabled) for l in wf.links.values())


def on_link(window, link) -> QPoint:
    """A viewport point on the link's curve (its middle)."""
    item = window.scene.link_items[link.id]
    return window.view.mapFromScene(item.mapToScene(item._path.pointAtPercent(0.5)))


def toolbox_mime(window, name):
    return window.toolbox.model.mimeData([toolbox_index(window.toolbox, name)])


def test_dropping_a_widget_on_a_link_puts_it_in_between(window, linked, qtbot):
    numbers, collect, link = linked
    doc = window.document
    mime = toolbox_mime(window, "Double")
    at = on_link(window, link)
    enter = QDragEnterEvent(at, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window.view.viewport(), enter)
    move = QDragMoveEvent(at, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window.view.viewport(), move)
    assert window.scene.link_items[link.id].hovered          # the link shows where it goes
    assert drop_on_canvas(window.view, mime, at).isAccepted()
    assert links(window) == [("Double", "Data", "Collect", "Data", True),
                             ("Numbers", "Data", "Double", "Data", True)]
    [double] = [n for n in doc.workflow.nodes.values() if n.widget_id == "test.double"]
    expected = window.view.mapToScene(at)
    assert double.position == (expected.x(), expected.y())
    assert window.scene.node_items[double.id].isSelected()
    qtbot.waitUntil(lambda: doc.engine.outputs(collect.id).get("Total") == [6])   # 2 * (0+1+2)

    assert doc.undo_stack.undoText() == "Insert Double"
    window.undo()                                             # one step puts it all back
    assert links(window) == [("Numbers", "Data", "Collect", "Data", True)]
    assert list(doc.workflow.links) == [link.id] and len(doc.workflow.nodes) == 2
    doc.undo_stack.redo()
    assert len(doc.workflow.links) == 2 and len(doc.workflow.nodes) == 3


def test_a_widget_that_does_not_fit_is_just_added_and_the_link_kept(window, linked):
    numbers, collect, link = linked
    drop_on_canvas(window.view, toolbox_mime(window, "Make Matrix"), on_link(window, link))
    assert links(window) == [("Numbers", "Data", "Collect", "Data", True)]
    assert len(window.document.workflow.nodes) == 3
    assert "Make Matrix takes nothing" in window.statusBar().currentMessage()


def _link_menu(window, link, monkeypatch, choose):
    def fake_exec(menu, *args):
        next(a for a in menu.actions() if a.text() == choose).trigger()
    monkeypatch.setattr(QMenu, "exec_", fake_exec)
    at = on_link(window, link)
    event = QContextMenuEvent(QContextMenuEvent.Mouse, at, window.view.viewport().mapToGlobal(at))
    QApplication.sendEvent(window.view.viewport(), event)


def test_insert_widget_from_the_link_menu_offers_only_widgets_that_fit(window, linked,
                                                                       monkeypatch):
    numbers, collect, link = linked
    offered = {}

    def chooser(pos, accept, text):
        offered.update({w.name: accept(w) for w in window.document.workflow.registry})
        return window.document.workflow.registry.get("test.double")
    window.scene.channel_chooser = lambda *a: None
    window.scene.widget_chooser = chooser
    _link_menu(window, link, monkeypatch, "Insert Widget…")
    assert offered == {"Numbers": False, "Make Matrix": False, "Double": True,
                       "Split": True, "Collect": True, "Fail": True}
    assert links(window) == [("Double", "Data", "Collect", "Data", True),
                             ("Numbers", "Data", "Double", "Data", True)]


def test_a_disabled_link_stays_disabled_on_both_sides(window, linked, monkeypatch):
    numbers, collect, link = linked
    window.document.set_link_enabled(link, False)
    window.scene.widget_chooser = lambda pos, accept, text: \
        window.document.workflow.registry.get("test.double")
    _link_menu(window, link, monkeypatch, "Insert Widget…")
    assert links(window) == [("Double", "Data", "Collect", "Data", False),
                             ("Numbers", "Data", "Double", "Data", False)]


def test_the_link_rule_names_the_channels_or_says_why_not(window, linked):
    numbers, collect, link = linked
    wf = window.document.workflow
    registry = wf.registry
    assert insert_channels(wf, link, registry.get("test.double")) == \
        (("Data", "Data"), ("Data", "Data"))
    assert insert_channels(wf, link, registry.get("test.split")) == \
        (("Data", "Data"), ("Even", "Data"))
    refusal = insert_channels(wf, link, registry.get("test.matrix"))
    assert isinstance(refusal, IncompatibleTypes) and "Numbers" in str(refusal)
