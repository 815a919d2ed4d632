"""Notes on the canvas: text annotations and arrows (the model's Annotations)."""
from __future__ import annotations

import math

from PyQt5.QtCore import QLineF, QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PyQt5.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsTextItem, QStyle

from ..workflow import Annotation
from . import style

MOVABLE = (QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
           | QGraphicsItem.ItemIsFocusable)


class _NoteText(QGraphicsTextItem):
    """The editable text inside a text annotation; commits when editing ends."""

    def __init__(self, owner: "TextAnnotationItem"):
        super().__init__(owner)
        self.owner = owner
        self.setDefaultTextColor(style.ANNOTATION_TEXT)
        self._before = ""

    def start_edit(self) -> None:
        self._before = self.toPlainText()
        self.setTextInteractionFlags(Qt.TextEditorInteraction)
        self.setFocus(Qt.OtherFocusReason)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        if self.textInteractionFlags() & Qt.TextEditorInteraction:
            self.setTextInteractionFlags(Qt.NoTextInteraction)
            self.owner.text_edited(self.toPlainText(), self._before)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape:
            self.clearFocus()
        else:
            super().keyPressEvent(event)


class TextAnnotationItem(QGraphicsObject):
    GRIP = 12.0  # side of the bottom-right square that resizes the note
    MIN_SIZE = (60.0, 24.0)

    def __init__(self, annotation: Annotation):
        super().__init__()
        self.annotation = annotation
        self.setFlags(MOVABLE)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self.text = _NoteText(self)
        self.text.setPos(6, 2)
        self.hovered = False
        self._resize_from: QPointF | None = None  # press offset from the corner
        self.refresh()

    def refresh(self) -> None:
        x, y, w, h = self.annotation.geometry
        self.prepareGeometryChange()
        self._size = (w, h)
        self.text.setTextWidth(max(w - 10, 20))
        if not self.text.hasFocus():
            self.text.setPlainText(self.annotation.text)
        self.setPos(x, y)
        self.update()

    def current_geometry(self) -> tuple[float, float, float, float]:
        return (self.pos().x(), self.pos().y(), *self._size)

    def start_edit(self) -> None:
        self.text.start_edit()

    def text_edited(self, text: str, before: str) -> None:
        if self.scene() is not None:
            self.scene().annotation_text_edited(self, text, before)

    def boundingRect(self) -> QRectF:
        w, h = self._size
        height = max(h, self.text.boundingRect().height() + 4)
        return QRectF(0, 0, w, height).adjusted(-2, -2, 2, 2)

    def hoverEnterEvent(self, event) -> None:
        self.hovered = True
        self.update()

    def hoverMoveEvent(self, event) -> None:
        self.setCursor(Qt.SizeFDiagCursor if self._on_grip(event.pos()) else Qt.ArrowCursor)

    def hoverLeaveEvent(self, event) -> None:
        self.hovered = False
        self.unsetCursor()
        self.update()

    # ---- resizing by the bottom-right corner; the scene's move commit
    # ---- turns the new geometry into an undo step on release

    def _corner(self) -> QPointF:
        return self.boundingRect().adjusted(2, 2, -2, -2).bottomRight()

    def _on_grip(self, pos: QPointF) -> bool:
        corner = self._corner()
        return corner.x() - self.GRIP <= pos.x() <= corner.x() + 2 \
            and corner.y() - self.GRIP <= pos.y() <= corner.y() + 2

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self._on_grip(event.pos()):
            self._resize_from = event.pos() - self._corner()
            self.setSelected(True)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._resize_from is None:
            super().mouseMoveEvent(event)
            return
        corner = event.pos() - self._resize_from
        self.set_size(corner.x(), corner.y())
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self._resize_from is None:
            super().mouseReleaseEvent(event)
            return
        self._resize_from = None
        event.accept()

    def set_size(self, width: float, height: float) -> None:
        """Resize on screen only; the model follows when the gesture ends."""
        self.prepareGeometryChange()
        self._size = (max(self.MIN_SIZE[0], width), max(self.MIN_SIZE[1], height))
        self.text.setTextWidth(max(self._size[0] - 10, 20))
        self.update()

    def mouseDoubleClickEvent(self, event) -> None:
        self.start_edit()
        event.accept()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        rect = self.boundingRect().adjusted(2, 2, -2, -2)
        painter.setRenderHint(QPainter.Antialiasing)
        if option.state & QStyle.State_Selected or self.hovered:
            painter.setPen(QPen(style.SELECTION if option.state & QStyle.State_Selected
                                else QColor("#c9c9c9"), 1, Qt.DashLine))
            painter.setBrush(Qt.NoBrush)
            painter.drawRect(rect)
        # A bracket on the left, as in Orange: marks a note without boxing it in.
        painter.setPen(QPen(QColor("#9a9a9a"), 1.5))
        painter.drawPolyline(QPolygonF([QPointF(8, rect.top()), rect.topLeft(),
                                        rect.bottomLeft(), QPointF(8, rect.bottom())]))
        if option.state & QStyle.State_Selected or self.hovered:
            self._paint_grip(painter, rect.bottomRight())

    def _paint_grip(self, painter: QPainter, corner: QPointF) -> None:
        painter.setPen(QPen(QColor("#9a9a9a"), 1))
        for step in (4.0, 8.0):
            painter.drawLine(corner - QPointF(step, 0), corner - QPointF(0, step))


class ArrowAnnotationItem(QGraphicsObject):
    WIDTH = 3.0

    def __init__(self, annotation: Annotation):
        super().__init__()
        self.annotation = annotation
        self.setFlags(MOVABLE)
        self.setZValue(0)
        self.refresh()

    def refresh(self) -> None:
        x1, y1, x2, y2 = self.annotation.geometry
        self.prepareGeometryChange()
        self._line = QLineF(0, 0, x2 - x1, y2 - y1)
        self.setPos(x1, y1)
        self.update()

    def current_geometry(self) -> tuple[float, float, float, float]:
        p = self.pos()
        return (p.x(), p.y(), p.x() + self._line.dx(), p.y() + self._line.dy())

    def _path(self) -> QPainterPath:
        path = QPainterPath(self._line.p1())
        path.lineTo(self._line.p2())
        path.addPolygon(self._head())
        return path

    def _head(self) -> QPolygonF:
        line = self._line
        if line.length() < 1:
            return QPolygonF()
        angle = math.atan2(line.dy(), line.dx())
        size = 14.0
        tip = line.p2()
        left = tip - QPointF(size * math.cos(angle - 0.4), size * math.sin(angle - 0.4))
        right = tip - QPointF(size * math.cos(angle + 0.4), size * math.sin(angle + 0.4))
        return QPolygonF([tip, left, right])

    def boundingRect(self) -> QRectF:
        return self._path().boundingRect().adjusted(-10, -10, 10, 10)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(14)
        return stroker.createStroke(self._path())

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        color = style.SELECTION if option.state & QStyle.State_Selected else style.ARROW
        pen = QPen(color, self.WIDTH)
        pen.setCapStyle(Qt.RoundCap)
        painter.setPen(pen)
        tip = self._line
        shortened = QLineF(tip.p1(), tip.pointAt(max(0.0, 1 - 8 / max(tip.length(), 1))))
        painter.drawLine(shortened)
        painter.setBrush(color)
        painter.setPen(QPen(color, 1))
        painter.drawPolygon(self._head())
