"""A Qt table model that reads a Table's arrays on demand.

Nothing is made per cell up front: ``data`` formats one value when the view
paints it, so 20,000 rows by 2,050 columns open at once.  Sorting keeps a
permutation (view row -> table row) computed with numpy, instead of a
QSortFilterProxyModel that would compare cells one by one in Python.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QAbstractTableModel, QModelIndex, Qt
from PyQt5.QtGui import QBrush, QColor

from imgflow.data import Column, Table, printable

ROLE_TINTS = {"class": QColor(255, 238, 214), "meta": QColor(236, 240, 246)}
MISSING_COLOR = QColor(150, 150, 150)
THUMBNAIL_SIZE = 32


def format_number(value: float, integer: bool = False) -> str:
    if value != value:      # NaN
        return "?"
    if integer or float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    if abs(value) < 1e-3 or abs(value) >= 1e6:
        return f"{value:.2e}"         # short enough for a narrow column
    return f"{value:.4g}"


def sort_keys(values: np.ndarray, column: Column | None) -> np.ndarray:
    """Float keys that order a column as a person expects; NaN for missing (sorted last)."""
    if column is None or column.kind == "numeric":
        return np.asarray(values, dtype=float)
    missing = column.is_missing()
    keys = np.full(len(values), np.nan)
    present = values[~missing]
    if column.kind == "categorical" and column.categories:
        rank = {c: i for i, c in enumerate(column.categories)}
        keys[~missing] = [rank.get(v, len(rank)) for v in present]
    elif len(present):
        _, inverse = np.unique(present.astype(str), return_inverse=True)
        keys[~missing] = inverse
    return keys


class TableModel(QAbstractTableModel):
    def __init__(self, table: Table, loader=None, parent=None):
        super().__init__(parent)
        self.table = table
        self.loader = loader           # a ThumbnailLoader, or None for no thumbnails
        self.show_thumbnails = loader is not None
        # Class columns first, then metas, then features (as Orange shows them).
        self.columns = ([c for c in table.columns if c.role == "class"]
                        + [c for c in table.columns if c.role != "class"])
        self._integer = [c.kind == "numeric" and _all_integers(c.data) for c in self.columns]
        self.order: np.ndarray | None = None          # view row -> table row
        self.sort_column, self.sort_ascending = -1, True

    # -- shape and names --------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.table)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns) + self.table.n_features

    def column_name(self, section: int) -> str:
        if section < len(self.columns):
            return self.columns[section].name
        return self.table.feature_names[section - len(self.columns)]

    def section_of(self, name: str) -> int:
        for i, c in enumerate(self.columns):
            if c.name == name:
                return i
        try:
            return len(self.columns) + self.table.feature_names.index(name)
        except ValueError:
            return -1

    def table_row(self, view_row: int) -> int:
        return int(self.order[view_row]) if self.order is not None else view_row

    def view_rows(self, table_rows: np.ndarray) -> np.ndarray:
        """Where these table rows are in the (maybe sorted) view."""
        if self.order is None:
            return np.asarray(table_rows, dtype=np.int64)
        inverse = np.empty(len(self.order), dtype=np.int64)
        inverse[self.order] = np.arange(len(self.order))
        return inverse[np.asarray(table_rows, dtype=np.int64)]

    # -- cells ------------------------------------------------------------------------------
    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid():
            return None
        row, section = self.table_row(index.row()), index.column()
        column = self.columns[section] if section < len(self.columns) else None
        value = column.data[row] if column is not None \
            else self.table.X[row, section - len(self.columns)]
        if role == Qt.DisplayRole:
            if column is None or column.kind == "numeric":
                return format_number(value, column is not None and self._integer[section])
            return "?" if value is None else printable(value)
        if role == Qt.TextAlignmentRole:
            numeric = column is None or column.kind == "numeric"
            return int((Qt.AlignRight if numeric else Qt.AlignLeft) | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and (value is None or value != value):
            return QBrush(MISSING_COLOR)
        if role == Qt.BackgroundRole and column is not None:
            return QBrush(ROLE_TINTS[column.role])
        if role == Qt.DecorationRole and column is not None and column.kind == "image":
            if self.show_thumbnails and value:
                return self.loader.pixmap(value, THUMBNAIL_SIZE)
        if role == Qt.ToolTipRole and column is not None and value is not None:
            return printable(str(value)) + (f"\nCannot show: {self.loader.failed[value]}"
                                 if self.loader and value in self.loader.failed else "")
        return None

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):
        if orientation == Qt.Vertical:
            if role == Qt.DisplayRole:
                return str(self.table_row(section) + 1)    # the row's place in the input
            return None
        if section >= self.columnCount():
            return None
        column = self.columns[section] if section < len(self.columns) else None
        if role == Qt.DisplayRole:
            return printable(self.column_name(section))
        if role == Qt.ToolTipRole:
            if column is None:
                return f"{printable(self.column_name(section))}\nfeature (numeric)"
            extra = f", {len(column.categories)} values" if column.categories else ""
            return f"{printable(column.name)}\n{column.role} ({column.kind}{extra})"
        if role == Qt.BackgroundRole and column is not None:
            return QBrush(ROLE_TINTS[column.role].darker(104))
        return None

    def set_show_thumbnails(self, on: bool) -> None:
        self.show_thumbnails = on and self.loader is not None
        self.refresh_images()

    def refresh_images(self) -> None:
        images = [i for i, c in enumerate(self.columns) if c.kind == "image"]
        if images and self.rowCount():
            self.dataChanged.emit(self.index(0, min(images)),
                                  self.index(self.rowCount() - 1, max(images)),
                                  [Qt.DecorationRole])

    # -- sorting ---------------------------------------------------------------------------
    def sort(self, section: int, order=Qt.AscendingOrder) -> None:
        """Order the view by a column (section -1: the input's order); stable, missing last."""
        self.layoutAboutToBeChanged.emit()
        self.sort_column, self.sort_ascending = section, order == Qt.AscendingOrder
        if section < 0 or section >= self.columnCount():
            self.order = None
        else:
            column = self.columns[section] if section < len(self.columns) else None
            values = column.data if column is not None else \
                self.table.X[:, section - len(self.columns)]
            keys = sort_keys(values, column)
            self.order = np.argsort(keys if self.sort_ascending else -keys, kind="stable")
        self.layoutChanged.emit()


def _all_integers(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return bool(len(finite)) and bool(np.all(finite == np.round(finite))) and \
        bool(np.all(np.abs(finite) < 1e15))
