"""Widget help in the canvas: F1 on a node or in a window, "?" in a window, Help → Widgets;
the help window shows what ``imgflow help`` prints."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from PyQt5.QtCore import QPoint, QSize, Qt, QUrl
from PyQt5.QtGui import QTextDocument
from PyQt5.QtWidgets import QWidget

from imgflow.gui.help_window import HelpWindow
from imgflow.gui.widget_model import widget_tooltip
from imgflow.registry import Registry
from imgflow.widget_help import page_text, widget_page

INSTALLED = Registry.discover()


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def help_window_of(window) -> HelpWindow:
    (found,) = window.findChildren(HelpWindow, "", Qt.FindDirectChildrenOnly)
    return found


@pytest.mark.parametrize("widget", INSTALLED.widgets(), ids=lambda w: w.id)
def test_the_window_shows_the_text_the_command_line_prints(qtbot, widget):
    help_window = HelpWindow(INSTALLED)
    qtbot.addWidget(help_window)
    help_window.show_widget(widget.id)
    assert help_window.widget_id == widget.id
    assert help_window.index.currentItem().text() == widget.name
    shown = help_window.browser.toPlainText()
    assert words(shown) == words(page_text(widget_page(widget).markdown))
    for name in widget_page(widget).images:     # its pictures load, too
        image = help_window.browser.loadResource(QTextDocument.ImageResource, QUrl(name))
        assert not image.isNull()


def test_imgflow_help_prints_the_page_the_window_shows(qtbot):
    out = subprocess.run([sys.executable, "-m", "imgflow.cli", "help", "Hierarchical Clustering"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    help_window = HelpWindow(INSTALLED)
    qtbot.addWidget(help_window)
    help_window.show_widget("imgflow.hierarchical_clustering")
    assert words(out.stdout) == words(help_window.browser.toPlainText())
    assert "top_n" in out.stdout and "Linkage" in out.stdout


def test_f1_on_a_selected_node_opens_its_page(window, qtbot):
    wf = window.document.workflow
    node = wf.add_node("test.double", position=(0, 0))
    window.scene.select_nodes([node.id])
    window.actions_.widget_help.trigger()
    help_window = help_window_of(window)
    assert help_window.isVisible() and help_window.widget_id == "test.double"
    assert "Double" in help_window.browser.toPlainText()
    window.scene.clearSelection()       # Help → Widgets with nothing selected: the first page
    window.actions_.widget_help.trigger()
    assert help_window_of(window) is help_window
    assert help_window.widget_id == window.registry.widgets()[0].id


def test_f1_in_the_toolbox_opens_the_page_of_the_widget_there(window, qtbot):
    tree = window.toolbox.tree
    window.toolbox.search.setText("double")
    proxy = window.toolbox.proxy
    tree.setCurrentIndex(proxy.index(0, 0, proxy.index(0, 0)))
    tree.setFocus()
    qtbot.waitUntil(tree.hasFocus)
    window.actions_.widget_help.trigger()
    assert help_window_of(window).widget_id == "test.double"


def test_f1_and_the_question_mark_in_a_widget_window(window, qtbot):
    node = window.document.workflow.add_node("test.numbers", position=(0, 0))
    panel = window.panels.open(node)
    qtbot.waitExposed(panel)
    assert panel.help_button.isVisible()
    panel.resize(500, 300)
    corner = panel.help_button.geometry().bottomRight()
    assert (panel.width() - corner.x(), panel.height() - corner.y()) == (2, 2)
    qtbot.mouseClick(panel.help_button, Qt.LeftButton)
    help_window = help_window_of(window)
    assert help_window.widget_id == "test.numbers"
    assert "count (whole number" in help_window.browser.toPlainText()
    help_window.show_widget("test.double")
    panel.activateWindow()
    qtbot.keyClick(panel, Qt.Key_F1)
    assert help_window_of(window).widget_id == "test.numbers"


def test_help_menu_holds_widgets_and_examples(window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[:2] == ["&Widgets", "&Examples…"]
    assert window.actions_.widget_help.shortcut().toString() == "F1"


def test_toolbox_tooltip_gives_the_one_line_description():
    distances = INSTALLED.get("imgflow.distances")
    tip = widget_tooltip(distances)
    assert "Distances between rows (or columns) of the data." in tip
    assert "Missing values" not in tip


@pytest.mark.parametrize("widget", [w for w in INSTALLED.widgets() if w.panel], ids=lambda w: w.id)
def test_the_question_mark_covers_no_control_of_a_real_window(qtbot, widget):
    from imgflow.engine import Engine
    from imgflow.gui.qtpost import QtPoster
    from imgflow.workflow import Workflow
    from tests.support.panels import show_panel
    wf = Workflow(INSTALLED)
    node = wf.add_node(widget.id)
    engine = Engine(wf, post=QtPoster())
    try:
        panel = show_panel(qtbot, wf, engine, node)
        for size in (panel.minimumSizeHint(), QSize(900, 700)):
            panel.resize(size)      # (a window may keep a larger minimum size)
            qtbot.waitUntil(lambda: panel.help_button.geometry().bottomRight()
                            == panel.rect().bottomRight() - QPoint(1, 1))
            button = panel.help_button.geometry()
            covered = [type(w).__name__ for w in panel.findChildren(QWidget)
                       if w.parentWidget() is panel and w is not panel.help_button
                       and w.isVisible() and w.geometry().intersects(button)]
            assert not covered
    finally:
        engine.shutdown()
