"""A list of duplicate groups, each a row of its images' thumbnails side by side.

Model/view: the model holds the groups (row positions, the kept one, image
sources, names); the delegate paints a row's thumbnails from the shared
ThumbnailLoader (loaded in threads; a placeholder until then).  The image
that goes to Unique is framed and marked "kept".
"""
from __future__ import annotations

from PyQt5.QtCore import QAbstractListModel, QModelIndex, QRect, QSize, Qt
from PyQt5.QtGui import QColor, QPen
from PyQt5.QtWidgets import QListView, QStyle, QStyledItemDelegate

THUMB = 96
GAP = 8
LABEL_WIDTH = 56
TEXT_HEIGHT = 16
KEPT = QColor(60, 140, 60)


class GroupsModel(QAbstractListModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = None

    def set_view(self, view) -> None:
        self.beginResetModel()
        self.view = view
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() or self.view is None else len(self.view.groups)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or self.view is None:
            return None
        rows = self.view.groups[index.row()]
        if role == Qt.DisplayRole:
            return f"D{index.row() + 1}"
        if role == Qt.ToolTipRole:
            return "\n".join(self._line(r) for r in rows)
        if role == Qt.UserRole:
            return [(self.view.images[r], self.view.names[r], r == self.view.kept[index.row()])
                    for r in rows]
        return None

    def _line(self, row: int) -> str:
        kept = "  (kept)" if row in self.view.kept else ""
        where = self.view.images[row] or self.view.names[row]
        return f"{where}{kept}"


class GroupDelegate(QStyledItemDelegate):
    def __init__(self, loader, parent=None):
        super().__init__(parent)
        self.loader = loader

    def sizeHint(self, option, index) -> QSize:
        count = len(index.data(Qt.UserRole) or ())
        return QSize(LABEL_WIDTH + count * (THUMB + GAP), THUMB + TEXT_HEIGHT + 2 * GAP)

    def paint(self, painter, option, index) -> None:
        painter.save()
        if option.state & QStyle.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight().color().lighter(170))
        rect = option.rect
        painter.setPen(option.palette.text().color())
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(QRect(rect.left() + GAP, rect.top(), LABEL_WIDTH - GAP, rect.height()),
                         Qt.AlignLeft | Qt.AlignVCenter, index.data())
        font.setBold(False)
        painter.setFont(font)
        x = rect.left() + LABEL_WIDTH
        for source, name, kept in index.data(Qt.UserRole) or ():
            if x + THUMB > rect.right():
                break
            cell = QRect(x, rect.top() + GAP, THUMB, THUMB)
            pixmap = self.loader.pixmap(source or "", THUMB)
            scaled = pixmap.scaled(cell.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation) \
                if max(pixmap.width(), pixmap.height()) > THUMB else pixmap
            painter.drawPixmap(cell.left() + (THUMB - scaled.width()) // 2,
                               cell.top() + (THUMB - scaled.height()) // 2, scaled)
            if kept:               # the one Unique keeps: a frame and a badge
                painter.setPen(QPen(KEPT, 2))
                painter.drawRect(cell.adjusted(-2, -2, 2, 2))
                badge = QRect(cell.left(), cell.top(), painter.fontMetrics().width(" kept ") + 4,
                              TEXT_HEIGHT)
                painter.fillRect(badge, KEPT)
                painter.setPen(QColor("white"))
                painter.drawText(badge, Qt.AlignCenter, "kept")
            painter.setPen(option.palette.text().color())
            elided = painter.fontMetrics().elidedText(name, Qt.ElideMiddle, THUMB)
            painter.drawText(QRect(x, cell.bottom() + 2, THUMB, TEXT_HEIGHT),
                             Qt.AlignHCenter | Qt.AlignTop, elided)
            x += THUMB + GAP
        painter.restore()


class GroupsList(QListView):
    def __init__(self, loader, parent=None):
        super().__init__(parent)
        self.setItemDelegate(GroupDelegate(loader, self))
        self.setHorizontalScrollMode(QListView.ScrollPerPixel)
        self.setVerticalScrollMode(QListView.ScrollPerPixel)
        self.setSelectionMode(QListView.NoSelection)
        loader.ready.connect(lambda _source: self.viewport().update())
