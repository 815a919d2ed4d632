"""A workflow being edited: its engine, its undo stack and its file.

The single place where canvas edits become undo commands, so the scene, the
menus and the widget windows all edit the same way.  No widgets or dialogs
here; the window decides what to ask the user.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt5.QtCore import QObject, pyqtSignal
from PyQt5.QtWidgets import QUndoCommand, QUndoStack

from ..engine import Engine
from ..workflow import Annotation, Link, Node, Workflow, save
from ..workflow.links import LinkError, insert_channels
from . import commands
from .linking import LinkPlan, plan_link, plan_pair
from .qtpost import QtPoster


class Document(QObject):
    modified_changed = pyqtSignal(bool)
    path_changed = pyqtSignal(object)        # Path | None

    def __init__(self, workflow: Workflow, path: str | Path | None = None,
                 recovered: bool = False, parent: QObject | None = None):
        super().__init__(parent)
        self.workflow = workflow
        self.path: Path | None = Path(path) if path else None
        self.poster = QtPoster(self)
        self.engine = Engine(workflow, post=self.poster, workflow_path=self.path,
                             manual_apply=True)   # "Apply automatically" off holds a node
        self.undo_stack = QUndoStack(self)
        # A restored recovery file holds work never saved: modified until saved.
        self._recovered = recovered
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    def _clean_changed(self, _clean: bool) -> None:
        self.modified_changed.emit(self.modified)

    @property
    def modified(self) -> bool:
        return self._recovered or not self.undo_stack.isClean()

    def push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    def close(self) -> None:
        self.poster.close()
        self.engine.shutdown()

    # -- files ----------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        path = Path(path)
        save(self.workflow, path)
        if path != self.path:
            self.path = path
            self.engine.workflow_path = path
            self.path_changed.emit(path)
        was_modified = self.modified
        self._recovered = False
        self.undo_stack.setClean()
        if was_modified:
            self.modified_changed.emit(False)

    # -- edits ----------------------------------------------------------------
    def add_node(self, widget_id: str, position: tuple[float, float]) -> Node:
        command = commands.AddNode(self.workflow, widget_id, position)
        self.push(command)
        return command.node

    def plan_link(self, source: int, sink: int) -> LinkPlan:
        return plan_link(self.workflow, source, sink)

    def link(self, source: int, sink: int, channels: tuple[str, str] | None = None) -> LinkPlan:
        """Link with the given (or default) channels; the plan says what happened or why not."""
        plan = self.plan_link(source, sink) if channels is None else \
            plan_pair(self.workflow, source, sink, channels)
        if plan.ok:
            out, inp = plan.channels
            self.push(commands.AddLink(self.workflow, source, out, sink, inp, plan.replaces))
        return plan

    def set_links(self, source: int, sink: int, pairs: list[tuple[str, str]]) -> None:
        macro = commands.set_links(self.workflow, source, sink, pairs)
        if macro.childCount():
            self.push(macro)

    def remove(self, nodes=(), links=(), annotations=()) -> None:
        nodes, links, annotations = list(nodes), list(links), list(annotations)
        if nodes or links or annotations:
            count = len(nodes) + len(links) + len(annotations)
            text = f"Delete {nodes[0].title}" if count == 1 and nodes else "Delete"
            self.push(commands.RemoveItems(self.workflow, nodes, links, annotations, text))

    def move(self, nodes: dict[int, tuple], annotations: dict[int, tuple] | None = None) -> None:
        nodes = {k: v for k, v in nodes.items() if v[0] != v[1]}
        annotations = {k: v for k, v in (annotations or {}).items() if v[0] != v[1]}
        if nodes or annotations:
            self.push(commands.MoveItems(self.workflow, nodes, annotations,
                                         _move_text(nodes, annotations)))

    def rename(self, node: Node, title: str) -> None:
        title = title.strip()
        if title and title != node.title:
            self.push(commands.Rename(self.workflow, node, title))

    def set_link_enabled(self, link: Link, enabled: bool) -> None:
        if link.enabled != enabled:
            self.push(commands.SetLinkEnabled(self.workflow, link, enabled))

    def set_settings(self, node: Node, changes: dict[str, Any], label: str = "") -> None:
        if any(node.settings.get(k) != v for k, v in changes.items()):
            self.push(commands.SetSettings(self.workflow, node, changes, label))

    def reset_settings(self, node: Node) -> None:
        """Every setting of the node back to its default: one undo step."""
        changes = self.workflow.reset_changes(node)
        if changes:
            self.push(commands.SetSettings(self.workflow, node, changes,
                                           f"Reset settings of {node.title}"))

    def set_auto_apply(self, node: Node, on: bool) -> None:
        if node.auto_apply != on:
            self.push(commands.SetAutoApply(self.workflow, node, on))

    def add_annotation(self, kind: str, geometry, text: str = "", style=None) -> Annotation:
        command = commands.AddAnnotation(self.workflow, kind, geometry, text, style)
        self.push(command)
        return command.annotation

    def edit_annotation_text(self, annotation: Annotation, text: str, old: str | None = None) -> None:
        if text != (annotation.text if old is None else old):
            self.push(commands.EditAnnotationText(self.workflow, annotation, text, old))

    def insert_fragment(self, fragment: Workflow, offset: tuple[float, float],
                        text: str = "Paste") -> commands.InsertFragment:
        command = commands.InsertFragment(self.workflow, fragment, offset, text)
        self.push(command)
        return command

    def insert_into_link(self, link: Link, widget_id: str, position) -> Node | LinkError:
        """A new node put into a link (source -> new -> sink), as one undo step; or why not."""
        widget = self.workflow.registry.get(widget_id)
        channels = insert_channels(self.workflow, link, widget)
        if isinstance(channels, LinkError):
            return channels
        (out, new_in), (new_out, inp) = channels
        self.undo_stack.beginMacro(f"Insert {widget.name}")
        try:
            node = self.add_node(widget_id, position)
            self.push(commands.RemoveItems(self.workflow, links=[link]))
            # the links' own rule checks them again as they are made (wf.add_link)
            for args in ((link.source, out, node.id, new_in), (node.id, new_out, link.sink, inp)):
                added = commands.AddLink(self.workflow, *args)
                self.push(added)
                if not link.enabled:      # a disabled link stays disabled, both halves
                    self.push(commands.SetLinkEnabled(self.workflow, added.link, False))
        finally:
            self.undo_stack.endMacro()
        return node

    def add_and_link(self, widget_id: str, position, source: int | None = None,
                     sink: int | None = None) -> Node:
        """A new node linked from source (or into sink), as one undo step."""
        self.undo_stack.beginMacro("Add and link")
        try:
            node = self.add_node(widget_id, position)
            if source is not None:
                self.link(source, node.id)
            if sink is not None:
                self.link(node.id, sink)
        finally:
            self.undo_stack.endMacro()
        return node


def _move_text(nodes: dict, annotations: dict) -> str:
    """'Resize note' when the one change kept a note's corner; else 'Move'."""
    if not nodes and len(annotations) == 1:
        [(before, after)] = annotations.values()
        if before[:2] == after[:2]:
            return "Resize note"
    return "Move"
