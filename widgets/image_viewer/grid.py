"""The thumbnail grid: a list model over a table's rows and an icon-mode list view.

The model makes nothing per row up front: ``data`` reads the title and the
image path from the table's arrays when the view paints a row, and asks the
loader for the thumbnail then, so only rows on screen are ever loaded.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import (QAbstractListModel, QItemSelection, QItemSelectionModel, QModelIndex,
                          QRect, QSize, Qt, QTimer)
from PyQt5.QtGui import QPalette
from PyQt5.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate

from imgflow.data import Table, printable
from imgflow.widgets.common.thumbnails import ThumbnailLoader

TEXT_HEIGHT = 20
PADDING = 16


def format_value(value, numeric: bool) -> str:
    if numeric:
        if value is None or np.isnan(value):
            return "?"
        return str(int(value)) if float(value).is_integer() else f"{value:.4g}"
    return "?" if value is None else printable(str(value))


class ThumbnailModel(QAbstractListModel):
    def __init__(self, loader: ThumbnailLoader, parent=None):
        super().__init__(parent)
        self.loader = loader
        self.table: Table | None = None
        self.size = 128
        self._images = np.empty(0, dtype=object)
        self._titles = np.empty(0, dtype=object)
        self._numeric_titles = False
        # Arrivals come one by one; repaint once per batch, not per image.
        self._refresh = QTimer(self, singleShot=True, interval=40)
        self._refresh.timeout.connect(self._repaint)
        loader.ready.connect(lambda _source: self._refresh.start()
                             if not self._refresh.isActive() else None)

    def set_table(self, table: Table | None, image_column: str, title_column: str) -> None:
        self.beginResetModel()
        self.table = table
        if table is None:
            self._images = self._titles = np.empty(0, dtype=object)
        else:
            self._images = table.column(image_column).data
            title = table.column(title_column)
            self._titles, self._numeric_titles = title.data, title.kind == "numeric"
        self.endResetModel()

    def set_size(self, size: int) -> None:
        self.size = size
        self._repaint()

    def source(self, row: int) -> str | None:
        return self._images[row]

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._images)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid():
            return None
        row = index.row()
        if role == Qt.DisplayRole:
            return format_value(self._titles[row], self._numeric_titles)
        if role == Qt.DecorationRole:
            return self.loader.pixmap(self._images[row], self.size)
        if role == Qt.ToolTipRole:
            source = self._images[row] or "(no image)"
            reason = self.loader.failed.get(source)
            title = format_value(self._titles[row], self._numeric_titles)
            return f"{title}\n{printable(source)}" + (f"\nCannot show: {reason}" if reason else "")
        return None

    def _repaint(self) -> None:
        if self.rowCount():
            self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1),
                                  [Qt.DecorationRole])


class ThumbnailDelegate(QStyledItemDelegate):
    """A cell: the thumbnail centred in a square, the title under it, a frame when selected."""

    def __init__(self, grid: "ThumbnailGrid"):
        super().__init__(grid)
        self.grid = grid

    def sizeHint(self, option, index) -> QSize:
        return self.grid.gridSize() - QSize(2, 2)

    def paint(self, painter, option, index) -> None:
        size = self.grid.iconSize().width()
        cell = option.rect.adjusted(2, 2, -2, -2)
        palette = option.palette
        selected = bool(option.state & QStyle.State_Selected)
        painter.save()
        if selected:
            painter.setPen(palette.color(QPalette.Highlight))
            painter.setBrush(palette.color(QPalette.Highlight).lighter(170))
            painter.drawRoundedRect(cell, 4, 4)
        elif option.state & QStyle.State_MouseOver:
            painter.fillRect(cell, palette.color(QPalette.AlternateBase))
        box = QRect(cell.left() + (cell.width() - size) // 2, cell.top() + 4, size, size)
        pixmap = index.data(Qt.DecorationRole)
        if pixmap is not None and not pixmap.isNull():
            shown = pixmap.size().scaled(box.size(), Qt.KeepAspectRatio)
            if pixmap.width() <= size and pixmap.height() <= size:
                shown = pixmap.size()          # never blow up a small image
            target = QRect(0, 0, shown.width(), shown.height())
            target.moveCenter(box.center())
            painter.setRenderHint(painter.SmoothPixmapTransform)
            painter.drawPixmap(target, pixmap)
        text_rect = QRect(cell.left() + 4, box.bottom() + 4, cell.width() - 8, TEXT_HEIGHT)
        text = option.fontMetrics.elidedText(index.data(Qt.DisplayRole) or "", Qt.ElideMiddle,
                                             text_rect.width())
        painter.setPen(palette.color(QPalette.Text))
        painter.drawText(text_rect, Qt.AlignHCenter | Qt.AlignVCenter, text)
        painter.restore()


class ThumbnailGrid(QListView):
    """Icon mode, fixed grid cells, extended selection with a rubber band."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.IconMode)
        self.setMovement(QListView.Static)
        self.setResizeMode(QListView.Adjust)
        self.setFlow(QListView.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)       # no size hint asked per row: 20,000 rows stay fast
        self.setLayoutMode(QListView.Batched)
        self.setBatchSize(2000)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setSelectionRectVisible(True)
        self.setTextElideMode(Qt.ElideMiddle)
        self.setWordWrap(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.setSpacing(0)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setDragEnabled(False)
        self.setMouseTracking(True)
        self.setItemDelegate(ThumbnailDelegate(self))

    def set_thumbnail_size(self, size: int) -> None:
        self.setIconSize(QSize(size, size))
        self._fit_grid()

    def mousePressEvent(self, event) -> None:
        """Shift-click selects the run of images from the anchor, in reading order.

        (Qt's icon mode would select the rectangle between the two, which is
        not what a file browser does.)
        """
        index, anchor = self.indexAt(event.pos()), self.currentIndex()
        modifiers = event.modifiers()
        if (event.button() == Qt.LeftButton and modifiers & Qt.ShiftModifier
                and index.isValid() and anchor.isValid()):
            low, high = sorted((anchor.row(), index.row()))
            run = QItemSelection(self.model().index(low), self.model().index(high))
            flags = QItemSelectionModel.Select if modifiers & Qt.ControlModifier \
                else QItemSelectionModel.ClearAndSelect
            self.selectionModel().select(run, flags)
            return
        super().mousePressEvent(event)

    def selectAll(self) -> None:
        """Ctrl+A as one range (Qt's own is slow for 20,000 items)."""
        model = self.model()
        if model is not None and model.rowCount():
            everything = QItemSelection(model.index(0), model.index(model.rowCount() - 1))
            self.selectionModel().select(everything, QItemSelectionModel.ClearAndSelect)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_grid()

    def _fit_grid(self) -> None:
        """Widen the cells a little so that the columns fill the width, with no gap at the right."""
        size = self.iconSize().width()
        smallest = size + PADDING
        width = max(smallest, self.viewport().width() - 1)
        columns = max(1, width // smallest)
        grid = QSize(width // columns, size + TEXT_HEIGHT + PADDING)
        if grid != self.gridSize():
            self.setGridSize(grid)
        self.verticalScrollBar().setSingleStep(max(20, size // 3))
