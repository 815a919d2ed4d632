"""A node on the canvas: round body with the widget's icon, anchors, title and state.

Inputs attach on the left anchor, outputs leave from the right one (as in
Orange).  The item only shows things; edits it starts (rename, open window)
go back through the scene.
"""
from __future__ import annotations

import html

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QTextOption
from PyQt5.QtWidgets import (QGraphicsItem, QGraphicsObject, QGraphicsSimpleTextItem,
                             QGraphicsTextItem, QStyle)

from ..engine import DONE, ERROR, RUNNING, WAITING, WARNING, NodeState
from ..workflow import Node
from . import style
from .icons import paint_icon, widget_icon_path

R = style.NODE_RADIUS
FINISHED = (DONE, WARNING)


class TitleItem(QGraphicsTextItem):
    """The node's title under its body; editable in place (double-click or F2)."""

    def __init__(self, node_item: "NodeItem"):
        super().__init__(node_item)
        self.node_item = node_item
        self.setTextWidth(style.TITLE_WIDTH)
        option = QTextOption(Qt.AlignHCenter)
        option.setWrapMode(QTextOption.WrapAtWordBoundaryOrAnywhere)
        self.document().setDefaultTextOption(option)
        self.setDefaultTextColor(style.TEXT)
        self.setPos(-style.TITLE_WIDTH / 2, R + 4)
        self._before = ""
        self._finishing = False

    @property
    def editing(self) -> bool:
        return bool(self.textInteractionFlags() & Qt.TextEditorInteraction)

    def start_edit(self) -> None:
        self._before = self.toPlainText()
        self.setTextInteractionFlags(Qt.TextEditorInteraction)
        self.setFocus(Qt.OtherFocusReason)
        cursor = self.textCursor()
        cursor.select(cursor.Document)
        self.setTextCursor(cursor)

    def finish_edit(self, commit: bool) -> None:
        if not self.editing or self._finishing:
            return
        # Dropping the interaction flags takes focus away, which calls us again.
        self._finishing = True
        try:
            text = " ".join(self.toPlainText().split())
            self.setTextInteractionFlags(Qt.NoTextInteraction)
            cursor = self.textCursor()
            cursor.clearSelection()
            self.setTextCursor(cursor)
            self.setPlainText(self._before)   # the workflow event brings the new title
            if commit and text and text != self._before:
                self.node_item.title_edited(text)
        finally:
            self._finishing = False

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self.finish_edit(True)
        elif event.key() == Qt.Key_Escape:
            self.finish_edit(False)
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.finish_edit(True)


class BadgeItem(QGraphicsItem):
    """A small warning/error mark on the body; its tooltip holds the message."""
    SIZE = 16.0

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.kind = ""
        self.setPos(R * 0.62, -R * 0.95)
        self.setVisible(False)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.SIZE, self.SIZE).adjusted(-1, -1, 1, 1)

    def show_message(self, kind: str, message: str) -> None:
        self.kind = kind
        self.setToolTip(message)
        self.setVisible(bool(kind))
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        color = {"error": style.ERROR_COLOR, "warning": style.WARNING_COLOR}.get(
            self.kind, style.INFO_COLOR)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor("white"), 1.5))
        painter.setBrush(color)
        painter.drawEllipse(QRectF(0, 0, self.SIZE, self.SIZE))
        painter.setPen(QColor("white"))
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(11)
        painter.setFont(font)
        painter.drawText(QRectF(0, 0, self.SIZE, self.SIZE), Qt.AlignCenter,
                         "×" if self.kind == "error" else "!")


class NodeItem(QGraphicsObject):
    def __init__(self, node: Node, widget):
        super().__init__()
        self.node, self.widget = node, widget
        self.icon_path = widget_icon_path(widget)
        self.light, self.accent = style.category_colors(widget.category if widget else "")
        self.state = NodeState()
        self.link_items: list = []        # LinkItems attached here, kept by the scene
        self.highlight = ""               # "accept" / "refuse" while a link is drawn
        self.hovered_anchor = ""
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges | QGraphicsItem.ItemIsFocusable)
        self.setAcceptHoverEvents(True)
        self.setZValue(2)
        self.title = TitleItem(self)
        self.badge = BadgeItem(self)
        self.progress_label = QGraphicsSimpleTextItem(self)
        self.progress_label.setBrush(style.PROGRESS)
        self.progress_label.setVisible(False)
        self.info_label = QGraphicsSimpleTextItem(self)
        font = QFont(self.info_label.font())
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        self.info_label.setFont(font)
        self.info_label.setBrush(style.MUTED_TEXT)
        self.refresh()
        self.setPos(*node.position)

    # -- geometry -------------------------------------------------------------
    @property
    def has_inputs(self) -> bool:
        return bool(self.widget and self.widget.inputs)

    @property
    def has_outputs(self) -> bool:
        return bool(self.widget and self.widget.outputs)

    def anchor_local(self, kind: str) -> QPointF:
        return QPointF(-R if kind == "in" else R, 0)

    def anchor_pos(self, kind: str) -> QPointF:
        return self.mapToScene(self.anchor_local(kind))

    def anchor_at(self, scene_pos: QPointF) -> str:
        """"in" or "out" when scene_pos is on that anchor (with a forgiving margin)."""
        local = self.mapFromScene(scene_pos)
        for kind, present in (("out", self.has_outputs), ("in", self.has_inputs)):
            delta = local - self.anchor_local(kind)
            if present and (delta.x() ** 2 + delta.y() ** 2) ** 0.5 <= style.ANCHOR_RADIUS + 7:
                return kind
        return ""

    def boundingRect(self) -> QRectF:
        m = style.ANCHOR_RADIUS + 6
        return QRectF(-R - m, -R - m, 2 * (R + m), 2 * (R + m))

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.setFillRule(Qt.WindingFill)     # overlapping circles stay inside
        path.addEllipse(QPointF(0, 0), R + 2, R + 2)
        for kind in ("in", "out"):
            path.addEllipse(self.anchor_local(kind), style.ANCHOR_RADIUS + 7, style.ANCHOR_RADIUS + 7)
        return path

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemPositionHasChanged:
            for link in self.link_items:
                link.update_path()
        elif change == QGraphicsItem.ItemSelectedHasChanged:
            font = self.title.font()
            font.setBold(bool(value))
            self.title.setFont(font)
        return super().itemChange(change, value)

    # -- content --------------------------------------------------------------
    def refresh(self) -> None:
        """Title and tooltip from the node."""
        if not self.title.editing:
            self.title.setPlainText(self.node.title)
        self._place_info()
        self._update_tooltip()
        self.update()

    def _place_info(self) -> None:
        """A one-line summary (state.info, e.g. "48 images") under the title."""
        metrics = QFontMetricsF(self.info_label.font())
        text = self.state.info if self.state.status in FINISHED else ""
        if self.state.pending_apply:
            text = "Not applied yet"
        self.info_label.setBrush(style.PENDING_COLOR if self.state.pending_apply
                                 else style.MUTED_TEXT)
        self.info_label.setText(metrics.elidedText(text, Qt.ElideRight, style.TITLE_WIDTH))
        width = self.info_label.boundingRect().width()
        self.info_label.setPos(-width / 2, self.title.pos().y() + self.title.boundingRect().height() - 4)

    def set_state(self, state: NodeState) -> None:
        self.state = state
        running = state.status == RUNNING
        self.progress_label.setVisible(running and state.progress is not None)
        if running and state.progress is not None:
            self.progress_label.setText(f"{round(state.progress * 100)}%")
            rect = self.progress_label.boundingRect()
            self.progress_label.setPos(-rect.width() / 2, -R - 8 - rect.height())
        if state.status == ERROR:
            self.badge.show_message("error", state.message)
        elif state.status == WARNING:
            self.badge.show_message("warning", "\n".join(state.warnings))
        else:
            self.badge.show_message("", "")
        self._place_info()
        self._update_tooltip()
        self.update()

    def _update_tooltip(self) -> None:
        widget_name = self.widget.name if self.widget else "not installed"
        lines = [f"<b>{html.escape(self.node.title)}</b> <span style='color:gray'>"
                 f"({html.escape(widget_name)})</span>"]
        if self.node.is_placeholder:
            lines.append(f"The widget '{html.escape(self.node.widget_id)}' is not installed.")
        status = self.state.status
        if status == ERROR:
            lines.append(f"<span style='color:#c0392b'>Error: {html.escape(self.state.message)}</span>")
        for warning in self.state.warnings:
            lines.append(f"<span style='color:#b8860b'>Warning: {html.escape(warning)}</span>")
        if status == RUNNING:
            lines.append("Running" + (f" ({round(self.state.progress * 100)}%)"
                                      if self.state.progress is not None else ""))
        elif status == WAITING:
            lines.append("Waiting for the widgets before it.")
        elif self.state.message and status != ERROR:
            lines.append(html.escape(self.state.message))
        if self.state.pending_apply:
            lines.append("<span style='color:#c0392b'>Settings or inputs changed: open the "
                         "widget and press Apply (Apply automatically is off).</span>")
        if self.state.info:
            lines.append(html.escape(self.state.info))
        self.setToolTip("<br>".join(lines))

    # -- interaction ----------------------------------------------------------
    def title_edited(self, text: str) -> None:
        scene = self.scene()
        if scene is not None:
            scene.rename_requested(self, text)

    def hoverMoveEvent(self, event) -> None:
        anchor = self.anchor_at(event.scenePos())
        if anchor != self.hovered_anchor:
            self.hovered_anchor = anchor
            self.setCursor(Qt.CrossCursor if anchor else Qt.ArrowCursor)
            self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.hovered_anchor = ""
        self.unsetCursor()
        self.update()

    def mouseDoubleClickEvent(self, event) -> None:
        if self.title.contains(self.title.mapFromScene(event.scenePos())):
            self.title.start_edit()
        elif self.scene() is not None:
            self.scene().node_activated(self)
        event.accept()

    # -- painting -------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        selected = bool(option.state & QStyle.State_Selected)
        body = QRectF(-R, -R, 2 * R, 2 * R)
        if selected:
            painter.setPen(QPen(style.SELECTION, 3))
            painter.setBrush(Qt.NoBrush)
            painter.drawEllipse(body.adjusted(-4, -4, 4, 4))
        if self.highlight:
            color = style.ACCEPT if self.highlight == "accept" else style.REFUSE
            painter.setPen(QPen(color, 3))
            painter.setBrush(Qt.NoBrush)
            painter.drawEllipse(body.adjusted(-5, -5, 5, 5))
        painter.setOpacity(0.45 if self.highlight == "refuse" or self.node.is_placeholder else 1.0)
        painter.setPen(QPen(self.accent, 1.5))
        painter.setBrush(self.light)
        painter.drawEllipse(body)
        s = style.ICON_SIZE
        paint_icon(painter, self.icon_path, QRectF(-s / 2, -s / 2, s, s))
        painter.setOpacity(1.0)
        self._paint_state(painter, body)
        for kind, present in (("in", self.has_inputs), ("out", self.has_outputs)):
            if present:
                self._paint_anchor(painter, kind)

    def _paint_state(self, painter: QPainter, body: QRectF) -> None:
        status = self.state.status
        ring = body.adjusted(-2.5, -2.5, 2.5, 2.5)
        if status == RUNNING:
            painter.setPen(QPen(QColor(style.PROGRESS.lighter(170)), 3))
            painter.drawEllipse(ring)
            if self.state.progress is not None:
                pen = QPen(style.PROGRESS, 3)
                pen.setCapStyle(Qt.RoundCap)
                painter.setPen(pen)
                painter.drawArc(ring, 90 * 16, -int(self.state.progress * 360 * 16))
        elif status == WAITING:
            pen = QPen(style.MUTED_TEXT, 1.5, Qt.DotLine)
            painter.setPen(pen)
            painter.setBrush(Qt.NoBrush)
            painter.drawEllipse(ring)
        elif status == ERROR:
            painter.setPen(QPen(style.ERROR_COLOR, 2))
            painter.setBrush(Qt.NoBrush)
            painter.drawEllipse(ring)
        if self.state.pending_apply and status != RUNNING:
            painter.setPen(QPen(style.PENDING_COLOR, 2.5, Qt.DashLine))
            painter.setBrush(Qt.NoBrush)
            painter.drawEllipse(body.adjusted(-5, -5, 5, 5))

    def _paint_anchor(self, painter: QPainter, kind: str) -> None:
        center = self.anchor_local(kind)
        radius = style.ANCHOR_RADIUS + (2 if self.hovered_anchor == kind else 0)
        painter.setPen(QPen(self.accent, 1.5))
        painter.setBrush(QBrush(self.accent if self.hovered_anchor == kind else QColor("white")))
        painter.drawEllipse(center, radius, radius)

