"""A small picture of a workflow's layout: its widgets' icons at their places, linked.

Drawn from the workflow file itself, so every example (also ones added later)
gets a preview without anyone making a picture.
"""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QPointF, QRectF, QSize
from PyQt5.QtGui import QPainter, QPainterPath, QPen, QPixmap

from ..registry import Registry
from ..workflow import WorkflowFileError, load
from . import style
from .icons import paint_icon, widget_icon_path

MARGIN = 0.12        # of the picture's smaller side, kept free around the layout


def preview_pixmap(path: str | Path, registry: Registry, size: QSize = QSize(240, 150),
                   ratio: float = 1.0) -> QPixmap:
    pixmap = QPixmap(size * ratio)
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(style.CANVAS_BACKGROUND)
    try:
        workflow = load(path, registry)
    except WorkflowFileError:
        return pixmap
    nodes = list(workflow.nodes.values())
    if not nodes:
        return pixmap
    xs = [n.position[0] for n in nodes]
    ys = [n.position[1] for n in nodes]
    box = QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    margin = MARGIN * min(size.width(), size.height())
    area = QRectF(margin, margin, size.width() - 2 * margin, size.height() - 2 * margin)
    scale = min(area.width() / box.width() if box.width() else 1.0,
                area.height() / box.height() if box.height() else 1.0, 0.5)
    offset = area.center() - box.center() * scale

    def at(node) -> QPointF:
        return QPointF(*node.position) * scale + offset

    radius = max(11.0, style.NODE_RADIUS * scale)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(QPen(style.LINK, 1.6))
    for link in workflow.links.values():
        a = at(workflow.nodes[link.source]) + QPointF(radius, 0)
        b = at(workflow.nodes[link.sink]) - QPointF(radius, 0)
        curve = QPainterPath(a)
        bend = max(abs(b.x() - a.x()) / 2, radius)
        curve.cubicTo(a + QPointF(bend, 0), b - QPointF(bend, 0), b)
        painter.drawPath(curve)
    for node in nodes:
        widget = workflow.widget(node)
        light, accent = style.category_colors(widget.category if widget else "Other")
        centre = at(node)
        painter.setPen(QPen(accent, 1.4))
        painter.setBrush(light)
        painter.drawEllipse(centre, radius, radius)
        icon = radius * 1.25
        paint_icon(painter, widget_icon_path(widget),
                   QRectF(centre.x() - icon / 2, centre.y() - icon / 2, icon, icon))
    painter.end()
    return pixmap
