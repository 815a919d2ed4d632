"""Runs under the GUI: a cancelled run that is still computing never blocks the window."""
import pytest
from PyQt5.QtCore import QTimer

from imgflow.gui.document import Document
from imgflow.workflow import Workflow
from tests.support import widgets as tw


@pytest.fixture
def held():
    tw.reset_held()
    yield
    tw.HELD_GATE.set()


def test_new_settings_while_a_run_cannot_stop_keep_the_window_responsive(qtbot, held):
    doc = Document(Workflow(tw.make_registry()))
    node = doc.add_node("test.held", (0, 0))
    doc.set_settings(node, {"hold": True, "value": 1})
    engine = doc.engine
    qtbot.waitUntil(lambda: tw.HELD_ENTERED[-1:] == [1])
    for value in (2, 3):          # from the window, with undo, as a spin box would
        doc.set_settings(node, {"hold": False, "value": value}, label=f"Value {value}")
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    # The event loop keeps turning while the cancelled compute is stuck inside the widget.
    qtbot.waitUntil(lambda: len(ticks) >= 5)
    assert engine.state(node.id).status == "waiting" and tw.HELD_ENTERED == [1]
    tw.HELD_GATE.set()
    qtbot.waitUntil(lambda: engine.is_idle() and engine.outputs(node.id).get("Data") is not None)
    assert engine.outputs(node.id)["Data"].X[0, 0] == 3
    assert tw.HELD_ENTERED == [1, 3] and tw.OVERLAPS == []
    timer.stop()
    doc.close()
