"""Failures are shown where they happen and never take the canvas down."""
import sys

import pytest

from imgflow.engine import ERROR
from imgflow.gui import errors


@pytest.fixture
def shown(monkeypatch):
    messages = []
    monkeypatch.setattr(errors, "show_error",
                        lambda parent, title, text, details="": messages.append(text))
    return messages


def test_a_failing_widget_shows_its_error_on_its_node(window, qtbot):
    doc = window.document
    source = doc.add_node("test.numbers", (0, 0))
    fail = doc.add_node("test.fail", (200, 0))
    doc.link(source.id, fail.id)
    qtbot.waitUntil(lambda: doc.engine.state(fail.id).status == ERROR)
    item = window.scene.node_items[fail.id]
    assert item.badge.isVisible() and item.badge.kind == "error"
    assert item.badge.toolTip() == "This widget always fails."
    assert "always fails" in item.toolTip()
    assert "Fail: error: This widget always fails." in window.log_view.toPlainText()


def test_an_exception_in_a_panel_hook_is_reported_not_fatal(window, qtbot, shown):
    doc = window.document
    source = doc.add_node("test.numbers", (0, 0))
    fail = doc.add_node("test.fail", (200, 0))
    panel = window.panels.open(fail)
    assert panel is not None and shown and "failed while" in shown[0]
    doc.link(source.id, fail.id)              # more state changes: more reports, no crash
    qtbot.waitUntil(lambda: doc.engine.state(fail.id).status == ERROR)
    doc.add_node("test.double", (0, 200))     # the canvas still works
    assert len(doc.workflow.nodes) == 3


def test_the_excepthook_logs_and_shows_instead_of_aborting(shown, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    errors.install_excepthook()
    try:
        raise ValueError("boom")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    assert shown and "ValueError: boom" in shown[0]


def test_the_status_bar_says_what_runs_and_what_failed(window, qtbot):
    doc = window.document
    source = doc.add_node("test.numbers", (0, 0))
    fail = doc.add_node("test.fail", (200, 0))
    doc.link(source.id, fail.id)
    qtbot.waitUntil(lambda: "1 widget failed" in window.engine_label.text())
    window.actions_.freeze.trigger()
    doc.set_settings(source, {"count": 5})
    assert window.engine_label.text().startswith("Frozen: 1 widget will run when unfrozen")
    window.actions_.freeze.trigger()
    qtbot.waitUntil(lambda: doc.engine.state(source.id).outputs.get("Data") == [0, 1, 2, 3, 4])
