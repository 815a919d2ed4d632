"""Image Map's window: method, layout, colours and seed beside the map of thumbnails.

Drag to select with a rectangle or a lasso (Shift or Ctrl adds), click a point
to select it, wheel to zoom, right or middle drag to pan.  The selection is a
setting, so it is undoable and saved with the workflow; the layout arrives
computed in the node's view.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QSize, Qt, QTimer
from PyQt5.QtGui import QColor
from PyQt5.QtWidgets import (QButtonGroup, QFormLayout, QHBoxLayout, QLabel, QProgressBar,
                             QPushButton, QSlider, QVBoxLayout, QWidget)

from imgflow.engine import ERROR, RUNNING, WAITING
from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel

from imgflow.widgets.common.preview import PreviewWindow

from . import MapView, selection_setting
from .plot import MapPlot
from .projection import METHODS

NONE = "(none)"
TOOLS = (("rectangle", "Rectangle", "Drag a rectangle to select (Shift or Ctrl adds)"),
         ("lasso", "Lasso", "Draw round the points to select (Shift or Ctrl adds)"),
         ("pan", "Pan", "Drag to move the map (the wheel zooms)"))


def category_colors(view: MapView, column: str) -> tuple[list[QColor | None], list]:
    """A colour per row (None where the value is missing) and the legend's (name, colour)."""
    n = len(view.xy)
    if column not in view.color_columns:
        return [None] * n, []
    col = view.table.column(column)
    k = max(1, len(col.categories))
    palette = {c: pg.intColor(i, hues=max(k, 6), values=1, maxValue=220, minValue=150)
               for i, c in enumerate(col.categories)}
    return [palette.get(v) for v in col.data], list(palette.items())


class ImageMapPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        self._view: MapView | None = None
        form = QFormLayout()
        self.method_combo = controls.combo(form, self, "method", label="Method:", labels=METHODS,
                                           undo="Method")
        self.layout_combo = controls.combo(form, self, "layout", label="Layout:",
                                           labels={"scatter": "Scatter", "grid": "Grid"},
                                           undo="Layout")
        # the columns come with the data: set_choices fills them when it arrives
        self.color_combo = controls.combo(form, self, "color_by", label="Colour by:",
                                          choices=("",), labels={"": NONE}, undo="Colour by")
        self.seed_spin = controls.spin(form, self, "seed", label="Seed:", undo="Seed")
        self.size_slider = QSlider(Qt.Horizontal, self, minimum=24, maximum=160, value=64)
        self.size_slider.setToolTip("Thumbnail size on the screen")
        self.size_slider.valueChanged.connect(lambda v: self.plot.set_thumbnail_size(v))
        form.addRow("Images:", self.size_slider)

        self.plot = MapPlot(self)
        self.plot.selectionMade.connect(self._selection_made)
        # a double-click on a point (or Space) shows its image at full size, as in Image Viewer
        self.preview = PreviewWindow(self)
        self.preview.set_items(self._count, self._source, self._title)
        self.plot.pointActivated.connect(self.preview.show_row)
        self.tool_group = QButtonGroup(self)
        tools = QHBoxLayout()
        self.tool_buttons = {}
        for key, label, tip in TOOLS:
            button = QPushButton(label, self, checkable=True, toolTip=tip)
            self.tool_group.addButton(button)
            self.tool_buttons[key] = button
            tools.addWidget(button)
            button.clicked.connect(lambda _c, key=key: self.plot.set_tool(key))
        self.tool_buttons["rectangle"].setChecked(True)
        fit_button = QPushButton("Fit", self, toolTip="Show the whole map")
        fit_button.clicked.connect(self.plot.fit)
        clear_button = QPushButton("Clear selection", self)
        clear_button.clicked.connect(lambda: self.set_settings("Clear selection", selection=[]))

        self.progress = QProgressBar(self, maximum=1000, textVisible=False)
        self.progress.setFixedHeight(8)
        self.legend = QLabel(self, wordWrap=True)
        self.info = QLabel(self, wordWrap=True)
        self.info.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addLayout(tools)
        side.addWidget(fit_button)
        side.addWidget(clear_button)
        side.addWidget(self.progress)
        side.addWidget(self.legend)
        side.addWidget(self.info, 1)
        side_widget = QWidget(self)
        side_widget.setLayout(side)
        side_widget.setFixedWidth(250)
        layout = QHBoxLayout(self)
        layout.addWidget(side_widget)
        layout.addWidget(self.plot, 1)
        self.controls_area = side      # the bottom row (Apply) goes under the controls
        self._waiting = QTimer(self, singleShot=True, interval=300)   # no flicker on quick runs
        self._waiting.timeout.connect(lambda: self.progress.setVisible(True))
        self.resize(self.sizeHint())

    def sizeHint(self) -> QSize:
        return QSize(1000, 680)      # the canvas opens a window at its size hint: room for a map

    # -- actions ----------------------------------------------------------------------
    def _selection_made(self, mask: np.ndarray, add: bool) -> None:
        view = self._view
        if view is None:
            return
        current = self.plot.layer.selected
        if add and mask.any():
            # Shift/Ctrl: adds, or removes points that are all selected already (a toggle)
            mask = current & ~mask if current[mask].all() else current | mask
        elif add:
            mask = current
        self.plot.set_selected(mask)                # shown at once; the run confirms it
        rows = np.flatnonzero(mask)
        self.set_settings("Select points",
                          selection=selection_setting(view.table, view.image_column, rows))

    def keyPressEvent(self, event) -> None:
        """Space previews the selected images' first (arrows then go through the rows)."""
        chosen = np.flatnonzero(self.plot.layer.selected)
        if event.key() == Qt.Key_Space and self._view is not None and len(chosen):
            self.preview.show_row(int(chosen[0]))
        else:
            super().keyPressEvent(event)

    def _count(self) -> int:
        return 0 if self._view is None or self._view.images is None else len(self._view.xy)

    def _source(self, row: int):
        return self._view.images[row] if self._count() else None

    def _title(self, row: int) -> str:
        labels = _labels(self._view) if self._count() else None
        return "" if labels is None or labels[row] is None else str(labels[row])

    # -- hooks ------------------------------------------------------------------------
    def settings_changed(self) -> None:
        self._fill_colors()
        self._apply_colors()

    def state_changed(self, state) -> None:
        busy = state.status in (RUNNING, WAITING)
        if state.status == RUNNING:
            self.progress.setValue(int((state.progress or 0) * 1000))
            if not self._waiting.isActive() and not self.progress.isVisible():
                self._waiting.start()
        else:
            self._waiting.stop()
            self.progress.setVisible(False)
        view = state.view if isinstance(state.view, MapView) else None
        if not busy and state.status != ERROR:
            self._show(view)
        if state.status == ERROR:
            text = state.message
        elif busy:
            text = (f"Laying out with {METHODS[self.settings['method']]}…"
                    if state.status == RUNNING else "Waiting…")
        else:
            text = state.info or state.message or "No data on the input."
        if state.warnings:
            text += "\n" + "\n".join(state.warnings)
        self.info.setText(text)

    # -- showing ----------------------------------------------------------------------
    def _show(self, view: MapView | None) -> None:
        old, self._view = self._view, view
        if view is None:
            if old is not None:
                self.plot.set_points(np.empty((0, 2)), None, False)
            self._fill_colors()
            return
        if old is None or old.xy is not view.xy:
            labels = _labels(view)
            self.plot.set_points(view.xy, view.images, view.layout == "grid", labels)
        self.plot.set_selected(view.selected)
        self._fill_colors()
        self._apply_colors()

    def _fill_colors(self) -> None:
        names = [""] + (list(self._view.color_columns) if self._view else [])
        wanted = self.settings["color_by"]
        if wanted not in names:
            names.append(wanted)         # a column the data lacks: shown, coloured by nothing
        controls.set_choices(self.color_combo, names, labels={"": NONE})

    def _apply_colors(self) -> None:
        view = self._view
        if view is None:
            self.legend.setText("")
            return
        colors, legend = category_colors(view, self.settings["color_by"])
        self.plot.set_colors(colors)
        self.legend.setText("<br>".join(
            f"<span style='color:{c.name()}'>■</span> {name}" for name, c in legend[:20])
            + ("<br>…" if len(legend) > 20 else ""))


def _labels(view: MapView) -> np.ndarray | None:
    """Text for each point's tool tip: the image name, else the image."""
    table = view.table
    for name in ("image name", view.image_column):
        if name and table.has_column(name):
            return table.column(name).data
    return None
