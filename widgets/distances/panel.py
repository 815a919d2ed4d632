"""Distances' window: the metric, normalisation, rows or columns, and what it made."""
from __future__ import annotations

from PyQt5.QtWidgets import (QButtonGroup, QCheckBox, QGroupBox, QHBoxLayout, QLabel,
                             QProgressBar, QRadioButton, QVBoxLayout)

from imgflow.engine import ERROR, RUNNING
from imgflow.gui.panel import WidgetPanel

from . import METRICS, NORMALIZABLE


class DistancesPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        metric_box = QGroupBox("Distance metric", self)
        metric_layout = QVBoxLayout(metric_box)
        self.metric_group = QButtonGroup(self)
        self.metric_buttons: dict[str, QRadioButton] = {}
        for i, (key, (name, tip)) in enumerate(METRICS.items()):
            button = QRadioButton(name, metric_box)
            button.setToolTip(tip)
            self.metric_group.addButton(button, i)
            self.metric_buttons[key] = button
            metric_layout.addWidget(button)
        self.metric_group.buttonClicked.connect(self._metric_clicked)
        self.normalize_box = QCheckBox("Normalise columns (mean 0, variance 1)", self)
        self.normalize_box.setToolTip("Euclidean and Manhattan: put every column on the same scale")
        self.normalize_box.toggled.connect(
            lambda on: self.set_settings("Normalise", normalize=on))

        axis_box = QGroupBox("Compare", self)
        axis_layout = QHBoxLayout(axis_box)
        self.axis_group = QButtonGroup(self)
        self.axis_buttons = {}
        for i, (key, label) in enumerate((("rows", "Rows"), ("columns", "Columns"))):
            button = QRadioButton(label, axis_box)
            self.axis_group.addButton(button, i)
            self.axis_buttons[key] = button
            axis_layout.addWidget(button)
        self.axis_group.buttonClicked.connect(
            lambda b: self.set_settings("Compare", axis=self._key(self.axis_buttons, b)))

        self.progress = QProgressBar(self, maximum=1000, textVisible=False)
        self.progress.setFixedHeight(8)
        self.info = QLabel(self, wordWrap=True)
        layout = QVBoxLayout(self)
        layout.addWidget(metric_box)
        layout.addWidget(self.normalize_box)
        layout.addWidget(axis_box)
        layout.addWidget(self.progress)
        layout.addWidget(self.info)
        layout.addStretch(1)
        self.resize(320, 420)

    @staticmethod
    def _key(buttons: dict, button) -> str:
        return next(k for k, b in buttons.items() if b is button)

    def _metric_clicked(self, button) -> None:
        metric = self._key(self.metric_buttons, button)
        self.set_settings(f"Metric: {METRICS[metric][0]}", metric=metric)

    def settings_changed(self) -> None:
        s = self.settings
        self.metric_buttons[s["metric"]].setChecked(True)
        self.axis_buttons[s["axis"]].setChecked(True)
        self.normalize_box.blockSignals(True)
        self.normalize_box.setChecked(s["normalize"])
        self.normalize_box.blockSignals(False)
        self.normalize_box.setEnabled(s["metric"] in NORMALIZABLE)

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
