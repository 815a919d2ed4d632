"""File's window: the file (typed or chosen), Reload, and what was read."""
from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QProgressBar, QPushButton, QStyle, QVBoxLayout

from imgflow.engine import ERROR
from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel

from . import FILE_FILTER, FileSummary


class FilePanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        layout = QVBoxLayout(self)
        self.chooser = controls.path(layout, self, "path", mode="open", label="File:",
                                     caption="Table to read", filter=FILE_FILTER,
                                     placeholder=".csv, .parquet or .npy", undo="Choose file")
        self.reload_button = QPushButton("Reload", self)
        self.reload_button.setIcon(self.style().standardIcon(QStyle.SP_BrowserReload))
        self.reload_button.setToolTip("Read the file again (after it changed)")
        self.reload_button.clicked.connect(self.reload)
        layout.addWidget(self.reload_button, 0, Qt.AlignLeft)
        self.progress = QProgressBar(self, maximum=1000, textVisible=False)
        self.progress.setFixedHeight(8)
        layout.addWidget(self.progress)
        self.info = QLabel(self, wordWrap=True)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.info.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        layout.addWidget(self.info, 1)
        self.resize(520, 180)

    def reload(self) -> None:
        self.host.engine.invalidate(self.node.id)

    def state_changed(self, state) -> None:
        self.progress.setVisible(state.busy)
        self.progress.setValue(int((state.progress or 0) * 1000))
        if state.busy:
            text = "Reading…"
        elif state.status == ERROR:
            text = state.message
        elif isinstance(state.view, FileSummary):
            text = state.view.describe()
        else:
            text = state.message or "Choose a file."
        if state.warnings and not state.busy:
            text += "\n" + "\n".join(state.warnings)
        self.info.setText(text)
