"""The window's actions, menus and shortcuts (platform conventions via QKeySequence)."""
from __future__ import annotations

from types import SimpleNamespace

from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QMenu

K = QKeySequence


def _action(window, text: str, slot, shortcut=None, checkable=False, tip="") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
        action.setShortcuts([s if isinstance(s, QKeySequence) else QKeySequence(s)
                             for s in shortcuts])
    action.setCheckable(checkable)
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)     # shortcuts work even where the menu bar is hidden
    return action


def create_actions(w) -> SimpleNamespace:
    """All actions of MainWindow ``w``; slots are its methods."""
    a = SimpleNamespace()
    a.new = _action(w, "&New", w.new_workflow, K.New)
    a.open = _action(w, "&Open…", w.open_workflow, K.Open)
    a.save = _action(w, "&Save", w.save, K.Save)
    a.save_as = _action(w, "Save &As…", w.save_as, K.SaveAs)
    a.close = _action(w, "&Close", w.close_workflow, K.Close)
    a.quit = _action(w, "&Quit", w.close, K.Quit)
    a.undo = _action(w, "&Undo", w.undo, K.Undo)
    a.redo = _action(w, "&Redo", w.redo, K.Redo)
    a.cut = _action(w, "Cu&t", w.ops.cut, K.Cut)
    a.copy = _action(w, "&Copy", w.ops.copy, K.Copy)
    a.paste = _action(w, "&Paste", w.ops.paste, K.Paste)
    a.duplicate = _action(w, "D&uplicate", w.ops.duplicate, "Ctrl+D")
    a.delete = _action(w, "&Delete", w.ops.delete, [K(K.Delete), K("Backspace")])
    a.select_all = _action(w, "Select &All", w.ops.select_all, K.SelectAll)
    a.rename = _action(w, "Re&name", w.ops.rename, "F2")
    a.add_widget = _action(w, "Add &Widget…", w.ops.quick_add, "Ctrl+Shift+W",
                           tip="Search for a widget to add")
    a.add_text = _action(w, "Add &Text Note", lambda: w.scene.set_mode("text"),
                         tip="Click on the canvas to place a note")
    a.add_arrow = _action(w, "Add A&rrow", lambda: w.scene.set_mode("arrow"),
                          tip="Drag on the canvas to draw an arrow")
    a.zoom_in = _action(w, "Zoom &In", lambda: w.view.zoom_in(), [K(K.ZoomIn), K("Ctrl+=")])
    a.zoom_out = _action(w, "Zoom &Out", lambda: w.view.zoom_out(), K.ZoomOut)
    a.zoom_reset = _action(w, "&Reset Zoom", lambda: w.view.zoom_reset(), "Ctrl+0")
    a.arrange = _action(w, "&Arrange", w.ops.arrange, "Ctrl+Shift+A",
                        tip="Lay the widgets out left to right")
    a.freeze = _action(w, "&Freeze", w.set_frozen, "Ctrl+Shift+F", checkable=True,
                       tip="While frozen, changes wait; nothing new runs")
    a.toolbox = w.toolbox_dock.toggleViewAction()
    a.log = w.log_dock.toggleViewAction()
    a.preferences = _action(w, "Pre&ferences…", w.preferences, K.Preferences,
                            tip="Your settings: the embedding servers you trust")
    a.preferences.setMenuRole(QAction.PreferencesRole)
    a.widget_help = _action(w, "&Widgets", w.widget_help, K.HelpContents,
                            tip="The help page of the selected widget (F1)")
    a.examples = _action(w, "&Examples…", w.show_welcome,
                         tip="Example workflows and recent files")
    a.about = _action(w, "&About imgflow", w.about)
    return a


def build_menus(w, a: SimpleNamespace) -> QMenu:
    """Fill the menu bar; returns the Open Recent menu (rebuilt each time it opens)."""
    bar = w.menuBar()
    file = bar.addMenu("&File")
    file.addActions([a.new, a.open])
    recent = file.addMenu("Open &Recent")
    file.addSeparator()
    file.addActions([a.save, a.save_as])
    file.addSeparator()
    file.addActions([a.close, a.quit])
    edit = bar.addMenu("&Edit")
    edit.addActions([a.undo, a.redo])
    edit.addSeparator()
    edit.addActions([a.cut, a.copy, a.paste, a.duplicate, a.delete])
    edit.addSeparator()
    edit.addActions([a.select_all, a.rename])
    edit.addSeparator()
    edit.addActions([a.add_widget, a.add_text, a.add_arrow])
    edit.addSeparator()
    edit.addAction(a.preferences)
    view = bar.addMenu("&View")
    view.addActions([a.zoom_in, a.zoom_out, a.zoom_reset])
    view.addSeparator()
    view.addActions([a.toolbox, a.log])
    workflow = bar.addMenu("&Workflow")
    workflow.addActions([a.arrange, a.freeze])
    help_menu = bar.addMenu("&Help")
    help_menu.addActions([a.widget_help, a.examples])
    help_menu.addSeparator()
    help_menu.addAction(a.about)
    return recent


def canvas_menu(a: SimpleNamespace) -> QMenu:
    """The context menu of empty canvas."""
    menu = QMenu()
    menu.addActions([a.add_widget, a.add_text, a.add_arrow])
    menu.addSeparator()
    menu.addActions([a.paste, a.select_all, a.arrange])
    return menu
