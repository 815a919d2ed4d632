"""Mouse gestures on the canvas, each a small object that owns the mouse
from press to release: drawing a new link, drawing an arrow, placing a note.

The scene hands mouse events to the active gesture and drops it when
``release`` returns; gestures change the workflow only through the document.
"""
from __future__ import annotations

from PyQt5.QtCore import QLineF, QPointF, QRectF, Qt
from PyQt5.QtGui import QBrush, QColor, QPen
from PyQt5.QtWidgets import QGraphicsLineItem, QGraphicsPathItem, QGraphicsRectItem, \
    QGraphicsSimpleTextItem

from . import style
from .link_item import link_path
from .linking import LinkPlan


class Gesture:
    def __init__(self, scene):
        self.scene = scene

    def move(self, pos: QPointF) -> None:
        pass

    def release(self, pos: QPointF) -> None:
        pass

    def cancel(self) -> None:
        pass


class _Note(QGraphicsRectItem):
    """A small floating explanation shown next to the cursor (why a link is refused)."""

    def __init__(self):
        super().__init__()
        self.setBrush(QBrush(QColor("#fff8e1")))
        self.setPen(QPen(style.REFUSE, 1))
        self.setZValue(100)
        self.text = QGraphicsSimpleTextItem(self)
        self.text.setBrush(style.TEXT)

    def show_text(self, text: str, pos: QPointF) -> None:
        self.text.setText(text)
        rect = self.text.boundingRect()
        self.setRect(QRectF(0, 0, rect.width() + 12, rect.height() + 8))
        self.text.setPos(6, 4)
        self.setPos(pos + QPointF(16, 16))
        self.setVisible(True)


class NewLinkGesture(Gesture):
    """Drag from an anchor: nodes that can take the link light up green, others red
    with the reason beside the cursor; releasing on empty canvas offers new widgets."""

    def __init__(self, scene, node_item, kind: str):
        super().__init__(scene)
        self.origin, self.kind = node_item, kind   # kind: the anchor dragged from, "out" or "in"
        self.plans: dict[int, LinkPlan] = {}
        for node_id, item in scene.node_items.items():
            if item is not node_item:
                self.plans[node_id] = self._plan(item)
                item.highlight = "accept" if self.plans[node_id].ok else "refuse"
                item.update()
        self.path = QGraphicsPathItem()
        pen = QPen(style.LINK_NEW, 2.2)
        pen.setCapStyle(Qt.RoundCap)
        self.path.setPen(pen)
        self.path.setZValue(50)
        scene.addItem(self.path)
        self.note = _Note()
        self.note.setVisible(False)
        scene.addItem(self.note)

    def _plan(self, other) -> LinkPlan:
        doc = self.scene.document
        if self.kind == "out":
            return doc.plan_link(self.origin.node.id, other.node.id)
        return doc.plan_link(other.node.id, self.origin.node.id)

    def move(self, pos: QPointF) -> None:
        target = self.scene.node_item_at(pos, exclude=self.origin)
        plan = self.plans.get(target.node.id) if target else None
        end = pos
        if plan is not None and plan.ok:
            end = target.anchor_pos("in" if self.kind == "out" else "out")
        start = self.origin.anchor_pos(self.kind)
        self.path.setPath(link_path(start, end) if self.kind == "out" else link_path(end, start))
        if plan is not None and not plan.ok:
            self.note.show_text(plan.reason, pos)
        else:
            self.note.setVisible(False)

    def release(self, pos: QPointF) -> None:
        target = self.scene.node_item_at(pos, exclude=self.origin)
        self.cancel()
        if target is None:
            if self.scene.node_item_at(pos) is None:   # not dropped back on its own node
                self.scene.offer_new_widget(self.origin, self.kind, pos)
            return
        plan = self.plans[target.node.id]
        if not plan.ok:
            self.scene.message.emit(plan.reason)
            return
        source, sink = (self.origin, target) if self.kind == "out" else (target, self.origin)
        self.scene.make_link(source, sink, plan)

    def cancel(self) -> None:
        for item in self.scene.node_items.values():
            item.highlight = ""
            item.update()
        for item in (self.path, self.note):
            if item.scene() is not None:
                self.scene.removeItem(item)


class ArrowGesture(Gesture):
    """Press, drag and release to draw an arrow annotation."""

    def __init__(self, scene, start: QPointF):
        super().__init__(scene)
        self.start = start
        self.line = QGraphicsLineItem(QLineF(start, start))
        self.line.setPen(QPen(style.ARROW, 3))
        scene.addItem(self.line)

    def move(self, pos: QPointF) -> None:
        self.line.setLine(QLineF(self.start, pos))

    def release(self, pos: QPointF) -> None:
        self.cancel()
        if QLineF(self.start, pos).length() >= 10:
            self.scene.document.add_annotation(
                "arrow", (self.start.x(), self.start.y(), pos.x(), pos.y()))

    def cancel(self) -> None:
        if self.line.scene() is not None:
            self.scene.removeItem(self.line)


class TextGesture(Gesture):
    """Click (or drag a box) to place a text note, then type."""
    DEFAULT_SIZE = (200.0, 50.0)

    def __init__(self, scene, start: QPointF):
        super().__init__(scene)
        self.start = start
        self.box = QGraphicsRectItem(QRectF(start, start))
        self.box.setPen(QPen(style.SELECTION, 1, Qt.DashLine))
        scene.addItem(self.box)

    def move(self, pos: QPointF) -> None:
        self.box.setRect(QRectF(self.start, pos).normalized())

    def release(self, pos: QPointF) -> None:
        self.cancel()
        rect = QRectF(self.start, pos).normalized()
        w, h = self.DEFAULT_SIZE
        geometry = (rect.x(), rect.y(), max(rect.width(), w), max(rect.height(), h))
        annotation = self.scene.document.add_annotation("text", geometry, "")
        item = self.scene.annotation_items.get(annotation.id)
        if item is not None:
            item.start_edit()

    def cancel(self) -> None:
        if self.box.scene() is not None:
            self.scene.removeItem(self.box)
