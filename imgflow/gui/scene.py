"""The canvas scene: a live picture of a Document's workflow and engine.

It follows workflow events (add/remove/change items) and engine states
(progress, badges, dashed links), routes mouse presses to gestures, and
turns drags that moved items into one undoable move.  Questions for the
user (which widget? which channels?) go to two replaceable callbacks, so the
window decides how to ask and tests can answer directly.
"""
from __future__ import annotations

from typing import Callable

from PyQt5.QtCore import QPointF, Qt, pyqtSignal
from PyQt5.QtWidgets import QGraphicsScene, QMenu

from ..engine import NodeState
from ..workflow import Event, Node
from ..workflow.links import LinkError, insert_channels, widgets_fit
from . import style
from .annotation_items import ArrowAnnotationItem, TextAnnotationItem
from .document import Document
from .gestures import ArrowGesture, Gesture, NewLinkGesture, TextGesture
from .link_item import LinkItem
from .linking import LinkPlan
from .node_item import NodeItem

# (scene position, which widgets fit or None for all, text typed so far) -> widget class
WidgetChooser = Callable[[QPointF, Callable[[type], bool] | None, str], type | None]
ChannelChooser = Callable[[Node, Node, list[tuple[str, str]]], list[tuple[str, str]] | None]


class CanvasScene(QGraphicsScene):
    message = pyqtSignal(str)                 # a sentence for the status bar
    node_open_requested = pyqtSignal(object)  # Node
    mode_changed = pyqtSignal(str)            # "", "text" or "arrow"
    canvas_menu_requested = pyqtSignal(object)   # QPoint (screen) of a right-click on empty canvas

    def __init__(self, document: Document, parent=None):
        super().__init__(parent)
        self.document = document
        self.node_items: dict[int, NodeItem] = {}
        self.link_items: dict[int, LinkItem] = {}
        self.annotation_items: dict[int, TextAnnotationItem | ArrowAnnotationItem] = {}
        self.gesture: Gesture | None = None
        self.mode = ""
        self.widget_chooser: WidgetChooser = lambda pos, accept, text: None
        self.channel_chooser: ChannelChooser = lambda source, sink, chosen: None
        self.setBackgroundBrush(style.CANVAS_BACKGROUND)
        self.setItemIndexMethod(QGraphicsScene.NoIndex)   # items move a lot; few of them
        wf = document.workflow
        for node in wf.nodes.values():
            self._add_node(node)
        for link in wf.links.values():
            self._add_link(link)
        for annotation in wf.annotations.values():
            self._add_annotation(annotation)
        wf.subscribe(self._on_event)
        document.engine.subscribe(self._on_state)

    def detach(self) -> None:
        """Stop following the document (it is being closed or replaced)."""
        self.document.workflow.unsubscribe(self._on_event)
        self.document.engine.unsubscribe(self._on_state)

    # -- following the model -----------------------------------------------
    def _on_event(self, event: Event) -> None:
        kind, item = event.kind, event.item
        if kind == "node_added":
            self._add_node(item)
        elif kind == "node_removed":
            self.removeItem(self.node_items.pop(item.id))
        elif kind == "node_changed":
            node_item = self.node_items[item.id]
            if node_item.pos() != QPointF(*item.position):
                node_item.setPos(*item.position)
            node_item.refresh()
            for link_item in node_item.link_items:
                link_item.refresh()
        elif kind == "link_added":
            self._add_link(item)
        elif kind == "link_removed":
            link_item = self.link_items.pop(item.id)
            link_item.detach()
            self.removeItem(link_item)
            self._refresh_pair(link_item)
        elif kind == "link_changed":
            self.link_items[item.id].refresh()
        elif kind == "annotation_added":
            self._add_annotation(item)
        elif kind == "annotation_removed":
            self.removeItem(self.annotation_items.pop(item.id))
        elif kind == "annotation_changed":
            self.annotation_items[item.id].refresh()

    def _add_node(self, node: Node) -> None:
        item = NodeItem(node, self.document.workflow.widget(node))
        item.set_state(self.document.engine.state(node.id))
        self.node_items[node.id] = item
        self.addItem(item)

    def _add_link(self, link) -> None:
        item = LinkItem(link, self.node_items[link.source], self.node_items[link.sink])
        item.set_has_run(self.document.engine.state(link.source).has_run)
        self.link_items[link.id] = item
        self.addItem(item)
        self._refresh_pair(item)

    @staticmethod
    def _refresh_pair(link_item: LinkItem) -> None:
        """Links between the same two nodes stack their labels: re-place them all."""
        for other in link_item.source_item.link_items:
            if other.sink_item is link_item.sink_item and other is not link_item:
                other.update_path()

    def _add_annotation(self, annotation) -> None:
        cls = TextAnnotationItem if annotation.kind == "text" else ArrowAnnotationItem
        item = cls(annotation)
        self.annotation_items[annotation.id] = item
        self.addItem(item)

    def _on_state(self, node_id: int, state: NodeState) -> None:
        item = self.node_items.get(node_id)
        if item is None:
            return
        item.set_state(state)
        for link_item in item.link_items:
            if link_item.source_item is item:
                link_item.set_has_run(state.has_run)

    # -- lookup and selection ------------------------------------------------
    def node_item_at(self, pos: QPointF, exclude: NodeItem | None = None) -> NodeItem | None:
        for item in self.items(pos):
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if item is not None and item is not exclude:
                return item
        return None

    def link_item_at(self, pos: QPointF) -> LinkItem | None:
        """The link under pos (its curve or its label), unless a node lies above it."""
        for item in self.items(pos):
            while item.parentItem() is not None:
                item = item.parentItem()
            if isinstance(item, NodeItem):
                return None
            if isinstance(item, LinkItem):
                return item
        return None

    def selected_nodes(self) -> list[Node]:
        return [i.node for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_links(self):
        return [i.link for i in self.selectedItems() if isinstance(i, LinkItem)]

    def selected_annotations(self):
        return [i.annotation for i in self.selectedItems()
                if isinstance(i, (TextAnnotationItem, ArrowAnnotationItem))]

    def select_all(self) -> None:
        for item in [*self.node_items.values(), *self.link_items.values(),
                     *self.annotation_items.values()]:
            item.setSelected(True)

    def select_nodes(self, node_ids) -> None:
        self.clearSelection()
        for node_id in node_ids:
            if node_id in self.node_items:
                self.node_items[node_id].setSelected(True)

    def delete_selected(self) -> None:
        self.document.remove(self.selected_nodes(), self.selected_links(),
                             self.selected_annotations())

    def set_mode(self, mode: str) -> None:
        """The next press draws a "text" note or an "arrow" ("" for normal editing)."""
        self.mode = mode
        self.mode_changed.emit(mode)

    # -- mouse ----------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        pos = event.scenePos()
        if event.button() == Qt.LeftButton and self.gesture is None:
            if self.mode:
                self.gesture = (TextGesture if self.mode == "text" else ArrowGesture)(self, pos)
                self.set_mode("")
                event.accept()
                return
            item = self.node_item_at(pos)
            anchor = item.anchor_at(pos) if item is not None else ""
            if anchor:
                self.gesture = NewLinkGesture(self, item, anchor)
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self.gesture is not None:
            self.gesture.move(event.scenePos())
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self.gesture is not None and event.button() == Qt.LeftButton:
            gesture, self.gesture = self.gesture, None
            gesture.release(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self._commit_moves()

    def _commit_moves(self) -> None:
        """Items Qt dragged are compared with the model; the differences become one undo step."""
        nodes = {node_id: (item.node.position, (item.pos().x(), item.pos().y()))
                 for node_id, item in self.node_items.items()
                 if QPointF(*item.node.position) != item.pos()}
        annotations = {ann_id: (item.annotation.geometry, item.current_geometry())
                       for ann_id, item in self.annotation_items.items()
                       if item.annotation.geometry != item.current_geometry()}
        self.document.move(nodes, annotations)

    def mouseDoubleClickEvent(self, event) -> None:
        if not self.items(event.scenePos()) and event.button() == Qt.LeftButton:
            self.quick_add(event.scenePos())
            event.accept()
        else:
            super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape and (self.gesture or self.mode):
            if self.gesture is not None:
                self.gesture.cancel()
                self.gesture = None
            self.set_mode("")
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event) -> None:
        items = self.items(event.scenePos())
        item = items[0] if items else None
        while item is not None and item.parentItem() is not None:   # a label: its link
            item = item.parentItem()
        node_item = self.node_item_at(event.scenePos())
        menu = QMenu()
        if node_item is not None:
            node = node_item.node
            menu.addAction("Open", lambda: self.node_open_requested.emit(node))
            menu.addAction("Rename", node_item.title.start_edit)
            self._add_node_settings_actions(menu, node)
            menu.addSeparator()
            menu.addAction("Remove", lambda: self.document.remove([node]))
        elif isinstance(item, LinkItem):
            link = item.link
            enabled = menu.addAction("Enabled")
            enabled.setCheckable(True)
            enabled.setChecked(link.enabled)
            enabled.toggled.connect(lambda on: self.document.set_link_enabled(link, on))
            menu.addAction("Edit Links…", lambda: self.edit_links(link.source, link.sink))
            where = event.scenePos()
            menu.addAction("Insert Widget…", lambda: self.offer_widget_for_link(link, where))
            menu.addSeparator()
            menu.addAction("Remove", lambda: self.document.remove(links=[link]))
        else:
            self.canvas_menu_requested.emit(event.screenPos())
            return
        menu.exec_(event.screenPos())

    def _add_node_settings_actions(self, menu: QMenu, node: Node) -> None:
        """Reset Settings (when any differs from its default) and Apply (when changes wait)."""
        reset = menu.addAction("Reset Settings", lambda: self.document.reset_settings(node))
        reset.setEnabled(bool(self.document.workflow.reset_changes(node)))
        engine = self.document.engine
        if engine.is_pending(node.id):
            menu.addAction("Apply", lambda: engine.apply(node.id))

    # -- requests from items and gestures ---------------------------------------
    def rename_requested(self, item: NodeItem, title: str) -> None:
        self.document.rename(item.node, title)

    def node_activated(self, item: NodeItem) -> None:
        self.node_open_requested.emit(item.node)

    def link_activated(self, item: LinkItem) -> None:
        self.edit_links(item.link.source, item.link.sink)

    def annotation_text_edited(self, item, text: str, before: str) -> None:
        self.document.edit_annotation_text(item.annotation, text, before)

    def make_link(self, source: NodeItem, sink: NodeItem, plan: LinkPlan) -> None:
        if plan.ambiguous:   # equally good channel pairs: the user picks
            pairs = self.channel_chooser(source.node, sink.node, [plan.channels])
            if pairs is not None:
                self.document.set_links(source.node.id, sink.node.id, pairs)
            return
        self.document.link(source.node.id, sink.node.id)

    def edit_links(self, source: int, sink: int) -> None:
        wf = self.document.workflow
        current = [(l.source_channel, l.sink_channel) for l in wf.links.values()
                   if l.source == source and l.sink == sink]
        pairs = self.channel_chooser(wf.node(source), wf.node(sink), current)
        if pairs is not None:
            self.document.set_links(source, sink, pairs)

    def quick_add(self, pos: QPointF, text: str = "") -> Node | None:
        widget = self.widget_chooser(pos, None, text)
        if widget is None:
            return None
        node = self.document.add_node(widget.id, (pos.x(), pos.y()))
        self.select_nodes([node.id])
        return node

    def offer_widget_for_link(self, link, pos: QPointF) -> None:
        """Insert Widget… on a link: offer only widgets that fit between its ends."""
        wf = self.document.workflow

        def fits(widget) -> bool:
            return not isinstance(insert_channels(wf, link, widget), LinkError)
        widget = self.widget_chooser(pos, fits, "")
        if widget is not None and link.id in wf.links:
            self.insert_into_link(link, widget.id, pos)

    def insert_into_link(self, link, widget_id: str, pos: QPointF) -> Node | None:
        """Put a new node into a link (one undo step), or say in the status bar why not."""
        result = self.document.insert_into_link(link, widget_id, (pos.x(), pos.y()))
        if isinstance(result, LinkError):
            self.message.emit(str(result))
            return None
        self.select_nodes([result.id])
        return result

    def offer_new_widget(self, origin: NodeItem, kind: str, pos: QPointF) -> None:
        """A link dropped on empty canvas: offer only widgets that fit, then add and link."""
        origin_widget = origin.widget
        if origin_widget is None:
            return

        def fits(widget) -> bool:
            if kind == "out":
                return widgets_fit(origin_widget, widget)
            return widgets_fit(widget, origin_widget)

        widget = self.widget_chooser(pos, fits, "")
        if widget is None:
            return
        node = self.document.add_and_link(
            widget.id, (pos.x(), pos.y()),
            source=origin.node.id if kind == "out" else None,
            sink=origin.node.id if kind == "in" else None)
        self.select_nodes([node.id])
