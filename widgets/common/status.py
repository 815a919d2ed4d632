"""The progress bar and message line every widget window shows under its settings."""
from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from imgflow.engine import ERROR, RUNNING


class StatusLine(QWidget):
    """Progress while running; then the node's info, error and warnings."""

    def __init__(self, running_text: str, parent=None):
        super().__init__(parent)
        self.running_text = running_text
        self.progress = QProgressBar(self, maximum=1000, textVisible=False)
        self.progress.setFixedHeight(8)
        self.info = QLabel(self, wordWrap=True)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.info)

    def show_state(self, state, idle_text: str = "No data.") -> None:
        self.progress.setVisible(state.status == RUNNING)
        self.progress.setValue(int((state.progress or 0) * 1000))
        if state.status == ERROR:
            text = state.message
        elif state.status == RUNNING:
            text = self.running_text
        else:
            text = state.info or state.message or idle_text
        if state.warnings:
            text += "\n" + "\n".join(state.warnings)
        self.info.setText(text)
