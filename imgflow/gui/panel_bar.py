"""The row every widget window gets at its bottom: Reset settings, and for widgets
whose run is long (``Widget.apply_control``) Orange's "Apply automatically" with
an Apply button.

The window only asks: the workflow keeps ``auto_apply`` (saved in the file) and
the engine decides what runs and says what waits (``NodeState.pending_apply``).
Left-aligned, clear of the corner where the help button floats.
"""
from __future__ import annotations

from PyQt5.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QPushButton, QToolButton,
                             QVBoxLayout, QWidget)

PENDING_STYLE = "color: #c0392b; font-weight: bold;"


class PanelBar(QWidget):
    """[Apply automatically] [Apply] over [Reset settings] (and "Not applied yet" when
    changes wait): two short rows, so it fits a narrow column of controls."""

    def __init__(self, panel, apply_control: bool):
        super().__init__(panel)
        self.panel = panel
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 4, 0, 0)
        rows.setSpacing(2)
        self.auto_box = self.apply_button = None
        if apply_control:
            self.auto_box = QCheckBox("Apply automatically", self)
            self.auto_box.setToolTip("Off: changes of settings and inputs wait until you press "
                                     "Apply (saved with the workflow; command-line runs always "
                                     "apply)")
            self.auto_box.toggled.connect(self._toggled)
            self.apply_button = QPushButton("Apply", self)
            self.apply_button.setToolTip("Run this widget with its current settings and inputs")
            self.apply_button.clicked.connect(self.apply)
            rows.addLayout(_row(self.auto_box, self.apply_button))
        self.reset_button = QToolButton(self, text="Reset settings")
        self.reset_button.setToolTip("Put every setting of this widget back to its default "
                                     "(one step to undo)")
        self.reset_button.clicked.connect(panel.host.reset_settings)
        self.pending_label = QLabel("Not applied yet", self)
        self.pending_label.setStyleSheet(PENDING_STYLE)
        self.pending_label.setToolTip("Settings or inputs changed; press Apply to run with them")
        self.pending_label.setVisible(False)
        rows.addLayout(_row(self.reset_button, self.pending_label))
        self.refresh()

    def _toggled(self, on: bool) -> None:
        if on != self.panel.node.auto_apply:
            self.panel.host.set_auto_apply(on)

    def apply(self) -> None:
        self.panel.host.engine.apply(self.panel.node.id)

    def refresh(self) -> None:
        """Show the node's auto_apply, whether changes wait, and whether any setting can be reset."""
        panel = self.panel
        self.reset_button.setEnabled(bool(panel.host.workflow.reset_changes(panel.node)))
        if self.auto_box is None:
            return
        auto = self.panel.node.auto_apply
        pending = self.panel.host.engine.is_pending(self.panel.node.id)
        if self.auto_box.isChecked() != auto:
            self.auto_box.blockSignals(True)
            self.auto_box.setChecked(auto)
            self.auto_box.blockSignals(False)
        self.apply_button.setEnabled(pending)
        self.pending_label.setVisible(pending)


def _row(*widgets) -> QHBoxLayout:
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return row
