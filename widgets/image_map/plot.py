"""The map's plot: points, thumbnails at the points, zoom and pan, rectangle and lasso selection.

Thumbnails keep their size on screen while the map zooms: zooming in spreads
the images apart and shows more of them.  At most one thumbnail is drawn per
thumbnail-sized patch of the screen (the others stay dots), and only points in
view ask the shared loader for their image, so 20,000 points cost no more
than the few hundred that fit on screen.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QColor, QPainterPath, QPen, QPolygonF

from imgflow.widgets.common.thumbnails import ThumbnailLoader

MAX_THUMBNAILS = 600          # drawn at once, at most
OVERLAP = 0.67                # one thumbnail per this share of its size, on the screen
SELECTED_COLOR = QColor(30, 110, 230)
PLAIN_COLOR = QColor(120, 120, 120)


def inside_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Which points lie inside the polygon (even-odd rule; vectorised ray casting)."""
    x, y = points[:, 0][:, None], points[:, 1][:, None]
    x0, y0 = polygon[:, 0][None, :], polygon[:, 1][None, :]
    x1, y1 = np.roll(polygon[:, 0], -1)[None, :], np.roll(polygon[:, 1], -1)[None, :]
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        at = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return ((crosses & (x < at)).sum(axis=1) % 2).astype(bool)


def spread_subset(screen: np.ndarray, candidates: np.ndarray, cell: float,
                  limit: int = MAX_THUMBNAILS) -> np.ndarray:
    """Of the candidate points, at most one per cell x cell patch of the screen, earliest first."""
    if not len(candidates):
        return candidates
    bins = np.floor(screen[candidates] / max(cell, 1.0)).astype(np.int64)
    _, first = np.unique(bins, axis=0, return_index=True)
    return candidates[np.sort(first)][:limit]


def shared_brushes(colors: list[QColor | None]) -> list:
    """A brush per point, one brush object per colour (None: the plain colour).

    pyqtgraph renders a symbol image per distinct brush *object*: a brush made
    for each point took 18 s for 100,000 points, shared ones under 1 s."""
    made: dict = {}
    out = []
    for color in colors:
        key = color.rgba() if color is not None else None
        if key not in made:
            made[key] = pg.mkBrush(color if color is not None else PLAIN_COLOR)
        out.append(made[key])
    return out


class ThumbnailLayer(pg.GraphicsObject):
    """Draws the thumbnails of the points in view, centred on them, at a fixed screen size."""
    # Qt may ask a layer being torn down (its attributes already gone) for its bounds
    _rect = QRectF()

    def __init__(self, loader: ThumbnailLoader):
        super().__init__()
        self.loader = loader
        self.xy = np.empty((0, 2))
        self.sources = None
        self.colors: list[QColor | None] = []
        self.selected = np.zeros(0, dtype=bool)
        self.size = 64
        self.grid = False
        self.shown = np.empty(0, dtype=np.int64)      # rows drawn in the last paint (for tests)
        self._rect = QRectF()

    def set_points(self, xy, sources, grid: bool) -> None:
        self.xy, self.sources, self.grid = xy, sources, grid
        self.selected = np.zeros(len(xy), dtype=bool)
        self.colors = []
        self.update()

    def set_view_rect(self, rect: QRectF) -> None:
        # The layer covers what is in view: it draws in screen units, not data units.
        self.prepareGeometryChange()
        self._rect = QRectF(rect)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter, *args) -> None:
        self.shown = np.empty(0, dtype=np.int64)
        if self.sources is None or not len(self.xy):
            return
        t = painter.transform()
        screen = np.column_stack([t.m11() * self.xy[:, 0] + t.m21() * self.xy[:, 1] + t.dx(),
                                  t.m12() * self.xy[:, 0] + t.m22() * self.xy[:, 1] + t.dy()])
        size = float(self.size)
        if self.grid:      # one image per cell: never larger than a cell on screen
            size = min(size, abs(t.m11()) * 0.94, abs(t.m22()) * 0.94)
            if size < 10:
                return
        device = painter.device()
        w, h = device.width(), device.height()
        margin = size / 2
        visible = np.flatnonzero((screen[:, 0] > -margin) & (screen[:, 0] < w + margin)
                                 & (screen[:, 1] > -margin) & (screen[:, 1] < h + margin))
        # selected images first, so that they are the ones shown where images crowd
        visible = np.concatenate([visible[self.selected[visible]],
                                  visible[~self.selected[visible]]])
        # images may overlap by a third, so a crowded map still shows most of them
        self.shown = spread_subset(screen, visible, size * OVERLAP)
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(painter.SmoothPixmapTransform)
        for row in self.shown[::-1]:           # the first chosen ends on top
            self._draw(painter, int(row), screen[row], size)
        painter.restore()

    def _draw(self, painter, row: int, at: np.ndarray, size: float) -> None:
        pixmap = self.loader.pixmap(self.sources[row], int(size))
        shown = pixmap.size().scaled(int(size), int(size), Qt.KeepAspectRatio)
        target = QRectF(0, 0, shown.width(), shown.height())
        target.moveCenter(QPointF(float(at[0]), float(at[1])))
        painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
        color = SELECTED_COLOR if self.selected[row] else (self.colors[row] if self.colors
                                                           else None)
        if color is not None:
            painter.setPen(QPen(color, 3 if self.selected[row] else 2))
            painter.setBrush(Qt.NoBrush)
            painter.drawRect(target.adjusted(-1, -1, 1, 1))


class MapViewBox(pg.ViewBox):
    """Left-drag selects (rectangle or lasso), wheel zooms, middle or right drag pans."""
    selectionMade = pyqtSignal(object, bool)     # mask of the points, whether to add
    pointActivated = pyqtSignal(int)             # a point double-clicked: its row

    def __init__(self):
        super().__init__(enableMenu=False)
        self.tool = "rectangle"                  # "rectangle", "lasso" or "pan"
        self.points = np.empty((0, 2))
        self._lasso: list[QPointF] = []
        self._band = pg.QtWidgets.QGraphicsPathItem()
        self._band.setPen(pg.mkPen(SELECTED_COLOR, width=1.5, style=Qt.DashLine, cosmetic=True))
        self._band.setBrush(pg.mkBrush(30, 110, 230, 40))
        self._band.setZValue(1e9)
        self._band.hide()
        self.addItem(self._band, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if self.tool == "pan" or ev.button() != Qt.LeftButton:
            if ev.button() == Qt.RightButton:        # right-drag pans too (not pyqtgraph's zoom)
                ev = _AsLeftDrag(ev)
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        start, now = self.mapToView(ev.buttonDownPos()), self.mapToView(ev.pos())
        if ev.isStart():
            self._lasso = [start]
        self._lasso.append(now)
        path = QPainterPath()
        if self.tool == "rectangle":
            path.addRect(QRectF(start, now).normalized())
        else:
            path.addPolygon(QPolygonF(self._lasso))
            path.closeSubpath()
        self._band.setPath(path)
        self._band.show()
        if ev.isFinish():
            self._band.hide()
            self.selectionMade.emit(self._chosen(start, now), _adds(ev.modifiers()))

    def _chosen(self, start: QPointF, end: QPointF) -> np.ndarray:
        if self.tool == "rectangle":
            rect = QRectF(start, end).normalized()
            x, y = self.points[:, 0], self.points[:, 1]
            return ((x >= rect.left()) & (x <= rect.right())
                    & (y >= rect.top()) & (y <= rect.bottom()))
        polygon = np.array([(p.x(), p.y()) for p in self._lasso])
        if len(polygon) < 3:
            return np.zeros(len(self.points), dtype=bool)
        return inside_polygon(self.points, polygon)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.LeftButton:
            ev.accept()
            near = self._nearest(ev.pos())
            if ev.double():
                if near.any():
                    self.pointActivated.emit(int(np.flatnonzero(near)[0]))
                return
            self.selectionMade.emit(near, _adds(ev.modifiers()))
        else:
            super().mouseClickEvent(ev)

    def _nearest(self, pos) -> np.ndarray:
        """The point under the mouse (within 8 pixels), or none."""
        mask = np.zeros(len(self.points), dtype=bool)
        if not len(self.points):
            return mask
        at = self.mapToView(pos)
        px, py = self.viewPixelSize()
        d = np.hypot((self.points[:, 0] - at.x()) / px, (self.points[:, 1] - at.y()) / py)
        nearest = int(np.argmin(d))
        if d[nearest] <= 8:
            mask[nearest] = True
        return mask


def _adds(modifiers) -> bool:
    return bool(modifiers & (Qt.ShiftModifier | Qt.ControlModifier))


class _AsLeftDrag:
    """A drag event that reports the left button, so that ViewBox pans with it."""

    def __init__(self, ev):
        self._ev = ev

    def button(self):
        return Qt.LeftButton

    def __getattr__(self, name):
        return getattr(self._ev, name)


class _Dots(pg.ScatterPlotItem):
    """The points; a click goes through to the view box, which selects (pyqtgraph would keep it)."""

    def mouseClickEvent(self, ev) -> None:
        ev.ignore()


class MapPlot(pg.PlotWidget):
    """The map: dots coloured by category, thumbnails over them, selection by mouse."""
    selectionMade = pyqtSignal(object, bool)
    pointActivated = pyqtSignal(int)

    def __init__(self, parent=None):
        self.box = MapViewBox()
        super().__init__(parent, background="w", viewBox=self.box)
        self.setAspectLocked(False)
        self.plotItem.hideAxis("left")
        self.plotItem.hideAxis("bottom")
        self.loader = ThumbnailLoader(self)
        self.dots = _Dots(size=7, pxMode=True, hoverable=True, tip=self._tip)
        self.box.addItem(self.dots)
        self.layer = ThumbnailLayer(self.loader)
        self.box.addItem(self.layer, ignoreBounds=True)
        self.box.selectionMade.connect(self.selectionMade)
        self.box.pointActivated.connect(self.pointActivated)
        self.box.sigRangeChanged.connect(self._range_changed)
        self._repaint = QTimer(self, singleShot=True, interval=40)
        self._repaint.timeout.connect(self.layer.update)
        self.loader.ready.connect(lambda _s: self._repaint.start()
                                  if not self._repaint.isActive() else None)
        self.labels: np.ndarray | None = None
        self.brushes: list = []

    def set_points(self, xy: np.ndarray, sources, grid: bool, labels=None) -> None:
        self.loader.clear_pending()
        self.box.points = xy
        self.labels = labels
        self.layer.set_points(xy, sources, grid)
        self.dots.setData(x=xy[:, 0], y=xy[:, 1], data=np.arange(len(xy)))
        self.fit()

    def set_colors(self, colors: list[QColor | None]) -> None:
        self.layer.colors = colors
        self.brushes = shared_brushes(colors)
        self._restyle()

    def set_selected(self, mask: np.ndarray) -> None:
        if len(mask) == len(self.box.points):
            self.layer.selected = np.asarray(mask, dtype=bool)
        self._restyle()

    def set_thumbnail_size(self, size: int) -> None:
        self.layer.size = size
        self.layer.update()

    def set_tool(self, tool: str) -> None:
        self.box.tool = tool

    def fit(self) -> None:
        if len(self.box.points):
            self.box.autoRange(padding=0.06)

    def _restyle(self) -> None:
        n = len(self.box.points)
        if not n:
            return
        selected = self.layer.selected if len(self.layer.selected) == n else np.zeros(n, bool)
        plain = pg.mkBrush(PLAIN_COLOR)
        brushes = self.brushes if len(self.brushes) == n else [plain] * n
        ring, none = pg.mkPen(SELECTED_COLOR, width=2.5), pg.mkPen(255, 255, 255, 160)
        self.dots.setBrush(brushes, update=False)        # one redraw of the symbols, not two
        self.dots.setPen([ring if s else none for s in selected])
        self.layer.update()

    def _range_changed(self, *_) -> None:
        self.loader.clear_pending()          # what scrolled out of view need not load
        self.layer.set_view_rect(self.box.viewRect())

    def _tip(self, x, y, data) -> str:
        if self.labels is not None and data is not None and 0 <= int(data) < len(self.labels):
            return str(self.labels[int(data)])
        return ""
