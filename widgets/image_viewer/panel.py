"""The Image Viewer's window: column choosers, a size slider and the thumbnail grid."""
from __future__ import annotations

from PyQt5.QtCore import QSize, Qt, QTimer
from PyQt5.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStyle, QVBoxLayout

from imgflow.api import WidgetError
from imgflow.engine import ERROR
from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel
from imgflow.widgets.common.preview import attach_preview
from imgflow.widgets.common.selection import select_rows, selected_rows
from imgflow.widgets.common.thumbnails import ThumbnailLoader

from . import (choose_image_column, choose_title_column, image_columns,
               selected_mask, selection_setting, title_columns)
from .grid import PADDING, TEXT_HEIGHT, ThumbnailGrid, ThumbnailModel

COMFORTABLE_GRID = (3, 2)  # a new window shows at least this many thumbnails (columns, rows)

COMMIT_DELAY_MS = 150      # a rubber-band drag is one change, not one per row crossed


class ImageViewerPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        self._table = None
        self._image_column = self._title_column = ""
        self._syncing = False

        self.loader = ThumbnailLoader(self)
        self.model = ThumbnailModel(self.loader, self)
        self.grid = ThumbnailGrid(self)
        self.grid.setModel(self.model)
        self.grid.selectionModel().selectionChanged.connect(self._selection_edited)
        self.grid.verticalScrollBar().valueChanged.connect(self.loader.clear_pending)
        # Space or a double-click: the image at full size; arrows go through the others
        self.preview = attach_preview(self.grid, self.model.source,
                                      lambda row: self.model.index(row).data() or "")
        self._info_timer = QTimer(self, singleShot=True, interval=200)
        self._info_timer.timeout.connect(self._update_info)
        self.loader.ready.connect(lambda _s: self._info_timer.start())

        self.info = QLabel(self)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self._commit_selection = QTimer(self, singleShot=True, interval=COMMIT_DELAY_MS)
        self._commit_selection.timeout.connect(self._save_selection)
        bar = QHBoxLayout()
        self.image_combo = controls.combo(bar, self, "image_column", label="Image:", choices=(),
                                          undo="Image column",
                                          tooltip="The column with the images (paths or URLs)")
        bar.addSpacing(8)
        self.title_combo = controls.combo(bar, self, "title_column", label="Title:", choices=(),
                                          undo="Title column",
                                          tooltip="The column shown under each image")
        bar.addSpacing(8)
        self.size_slider = controls.slider(bar, self, "thumbnail_size", label="Size:", step=8,
                                           page_step=32, undo="Thumbnail size")
        self.size_slider.valueChanged.connect(self._apply_size)    # shown while dragging
        self.size_slider.setFixedWidth(160)
        bar.addSpacing(8)
        for combo in (self.image_combo, self.title_combo):
            combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.info)
        self.resize(900, 640)

    def comfortable_size(self) -> QSize:
        """Room for 3 x 2 thumbnails of the chosen size, beside the bars above and below."""
        size = self.settings["thumbnail_size"]
        columns, rows = COMFORTABLE_GRID
        frame = 2 * self.grid.frameWidth() + 2
        scrollbar = self.grid.style().pixelMetric(QStyle.PM_ScrollBarExtent)
        grid = QSize(columns * (size + PADDING) + frame + scrollbar,
                     rows * (size + TEXT_HEIGHT + PADDING) + frame)
        around = self.sizeHint() - self.grid.sizeHint()    # bars, margins and spacing
        return super().comfortable_size().expandedTo(around + grid)

    # -- hooks ------------------------------------------------------------------
    def settings_changed(self) -> None:
        if not self.size_slider.isSliderDown():
            self._apply_size(self.settings["thumbnail_size"])
        self._show_table(self._table, force=False)

    def state_changed(self, state) -> None:
        table = state.inputs.get("Data")
        if table is not self._table:
            self._table = table
            self._show_table(table, force=True)
        if state.status == ERROR:
            self.info.setText(state.message)
        else:
            self._update_info()

    # -- showing ------------------------------------------------------------------
    def _show_table(self, table, force: bool) -> None:
        """Put the table's rows in the grid with the chosen columns, and select as saved."""
        image = title = ""
        if table is not None:
            try:
                image = choose_image_column(table, self.settings["image_column"])
                title = choose_title_column(table, self.settings["title_column"], image)
            except WidgetError as exc:
                self.info.setText(str(exc))
                table = None
        present = table is not None
        self._fill_combo(self.image_combo, image_columns(table) if present else [], image)
        self._fill_combo(self.title_combo, title_columns(table) if present else [], title)
        if force or (image, title) != (self._image_column, self._title_column):
            self._image_column, self._title_column = image, title
            self.loader.clear_pending()
            self._syncing = True
            self.model.set_table(table, image, title)
            self._syncing = False
        self._restore_selection()
        self._update_info()

    @staticmethod
    def _fill_combo(combo: QComboBox, names: list[str], current: str) -> None:
        controls.set_choices(combo, names)
        combo.setCurrentIndex(max(0, combo.findText(current)))
        combo.setEnabled(len(names) > 1)

    def _apply_size(self, size: int) -> None:
        if self.model.size != size or self.grid.iconSize().width() != size:
            self.grid.set_thumbnail_size(size)
            self.model.set_size(size)

    def _update_info(self) -> None:
        table = self.model.table
        if table is None:
            if self._table is None:
                self.info.setText("No data on the input.")
            return
        n_selected = len(self.selected_rows())
        failed = len(self.loader.failed)
        self.info.setText(f"{len(table)} images"
                          + (f", {n_selected} selected" if n_selected else "")
                          + (f"; {failed} cannot be shown" if failed else ""))

    # -- selection ----------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return selected_rows(self.grid.selectionModel()).tolist()

    def _selection_edited(self, *_) -> None:
        if not self._syncing:
            self._commit_selection.start()
        self._update_info()

    def _save_selection(self) -> None:
        table = self.model.table
        if table is not None:
            paths = selection_setting(table, self._image_column, self.selected_rows())
            self.set_settings("Select images", selection=paths)

    def _restore_selection(self) -> None:
        """Select in the grid what the setting says, unless the user is mid-change."""
        table = self.model.table
        if table is None or self._commit_selection.isActive():
            return
        saved = self.settings["selection"]
        if selection_setting(table, self._image_column, self.selected_rows()) == saved:
            return
        rows = selected_mask(table, self._image_column, saved).nonzero()[0]
        self._syncing = True
        select_rows(self.grid.selectionModel(), rows)
        self._syncing = False

