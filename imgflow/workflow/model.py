"""The workflow model: nodes, links and annotations, with change events.

Plain Python, no Qt.  The canvas and the engine both listen to the events
a workflow emits; every edit goes through one of its methods, so the undo
commands of the canvas are thin wrappers around them.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable

from ..api import Widget
from ..registry import Registry
from .graph import Graph
from .links import LinkError, check_link, compatible_channels, default_channels


@dataclass(eq=False)
class Node:
    id: int
    widget_id: str
    title: str
    position: tuple[float, float] = (0.0, 0.0)
    settings: dict[str, Any] = field(default_factory=dict)
    panel_state: dict[str, Any] = field(default_factory=dict)   # window geometry and the like
    placeholder: dict[str, Any] | None = None   # the raw saved node when its widget is missing
    auto_apply: bool = True      # off: changes wait for Apply (widgets with apply_control)

    @property
    def is_placeholder(self) -> bool:
        return self.placeholder is not None


@dataclass(eq=False)
class Link:
    id: int
    source: int
    source_channel: str
    sink: int
    sink_channel: str
    enabled: bool = True


@dataclass(eq=False)
class Annotation:
    id: int
    kind: str                                  # "text" or "arrow"
    geometry: tuple[float, float, float, float]   # text: x, y, w, h; arrow: x1, y1, x2, y2
    text: str = ""
    style: dict[str, Any] = field(default_factory=dict)


class EventKind(StrEnum):
    """What changed; str-valued, so listeners may compare with the plain words."""
    NODE_ADDED = "node_added"
    NODE_REMOVED = "node_removed"
    NODE_CHANGED = "node_changed"           # title, position or auto_apply (then changed names it)
    SETTINGS_CHANGED = "settings_changed"
    LINK_ADDED = "link_added"
    LINK_REMOVED = "link_removed"
    LINK_CHANGED = "link_changed"           # enabled or disabled
    ANNOTATION_ADDED = "annotation_added"
    ANNOTATION_REMOVED = "annotation_removed"
    ANNOTATION_CHANGED = "annotation_changed"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    item: Any
    changed: tuple[str, ...] = ()   # settings_changed: the names of the changed settings


_GRAPH_CHANGES = (EventKind.NODE_ADDED, EventKind.NODE_REMOVED, EventKind.LINK_ADDED,
                  EventKind.LINK_REMOVED, EventKind.LINK_CHANGED)


class Workflow:
    def __init__(self, registry: Registry, title: str = "", description: str = ""):
        self.registry = registry
        self.title = title
        self.description = description
        self.nodes: dict[int, Node] = {}
        self.links: dict[int, Link] = {}
        self.annotations: dict[int, Annotation] = {}
        # What the user should know about the file it was loaded from (one line each).
        self.load_warnings: list[str] = []
        self._listeners: list[Callable[[Event], None]] = []
        self._next_id = {"node": 0, "link": 0, "annotation": 0}
        self._graphs: dict[bool, Graph] = {}     # all_links -> graph, until the next change

    # -- events -------------------------------------------------------------
    def subscribe(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Event], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, kind: EventKind, item: Any, changed: tuple[str, ...] = ()) -> None:
        if kind in _GRAPH_CHANGES:
            self._graphs.clear()        # before the listeners, who may walk the graph
        event = Event(kind, item, changed)
        for listener in list(self._listeners):
            listener(event)

    def _take_id(self, kind: str, wanted: int | None = None) -> int:
        if wanted is None:
            wanted = self._next_id[kind]
        self._next_id[kind] = max(self._next_id[kind], wanted + 1)
        return wanted

    # -- nodes --------------------------------------------------------------
    def widget(self, node: Node | int) -> type[Widget] | None:
        node = self.node(node)
        return None if node.is_placeholder else self.registry.get(node.widget_id)

    def node(self, node: Node | int) -> Node:
        node_id = node.id if isinstance(node, Node) else node
        try:
            return self.nodes[node_id]
        except KeyError:
            raise KeyError(f"no node with id {node_id}") from None

    def node_by_title(self, title: str) -> Node | None:
        return next((n for n in self.nodes.values() if n.title == title), None)

    def unique_title(self, base: str) -> str:
        titles = {n.title for n in self.nodes.values()}
        if base not in titles:
            return base
        i = 1
        while f"{base} ({i})" in titles:
            i += 1
        return f"{base} ({i})"

    def add_node(self, widget_id: str, title: str | None = None,
                 position: tuple[float, float] = (0.0, 0.0),
                 settings: dict[str, Any] | None = None, auto_apply: bool = True) -> Node:
        widget = self.registry.get(widget_id)
        if widget is None:
            raise KeyError(f"no widget with id {widget_id!r} is installed")
        values = widget.default_settings()
        for name, value in (settings or {}).items():
            values[name] = widget.setting(name).validate(value)
        node = Node(self._take_id("node"), widget_id,
                    self.unique_title(title or widget.name),
                    (float(position[0]), float(position[1])), values,
                    auto_apply=bool(auto_apply))
        return self.insert_node(node)

    def insert_node(self, node: Node, links: list[Link] = ()) -> Node:
        """Put a node (and links of it) in; used by loading and by undo."""
        if node.id in self.nodes:
            raise ValueError(f"node id {node.id} is taken")
        self._take_id("node", node.id)
        self.nodes[node.id] = node
        self._emit(EventKind.NODE_ADDED, node)
        for link in links:
            self.insert_link(link)
        return node

    def remove_node(self, node: Node | int) -> tuple[Node, list[Link]]:
        """Remove a node and its links; returns both so undo can restore them."""
        node = self.node(node)
        removed = [l for l in self.links.values() if node.id in (l.source, l.sink)]
        for link in removed:
            self.remove_link(link)
        del self.nodes[node.id]
        self._emit(EventKind.NODE_REMOVED, node)
        return node, removed

    def set_title(self, node: Node | int, title: str) -> None:
        node = self.node(node)
        node.title = title
        self._emit(EventKind.NODE_CHANGED, node)

    def move_node(self, node: Node | int, position: tuple[float, float]) -> None:
        node = self.node(node)
        node.position = (float(position[0]), float(position[1]))
        self._emit(EventKind.NODE_CHANGED, node)

    def set_settings(self, node: Node | int, changes: dict[str, Any]) -> None:
        """Change some settings of a node (validated), then tell the listeners."""
        node = self.node(node)
        widget = self.widget(node)
        if widget is None:
            raise ValueError(f"{node.title}: its widget is not installed")
        validated = {name: widget.setting(name).validate(v) for name, v in changes.items()}
        changed = tuple(k for k, v in validated.items() if node.settings.get(k) != v)
        if not changed:
            return
        node.settings = {**node.settings, **validated}
        self._emit(EventKind.SETTINGS_CHANGED, node, changed)

    def reset_changes(self, node: Node | int) -> dict[str, Any]:
        """The settings that differ from their defaults, with the defaults (for a reset)."""
        node = self.node(node)
        widget = self.widget(node)
        if widget is None:
            return {}
        return {k: v for k, v in widget.default_settings().items() if node.settings.get(k) != v}

    def set_auto_apply(self, node: Node | int, on: bool) -> None:
        """Whether the node's changes run at once (True) or wait for Apply."""
        node = self.node(node)
        if node.auto_apply != bool(on):
            node.auto_apply = bool(on)
            self._emit(EventKind.NODE_CHANGED, node, ("auto_apply",))

    def set_panel_state(self, node: Node | int, state: dict[str, Any]) -> None:
        self.node(node).panel_state = copy.deepcopy(state)

    # -- links --------------------------------------------------------------
    def check_link(self, source: int, source_channel: str, sink: int,
                   sink_channel: str) -> LinkError | None:
        """Why this link cannot be made (its str() is the sentence), or None when it can."""
        return check_link(self, source, source_channel, sink, sink_channel)

    def add_link(self, source: Node | int, source_channel: str, sink: Node | int,
                 sink_channel: str, enabled: bool = True) -> Link:
        """A new link; raises the LinkError that says why not."""
        source, sink = self.node(source).id, self.node(sink).id
        reason = self.check_link(source, source_channel, sink, sink_channel)
        if reason is not None:
            raise reason
        return self.insert_link(Link(self._take_id("link"), source, source_channel,
                                     sink, sink_channel, enabled))

    def insert_link(self, link: Link) -> Link:
        if link.id in self.links:
            raise ValueError(f"link id {link.id} is taken")
        self._take_id("link", link.id)
        self.links[link.id] = link
        self._emit(EventKind.LINK_ADDED, link)
        return link

    def remove_link(self, link: Link | int) -> Link:
        link = self.links.pop(link.id if isinstance(link, Link) else link)
        self._emit(EventKind.LINK_REMOVED, link)
        return link

    def set_link_enabled(self, link: Link | int, enabled: bool) -> None:
        link = self.links[link.id if isinstance(link, Link) else link]
        if link.enabled != enabled:
            link.enabled = enabled
            self._emit(EventKind.LINK_CHANGED, link)

    def compatible_channels(self, source: Node | int, sink: Node | int) -> list[tuple[str, str]]:
        return compatible_channels(self, self.node(source).id, self.node(sink).id)

    def default_channels(self, source: Node | int, sink: Node | int) -> tuple[str, str] | None:
        return default_channels(self, self.node(source).id, self.node(sink).id)

    def links_into(self, node: Node | int) -> list[Link]:
        node_id = self.node(node).id
        return [l for l in self.links.values() if l.sink == node_id]

    def links_from(self, node: Node | int) -> list[Link]:
        node_id = self.node(node).id
        return [l for l in self.links.values() if l.source == node_id]

    # -- graph --------------------------------------------------------------
    def graph(self, all_links: bool = False) -> Graph:
        """The nodes and the enabled links (or all links) as a graph, kept until they change."""
        if all_links not in self._graphs:
            edges = [(l.source, l.sink) for l in self.links.values() if all_links or l.enabled]
            self._graphs[all_links] = Graph(self.nodes, edges)
        return self._graphs[all_links]

    def downstream(self, node_id: int, all_links: bool = False) -> frozenset[int]:
        """Nodes reachable from node_id along enabled links (not including it)."""
        return self.graph(all_links).downstream(node_id)

    def upstream(self, node_id: int, all_links: bool = False) -> frozenset[int]:
        """Nodes from which node_id is reachable along enabled links (not including it)."""
        return self.graph(all_links).upstream(node_id)

    def topological_order(self, all_links: bool = False) -> list[int]:
        """Node ids, every node after all nodes that feed it through enabled links (ties by id)."""
        return self.graph(all_links).order

    # -- annotations --------------------------------------------------------
    def add_annotation(self, kind: str, geometry, text: str = "", style=None) -> Annotation:
        if kind not in ("text", "arrow"):
            raise ValueError("an annotation is 'text' or 'arrow'")
        return self.insert_annotation(Annotation(self._take_id("annotation"), kind,
                                                 tuple(map(float, geometry)), text, dict(style or {})))

    def insert_annotation(self, annotation: Annotation) -> Annotation:
        self._take_id("annotation", annotation.id)
        self.annotations[annotation.id] = annotation
        self._emit(EventKind.ANNOTATION_ADDED, annotation)
        return annotation

    def remove_annotation(self, annotation: Annotation | int) -> Annotation:
        ann = self.annotations.pop(annotation.id if isinstance(annotation, Annotation) else annotation)
        self._emit(EventKind.ANNOTATION_REMOVED, ann)
        return ann

    def update_annotation(self, annotation: Annotation | int, *, geometry=None, text=None,
                          style=None) -> None:
        ann = self.annotations[annotation.id if isinstance(annotation, Annotation) else annotation]
        if geometry is not None:
            ann.geometry = tuple(map(float, geometry))
        if text is not None:
            ann.text = text
        if style is not None:
            ann.style = dict(style)
        self._emit(EventKind.ANNOTATION_CHANGED, ann)

    def clear(self) -> None:
        for node in list(self.nodes.values()):
            self.remove_node(node)
        for ann in list(self.annotations.values()):
            self.remove_annotation(ann)
