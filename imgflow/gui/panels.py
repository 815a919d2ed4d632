"""Widget windows opened from the canvas: one per node, remembered and raised.

Settings changed in a window become undo commands (through the document);
window geometry is kept in ``node.panel_state`` so it is saved with the
workflow.  An exception raised by a panel is reported, never fatal.
"""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QEvent, QObject, QRect, QSize, Qt
from PyQt5.QtGui import QGuiApplication
from PyQt5.QtWidgets import QMessageBox, QWidget

from ..engine import NodeState
from ..workflow import Event, Node
from .document import Document
from .errors import report_exception
from .icons import widget_icon
from .panel import PanelHost, WidgetPanel, load_panel_class

GEOMETRY_KEY = "geometry"


def available_area(near: QWidget) -> QRect:
    """The screen area (less task bars) of the screen the canvas window is on."""
    screen = near.screen() if near is not None else None
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 800)


def fit_on_screen(size: QSize, area: QRect) -> QSize:
    """A window size no larger than the screen (less room for its frame)."""
    return size.boundedTo(QSize(area.width() - 40, area.height() - 60))


class CanvasPanelHost(PanelHost):
    """A host whose setting changes are undoable and whose panel hooks cannot crash the app."""

    def __init__(self, document: Document, node: Node):
        super().__init__(document.workflow, document.engine, node)
        self.document = document

    def apply_settings(self, changes: dict[str, Any], label: str) -> None:
        self.document.set_settings(self.node, changes, label)

    def reset_settings(self) -> None:
        self.document.reset_settings(self.node)

    def set_auto_apply(self, on: bool) -> None:
        self.document.set_auto_apply(self.node, on)

    def attach(self, panel: WidgetPanel) -> WidgetPanel:
        self.panel = panel
        self._guard("adding its buttons", panel.add_bar)
        self._guard("showing its settings", panel.show_settings)
        self._guard("showing its data", panel.state_changed, self.engine.state(self.node.id))
        return panel

    def _on_workflow_event(self, event: Event) -> None:
        self._guard("updating its settings", super()._on_workflow_event, event)

    def _on_state(self, node_id: int, state: NodeState) -> None:
        self._guard("showing new data", super()._on_state, node_id, state)

    def _guard(self, doing: str, fn, *args) -> None:
        try:
            fn(*args)
        except Exception as exc:   # a panel bug must not break the canvas or the engine
            report_exception(f"The window of '{self.node.title}' failed while {doing}.", exc)


class PanelWindows(QObject):
    def __init__(self, document: Document, parent_window: QWidget):
        super().__init__(parent_window)
        self.document, self.parent_window = document, parent_window
        self.open_panels: dict[int, tuple[CanvasPanelHost, WidgetPanel]] = {}
        document.workflow.subscribe(self._on_event)

    def open(self, node: Node) -> WidgetPanel | None:
        """Show the node's window (creating it the first time), or say why there is none."""
        if node.id in self.open_panels:
            panel = self.open_panels[node.id][1]
            panel.show()
            panel.raise_()
            panel.activateWindow()
            return panel
        widget = self.document.workflow.widget(node)
        if widget is None:
            self._inform(f"'{node.title}' cannot be opened: the widget '{node.widget_id}' is "
                         f"not installed. Its settings are kept and saved unchanged.")
            return None
        try:
            cls = load_panel_class(widget)
            if cls is None:
                self._inform(f"'{node.title}' has no window: {widget.name} works without settings.")
                return None
            host = CanvasPanelHost(self.document, node)
            panel = cls(host)
        except Exception as exc:
            report_exception(f"The window of '{node.title}' could not be opened.", exc,
                             self.parent_window)
            return None
        panel.setParent(self.parent_window, Qt.Window)
        panel.setWindowIcon(widget_icon(widget))
        panel.setWindowTitle(node.title)
        panel.installEventFilter(self)
        self.open_panels[node.id] = (host, panel)
        host.attach(panel)
        geometry = node.panel_state.get(GEOMETRY_KEY)
        if isinstance(geometry, str) and geometry:
            panel.restore_geometry(geometry)
        else:
            panel.resize(fit_on_screen(panel.comfortable_size(), available_area(self.parent_window)))
        panel.show()
        panel.raise_()
        return panel

    def _inform(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Information, "imgflow", text, QMessageBox.Ok,
                          self.parent_window)
        box.setModal(False)
        box.show()

    def store_geometry(self) -> None:
        """Copy window geometry of open panels into their nodes (before saving)."""
        for node_id, (_host, panel) in self.open_panels.items():
            self._store(node_id, panel)

    def _store(self, node_id: int, panel: WidgetPanel) -> None:
        node = self.document.workflow.nodes.get(node_id)
        if node is not None:
            state = dict(node.panel_state)
            state[GEOMETRY_KEY] = panel.save_geometry()
            self.document.workflow.set_panel_state(node, state)

    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.Close, QEvent.Hide):
            for node_id, (_host, panel) in self.open_panels.items():
                if panel is obj:
                    self._store(node_id, panel)
        return False

    def _on_event(self, event: Event) -> None:
        if event.kind == "node_removed":
            self._discard(event.item.id)

    def _discard(self, node_id: int) -> None:
        host, panel = self.open_panels.pop(node_id, (None, None))
        if panel is not None:
            panel.removeEventFilter(self)
            host.close()
            panel.close()
            panel.deleteLater()

    def close_all(self) -> None:
        self.store_geometry()
        self.document.workflow.unsubscribe(self._on_event)
        for node_id in list(self.open_panels):
            self._discard(node_id)
