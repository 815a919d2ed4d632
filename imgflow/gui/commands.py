"""Undo commands: every canvas edit is one of these.

Each command is a thin wrapper around Workflow methods.  The first ``redo``
makes the change through the validating API (which assigns ids); later
redos re-insert the very same objects, so ids stay stable and the engine,
which follows workflow events, recomputes exactly what changed.
"""
from __future__ import annotations

import time
from typing import Any

from PyQt5.QtWidgets import QUndoCommand

from ..workflow import Annotation, Link, Node, Workflow
from ..workflow.links import replaced_links


class AddNode(QUndoCommand):
    def __init__(self, wf: Workflow, widget_id: str, position: tuple[float, float],
                 title: str | None = None, parent: QUndoCommand | None = None):
        widget = wf.registry.get(widget_id)
        super().__init__(f"Add {widget.name if widget else widget_id}", parent)
        self.wf, self.widget_id, self.position, self.title = wf, widget_id, position, title
        self.node: Node | None = None

    def redo(self) -> None:
        if self.node is None:
            self.node = self.wf.add_node(self.widget_id, self.title, self.position)
        else:
            self.wf.insert_node(self.node)

    def undo(self) -> None:
        self.wf.remove_node(self.node)


class InsertFragment(QUndoCommand):
    """Paste or duplicate: nodes, the links among them and annotations, from another workflow."""

    def __init__(self, wf: Workflow, fragment: Workflow, offset: tuple[float, float],
                 text: str = "Paste"):
        super().__init__(text)
        self.wf, self.fragment, self.offset = wf, fragment, offset
        self.nodes: list[Node] = []
        self.links: list[Link] = []
        self.annotations: list[Annotation] = []
        self._done_once = False

    def redo(self) -> None:
        if self._done_once:
            for node in self.nodes:
                self.wf.insert_node(node)
            for link in self.links:
                self.wf.insert_link(link)
            for ann in self.annotations:
                self.wf.insert_annotation(ann)
            return
        self._done_once = True
        dx, dy = self.offset
        new_ids: dict[int, Node] = {}
        for old in self.fragment.nodes.values():
            if old.is_placeholder or old.widget_id not in self.wf.registry:
                continue   # a widget that is not installed cannot be pasted
            # a node pasted with Apply automatically off waits for Apply from the start
            node = self.wf.add_node(old.widget_id, old.title,
                                    (old.position[0] + dx, old.position[1] + dy), old.settings,
                                    auto_apply=old.auto_apply)
            self.wf.set_panel_state(node, old.panel_state)
            new_ids[old.id] = node
            self.nodes.append(node)
        for l in self.fragment.links.values():
            if l.source in new_ids and l.sink in new_ids:
                self.links.append(self.wf.add_link(new_ids[l.source], l.source_channel,
                                                   new_ids[l.sink], l.sink_channel, l.enabled))
        for a in self.fragment.annotations.values():
            g = a.geometry
            shifted = (g[0] + dx, g[1] + dy, g[2] + dx, g[3] + dy) if a.kind == "arrow" \
                else (g[0] + dx, g[1] + dy, g[2], g[3])
            self.annotations.append(self.wf.add_annotation(a.kind, shifted, a.text, a.style))

    def undo(self) -> None:
        for ann in reversed(self.annotations):
            self.wf.remove_annotation(ann)
        for link in reversed(self.links):
            self.wf.remove_link(link)
        for node in reversed(self.nodes):
            self.wf.remove_node(node)


class RemoveItems(QUndoCommand):
    def __init__(self, wf: Workflow, nodes=(), links=(), annotations=(),
                 text: str = "Delete", parent: QUndoCommand | None = None):
        super().__init__(text, parent)
        self.wf = wf
        self.nodes, self.links, self.annotations = list(nodes), list(links), list(annotations)
        self._removed_links: list[Link] = []
        self._removed_nodes: list[tuple[Node, list[Link]]] = []

    def redo(self) -> None:
        # Links first: those between removed nodes then go with the nodes' own lists.
        self._removed_links = [self.wf.remove_link(l) for l in self.links if l.id in self.wf.links]
        self._removed_nodes = [self.wf.remove_node(n) for n in self.nodes]
        for ann in self.annotations:
            self.wf.remove_annotation(ann)

    def undo(self) -> None:
        for ann in reversed(self.annotations):
            self.wf.insert_annotation(ann)
        for node, links in reversed(self._removed_nodes):
            self.wf.insert_node(node, links)
        for link in reversed(self._removed_links):
            self.wf.insert_link(link)


class MoveItems(QUndoCommand):
    """Nodes to new positions and annotations to new geometries (already there on first redo)."""

    def __init__(self, wf: Workflow, nodes: dict[int, tuple[tuple, tuple]],
                 annotations: dict[int, tuple[tuple, tuple]] | None = None, text: str = "Move"):
        super().__init__(text)
        self.wf, self.nodes, self.annotations = wf, nodes, annotations or {}

    def _apply(self, which: int) -> None:
        for node_id, positions in self.nodes.items():
            self.wf.move_node(node_id, positions[which])
        for ann_id, geometries in self.annotations.items():
            self.wf.update_annotation(ann_id, geometry=geometries[which])

    def redo(self) -> None:
        self._apply(1)

    def undo(self) -> None:
        self._apply(0)


class Rename(QUndoCommand):
    def __init__(self, wf: Workflow, node: Node, title: str):
        super().__init__(f"Rename '{node.title}'")
        self.wf, self.node, self.old, self.new = wf, node, node.title, title

    def redo(self) -> None:
        self.wf.set_title(self.node, self.new)

    def undo(self) -> None:
        self.wf.set_title(self.node, self.old)


class AddLink(QUndoCommand):
    """A new link, dropping the links it replaces (a taken single input)."""

    def __init__(self, wf: Workflow, source: int, output: str, sink: int, input: str,
                 replaces: list[Link] = (), parent: QUndoCommand | None = None):
        super().__init__("Link", parent)
        self.wf, self.args, self.replaces = wf, (source, output, sink, input), list(replaces)
        self.link: Link | None = None

    def redo(self) -> None:
        for old in self.replaces:
            self.wf.remove_link(old)
        if self.link is None:
            self.link = self.wf.add_link(*self.args)
        else:
            self.wf.insert_link(self.link)

    def undo(self) -> None:
        self.wf.remove_link(self.link)
        for old in reversed(self.replaces):
            self.wf.insert_link(old)


class SetLinkEnabled(QUndoCommand):
    def __init__(self, wf: Workflow, link: Link, enabled: bool):
        super().__init__("Enable link" if enabled else "Disable link")
        self.wf, self.link, self.enabled = wf, link, enabled

    def redo(self) -> None:
        self.wf.set_link_enabled(self.link, self.enabled)

    def undo(self) -> None:
        self.wf.set_link_enabled(self.link, not self.enabled)


def set_links(wf: Workflow, source: int, sink: int, pairs: list[tuple[str, str]]) -> QUndoCommand:
    """One command that makes the links from source to sink exactly ``pairs``."""
    macro = QUndoCommand("Change links")
    current = [l for l in wf.links.values() if l.source == source and l.sink == sink]
    keep = {(l.source_channel, l.sink_channel) for l in current} & set(pairs)
    drop = [l for l in current if (l.source_channel, l.sink_channel) not in keep]
    if drop:
        RemoveItems(wf, links=drop, parent=macro)
    for out, inp in pairs:
        if (out, inp) not in keep:
            # A single input fed by a third node is freed for the chosen pair.
            taken = [l for l in replaced_links(wf, source, out, sink, inp) if l not in drop]
            AddLink(wf, source, out, sink, inp, taken, parent=macro)
    return macro


class SetSettings(QUndoCommand):
    """Settings changed from a widget's window; quick successive changes merge."""
    MERGE_SECONDS = 1.0

    def __init__(self, wf: Workflow, node: Node, changes: dict[str, Any], label: str = ""):
        super().__init__(label or f"Change {node.title}")
        self.wf, self.node = wf, node
        self.old = {k: node.settings.get(k) for k in changes}
        self.new = dict(changes)
        self.stamp = time.monotonic()

    def id(self) -> int:
        return 1001

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, SetSettings) and other.node is self.node
                and other.new.keys() == self.new.keys() and other.text() == self.text()
                and other.stamp - self.stamp < self.MERGE_SECONDS):
            return False
        self.new, self.stamp = other.new, other.stamp
        return True

    def redo(self) -> None:
        self.wf.set_settings(self.node, self.new)

    def undo(self) -> None:
        self.wf.set_settings(self.node, self.old)


class SetAutoApply(QUndoCommand):
    def __init__(self, wf: Workflow, node: Node, on: bool):
        super().__init__(f"Apply automatically: {'on' if on else 'off'}")
        self.wf, self.node, self.on = wf, node, on

    def redo(self) -> None:
        self.wf.set_auto_apply(self.node, self.on)

    def undo(self) -> None:
        self.wf.set_auto_apply(self.node, not self.on)


class AddAnnotation(QUndoCommand):
    def __init__(self, wf: Workflow, kind: str, geometry, text: str = "", style=None):
        super().__init__("Add text" if kind == "text" else "Add arrow")
        self.wf, self.args = wf, (kind, geometry, text, style)
        self.annotation: Annotation | None = None

    def redo(self) -> None:
        if self.annotation is None:
            self.annotation = self.wf.add_annotation(*self.args)
        else:
            self.wf.insert_annotation(self.annotation)

    def undo(self) -> None:
        self.wf.remove_annotation(self.annotation)


class EditAnnotationText(QUndoCommand):
    def __init__(self, wf: Workflow, annotation: Annotation, text: str, old: str | None = None):
        super().__init__("Edit text")
        self.wf, self.annotation = wf, annotation
        self.old = annotation.text if old is None else old
        self.new = text

    def redo(self) -> None:
        self.wf.update_annotation(self.annotation, text=self.new)

    def undo(self) -> None:
        self.wf.update_annotation(self.annotation, text=self.old)
