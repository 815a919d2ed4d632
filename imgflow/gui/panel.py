"""Widget panels: the Qt windows of widgets, and the host they live in.

A panel only edits settings and shows results.  It never computes: it asks
its host to change settings (the canvas makes that an undo command) and is
told when the node's settings or state change.
"""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QByteArray, QEvent, QObject, QSize, Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QBoxLayout, QShortcut, QToolButton, QWidget

from ..api import Setting
from ..engine import Engine, NodeState
from ..workflow import Event, Node, Workflow


class WidgetPanel(QWidget):
    """Base class of widget windows.

    Subclasses build their controls in ``__init__`` (after calling super),
    preferably bound to settings with ``imgflow.gui.controls`` (they show the
    node's settings by themselves), and override ``settings_changed`` (refresh
    anything else from ``self.settings``) and ``state_changed`` (show the
    node's inputs, outputs, view, progress).

    The base adds a bottom row (``panel_bar``): Reset settings, and "Apply
    automatically" with Apply for widgets that declare ``apply_control``.  It
    goes at the end of ``controls_area`` (a box layout; by default the
    window's own layout).
    """
    controls_area: QBoxLayout | None = None

    def __init__(self, host: "PanelHost", parent: QWidget | None = None):
        super().__init__(parent)
        self.host = host
        self.bindings: list = []        # controls.Binding of the bound controls
        self.bar = None                 # panel_bar.PanelBar, added by the host on attach
        self.setWindowTitle(host.node.title)
        self._add_help_button()

    @property
    def node(self) -> Node:
        return self.host.node

    @property
    def settings(self) -> dict[str, Any]:
        return self.host.node.settings

    @property
    def state(self) -> NodeState:
        return self.host.engine.state(self.host.node.id)

    def set_settings(self, label: str = "", **changes: Any) -> None:
        """Change settings through the host (undoable in the canvas)."""
        self.host.set_settings(changes, label)

    def setting(self, name: str) -> Setting:
        """The declaration of one of the node's settings."""
        return self.host.workflow.widget(self.node).setting(name)

    def show_settings(self) -> None:
        """The node's settings changed: bound controls show them, then ``settings_changed``."""
        for binding in self.bindings:
            binding.refresh()
        self.settings_changed()

    def add_bar(self) -> None:
        """Put the bottom row (Reset settings; Apply) at the end of the controls (once)."""
        self._reserve_help_corner()     # the window's furniture, before its size is chosen
        area = self.controls_area or self.layout()
        if self.bar is not None or not isinstance(area, QBoxLayout):
            return
        from .panel_bar import PanelBar
        widget = self.host.workflow.widget(self.node)
        self.bar = PanelBar(self, bool(widget and widget.apply_control))
        area.addWidget(self.bar)

    # -- hooks ----------------------------------------------------------------
    def settings_changed(self) -> None:
        """The node's settings changed (by this panel, undo, or a load)."""

    def state_changed(self, state: NodeState) -> None:
        """The node's state changed: new inputs, outputs, progress or messages."""

    def comfortable_size(self) -> QSize:
        """The size a new window opens at: its content usable, not just squeezed in.

        By default the size the subclass gave with ``resize`` in ``__init__``
        (or the layout's wish), never under the layout's minimum; panels whose
        content needs room of its own (thumbnails, a tree) override it.
        """
        wished = self.size() if self.testAttribute(Qt.WA_Resized) else self.sizeHint()
        return wished.expandedTo(self.sizeHint()).expandedTo(self.minimumSizeHint())

    # -- help: a "?" in the corner and F1 open the widget's page ----------------
    def _add_help_button(self) -> None:
        # Sits in the bottom-right corner, below whatever layout the subclass builds.
        self.help_button = QToolButton(self, text="?", autoRaise=True)
        self.help_button.setObjectName("widget-help")
        self.help_button.setToolTip("Help on this widget (F1)")
        self.help_button.setFocusPolicy(Qt.NoFocus)
        self.help_button.setFixedSize(18, 18)
        self.help_button.setStyleSheet("QToolButton { font-weight: bold; color: #2f7de1; }")
        self.help_button.clicked.connect(self.show_help)
        QShortcut(QKeySequence.HelpContents, self, self.show_help,
                  context=Qt.WidgetWithChildrenShortcut)
        self.installEventFilter(_CornerKeeper(self.help_button))

    def show_help(self) -> None:
        self.host.show_help(self)

    def _reserve_help_corner(self) -> None:
        """A bottom margin as tall as the help button, so that it covers no control."""
        layout = self.layout()
        if layout is not None:
            margins = layout.contentsMargins()
            if margins.bottom() < self.help_button.height() + 2:
                margins.setBottom(self.help_button.height() + 2)
                layout.setContentsMargins(margins)

    def save_geometry(self) -> str:
        return bytes(self.saveGeometry().toHex()).decode("ascii")

    def restore_geometry(self, text: str) -> None:
        if text:
            self.restoreGeometry(QByteArray.fromHex(text.encode("ascii")))


class _CornerKeeper(QObject):
    """Keeps a button in its window's bottom-right corner (an event filter: a subclass's
    own resizeEvent cannot forget it)."""

    def __init__(self, button: QToolButton):
        super().__init__(button)
        self.button = button

    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.Resize, QEvent.Show):
            self.button.move(obj.width() - self.button.width() - 1,
                             obj.height() - self.button.height() - 1)
            self.button.raise_()
        return False


class PanelHost:
    """Connects one panel to its node: settings go to the workflow, state comes from the engine.

    This host applies settings directly; the canvas subclasses it to push
    undo commands instead (``apply_settings``).
    """

    def __init__(self, workflow: Workflow, engine: Engine, node: Node):
        self.workflow, self.engine, self.node = workflow, engine, node
        self.panel: WidgetPanel | None = None
        workflow.subscribe(self._on_workflow_event)
        engine.subscribe(self._on_state)

    def attach(self, panel: WidgetPanel) -> WidgetPanel:
        self.panel = panel
        panel.add_bar()
        panel.show_settings()
        panel.state_changed(self.engine.state(self.node.id))
        return panel

    def set_settings(self, changes: dict[str, Any], label: str = "") -> None:
        if any(self.node.settings.get(k) != v for k, v in changes.items()):
            self.apply_settings(changes, label)

    def apply_settings(self, changes: dict[str, Any], label: str) -> None:
        self.workflow.set_settings(self.node, changes)

    def reset_settings(self) -> None:
        """Every setting back to its default, as one change."""
        self.set_settings(self.workflow.reset_changes(self.node), "Reset settings")

    def set_auto_apply(self, on: bool) -> None:
        self.workflow.set_auto_apply(self.node, on)

    def show_help(self, near: QWidget | None = None) -> None:
        """Open the widget's help page (the window shared by the canvas's top-level window)."""
        from .help_window import show_widget_help
        show_widget_help(self.workflow.registry, self.node.widget_id, near or self.panel)

    def close(self) -> None:
        self.workflow.unsubscribe(self._on_workflow_event)
        self.engine.unsubscribe(self._on_state)
        self.panel = None

    def _on_workflow_event(self, event: Event) -> None:
        if self.panel is None or event.item is not self.node:
            return
        if event.kind == "settings_changed":
            self.panel.show_settings()
        elif event.kind == "node_changed":
            self.panel.setWindowTitle(self.node.title)
        if self.panel.bar is not None:
            self.panel.bar.refresh()

    def _on_state(self, node_id: int, state: NodeState) -> None:
        if self.panel is not None and node_id == self.node.id:
            if self.panel.bar is not None:
                self.panel.bar.refresh()
            self.panel.state_changed(state)


def load_panel_class(widget) -> type[WidgetPanel] | None:
    """The panel class a widget names ("module:Class"), imported now."""
    if not widget.panel:
        return None
    import importlib
    module_name, _, class_name = widget.panel.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def open_panel(workflow: Workflow, engine: Engine, node: Node,
               host_class: type[PanelHost] = PanelHost) -> WidgetPanel | None:
    """Create a node's panel with a host (used by tests and the canvas)."""
    cls = load_panel_class(workflow.widget(node))
    if cls is None:
        return None
    host = host_class(workflow, engine, node)
    return host.attach(cls(host))
