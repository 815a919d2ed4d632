"""Distances' window: the metric, normalisation, rows or columns, and what it made."""
from __future__ import annotations

from PyQt5.QtWidgets import QLabel, QProgressBar, QVBoxLayout

from imgflow.engine import ERROR, RUNNING
from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel

from . import METRICS, NORMALIZABLE


class DistancesPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        layout = QVBoxLayout(self)
        self.metric_buttons = controls.radio(
            layout, self, "metric", label="Distance metric",
            labels={key: name for key, (name, _tip) in METRICS.items()},
            tips={key: tip for key, (_name, tip) in METRICS.items()},
            undo=lambda metric: f"Metric: {METRICS[metric][0]}").buttons
        self.normalize_box = controls.check(layout, self, "normalize", undo="Normalise",
                                            label="Normalise columns (mean 0, variance 1)")
        self.axis_buttons = controls.radio(layout, self, "axis", label="Compare", horizontal=True,
                                           labels={"rows": "Rows", "columns": "Columns"}).buttons
        self.progress = QProgressBar(self, maximum=1000, textVisible=False)
        self.progress.setFixedHeight(8)
        self.info = QLabel(self, wordWrap=True)
        layout.addWidget(self.progress)
        layout.addWidget(self.info)
        layout.addStretch(1)
        self.resize(320, 420)

    def settings_changed(self) -> None:
        self.normalize_box.setEnabled(self.settings["metric"] in NORMALIZABLE)

    def state_changed(self, state) -> None:
        self.progress.setVisible(state.status == RUNNING)
        self.progress.setValue(int((state.progress or 0) * 1000))
        if state.status == ERROR:
            text = state.message
        elif state.status == RUNNING:
            text = "Measuring…"
        else:
            text = state.info or state.message or "No data."
        if state.warnings:
            text += "\n" + "\n".join(state.warnings)
        self.info.setText(text)
