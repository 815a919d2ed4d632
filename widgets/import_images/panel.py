"""Import Images' window: the folder or storage URL (recent ones in a combo), sub-folders,
Reload, a summary."""
from __future__ import annotations

import os

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QInputDialog, QLabel,
                             QLineEdit, QProgressBar, QPushButton, QSizePolicy, QStyle,
                             QVBoxLayout)

from imgflow import trusted_servers
from imgflow.data import printable
from imgflow.embedders import storage
from imgflow.engine import ERROR
from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel
from imgflow.user_settings import UserSettingsError

from . import ImportSummary, with_recent

MAX_TOOLTIP_FILES = 30


class ImportImagesPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        self.setAcceptDrops(True)
        self.folder_combo = QComboBox(self)
        self.folder_combo.setMinimumContentsLength(30)
        self.folder_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.folder_combo.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.folder_combo.setToolTip("Recently used folders")
        self.folder_combo.activated.connect(self._recent_chosen)
        self.browse_button = QPushButton("Choose…", self)
        self.browse_button.setIcon(self.style().standardIcon(QStyle.SP_DirOpenIcon))
        self.browse_button.setToolTip("Choose a folder of images (or drop one on this window)")
        self.browse_button.clicked.connect(self._browse)
        self.url_button = QPushButton("URL…", self)
        self.url_button.setToolTip("Read images from object storage: s3://bucket/prefix, "
                                   "gs://bucket/prefix… (the bucket becomes trusted)")
        self.url_button.clicked.connect(self._enter_url)
        self.reload_button = QPushButton("Reload", self)
        self.reload_button.setIcon(self.style().standardIcon(QStyle.SP_BrowserReload))
        self.reload_button.setToolTip("Read the folder again (after files were added or removed)")
        self.reload_button.clicked.connect(self.reload)
        self.progress = QProgressBar(self, maximum=1000, textVisible=False)
        self.progress.setFixedHeight(8)
        self.info = QLabel(self, wordWrap=True)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.info.setMinimumHeight(self.info.fontMetrics().height() * 3)
        self.info.setAlignment(Qt.AlignLeft | Qt.AlignTop)

        row = QHBoxLayout()
        row.addWidget(QLabel("Folder:", self))
        row.addWidget(self.folder_combo, 1)
        row.addWidget(self.browse_button)
        row.addWidget(self.url_button)
        row.addWidget(self.reload_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        self.recursive_box = controls.check(layout, self, "recursive", undo="Include sub-folders",
                                            label="Include sub-folders (their names become "
                                                  "categories)")
        layout.addWidget(self.progress)
        layout.addWidget(self.info, 1)
        self.resize(560, 170)

    # -- actions --------------------------------------------------------------------
    def choose_directory(self, path: str) -> None:
        """Use this folder (and put it first among the recent ones); the same one again reloads.

        A storage URL chosen here is the user's choice: its bucket becomes trusted."""
        if storage.is_storage_url(path.strip()):
            path = path.strip()
            if storage.scheme(path) not in storage.FREE:
                try:
                    trusted_servers.add(path)
                except (ValueError, UserSettingsError):
                    pass                # the node says what is wrong with the address
        elif storage.scheme(path.strip()) is None:
            path = os.path.abspath(os.path.expanduser(path))
        else:
            path = path.strip()         # file:///x: compute reads it as the folder /x
        if path == self.settings["directory"]:
            self.reload()
        self.set_settings("Choose folder", directory=path,
                          recent=with_recent(self.settings["recent"], path))

    def reload(self) -> None:
        self.host.engine.invalidate(self.node.id)

    def _browse(self) -> None:
        start = self.settings["directory"] or os.path.expanduser("~")
        path = QFileDialog.getExistingDirectory(self, "Folder of images", start)
        if path:
            self.choose_directory(path)

    def _enter_url(self) -> None:
        current = self.settings["directory"]
        start = current if storage.is_storage_url(current) else "s3://"
        url, ok = QInputDialog.getText(self, "Images in object storage",
                                       "URL of a bucket or folder (s3://, gs://, …):",
                                       QLineEdit.Normal, start)
        if not ok or not url.strip():
            return
        if storage.is_storage_url(url.strip()):
            self.choose_directory(url)
        else:       # an http(s) page or a plain path: not something a bucket listing reads
            self.info.setText(f"Not an object-storage URL: {printable(url.strip())} "
                              "(give s3://bucket/prefix, gs://…, or Choose… a folder)")

    def _recent_chosen(self, index: int) -> None:
        path = self.folder_combo.itemData(index)
        if path:
            self.choose_directory(path)

    def dragEnterEvent(self, event) -> None:
        if self._dropped_folder(event):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        folder = self._dropped_folder(event)
        if folder:
            self.choose_directory(folder)

    @staticmethod
    def _dropped_folder(event) -> str | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        return next((p for p in paths if os.path.isdir(p)), None)

    # -- hooks ------------------------------------------------------------------------
    def settings_changed(self) -> None:
        directory, recent = self.settings["directory"], self.settings["recent"]
        folders = ([directory] if directory else []) + [r for r in recent if r != directory]
        self.folder_combo.clear()
        for folder in folders:
            # shown readably; the item's data keeps the exact name
            self.folder_combo.addItem(printable(_short(folder)), folder)
            self.folder_combo.setItemData(self.folder_combo.count() - 1, printable(folder),
                                          Qt.ToolTipRole)
        if not folders:
            self.folder_combo.addItem("(no folder chosen)", "")
        self.folder_combo.setCurrentIndex(0)

    def state_changed(self, state) -> None:
        busy = state.busy
        self.progress.setVisible(busy)
        self.progress.setValue(int((state.progress or 0) * 1000))
        if busy:
            self.info.setText("Reading the folder…")
            return
        if state.status == ERROR:
            self.info.setText(state.message)
            self.info.setToolTip("")
            return
        summary = state.view if isinstance(state.view, ImportSummary) else None
        self.info.setText(describe(summary, state.message, self.settings["recursive"]))
        self.info.setToolTip(_skipped_tooltip(summary))


def describe(summary: ImportSummary | None, message: str = "", recursive: bool = True) -> str:
    """The info line: images, categories, skipped files."""
    if summary is None:
        return message or "Choose a folder of images."
    if not summary.n_images:
        text = "No images in this folder" + ("." if recursive else
                                             " (sub-folders are not searched).")
    else:
        text = f"{summary.n_images:,} images"
        if summary.categories:
            n = len(summary.categories)
            shown = ", ".join(map(printable, summary.categories[:6])) + (", …" if n > 6 else "")
            text += f" in {n} categories ({shown})"
        text += "."
    if summary.skipped:
        n = len(summary.skipped)
        text += (f"\n{n} file{'s' if n > 1 else ''} skipped (not readable images); "
                 "hover to see which.")
    return text


def _skipped_tooltip(summary: ImportSummary | None) -> str:
    if summary is None or not summary.skipped:
        return ""
    lines = [f"{printable(path)}: {reason}"
             for path, reason in summary.skipped[:MAX_TOOLTIP_FILES]]
    if len(summary.skipped) > MAX_TOOLTIP_FILES:
        lines.append(f"… and {len(summary.skipped) - MAX_TOOLTIP_FILES} more")
    return "\n".join(lines)


def _short(path: str) -> str:
    """A folder as shown in the combo: home abbreviated to ~."""
    if "://" in path:
        return path
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if home != "/" and path.startswith(home + os.sep) else path
