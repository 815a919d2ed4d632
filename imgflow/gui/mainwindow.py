"""The main window: toolbox, canvas, log and status bar around one Document.

Opening or creating a workflow swaps the Document (and with it the scene,
engine, undo stack and widget windows); everything else stays.
"""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QSettings, Qt
from PyQt5.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                             QToolButton)

from .. import __version__
from ..engine import ERROR
from ..registry import Registry
from ..workflow import Workflow, WorkflowFileError, load
from .actions import build_menus, canvas_menu, create_actions
from .activity import Activity, LogView
from .autosave import Autosave
from .canvas_ops import CanvasOps
from .channels_dialog import choose_channels
from .document import Document
from .help_window import show_widget_help
from .icons import app_icon
from .panels import PanelWindows
from .preferences import show_preferences
from .quick_menu import QuickMenu
from .scene import CanvasScene
from .toolbox import Toolbox
from .trust_prompt import confirm_servers
from .view import CanvasView
from .welcome import WelcomeDialog

FILE_FILTER = "imgflow workflows (*.imgflow);;All files (*)"
MAX_RECENT = 8


def app_settings() -> QSettings:
    return QSettings("imgflow", "imgflow")


class MainWindow(QMainWindow):
    def __init__(self, registry: Registry | None = None, autosave: bool = True, parent=None):
        super().__init__(parent)
        self.setObjectName("imgflow-main")
        self.registry = registry if registry is not None else Registry.discover()
        self.setWindowIcon(app_icon())
        self.document: Document | None = None
        self.scene: CanvasScene | None = None
        self.panels: PanelWindows | None = None
        self.ops = CanvasOps(self)
        self.view = CanvasView()
        self.setCentralWidget(self.view)
        self.toolbox = Toolbox(self.registry)
        self.toolbox.widget_activated.connect(self.ops.add_widget)
        self.toolbox_dock = self._dock("Widgets", self.toolbox, Qt.LeftDockWidgetArea)
        self.log_view = LogView()
        self.log_dock = self._dock("Log", self.log_view, Qt.BottomDockWidgetArea)
        self.log_dock.hide()
        self.activity = Activity(self)
        self.activity.logged.connect(self.log_view.appendPlainText)
        self.engine_label = QLabel()
        self.statusBar().addPermanentWidget(self.engine_label)
        self.activity.summary_changed.connect(self.engine_label.setText)
        self.autosave = Autosave(parent=self) if autosave else None
        self.actions_ = create_actions(self)
        self.recent_menu = build_menus(self, self.actions_)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        freeze_button = QToolButton(autoRaise=True)
        freeze_button.setDefaultAction(self.actions_.freeze)
        self.statusBar().addPermanentWidget(freeze_button)
        self.set_document(Document(Workflow(self.registry)))
        for problem in self.registry.errors:
            self.activity.log(f"warning: {problem}")
        self.resize(1200, 760)
        self._restore_window_state()

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    # -- the shown document ----------------------------------------------------
    def set_document(self, document: Document) -> None:
        old, old_scene = self.document, self.scene
        if old is not None:
            self.panels.close_all()
            old_scene.detach()
            old.close()
        self.document = document
        document.setParent(self)
        self.scene = CanvasScene(document, self)
        self.scene.widget_chooser = self._choose_widget
        self.scene.channel_chooser = self._choose_channels
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.panels = PanelWindows(document, self)
        self.scene.node_open_requested.connect(self.panels.open)
        self.scene.canvas_menu_requested.connect(
            lambda pos: canvas_menu(self.actions_).exec_(pos))
        self.view.setScene(self.scene)
        self.view.show_contents()
        stack = document.undo_stack
        stack.canUndoChanged.connect(self._update_undo_actions)
        stack.canRedoChanged.connect(self._update_undo_actions)
        stack.indexChanged.connect(self._update_undo_actions)
        document.modified_changed.connect(self._update_title)
        document.path_changed.connect(self._update_title)
        document.engine.set_frozen(self.actions_.freeze.isChecked())
        self.activity.watch(document)
        if self.autosave is not None:
            self.autosave.watch(document)
        self._update_undo_actions()
        self._update_title()
        if old is not None:
            old.deleteLater()
            old_scene.deleteLater()

    def _update_title(self, *_args) -> None:
        doc = self.document
        name = doc.path.name if doc.path else "Untitled"
        self.setWindowTitle(f"{name}[*] — imgflow")
        self.setWindowModified(doc.modified)

    def _update_undo_actions(self, *_args) -> None:
        stack = self.document.undo_stack
        for action, can, text, verb in ((self.actions_.undo, stack.canUndo(), stack.undoText(), "Undo"),
                                        (self.actions_.redo, stack.canRedo(), stack.redoText(), "Redo")):
            action.setEnabled(can)
            action.setText(f"&{verb} {text}".rstrip() if can else f"&{verb}")

    def undo(self) -> None:
        self.document.undo_stack.undo()

    def redo(self) -> None:
        self.document.undo_stack.redo()

    def set_frozen(self, frozen: bool) -> None:
        self.document.engine.set_frozen(frozen)
        self.activity.refresh()
        self.statusBar().showMessage("Frozen: changes wait until you unfreeze." if frozen
                                     else "Unfrozen.", 4000)

    # -- questions to the user --------------------------------------------------
    def _choose_widget(self, scene_pos, accept, text):
        menu = QuickMenu(self.registry, self)
        screen = self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos))
        try:
            return menu.choose(screen, accept, text)
        finally:
            menu.deleteLater()

    def _choose_channels(self, source, sink, chosen):
        return choose_channels(self, self.document.workflow, source, sink, chosen)

    def maybe_save(self) -> bool:
        """True when the current work may be replaced (saved, discarded or unchanged)."""
        if not self.document.modified:
            return True
        name = self.document.path.name if self.document.path else "Untitled"
        answer = QMessageBox.question(
            self, "Save changes?", f"Save the changes to {name} before closing?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    # -- files ------------------------------------------------------------------
    def new_workflow(self) -> None:
        if self.maybe_save():
            self.set_document(Document(Workflow(self.registry)))

    close_workflow = new_workflow     # one window: closing leaves an empty canvas

    def open_workflow(self) -> None:
        start = str(self.document.path.parent) if self.document.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open Workflow", start, FILE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Load a file; on a bad file say why and leave the current workflow as it is."""
        try:
            workflow = load(path, self.registry)
        except WorkflowFileError as exc:
            QMessageBox.critical(self, "Cannot open workflow", str(exc))
            return False
        if not self.maybe_save():
            return False
        confirm_servers(self, workflow)     # before the engine starts: nothing is sent unasked
        self.set_document(Document(workflow, path))
        self._add_recent(Path(path))
        self._show_load_warnings(workflow)
        return True

    def _show_load_warnings(self, workflow: Workflow) -> None:
        for warning in workflow.load_warnings:
            self.activity.log(f"warning: {warning}")
        if workflow.load_warnings:
            self.log_dock.show()
            self.statusBar().showMessage(workflow.load_warnings[0], 15000)

    def restore(self, recovery) -> None:
        """Show work from a recovery file (unsaved until the user saves it)."""
        workflow = load(recovery.file, self.registry)
        confirm_servers(self, workflow)
        self.set_document(Document(workflow, recovery.original, recovered=True))
        recovery.discard()
        if self.autosave is not None:
            self.autosave.save_now()

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        start = str(self.document.path or Path.home() / "untitled.imgflow")
        path, _ = QFileDialog.getSaveFileName(self, "Save Workflow", start, FILE_FILTER)
        if not path:
            return False
        path = Path(path)
        if path.suffix != ".imgflow":
            path = path.with_name(path.name + ".imgflow")
        return self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        self.panels.store_geometry()
        try:
            self.document.save(path)
        except OSError as exc:
            QMessageBox.critical(self, "Cannot save workflow",
                                 f"{Path(path).name} could not be written: {exc.strerror or exc}")
            return False
        self._add_recent(Path(path))
        if self.autosave is not None:
            self.autosave.remove()
        self.statusBar().showMessage(f"Saved {Path(path).name}", 4000)
        return True

    # -- recent files -------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = app_settings().value("recent", [])
        return [v for v in (value if isinstance(value, list) else [value]) if v]

    def _add_recent(self, path: Path) -> None:
        entries = [str(path.resolve())] + [p for p in self.recent_files()
                                           if p != str(path.resolve())]
        app_settings().setValue("recent", entries[:MAX_RECENT])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for entry in self.recent_files():
            action = self.recent_menu.addAction(Path(entry).name)
            action.setToolTip(entry)
            action.setStatusTip(entry)
            action.triggered.connect(lambda _checked=False, p=entry: self.open_path(p))
        self.recent_menu.setEnabled(True)
        if not self.recent_menu.actions():
            self.recent_menu.addAction("No recent workflows").setEnabled(False)

    # -- window -------------------------------------------------------------------
    def _restore_window_state(self) -> None:
        settings = app_settings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def preferences(self) -> None:
        show_preferences(self)
        # A server trusted (or a token set) just now: nodes it stopped try again.
        wf, engine = self.document.workflow, self.document.engine
        for node in wf.nodes.values():
            widget = wf.widget(node)
            if widget is not None and widget.sends_to(node.settings) \
                    and engine.state(node.id).status == ERROR:
                engine.invalidate(node.id)

    # -- learning: help pages and examples -----------------------------------------
    def widget_help(self) -> None:
        """The page of the widget chosen in the toolbox (when it has focus) or of the selected
        node's widget; the first widget's when there is neither."""
        widget_id = None
        if self.toolbox.tree.hasFocus():
            index = self.toolbox.proxy.mapToSource(self.toolbox.tree.currentIndex())
            widget = self.toolbox.model.widget_at(index)
            widget_id = widget.id if widget is not None else None
        if widget_id is None:
            selected = [n for n in self.scene.selected_nodes() if n.widget_id in self.registry]
            widget_id = selected[0].widget_id if selected else None
        show_widget_help(self.registry, widget_id, self)

    def show_welcome(self) -> WelcomeDialog:
        from ..example_workflows import list_examples
        dialog = WelcomeDialog(list_examples(), self.recent_files(), self.registry, self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.example_chosen.connect(self.open_example)
        dialog.recent_chosen.connect(self.open_path)
        dialog.new_requested.connect(self.new_workflow)
        dialog.open_requested.connect(self.open_workflow)
        dialog.show()
        return dialog

    def open_example(self, path: str | Path) -> bool:
        """An example as an untitled workflow: saving asks where, the bundled file stays."""
        try:
            workflow = load(path, self.registry)
        except WorkflowFileError as exc:
            QMessageBox.critical(self, "Cannot open the example", str(exc))
            return False
        if not self.maybe_save():
            return False
        self.set_document(Document(workflow))
        self.statusBar().showMessage(f"Example: {workflow.title or Path(path).stem} "
                                     f"(save it to keep your changes)", 8000)
        return True

    def about(self) -> None:
        QMessageBox.about(self, "About imgflow",
                          f"<b>imgflow {__version__}</b><br>Image analytics by visual programming.")

    def closeEvent(self, event) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        settings = app_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.panels.close_all()
        self.scene.detach()
        self.document.close()
        if self.autosave is not None:
            self.autosave.remove()
        self.activity.close()
        event.accept()
