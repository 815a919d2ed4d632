"""The canvas view: zoom, rubber-band selection, dropping widgets from the
toolbox, and typing to search for a widget to add."""
from __future__ import annotations

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QPainter
from PyQt5.QtWidgets import QFrame, QGraphicsView

from .scene import CanvasScene

WIDGET_MIME = "application/x-imgflow-widget"
ZOOM_STEPS = (0.33, 0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
MIN_FIT_ZOOM = 0.5  # show_contents zooms out no further to fit a workflow


class CanvasView(QGraphicsView):
    def __init__(self, scene: CanvasScene | None = None, parent=None):
        super().__init__(parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing
                            | QPainter.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.FullViewportUpdate)
        self.setFrameShape(QFrame.NoFrame)
        self.setAcceptDrops(True)
        self.zoom = 1.0
        self._drop_link = None         # the link a dragged widget would be inserted into
        if scene is not None:
            self.setScene(scene)

    # -- zoom ---------------------------------------------------------------
    def set_zoom(self, zoom: float) -> None:
        self.zoom = min(max(zoom, ZOOM_STEPS[0]), ZOOM_STEPS[-1])
        self.resetTransform()
        self.scale(self.zoom, self.zoom)

    def zoom_in(self) -> None:
        self.set_zoom(next((z for z in ZOOM_STEPS if z > self.zoom + 1e-6), ZOOM_STEPS[-1]))

    def zoom_out(self) -> None:
        self.set_zoom(next((z for z in reversed(ZOOM_STEPS) if z < self.zoom - 1e-6),
                           ZOOM_STEPS[0]))

    def zoom_reset(self) -> None:
        self.set_zoom(1.0)

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.ControlModifier:
            self.zoom_in() if event.angleDelta().y() > 0 else self.zoom_out()
            event.accept()
        else:
            super().wheelEvent(event)

    def show_contents(self) -> None:
        """Scroll so that the whole workflow is in view (centred), zooming
        out a step or two when it is wider or taller than the window."""
        scene = self.scene()
        rect = scene.itemsBoundingRect() if scene is not None else QRectF()
        if rect.isEmpty():
            return
        margin = 40
        viewport = self.viewport().rect()
        fit = min(viewport.width() / (rect.width() + margin),
                  viewport.height() / (rect.height() + margin))
        if fit < self.zoom:
            # the largest step that fits, but never so small it can't be read
            steps = [z for z in ZOOM_STEPS if MIN_FIT_ZOOM <= z <= fit]
            self.set_zoom(max(steps, default=MIN_FIT_ZOOM))
        self.centerOn(rect.center())

    def free_position(self) -> QPointF:
        """Where a widget added without a position goes: the visible centre."""
        return self.mapToScene(self.viewport().rect().center())

    # -- dropping widgets from the toolbox ----------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(WIDGET_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(WIDGET_MIME):
            event.acceptProposedAction()
            self._mark_drop_link(self.scene().link_item_at(self.mapToScene(event.pos())))
        else:
            super().dragMoveEvent(event)

    def dragLeaveEvent(self, event) -> None:
        self._mark_drop_link(None)
        super().dragLeaveEvent(event)

    def _mark_drop_link(self, item) -> None:
        """A widget dragged over a link thickens it: dropping there inserts the widget."""
        if item is not self._drop_link:
            for link_item, on in ((self._drop_link, False), (item, True)):
                if link_item is not None and link_item.scene() is not None:
                    link_item.hovered = on
                    link_item.update()
            self._drop_link = item

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        if not mime.hasFormat(WIDGET_MIME):
            super().dropEvent(event)
            return
        widget_id = bytes(mime.data(WIDGET_MIME)).decode("utf-8")
        scene = self.scene()
        self._mark_drop_link(None)
        if widget_id in scene.document.workflow.registry:
            pos = self.mapToScene(event.pos())
            link_item = scene.link_item_at(pos)
            # on a link: put it in between when the channels fit (else just add it, and say why)
            if link_item is not None and scene.insert_into_link(link_item.link, widget_id, pos):
                event.acceptProposedAction()
                return
            node = scene.document.add_node(widget_id, (pos.x(), pos.y()))
            scene.select_nodes([node.id])
            event.acceptProposedAction()

    # -- typing opens the quick menu -------------------------------------------------
    def keyPressEvent(self, event) -> None:
        scene = self.scene()
        text = event.text()
        plain = not event.modifiers() & (Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier)
        if (scene is not None and scene.focusItem() is None and plain and text
                and text.isprintable() and not text.isspace()):
            pos = self.mapToScene(self.mapFromGlobal(self.cursor().pos()))
            if not self.viewport().rect().contains(self.mapFromScene(pos)):
                pos = self.free_position()
            scene.quick_add(QPointF(pos), text)
            event.accept()
            return
        super().keyPressEvent(event)
