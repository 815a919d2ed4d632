"""The quick menu and the channels dialog, driven by keyboard and clicks."""
import sys

from PyQt5.QtCore import QPoint, Qt, QTimer
from PyQt5.QtWidgets import QDialogButtonBox

from imgflow.gui.channels_dialog import ChannelsDialog
from imgflow.gui.quick_menu import QuickMenu


def _later(fn):
    QTimer.singleShot(0, fn)


def test_quick_menu_filters_as_you_type_and_enter_picks(qtbot, registry):
    menu = QuickMenu(registry)
    qtbot.addWidget(menu)

    def type_and_pick():
        qtbot.keyClicks(menu.search, "oub")
        assert menu.proxy.rowCount() == 1
        qtbot.keyClick(menu.search, Qt.Key_Return)
    _later(type_and_pick)
    assert menu.choose(QPoint(10, 10)).id == "test.double"


def test_quick_menu_starts_with_typed_text_and_escape_cancels(qtbot, registry):
    menu = QuickMenu(registry)
    qtbot.addWidget(menu)

    def check_and_escape():
        assert menu.search.text() == "n"
        menu.hide()
    _later(check_and_escape)
    assert menu.choose(QPoint(10, 10), text="n") is None


def test_quick_menu_lists_only_widgets_that_fit(qtbot, registry):
    menu = QuickMenu(registry)
    qtbot.addWidget(menu)
    shown = []

    def look():
        shown.extend(menu.proxy.index(r, 0).data() for r in range(menu.proxy.rowCount()))
        qtbot.keyClick(menu.search, Qt.Key_Down)
        qtbot.keyClick(menu.search, Qt.Key_Return)
    _later(look)
    chosen = menu.choose(QPoint(10, 10), accept=lambda w: bool(w.inputs))
    assert shown == ["Collect", "Double", "Fail", "Split"]
    assert chosen.name == "Double"


def test_channels_dialog_offers_fitting_pairs_and_refuses_two_into_one(window):
    doc = window.document
    split = doc.add_node("test.split", (0, 0))
    double = doc.add_node("test.double", (200, 0))
    dialog = ChannelsDialog(doc.workflow, split, double, [("Even", "Data")])
    assert dialog.pairs() == [("Even", "Data")]
    assert dialog.model.rowCount() == 2
    dialog.set_pairs([("Even", "Data"), ("Odd", "Data")])
    ok = dialog.buttons.button(QDialogButtonBox.Ok)
    assert not ok.isEnabled() and "takes one link" in dialog.problem.text()
    dialog.set_pairs([("Odd", "Data")])
    assert ok.isEnabled()


def test_start_opens_the_file_given_on_the_command_line(tmp_path, registry, monkeypatch,
                                                        answers, qtbot):
    from imgflow.gui import app as app_module
    from imgflow.gui import mainwindow
    from imgflow.workflow import Workflow, save
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(mainwindow.Registry, "discover", classmethod(lambda cls: registry))
    wf = Workflow(registry)
    wf.add_node("test.numbers", position=(0, 0))
    path = tmp_path / "given.imgflow"
    save(wf, path)
    window = app_module.start_app(str(path))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.document.path == path)
    assert window.isVisible() and window.windowTitle() == "given.imgflow[*] — imgflow"
    assert [n.title for n in window.document.workflow.nodes.values()] == ["Numbers"]
    assert sys.excepthook is not sys.__excepthook__
