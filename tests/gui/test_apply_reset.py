"""The bottom row of widget windows: "Apply automatically" with Apply (widgets that
declare apply_control), Reset settings; and the node's context menu."""
import pytest
from PyQt5.QtCore import QPoint, Qt
from PyQt5.QtGui import QContextMenuEvent
from PyQt5.QtWidgets import QApplication, QMenu, QSpinBox, QVBoxLayout

from imgflow.api import Input, Output, Setting, Widget
from imgflow.gui.panel import WidgetPanel
from tests.gui.fixtures_widgets import Values, make_registry

RUNS: list[int] = []


class Scale(Widget):
    """Multiplies by `factor`; its run counts as long, so it has an Apply button."""
    id = "test.scale"
    name = "Scale"
    category = "Test Transform"
    inputs = (Input("Data", Values, default=True),)
    outputs = (Output("Data", Values, default=True),)
    settings = (Setting("factor", int, 2, minimum=0, maximum=100),)
    panel = "tests.gui.test_apply_reset:ScalePanel"
    apply_control = True

    def compute(self, inputs, settings, ctx):
        RUNS.append(settings["factor"])
        return {"Data": Values(settings["factor"] * v for v in inputs["Data"])}


class ScalePanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        self.spin = QSpinBox(self, maximum=100)
        self.spin.valueChanged.connect(lambda v: self.set_settings("Factor", factor=v))
        QVBoxLayout(self).addWidget(self.spin)

    def settings_changed(self):
        self.spin.blockSignals(True)
        self.spin.setValue(self.settings["factor"])
        self.spin.blockSignals(False)


@pytest.fixture
def registry():
    registry = make_registry()
    registry.register(Scale)
    return registry


@pytest.fixture
def chain(window, qtbot):
    RUNS.clear()
    doc = window.document
    numbers = doc.add_node("test.numbers", (0, 0))
    scale = doc.add_node("test.scale", (200, 0))
    doc.link(numbers.id, scale.id)
    engine = doc.engine
    qtbot.waitUntil(lambda: engine.outputs(scale.id).get("Data") == [0, 2, 4])
    return numbers, scale


def output(window, node):
    return window.document.engine.outputs(node.id).get("Data")


def test_apply_off_holds_changes_until_apply_is_pressed(window, chain, qtbot):
    numbers, scale = chain
    doc, engine = window.document, window.document.engine
    panel = window.panels.open(scale)
    bar = panel.bar
    assert bar.auto_box.isChecked() and not bar.apply_button.isEnabled()
    bar.auto_box.click()                                   # off
    assert scale.auto_apply is False and doc.modified
    assert doc.undo_stack.undoText() == "Apply automatically: off"

    panel.spin.setValue(5)
    doc.set_settings(numbers, {"count": 4})                # a new input waits too
    qtbot.waitUntil(lambda: engine.state(numbers.id).has_run and engine.is_idle())
    qtbot.wait(50)
    assert RUNS == [2] and output(window, scale) == [0, 2, 4]
    assert bar.apply_button.isEnabled() and bar.pending_label.isVisibleTo(panel)
    item = window.scene.node_items[scale.id]
    assert item.info_label.text() == "Not applied yet" and "press Apply" in item.toolTip()

    qtbot.mouseClick(bar.apply_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: output(window, scale) == [0, 5, 10, 15])
    assert RUNS == [2, 5]
    assert not bar.apply_button.isEnabled() and not bar.pending_label.isVisibleTo(panel)
    assert item.info_label.text() != "Not applied yet"


def test_turning_apply_back_on_runs_and_undo_turns_it_off_again(window, chain, qtbot):
    numbers, scale = chain
    doc = window.document
    panel = window.panels.open(scale)
    panel.bar.auto_box.click()
    panel.spin.setValue(3)
    qtbot.wait(50)
    assert RUNS == [2]
    panel.bar.auto_box.click()                             # on: what waited runs
    qtbot.waitUntil(lambda: output(window, scale) == [0, 3, 6])
    doc.undo_stack.undo()
    assert scale.auto_apply is False and not panel.bar.auto_box.isChecked()


def test_apply_automatically_is_saved_with_the_workflow(window, chain, tmp_path):
    numbers, scale = chain
    window.document.set_auto_apply(scale, False)
    path = tmp_path / "held.imgflow"
    window.document.save(path)
    from imgflow.workflow import load
    again = load(path, window.document.workflow.registry)
    assert again.node_by_title("Scale").auto_apply is False
    assert again.node_by_title("Numbers").auto_apply is True


def test_widgets_without_apply_control_get_only_reset(window, chain):
    numbers, scale = chain
    panel = window.panels.open(numbers)
    assert panel.bar.auto_box is None and panel.bar.apply_button is None
    assert panel.bar.reset_button.isVisibleTo(panel)


def test_reset_settings_in_the_window_is_one_undo_step(window, chain, qtbot):
    numbers, scale = chain
    doc = window.document
    panel = window.panels.open(scale)
    assert not panel.bar.reset_button.isEnabled()          # nothing to reset yet
    panel.spin.setValue(7)
    doc.set_settings(scale, {"factor": 9}, "Other")
    assert panel.bar.reset_button.isEnabled()
    qtbot.mouseClick(panel.bar.reset_button, Qt.LeftButton)
    assert scale.settings == {"factor": 2} and panel.spin.value() == 2
    assert not panel.bar.reset_button.isEnabled()
    doc.undo_stack.undo()
    assert scale.settings == {"factor": 9} and panel.spin.value() == 9


def _menu(window, node, monkeypatch, choose=""):
    """Right-click the node (a real context-menu event on the canvas); the menu's actions
    as {text: enabled}, after triggering the one called ``choose``."""
    shown = {}

    def fake_exec(menu, *args):
        shown.update({a.text(): a.isEnabled() for a in menu.actions() if a.text()})
        if choose:
            next(a for a in menu.actions() if a.text() == choose).trigger()
    monkeypatch.setattr(QMenu, "exec_", fake_exec)
    view = window.view
    local = view.mapFromScene(window.scene.node_items[node.id].scenePos())
    event = QContextMenuEvent(QContextMenuEvent.Mouse, local, view.viewport().mapToGlobal(local))
    QApplication.sendEvent(view.viewport(), event)
    return shown


def test_node_menu_resets_settings_and_applies(window, chain, qtbot, monkeypatch):
    numbers, scale = chain
    doc = window.document
    assert _menu(window, scale, monkeypatch)["Reset Settings"] is False   # all at defaults
    doc.set_auto_apply(scale, False)
    doc.set_settings(scale, {"factor": 4})
    qtbot.wait(50)
    assert RUNS == [2]
    _menu(window, scale, monkeypatch, "Apply")
    qtbot.waitUntil(lambda: output(window, scale) == [0, 4, 8])
    shown = _menu(window, scale, monkeypatch, "Reset Settings")
    assert "Apply" not in shown
    assert scale.settings == {"factor": 2}
    assert doc.undo_stack.undoText() == "Reset settings of Scale"
    doc.undo_stack.undo()
    assert scale.settings == {"factor": 4}


def test_a_pasted_node_keeps_apply_off_and_does_not_run(window, chain, qtbot):
    numbers, scale = chain
    doc = window.document
    doc.set_auto_apply(scale, False)
    window.scene.select_nodes([scale.id])
    window.actions_.duplicate.trigger()
    [copy] = [n for n in doc.workflow.nodes.values() if n.id not in (numbers.id, scale.id)]
    qtbot.wait(100)
    assert copy.auto_apply is False and RUNS == [2]
    assert doc.engine.is_pending(copy.id)


def test_the_plain_panel_host_applies_and_resets_without_a_canvas(qtbot, registry):
    """open_panel (scripts, widget tests): the same row, edits straight to the workflow."""
    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel
    from imgflow.gui.qtpost import QtPoster
    from imgflow.workflow import Workflow
    RUNS.clear()
    wf = Workflow(registry)
    numbers, scale = wf.add_node("test.numbers"), wf.add_node("test.scale")
    wf.add_link(numbers, "Data", scale, "Data")
    engine = Engine(wf, post=QtPoster(), manual_apply=True)
    panel = open_panel(wf, engine, scale)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: engine.outputs(scale.id).get("Data") == [0, 2, 4])
    panel.bar.auto_box.click()
    panel.spin.setValue(6)
    qtbot.wait(50)
    assert RUNS == [2] and panel.bar.apply_button.isEnabled()
    panel.bar.apply_button.click()
    qtbot.waitUntil(lambda: engine.outputs(scale.id).get("Data") == [0, 6, 12])
    panel.bar.reset_button.click()
    assert scale.settings == {"factor": 2} and panel.bar.apply_button.isEnabled()
    engine.shutdown()
