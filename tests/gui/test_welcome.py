"""The welcome dialog: examples with previews, recent files, and a remembered "show at start"."""
from __future__ import annotations

import sys

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QColor

from imgflow import user_settings
from imgflow.example_workflows import list_examples
from imgflow.gui import style
from imgflow.gui.welcome import PATH_ROLE, PREVIEW, WelcomeDialog, show_at_start
from imgflow.registry import Registry

INSTALLED = Registry.discover()


def dialog_of(window) -> WelcomeDialog:
    (found,) = window.findChildren(WelcomeDialog)
    return found


def test_every_example_is_shown_with_a_picture_of_its_layout(qtbot):
    examples = list_examples()
    dialog = WelcomeDialog(examples, ["/somewhere/mine.imgflow"], INSTALLED)
    qtbot.addWidget(dialog)
    shown = [dialog.examples.item(i) for i in range(dialog.examples.count())]
    assert [i.text() for i in shown] == [e.title for e in examples]
    for item, example in zip(shown, examples):
        assert example.description in item.toolTip()
        image = item.icon().pixmap(PREVIEW).toImage()
        colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 4)
                   for y in range(0, image.height(), 4)}
        assert len(colours - {QColor(style.CANVAS_BACKGROUND).name()}) > 10, \
            f"the preview of {example.name} is empty"
    assert dialog.recent.item(0).text() == "mine.imgflow"
    assert dialog.recent.item(0).data(PATH_ROLE) == "/somewhere/mine.imgflow"
    assert examples[0].description in dialog.about.text()     # the chosen one, described


def test_choosing_an_example_opens_an_untitled_copy(window, qtbot):
    window.registry = INSTALLED     # the examples use the installed widgets
    window.actions_.freeze.setChecked(True)     # nothing runs: this test is about opening
    dialog = window.show_welcome()
    qtbot.waitExposed(dialog)
    item = next(dialog.examples.item(i) for i in range(dialog.examples.count())
                if dialog.examples.item(i).data(PATH_ROLE).endswith("image-clustering.imgflow"))
    dialog.examples.itemActivated.emit(item)
    titles = sorted(n.title for n in window.document.workflow.nodes.values())
    assert "Hierarchical Clustering" in titles and "Import Images" in titles
    assert window.document.path is None and not window.document.modified
    assert not dialog.isVisible()


def test_a_recent_file_opens_from_the_dialog(window, qtbot, tmp_path):
    from imgflow.workflow import Workflow, save
    wf = Workflow(window.registry)
    wf.add_node("test.numbers", position=(0, 0))
    save(wf, tmp_path / "mine.imgflow")
    window.open_path(tmp_path / "mine.imgflow")
    window.new_workflow()
    dialog = window.show_welcome()
    assert dialog.recent.item(0).text() == "mine.imgflow"
    dialog.recent.itemActivated.emit(dialog.recent.item(0))
    assert window.document.path == (tmp_path / "mine.imgflow").resolve()
    assert [n.title for n in window.document.workflow.nodes.values()] == ["Numbers"]


def test_turning_it_off_is_remembered_and_start_skips_it(qtbot, registry, monkeypatch, answers):
    from imgflow.gui import app as app_module
    from imgflow.gui import mainwindow
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(mainwindow.Registry, "discover", classmethod(lambda cls: registry))
    assert show_at_start()
    window = app_module.start_app(None)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: bool(window.findChildren(WelcomeDialog)))
    dialog = dialog_of(window)
    assert dialog.at_start.isChecked()
    dialog.at_start.click()
    assert user_settings.read()["show_welcome"] is False and not show_at_start()
    dialog.close()
    window.close()

    again = app_module.start_app(None)
    qtbot.addWidget(again)
    qtbot.wait(100)
    assert not again.findChildren(WelcomeDialog)
    again.actions_.examples.trigger()        # Help → Examples shows it anyway
    dialog = dialog_of(again)
    assert dialog.isVisible() and not dialog.at_start.isChecked()
    dialog.at_start.click()
    assert show_at_start()
    again.close()


def test_a_file_on_the_command_line_skips_the_welcome(qtbot, registry, monkeypatch, tmp_path,
                                                     answers):
    from imgflow.gui import app as app_module
    from imgflow.gui import mainwindow
    from imgflow.workflow import Workflow, save
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(mainwindow.Registry, "discover", classmethod(lambda cls: registry))
    wf = Workflow(registry)
    wf.add_node("test.numbers", position=(0, 0))
    save(wf, tmp_path / "given.imgflow")
    window = app_module.start_app(str(tmp_path / "given.imgflow"))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.document.path is not None)
    assert not window.findChildren(WelcomeDialog)
    window.close()
