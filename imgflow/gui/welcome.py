"""The welcome dialog: the example workflows with a picture of each, and recent files.

Shown when the canvas starts without a file (unless the user turned it off:
``show_welcome`` in their settings, see ``user_settings``) and from
Help → Examples.  Opening an example gives an untitled copy of it, so the
bundled file is never overwritten.
"""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QSize, Qt, pyqtSignal
from PyQt5.QtGui import QIcon
from PyQt5.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QLabel, QListView,
                             QListWidget, QListWidgetItem, QMessageBox, QVBoxLayout)

from .. import user_settings
from ..example_workflows import Example
from ..registry import Registry
from .workflow_preview import preview_pixmap

SETTING = "show_welcome"
PREVIEW = QSize(184, 112)
PATH_ROLE = Qt.UserRole + 1


def show_at_start() -> bool:
    try:
        return user_settings.read().get(SETTING, True) is not False
    except user_settings.UserSettingsError:
        return True


def set_show_at_start(show: bool) -> None:
    user_settings.update(lambda doc: doc.__setitem__(SETTING, bool(show)))


class WelcomeDialog(QDialog):
    example_chosen = pyqtSignal(str)      # the example's path
    recent_chosen = pyqtSignal(str)
    new_requested = pyqtSignal()
    open_requested = pyqtSignal()

    def __init__(self, examples: list[Example], recent: list[str], registry: Registry,
                 parent=None):
        super().__init__(parent)
        self.setWindowTitle("Welcome to imgflow")
        heading = QLabel("<h2>Welcome to imgflow</h2>Start from an example workflow "
                         "(double-click it): each runs offline on the pictures that come with "
                         "it. Press F1 on a widget to read its help.")
        heading.setWordWrap(True)
        self.examples = QListWidget()
        self.examples.setViewMode(QListView.IconMode)
        self.examples.setIconSize(PREVIEW)
        self.examples.setGridSize(PREVIEW + QSize(26, 44))
        self.examples.setResizeMode(QListView.Adjust)
        self.examples.setMovement(QListView.Static)
        self.examples.setWordWrap(True)
        ratio = self.devicePixelRatioF()
        for example in examples:
            item = QListWidgetItem(QIcon(preview_pixmap(example.path, registry, PREVIEW, ratio)),
                                   example.title)
            item.setData(PATH_ROLE, str(example.path))
            item.setToolTip(f"<b>{example.title}</b><br>{example.description}"
                            f"<br><i>{example.name}.imgflow</i>")
            self.examples.addItem(item)
        self.examples.itemActivated.connect(
            lambda item: self._chosen(self.example_chosen, item))
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.examples.currentItemChanged.connect(self._describe)
        if examples:
            self.examples.setCurrentRow(0)
        self.recent = QListWidget()
        self.recent.setMaximumHeight(96)
        for entry in recent:
            item = QListWidgetItem(Path(entry).name)
            item.setData(PATH_ROLE, entry)
            item.setToolTip(entry)
            self.recent.addItem(item)
        if not recent:
            self.recent.addItem("No recent workflows")
            self.recent.setEnabled(False)
        self.recent.itemActivated.connect(lambda item: self._chosen(self.recent_chosen, item))
        self.at_start = QCheckBox("Show this window when imgflow starts")
        self.at_start.setChecked(show_at_start())
        self.at_start.toggled.connect(self._remember)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.addButton("New Workflow", QDialogButtonBox.ActionRole).clicked.connect(
            lambda: self._finish(self.new_requested))
        buttons.addButton("Open…", QDialogButtonBox.ActionRole).clicked.connect(
            lambda: self._finish(self.open_requested))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(QLabel("<b>Examples</b>"))
        layout.addWidget(self.examples, 1)
        layout.addWidget(self.about)
        layout.addWidget(QLabel("<b>Recent workflows</b>"))
        layout.addWidget(self.recent)
        layout.addWidget(self.at_start)
        layout.addWidget(buttons)
        self.resize(900, 660)

    def _describe(self, item: QListWidgetItem | None, _previous=None) -> None:
        self.about.setText(item.toolTip() if item is not None else "")

    def _chosen(self, signal, item: QListWidgetItem) -> None:
        path = item.data(PATH_ROLE)
        if path:
            self.accept()
            signal.emit(path)

    def _finish(self, signal) -> None:
        self.accept()
        signal.emit()

    def _remember(self, show: bool) -> None:
        try:
            set_show_at_start(show)
        except user_settings.UserSettingsError as exc:
            QMessageBox.warning(self, "Cannot save your choice", str(exc))
