"""A link on the canvas: a curve from an output anchor to an input anchor.

Dashed until data has flowed out of its source; grey and dotted when
disabled; labelled with its channel names.
"""
from __future__ import annotations

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PyQt5.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsSimpleTextItem, QStyle

from ..workflow import Link
from . import style


def link_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic curve, like a cable leaving and entering sideways."""
    path = QPainterPath(start)
    dx = max(abs(end.x() - start.x()) * 0.5, 40.0)
    path.cubicTo(start + QPointF(dx, 0), end - QPointF(dx, 0), end)
    return path


def channel_label(link: Link) -> str:
    if link.source_channel == link.sink_channel:
        return link.source_channel
    return f"{link.source_channel} → {link.sink_channel}"


class LinkItem(QGraphicsObject):
    def __init__(self, link: Link, source_item, sink_item):
        super().__init__()
        self.link, self.source_item, self.sink_item = link, source_item, sink_item
        self.has_run = False
        self.hovered = False
        self._path = QPainterPath()
        self.setFlags(QGraphicsItem.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.label = QGraphicsSimpleTextItem(self)
        font = QFont(self.label.font())
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        self.label.setFont(font)
        self.label.setBrush(style.MUTED_TEXT)
        source_item.link_items.append(self)
        sink_item.link_items.append(self)
        self.refresh()

    def detach(self) -> None:
        for item in (self.source_item, self.sink_item):
            if self in item.link_items:
                item.link_items.remove(self)

    def refresh(self) -> None:
        """Label, tooltip and look from the link."""
        state = "" if self.link.enabled else " (disabled)"
        self.setToolTip(f"{self.source_item.node.title} · {self.link.source_channel} → "
                        f"{self.sink_item.node.title} · {self.link.sink_channel}{state}")
        self.update_path()

    def set_has_run(self, has_run: bool) -> None:
        if has_run != self.has_run:
            self.has_run = has_run
            self.update()

    def update_path(self) -> None:
        self.prepareGeometryChange()
        self._path = link_path(self.source_item.anchor_pos("out"), self.sink_item.anchor_pos("in"))
        self._place_label()
        self.update()

    def _place_label(self) -> None:
        """Above the curve's middle; links between the same two nodes stack their labels,
        and a label longer than the gap between the nodes is shortened (the tooltip has it all)."""
        text = channel_label(self.link)
        room = abs(self.sink_item.anchor_pos("in").x() - self.source_item.anchor_pos("out").x())
        metrics = QFontMetricsF(self.label.font())
        self.label.setText(metrics.elidedText(text, Qt.ElideMiddle, max(room - 16, 40)))
        siblings = sorted((l for l in self.source_item.link_items
                           if l.sink_item is self.sink_item), key=lambda l: l.link.id)
        row = siblings.index(self) if self in siblings else 0
        middle = self._path.pointAtPercent(0.5)
        rect = self.label.boundingRect()
        start, end = self._path.pointAtPercent(0), self._path.pointAtPercent(1)
        if abs(end.y() - start.y()) > 2 * rect.height():
            # A steep curve: beside its middle, clear of the titles above the ends.
            self.label.setPos(middle.x() + 6, middle.y() + (row - 0.5) * rect.height())
        else:
            self.label.setPos(middle.x() - rect.width() / 2,
                              middle.y() - (row + 1) * rect.height() - 3)

    def boundingRect(self) -> QRectF:
        return self._path.boundingRect().adjusted(-8, -8, 8, 8)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(14)
        return stroker.createStroke(self._path)

    def hoverEnterEvent(self, event) -> None:
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.hovered = False
        self.update()

    def mouseDoubleClickEvent(self, event) -> None:
        if self.scene() is not None:
            self.scene().link_activated(self)
        event.accept()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        selected = bool(option.state & QStyle.State_Selected)
        color = style.LINK if self.link.enabled else style.LINK_DISABLED
        if selected:
            halo = QPen(QColor(style.SELECTION.red(), style.SELECTION.green(),
                               style.SELECTION.blue(), 90), 8)
            painter.setPen(halo)
            painter.drawPath(self._path)
        pen = QPen(color, 2.6 if self.hovered else 2.0)
        pen.setCapStyle(Qt.RoundCap)
        if not self.link.enabled:
            pen.setStyle(Qt.DotLine)
        elif not self.has_run:
            pen.setStyle(Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self._path)
