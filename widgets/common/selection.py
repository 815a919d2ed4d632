"""Row selections of big item views, read and written as ranges.

``QItemSelectionModel.selectedRows()`` checks every column of every row
(minutes for 20,000 rows by 2,000 columns) and selecting row by row makes a
range per row; these go by the selection's ranges instead.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QAbstractTableModel, QItemSelection, QItemSelectionModel


def selected_rows(selection_model: QItemSelectionModel) -> np.ndarray:
    """Sorted rows that have any selected cell."""
    parts = [np.arange(r.top(), r.bottom() + 1) for r in selection_model.selection()]
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)


def runs(rows) -> list[tuple[int, int]]:
    """Sorted, unique row numbers as half-open (start, stop) runs of consecutive rows."""
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [len(rows)]])
    return [(int(rows[a]), int(rows[b - 1]) + 1) for a, b in zip(starts, stops)]


def select_rows(selection_model: QItemSelectionModel, rows) -> None:
    """Make exactly these rows (whole rows) the selection."""
    model = selection_model.model()
    # (QAbstractListModel hides columnCount from Python: a list has one column.)
    last = max(0, model.columnCount() - 1) if isinstance(model, QAbstractTableModel) else 0
    selection = QItemSelection()
    for start, stop in runs(np.unique(np.asarray(rows, dtype=np.int64))):
        selection.select(model.index(start, 0), model.index(stop - 1, last))
    selection_model.select(selection, QItemSelectionModel.ClearAndSelect)
