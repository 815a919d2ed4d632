"""Data Table's window: one tab per input, sortable columns, selectable rows."""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QItemSelectionModel, QSize, Qt, QTimer
from PyQt5.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel,
                             QTableView, QTabWidget, QVBoxLayout)

from imgflow.engine import ERROR
from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel
from imgflow.widgets.common.selection import select_rows, selected_rows as view_selected_rows
from imgflow.widgets.common.thumbnails import ThumbnailLoader

from . import TableSummary, parse_selection, selected_rows, selection_setting
from .model import THUMBNAIL_SIZE, TableModel

COMMIT_DELAY_MS = 150
ORDERS = {"ascending": Qt.AscendingOrder, "descending": Qt.DescendingOrder}


class TableView(QTableView):
    """A table view tuned for big tables: fixed row heights, no per-column measuring of all rows."""

    def __init__(self, model: TableModel, parent=None):
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.ElideMiddle)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        header = self.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.AscendingOrder)
        header.setDefaultSectionSize(72)
        header.setResizeContentsPrecision(50)     # measure 50 rows, not 20,000
        rows = self.verticalHeader()
        # Headers ask the selection whether their sections are selected, checking
        # every row of each visible column (and the reverse): seconds for each change
        # of a big selection.  They get a selection of their own, always empty.
        self._header_selection = QItemSelectionModel(model, self)
        header.setSelectionModel(self._header_selection)
        rows.setSelectionModel(self._header_selection)
        rows.setSectionResizeMode(QHeaderView.Fixed)
        rows.setMinimumWidth(self.fontMetrics().horizontalAdvance(str(model.rowCount())) + 16)
        rows.setDefaultAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.set_row_height(model.show_thumbnails and self.has_images())
        for section in range(len(model.columns)):
            self.resizeColumnToContents(section)
            self.setColumnWidth(section, min(max(self.columnWidth(section), 60), 320))

    def selectAll(self) -> None:
        """Ctrl+A as one range (Qt's own makes one per row: slow for 20,000 rows)."""
        select_rows(self.selectionModel(), np.arange(self.model().rowCount()))

    def has_images(self) -> bool:
        return any(c.kind == "image" for c in self.model().columns)

    def set_row_height(self, thumbnails: bool) -> None:
        text = self.fontMetrics().height() + 8
        self.verticalHeader().setDefaultSectionSize(max(text, THUMBNAIL_SIZE + 4) if thumbnails
                                                    else text)


class DataTablePanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        self._tables: list = []
        self.views: list[TableView] = []
        self._syncing = False
        self._edited_tab = 0
        self.loader = ThumbnailLoader(self, cache_bytes=64 * 1024 * 1024)
        self._refresh = QTimer(self, singleShot=True, interval=50)
        self._refresh.timeout.connect(self._refresh_images)
        self.loader.ready.connect(lambda _s: self._refresh.start()
                                  if not self._refresh.isActive() else None)
        self._commit = QTimer(self, singleShot=True, interval=COMMIT_DELAY_MS)
        self._commit.timeout.connect(self._save_selection)

        self.tabs = QTabWidget(self)
        self.tabs.setTabBarAutoHide(True)
        self.tabs.currentChanged.connect(lambda _i: self._update_info())
        self.info = QLabel(self)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        bottom = QHBoxLayout()
        bottom.addWidget(self.info, 1)
        self.thumbnails_box = controls.check(bottom, self, "show_thumbnails",
                                             label="Show thumbnails")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        self.resize(960, 600)

    # -- hooks --------------------------------------------------------------------------
    def state_changed(self, state) -> None:
        tables = [t for t in (state.inputs.get("Data") or []) if t is not None]
        if [id(t) for t in tables] != [id(t) for t in self._tables]:
            self._set_tables(tables)
        labels = [s.label for s in state.view] if isinstance(state.view, tuple) else []
        for i, label in enumerate(labels[:self.tabs.count()]):
            self.tabs.setTabText(i, label)
        if state.status == ERROR:
            self.info.setText(state.message)
        else:
            self._update_info()

    def settings_changed(self) -> None:
        self._show_thumbnails(self.settings["show_thumbnails"])
        self._apply_sort()
        self._restore_selection()

    # -- tables ---------------------------------------------------------------------------
    def _set_tables(self, tables: list) -> None:
        self._tables = tables
        self.loader.clear_pending()
        current = self.tabs.currentIndex()
        # New data in the same place (say, a changed selection upstream) keeps the scroll.
        scrolls = [(v.verticalScrollBar().value(), v.horizontalScrollBar().value())
                   for v in self.views]
        self.tabs.clear()
        for view in self.views:
            view.deleteLater()
        self.views = []
        for i, table in enumerate(tables):
            model = TableModel(table, self.loader, self)
            model.set_show_thumbnails(self.settings["show_thumbnails"])
            view = TableView(model, self.tabs)
            view.selectionModel().selectionChanged.connect(
                lambda *_, tab=i: self._selection_edited(tab))
            view.horizontalHeader().sectionClicked.connect(
                lambda section, tab=i: self._header_clicked(tab, section))
            view.verticalScrollBar().valueChanged.connect(self.loader.clear_pending)
            model.layoutChanged.connect(self._restore_selection)
            self.views.append(view)
            self.tabs.addTab(view, f"Data {i + 1}")
        self.tabs.setCurrentIndex(min(max(current, 0), len(tables) - 1))
        for view, (vertical, horizontal) in zip(self.views, scrolls):
            view.updateGeometries()          # the scroll ranges, before the first paint
            view.verticalScrollBar().setValue(vertical)
            view.horizontalScrollBar().setValue(horizontal)
        self.thumbnails_box.setVisible(any(v.has_images() for v in self.views))
        self._apply_sort()
        self._restore_selection()
        self._update_info()

    def _update_info(self) -> None:
        i = self.tabs.currentIndex()
        if i < 0 or i >= len(self._tables):
            self.info.setText("No data on the input.")
            return
        view = self.state.view
        if isinstance(view, tuple) and i < len(view) and isinstance(view[i], TableSummary) \
                and view[i].rows == len(self._tables[i]):
            self.info.setText(view[i].describe())
        else:
            table = self._tables[i]
            self.info.setText(f"{len(table):,} rows; {table.n_features:,} feature columns")

    def _show_thumbnails(self, on: bool) -> None:
        for view in self.views:       # every settings change comes here: redraw only on a toggle
            if view.model().show_thumbnails != on:
                view.model().set_show_thumbnails(on)
                view.set_row_height(on and view.has_images())

    def _refresh_images(self) -> None:
        for view in self.views:
            view.model().refresh_images()

    # -- sorting ------------------------------------------------------------------------------
    def _header_clicked(self, tab: int, section: int) -> None:
        """Ascending, then descending, then the input's order again."""
        model = self.views[tab].model()
        name = model.column_name(section)
        if model.sort_column != section:
            sort = [name, "ascending"]
        elif model.sort_ascending:
            sort = [name, "descending"]
        else:
            sort = []
        self.set_settings("Sort", sort=sort)
        self._apply_sort()       # the header must not show a sort the setting does not hold

    def _apply_sort(self) -> None:
        sort = self.settings["sort"]
        name, order = (sort[0], ORDERS.get(sort[1], Qt.AscendingOrder)) \
            if len(sort) == 2 and isinstance(sort[0], str) else ("", Qt.AscendingOrder)
        for view in self.views:
            model = view.model()
            section = model.section_of(name) if name else -1
            if (model.sort_column, model.sort_ascending) != (section, order == Qt.AscendingOrder):
                model.sort(section, order)
            view.horizontalHeader().setSortIndicator(section, order)

    # -- selection ----------------------------------------------------------------------------
    def selected_table_rows(self, tab: int) -> list[int]:
        """Rows of input ``tab`` selected in its view, as positions in the input."""
        view = self.views[tab]
        rows = view_selected_rows(view.selectionModel())
        order = view.model().order
        return sorted((order[rows] if order is not None else rows).tolist())

    def _selection_edited(self, tab: int) -> None:
        if self._syncing:
            return
        self._edited_tab = tab
        self._commit.start()

    def _save_selection(self) -> None:
        tab = self._edited_tab
        if tab < len(self.views):
            self.set_settings("Select rows", selection=selection_setting(
                tab, self.selected_table_rows(tab)))
            self._restore_selection()   # a selection in one tab clears the others

    def _restore_selection(self) -> None:
        if self._commit.isActive():
            return           # the user is selecting; the setting follows shortly
        saved = self.settings["selection"]
        index, _ = parse_selection(saved)
        self._syncing = True
        try:
            for tab, view in enumerate(self.views):
                model = view.model()
                rows = selected_rows(saved, model.rowCount()) if tab == index else np.empty(0, int)
                select_rows(view.selectionModel(), model.view_rows(rows))
        finally:
            self._syncing = False

