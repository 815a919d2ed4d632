"""Setting-bound controls: declared range, choices and doc; one undo step per change;
they follow undo and outside changes without writing back."""
from __future__ import annotations

import pytest
from PyQt5.QtWidgets import QFileDialog, QFormLayout, QLabel, QVBoxLayout

from imgflow.api import Setting, Widget
from imgflow.gui import controls
from imgflow.gui.document import Document
from imgflow.gui.panel import WidgetPanel
from imgflow.gui.panels import CanvasPanelHost
from imgflow.registry import Registry
from imgflow.workflow import Workflow


class Knobs(Widget):
    id = "test.knobs"
    name = "Knobs"
    settings = (
        Setting("flag", bool, True, doc="Whether to do it."),
        Setting("count", int, 5, minimum=1, maximum=50, doc="How many."),
        Setting("ratio", float, 0.5, minimum=0.0, maximum=1.0, doc="How much."),
        Setting("mode", str, "b", choices=("a", "b", "c"), doc="Which way."),
        Setting("size", int, 64, minimum=16, maximum=256, view_only=True, doc="How big."),
        Setting("server", str, "", doc="Where to."),
        Setting("folder", str, "", path=True, doc="The folder."),
        Setting("column", str, "", doc="The column."),
        Setting("steps", int, 0, doc="Any number."),
    )

    def compute(self, inputs, settings, ctx):
        return {}


class KnobsPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.flag = controls.check(self, self, "flag", label="Do it")
        self.count = controls.spin(form, self, "count", label="Count:")
        self.ratio = controls.spin(form, self, "ratio", label="Ratio:", step=0.1,
                                   also={"mode": "c"})
        self.mode = controls.combo(form, self, "mode", label="Mode:",
                                   labels={"a": "Alpha", "b": "Beta", "c": "Gamma"})
        self.modes = controls.radio(self, self, "mode", label="Mode",
                                    undo=lambda v: f"Mode: {v}")
        self.size = controls.slider(self, self, "size", label="Size:")
        self.server = controls.text(self, self, "server", label="Server:")
        self.folder = controls.path(self, self, "folder", mode="directory", label="Folder:")
        self.column = controls.combo(self, self, "column", choices=["", "x"],
                                     labels={"": "(first)"})
        self.shown = 0

    def settings_changed(self):
        self.shown += 1


@pytest.fixture
def knobs(qtbot):
    doc = Document(Workflow(Registry((Knobs,))))
    node = doc.workflow.add_node("test.knobs")
    host = CanvasPanelHost(doc, node)
    panel = host.attach(KnobsPanel(host))
    qtbot.addWidget(panel)
    yield doc, node, panel
    host.close()
    doc.close()


def test_controls_take_type_range_choices_and_doc_from_the_setting(knobs):
    _doc, _node, panel = knobs
    assert (panel.count.minimum(), panel.count.maximum(), panel.count.value()) == (1, 50, 5)
    assert type(panel.count).__name__ == "QSpinBox"
    assert type(panel.ratio).__name__ == "QDoubleSpinBox" and panel.ratio.maximum() == 1.0
    assert panel.ratio.value() == 0.5
    assert [panel.mode.itemText(i) for i in range(3)] == ["Alpha", "Beta", "Gamma"]
    assert panel.mode.currentText() == "Beta"
    assert list(panel.modes.buttons) == ["a", "b", "c"] and panel.modes.buttons["b"].isChecked()
    assert (panel.size.minimum(), panel.size.maximum(), panel.size.value()) == (16, 256, 64)
    assert panel.flag.isChecked() and panel.flag.text() == "Do it"
    assert panel.count.toolTip() == "How many." and panel.flag.toolTip() == "Whether to do it."
    assert panel.mode.toolTip() == "Which way." and panel.folder.edit.toolTip() == "The folder."
    assert panel.column.currentText() == "(first)"


def test_labels_are_placed_beside_their_controls(knobs):
    _doc, _node, panel = knobs
    form = panel.layout().itemAt(0).layout()
    assert isinstance(form, QFormLayout)
    label = form.labelForField(panel.count)
    assert isinstance(label, QLabel) and label.text() == "Count:"
    texts = [w.text() for w in panel.findChildren(QLabel)]
    assert "Size:" in texts and "Server:" in texts and "Folder:" in texts


def test_each_change_is_one_undo_step_and_undo_shows_the_old_value(knobs):
    doc, node, panel = knobs
    stack = doc.undo_stack
    panel.count.setValue(7)
    assert node.settings["count"] == 7 and stack.count() == 1 and stack.undoText() == "Count"
    panel.flag.setChecked(False)
    assert node.settings["flag"] is False and stack.count() == 2
    panel.mode.activated.emit(0)
    assert node.settings["mode"] == "a" and panel.modes.buttons["a"].isChecked()
    panel.modes.buttons["c"].click()
    assert node.settings["mode"] == "c" and stack.undoText() == "Mode: c"
    assert panel.mode.currentText() == "Gamma"        # the other control of the same setting
    assert stack.count() == 4
    stack.undo()
    assert node.settings["mode"] == "a" and panel.mode.currentText() == "Alpha"
    assert panel.modes.buttons["a"].isChecked()
    stack.undo()
    assert node.settings["mode"] == "b" and panel.modes.buttons["b"].isChecked()
    stack.undo()
    assert node.settings["flag"] is True and panel.flag.isChecked()
    stack.undo()
    assert node.settings["count"] == 5 and panel.count.value() == 5
    assert stack.count() == 4 and stack.index() == 0   # showing undone values wrote nothing


def test_also_changes_more_settings_in_the_same_step(knobs):
    doc, node, panel = knobs
    panel.ratio.setValue(0.8)
    assert (node.settings["ratio"], node.settings["mode"]) == (0.8, "c")
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert (node.settings["ratio"], node.settings["mode"]) == (0.5, "b")
    assert panel.ratio.value() == 0.5 and panel.mode.currentText() == "Beta"


def test_outside_changes_are_shown_without_writing_back(knobs, monkeypatch):
    doc, node, panel = knobs
    writes = []
    monkeypatch.setattr(panel, "set_settings", lambda *a, **k: writes.append(k))
    shown = panel.shown
    doc.workflow.set_settings(node, {"count": 9, "flag": False, "ratio": 0.25, "mode": "c",
                                     "size": 100, "server": "gpu:1", "folder": "/data",
                                     "column": "x"})
    assert panel.count.value() == 9 and not panel.flag.isChecked()
    assert panel.ratio.value() == 0.25 and panel.mode.currentText() == "Gamma"
    assert panel.modes.buttons["c"].isChecked() and panel.size.value() == 100
    assert panel.server.text() == "gpu:1" and panel.folder.edit.text() == "/data"
    assert panel.column.currentText() == "x"
    assert writes == [] and doc.undo_stack.count() == 0
    assert panel.shown == shown + 1          # and the panel's own hook ran once


def test_a_slider_drag_is_one_change_on_release(knobs):
    doc, node, panel = knobs
    panel.size.setSliderDown(True)
    for value in (80, 120, 160):
        panel.size.setValue(value)
    assert node.settings["size"] == 64
    doc.workflow.set_settings(node, {"count": 3})     # a refresh mid-drag leaves the slider be
    assert panel.size.value() == 160
    panel.size.setSliderDown(False)                   # emits sliderReleased
    assert node.settings["size"] == 160 and doc.undo_stack.count() == 1
    panel.size.setValue(170)                          # keyboard or wheel: at once
    assert node.settings["size"] == 170


def test_text_is_applied_when_editing_finishes(knobs):
    _doc, node, panel = knobs
    panel.server.setText(" gpu1:8750 ")
    assert node.settings["server"] == ""
    panel.server.editingFinished.emit()
    assert node.settings["server"] == "gpu1:8750" and panel.server.text() == "gpu1:8750"


def test_an_outside_change_does_not_overwrite_what_is_being_typed(knobs, monkeypatch):
    doc, node, panel = knobs
    monkeypatch.setattr(panel.server, "hasFocus", lambda: True)
    panel.server.setText("gpu1")
    panel.server.setModified(True)                    # as typing does
    doc.workflow.set_settings(node, {"count": 3, "server": "elsewhere"})
    assert panel.server.text() == "gpu1"
    panel.server.editingFinished.emit()
    assert node.settings["server"] == "gpu1"
    doc.workflow.set_settings(node, {"server": "elsewhere"})
    assert panel.server.text() == "elsewhere"         # not modified since: shown


def test_path_is_typed_or_browsed(knobs, monkeypatch, tmp_path):
    _doc, node, panel = knobs
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda parent, title, start: asked.append(start) or str(tmp_path))
    panel.folder.button.click()
    assert node.settings["folder"] == str(tmp_path) and panel.folder.edit.text() == str(tmp_path)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: "")
    panel.folder.button.click()                        # cancelled: nothing changes
    assert node.settings["folder"] == str(tmp_path)
    panel.folder.edit.setText("/elsewhere")
    panel.folder.edit.editingFinished.emit()
    assert node.settings["folder"] == "/elsewhere"


def test_combo_choices_can_change_and_keep_the_value(knobs):
    _doc, node, panel = knobs
    panel.column.activated.emit(1)
    assert node.settings["column"] == "x"
    controls.set_choices(panel.column, ["", "w", "x"], {"": "(first)"})
    assert panel.column.currentText() == "x" and panel.column.count() == 3
    panel.column.activated.emit(0)
    assert node.settings["column"] == ""


def test_a_control_refuses_a_setting_of_another_type(knobs):
    _doc, _node, panel = knobs
    with pytest.raises(TypeError):
        controls.check(None, panel, "count")
    with pytest.raises(TypeError):
        controls.text(None, panel, "count")
    with pytest.raises(TypeError):              # a misspelt option is not ignored
        controls.spin(None, panel, "count", tooltp="How many?")
    with pytest.raises(ValueError):             # a slider needs a declared range
        controls.slider(None, panel, "steps")
