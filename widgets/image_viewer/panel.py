"""The Image Viewer's window: column choosers, a size slider and the thumbnail grid."""
from __future__ import annotations

from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout

from imgflow.api import WidgetError
from imgflow.engine import ERROR
from imgflow.gui.panel import WidgetPanel
from imgflow.widgets.common.selection import select_rows, selected_rows
from imgflow.widgets.common.thumbnails import ThumbnailLoader

from . import (ImageViewer, choose_image_column, choose_title_column, image_columns,
               selected_mask, selection_setting, title_columns)
from .grid import ThumbnailGrid, ThumbnailModel
from .preview import attach_preview

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

        self.image_combo = QComboBox(self, sizeAdjustPolicy=QComboBox.AdjustToContents)
        self.image_combo.setToolTip("The column with the images (paths or URLs)")
        self.image_combo.activated.connect(
            lambda i: self.set_settings("Image column", image_column=self.image_combo.itemText(i)))
        self.title_combo = QComboBox(self, sizeAdjustPolicy=QComboBox.AdjustToContents)
        self.title_combo.setToolTip("The column shown under each image")
        self.title_combo.activated.connect(
            lambda i: self.set_settings("Title column", title_column=self.title_combo.itemText(i)))
        size = ImageViewer.setting("thumbnail_size")
        self.size_slider = QSlider(Qt.Horizontal, self, minimum=int(size.minimum),
                                   maximum=int(size.maximum), singleStep=8, pageStep=32)
        self.size_slider.setFixedWidth(160)
        self.size_slider.setToolTip("Thumbnail size")
        self.size_slider.valueChanged.connect(self._size_moved)
        self.info = QLabel(self)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self._commit_selection = QTimer(self, singleShot=True, interval=COMMIT_DELAY_MS)
        self._commit_selection.timeout.connect(self._save_selection)
        self._commit_size = QTimer(self, singleShot=True, interval=300)
        self._commit_size.timeout.connect(
            lambda: self.set_settings("Thumbnail size", thumbnail_size=self.size_slider.value()))

        bar = QHBoxLayout()
        for label, control in (("Image:", self.image_combo), ("Title:", self.title_combo),
                               ("Size:", self.size_slider)):
            bar.addWidget(QLabel(label, self))
            bar.addWidget(control)
            bar.addSpacing(8)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.info)
        self.resize(900, 640)

    # -- hooks ------------------------------------------------------------------
    def settings_changed(self) -> None:
        size = self.settings["thumbnail_size"]
        if not self._commit_size.isActive() and self.size_slider.value() != size:
            self.size_slider.blockSignals(True)
            self.size_slider.setValue(size)
            self.size_slider.blockSignals(False)
        self._apply_size(size)
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
        if [combo.itemText(i) for i in range(combo.count())] != names:
            combo.clear()
            combo.addItems(names)
        combo.setCurrentIndex(max(0, combo.findText(current)))
        combo.setEnabled(len(names) > 1)

    def _size_moved(self, size: int) -> None:
        self._apply_size(size)
        self._commit_size.start()

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

