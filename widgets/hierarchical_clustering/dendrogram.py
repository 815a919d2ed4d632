"""The dendrogram plot: pyqtgraph lines from a DendrogramView, clicks, a cut line, thumbnails.

The root is on the left, the leaves on the right (labels beside them, on the
right axis, thinned out when they would overlap).  The plot fits the whole tree
to its window, and keeps fitting it as the window is resized, until the user
zooms or pans (the wheel zooms along the leaves); Fit goes back to fitting. everything drawn comes precomputed in the view, so a redraw is a few
line items whatever the tree's size.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QPointF, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QPen
from PyQt5.QtWidgets import QGraphicsItem, QGraphicsPixmapItem

from .layout import DendrogramView

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f")
LINE_COLOR = "#505050"
MAX_THUMBNAILS = 150         # leaves drawn with images at most
THUMBNAIL_PX = 40
READABLE_PX = 32             # a thumbnail this tall can be made out
READABLE_LEAVES = 20         # a window opens with room for this many readable thumbnails
AXIS_PX = 60                 # the height axis under the plot, and its frame
COLUMN = 0                   # item data key: which of a group leaf's images a thumbnail is


def plot_height_for(leaves: int) -> int:
    """Pixels the plot needs to show ``leaves`` thumbnails at a readable size."""
    return leaves * (READABLE_PX + 2) + AXIS_PX


def _elide(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def cluster_color(index: int) -> QColor:
    return QColor(PALETTE[index % len(PALETTE)])


class LeafAxis(pg.AxisItem):
    """Leaf labels at slot positions, every k-th one when they would overlap."""

    def __init__(self, orientation="right"):
        super().__init__(orientation)
        self.labels: tuple[str, ...] = ()

    def set_labels(self, labels) -> None:
        self.labels = tuple(labels)
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):
        if not self.labels or size <= 0:
            return []
        minVal, maxVal = sorted((minVal, maxVal))     # reversed on an inverted axis
        lo, hi = max(0, math.ceil(minVal)), min(len(self.labels) - 1, math.floor(maxVal))
        if hi < lo:
            return []
        per_slot = size / max(maxVal - minVal, 1e-9)
        step = max(1, math.ceil(self.fontMetrics().height() / max(per_slot, 1e-9)))
        return [(step, list(range(lo - lo % step, hi + 1, step)))]

    def tickStrings(self, values, scale, spacing):
        return [_elide(self.labels[int(v)]) if 0 <= int(v) < len(self.labels) else ""
                for v in values]

    def fontMetrics(self):
        from PyQt5.QtGui import QFontMetrics
        return QFontMetrics(self.style.get("tickFont") or self.font())


class DendrogramViewBox(pg.ViewBox):
    """Left clicks become (height, slot, modifiers); the rest is pyqtgraph's."""
    clicked = pyqtSignal(float, float, object)

    def mouseClickEvent(self, ev):
        if ev.button() == Qt.LeftButton:
            ev.accept()
            point = self.mapSceneToView(ev.scenePos())
            self.clicked.emit(point.x(), point.y(), ev.modifiers())
        else:
            super().mouseClickEvent(ev)


class DendrogramPlot(pg.PlotWidget):
    branchClicked = pyqtSignal(int, bool)      # node id, added to the selection (Ctrl)
    cutMoved = pyqtSignal(float)               # a new cut height (dragged)

    def __init__(self, parent=None):
        self.viewbox = DendrogramViewBox()
        self.leaf_axis = LeafAxis("right")
        super().__init__(parent, viewBox=self.viewbox, axisItems={"right": self.leaf_axis},
                         background="w")
        plot = self.getPlotItem()
        plot.showAxis("right")
        plot.hideAxis("left")
        plot.getAxis("bottom").setLabel("height")
        for name in ("bottom", "right"):
            plot.getAxis(name).setTextPen("#202020")
            plot.getAxis(name).setPen("#909090")
        self.viewbox.invertX(True)            # leaves (height 0) on the right
        self.viewbox.invertY(True)            # first leaf at the top
        self.viewbox.setMouseEnabled(x=False, y=True)
        self.viewbox.setMenuEnabled(False)
        self.viewbox.clicked.connect(self._clicked)
        self.view: DendrogramView | None = None
        self._items = []
        self._thumbs: list[tuple[QGraphicsPixmapItem, str]] = []
        self.cut_line = pg.InfiniteLine(angle=90, movable=True,
                                        pen=pg.mkPen("#d62728", width=2, style=Qt.DashLine))
        self.cut_line.sigPositionChangeFinished.connect(
            lambda line: self.cutMoved.emit(float(line.value())))
        self.cut_line.setVisible(False)
        self.addItem(self.cut_line)
        self.loader = None
        self.following = True       # fit the window on resize, until the user zooms
        self.viewbox.sigRangeChanged.connect(self._fit_thumbnails)
        self.viewbox.sigResized.connect(self._resized)
        self.viewbox.sigRangeChangedManually.connect(self._zoomed)

    # -- drawing ---------------------------------------------------------------------
    def set_view(self, view: DendrogramView | None, show_thumbnails: bool = False) -> None:
        fresh = self.view is None or view is None or self.view.n_items != view.n_items \
            or len(self.view.leaf_nodes) != len(view.leaf_nodes)
        self.view = view
        for item in self._items:
            self.removeItem(item)
        self._items.clear()
        self._clear_thumbnails()
        if view is None:
            self.leaf_axis.set_labels(())
            self.cut_line.setVisible(False)
            return
        self._draw_lines(view)
        self.leaf_axis.set_labels(view.leaf_labels)
        self.cut_line.setVisible(view.cut_height is not None)
        if view.cut_height is not None:
            self.cut_line.setValue(view.cut_height)
        if show_thumbnails and len(view.leaf_nodes) <= MAX_THUMBNAILS:
            self._add_thumbnails(view)
        if fresh:
            self.fit()

    def _draw_lines(self, view: DendrogramView) -> None:
        cluster_of_node = dict(zip(view.nodes.tolist(), view.node_cluster.tolist()))
        owners = np.array([cluster_of_node[v] for v in view.segment_node.tolist()], dtype=int) \
            if len(view.segment_node) else np.zeros(0, dtype=int)
        # one line item per colour, not per cluster: a low cut makes thousands of clusters
        colours = np.where(owners < 0, -1, owners % len(PALETTE))
        for colour in np.unique(colours):
            segs = view.segments[colours == colour]
            color = QColor(LINE_COLOR) if colour < 0 else cluster_color(int(colour))
            pen = QPen(color, 2.5 if colour >= 0 else 1.2)
            pen.setCosmetic(True)
            item = pg.PlotCurveItem(segs[:, :, 0].ravel(), segs[:, :, 1].ravel(),
                                    connect="pairs", pen=pen)
            self.addItem(item)
            self._items.append(item)

    def _resized(self, *args) -> None:
        if self.following:
            self.fit()
        self._fit_thumbnails()

    def _zoomed(self, *args) -> None:
        self.following = False

    def fit(self) -> None:
        """Show the whole tree, and keep showing it as the window changes size."""
        self.following = True
        if self.view is None:
            return
        top = self.view.root_height or 1.0
        # room right of the leaves for the thumbnails, in pixels, whatever the width
        columns = 1 + max((item.data(COLUMN) or 0 for item, _ in self._thumbs), default=0)
        margin_px = columns * (THUMBNAIL_PX + 2) + 6 if self._thumbs else 4
        width_px = max(self.viewbox.width(), 2 * margin_px + 1)
        right = -top * 1.03 * margin_px / (width_px - margin_px)
        self.viewbox.setRange(xRange=(right, top * 1.03),
                              yRange=(-0.5, len(self.view.leaf_nodes) - 0.5), padding=0)

    # -- thumbnails --------------------------------------------------------------------
    def _add_thumbnails(self, view: DendrogramView) -> None:
        if self.loader is None:
            from imgflow.widgets.common.thumbnails import ThumbnailLoader
            self.loader = ThumbnailLoader(self)
            self.loader.ready.connect(self._thumbnail_ready)
        more = view.leaf_more_images or ((),) * len(view.leaf_images)
        for slot, (source, others) in enumerate(zip(view.leaf_images, more)):
            if not source:
                continue
            # a leaf that is a group of rows shows its most central images side by side
            for column, path in enumerate((source, *others)):
                item = QGraphicsPixmapItem()
                item.setFlag(QGraphicsItem.ItemIgnoresTransformations)
                item.setData(COLUMN, column)
                item.setPos(QPointF(0.0, slot))
                item.setOffset(4, -THUMBNAIL_PX / 2)
                self.viewbox.addItem(item, ignoreBounds=True)
                self._thumbs.append((item, path))
                self._set_pixmap(item, path)

    def _set_pixmap(self, item: QGraphicsPixmapItem, source: str) -> None:
        pixmap = self.loader.pixmap(source, THUMBNAIL_PX)
        if pixmap.width() > THUMBNAIL_PX or pixmap.height() > THUMBNAIL_PX:
            pixmap = pixmap.scaled(THUMBNAIL_PX, THUMBNAIL_PX, Qt.KeepAspectRatio,
                                   Qt.SmoothTransformation)
        item.setPixmap(pixmap)
        self._place(item, self._thumbnail_scale())

    def _thumbnail_scale(self) -> float:
        """Thumbnails as tall as a leaf's slot on screen (up to THUMBNAIL_PX), none when tiny."""
        top, bottom = self.viewbox.viewRange()[1]
        per_slot = self.viewbox.height() / max(abs(bottom - top), 1e-9)
        return min(1.0, max(per_slot - 2, 0) / THUMBNAIL_PX)

    @staticmethod
    def _place(item: QGraphicsPixmapItem, scale: float) -> None:
        item.setVisible(scale * THUMBNAIL_PX >= 8)
        item.setScale(max(scale, 1e-3))
        pixmap = item.pixmap()
        column = item.data(COLUMN) or 0
        item.setOffset(4 / max(scale, 1e-3) + column * (THUMBNAIL_PX + 2), -pixmap.height() / 2)

    def _fit_thumbnails(self, *args) -> None:
        if self._thumbs:
            scale = self._thumbnail_scale()
            for item, _ in self._thumbs:
                self._place(item, scale)

    def _thumbnail_ready(self, source) -> None:
        for item, wanted in self._thumbs:
            if wanted == source:
                self._set_pixmap(item, source)

    def _clear_thumbnails(self) -> None:
        for item, _ in self._thumbs:
            self.viewbox.removeItem(item)
        self._thumbs.clear()

    # -- interaction -------------------------------------------------------------------
    def _clicked(self, h: float, s: float, modifiers) -> None:
        if self.view is None:
            return
        node = self.view.node_at(h, s)
        if node is not None:
            self.branchClicked.emit(node, bool(modifiers & (Qt.ControlModifier | Qt.MetaModifier)))

    def scene_point(self, h: float, s: float):
        """The viewport pixel (a QPoint) showing the tree point (h, s); for tests."""
        return self.mapFromScene(self.viewbox.mapViewToScene(QPointF(h, s)))
