"""Image Embedding's window: the embedder, remote server or timm model settings, the image column,
progress."""
from __future__ import annotations

import os

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                             QLabel, QLineEdit, QProgressBar, QPushButton, QSizePolicy,
                             QVBoxLayout)

from imgflow.engine import ERROR, RUNNING, WAITING
from imgflow.gui.panel import WidgetPanel

from . import TIMM_PREFIX, embedder_choices
from .run import EmbeddingSummary, resolve

FIRST_COLUMN = "(first image column)"


class ImageEmbeddingPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        self.embedder_combo = QComboBox(self)
        for model_id, name, description in embedder_choices():
            self.embedder_combo.addItem(name, model_id)
            self.embedder_combo.setItemData(self.embedder_combo.count() - 1, description,
                                            Qt.ToolTipRole)
        self.embedder_combo.activated.connect(self._embedder_chosen)
        self.description = QLabel(self, wordWrap=True)
        self.description.setStyleSheet("color: #606060;")

        self.remote_box = QGroupBox("Server", self)
        self.url_edit = QLineEdit(self, placeholderText="http://host:8750 (several: comma-separated)")
        self.url_edit.editingFinished.connect(
            lambda: self.set_settings("Server address", server_url=self.url_edit.text().strip()))
        self.remote_combo = QComboBox(self)
        for model_id, name, _ in embedder_choices()[:-2]:   # not timm:NAME nor remote
            self.remote_combo.addItem(name.replace(" (offline)", ""), model_id)
        self.remote_combo.activated.connect(
            lambda i: self.set_settings("Server model", remote_model=self.remote_combo.itemData(i)))
        self.token_edit = QLineEdit(self, placeholderText="none")
        self.token_edit.editingFinished.connect(
            lambda: self.set_settings("Token file", token_file=self.token_edit.text().strip()))
        token_button = QPushButton("…", self)
        token_button.setToolTip("Choose the file holding the server's access token")
        token_button.clicked.connect(self._choose_token)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(token_button)
        form = QFormLayout(self.remote_box)
        form.addRow("Address:", self.url_edit)
        form.addRow("Model:", self.remote_combo)
        form.addRow("Token file:", token_row)

        self.timm_box = self._make_timm_box()

        self.column_combo = QComboBox(self)
        self.column_combo.activated.connect(self._column_chosen)
        self.progress = QProgressBar(self, maximum=1000)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(lambda: self.host.engine.cancel(self.node.id))
        self.info = QLabel(self, wordWrap=True)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.info.setAlignment(Qt.AlignLeft | Qt.AlignTop)  # under the progress, not mid-window

        top = QFormLayout()
        top.addRow("Embedder:", self.embedder_combo)
        top.addRow("", self.description)
        top.addRow("Image column:", self.column_combo)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.remote_box)
        layout.addWidget(self.timm_box)
        layout.addLayout(progress_row)
        layout.addWidget(self.info, 1)
        self.resize(480, 400)  # room for the timm model's box

    def _make_timm_box(self) -> QGroupBox:
        """"Other timm model…": a name, and optionally a local weights file."""
        box = QGroupBox("timm model", self)
        self.timm_name_edit = QLineEdit(self, placeholderText="a name from timm, e.g. convnext_tiny")
        self.timm_name_edit.editingFinished.connect(self._timm_name_entered)
        self.weights_edit = QLineEdit(self, placeholderText="none: timm's download")
        self.weights_edit.editingFinished.connect(
            lambda: self.set_settings("Weights file", weights_file=self.weights_edit.text().strip()))
        weights_button = QPushButton("…", self)
        weights_button.setToolTip("Choose a state dict saved with torch.save")
        weights_button.clicked.connect(self._choose_weights)
        weights_row = QHBoxLayout()
        weights_row.addWidget(self.weights_edit, 1)
        weights_row.addWidget(weights_button)
        # says which file will be read: a workflow from elsewhere may name one
        # two unwrapped lines (a wrapped label is clipped in a group box); a long path
        # does not widen the window, and the tooltip shows all of it
        self.weights_source = QLabel(self)
        self.weights_source.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.weights_source.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Name:", self.timm_name_edit)
        form.addRow("Weights file:", weights_row)
        column = QVBoxLayout(box)
        column.addLayout(form)
        column.addWidget(self.weights_source)  # the whole width: paths are long
        return box

    # -- actions ---------------------------------------------------------------------
    def _embedder_chosen(self, index: int) -> None:
        model_id = self.embedder_combo.itemData(index)
        if model_id == TIMM_PREFIX:
            # nothing to run until a name is given
            self.timm_box.setVisible(True)
            self.remote_box.setVisible(False)
            self.timm_name_edit.setFocus()
            return
        self.set_settings(f"Embedder: {self.embedder_combo.itemText(index)}", embedder=model_id)

    def _timm_name_entered(self) -> None:
        name = self.timm_name_edit.text().strip()
        if name and not any(c.isspace() for c in name):
            self.set_settings(f"Embedder: timm {name}", embedder=TIMM_PREFIX + name)

    def _choose_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Weights file (torch.save state dict)",
                                              self.weights_edit.text(),
                                              "State dicts (*.pth *.pt *.bin);;All files (*)")
        if path:
            self.set_settings("Weights file", weights_file=path)

    def _column_chosen(self, index: int) -> None:
        name = self.column_combo.itemText(index)
        self.set_settings("Image column", image_column="" if index == 0 else name)

    def _choose_token(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Token file", self.token_edit.text())
        if path:
            self.set_settings("Token file", token_file=path)

    # -- hooks -----------------------------------------------------------------------
    def settings_changed(self) -> None:
        s = self.settings
        timm = s["embedder"].startswith(TIMM_PREFIX)
        index = self.embedder_combo.findData(TIMM_PREFIX if timm else s["embedder"])
        self.embedder_combo.setCurrentIndex(index)
        self.description.setText(self.embedder_combo.itemData(index, Qt.ToolTipRole) or "")
        self.remote_box.setVisible(s["embedder"] == "remote")
        self.timm_box.setVisible(timm)
        self.timm_name_edit.setText(s["embedder"][len(TIMM_PREFIX):] if timm else "")
        self.weights_edit.setText(s["weights_file"])
        self.weights_source.setText(self._weights_source())
        self.weights_source.setToolTip(self.weights_source.text())
        self.url_edit.setText(s["server_url"])
        self.remote_combo.setCurrentIndex(max(0, self.remote_combo.findData(s["remote_model"])))
        self.token_edit.setText(s["token_file"])
        self._fill_columns()

    def _weights_source(self) -> str:
        if not self.settings["weights_file"]:
            return "Weights: timm's download (once; timm keeps them)."
        base = self.host.engine.workflow_path
        path = resolve(self.settings["weights_file"], base.parent if base else None)
        return f"Loads weights from:\n{os.path.abspath(path)}"

    def _fill_columns(self) -> None:
        table = self.state.inputs.get("Images")
        names = [c.name for c in table.columns_of_kind("image")] if table is not None else []
        wanted = self.settings["image_column"]
        if wanted and wanted not in names:
            names.append(wanted)
        self.column_combo.clear()
        self.column_combo.addItems([FIRST_COLUMN] + names)
        self.column_combo.setCurrentIndex(names.index(wanted) + 1 if wanted else 0)

    def state_changed(self, state) -> None:
        busy = state.status in (RUNNING, WAITING)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.progress.setValue(int((state.progress or 0) * 1000))
        self._fill_columns()
        if state.status == ERROR:
            text = state.message
        elif state.status == RUNNING:
            text = "Embedding…"
        elif isinstance(state.view, EmbeddingSummary):
            v = state.view
            text = (f"{v.n_images - len(v.skipped)} of {v.n_images} images embedded by {v.model}:"
                    f" {v.n_cached} from the cache, {v.n_computed} computed, "
                    f"{len(v.skipped)} skipped.")
        else:
            text = state.message or "No images."
        if state.warnings:
            text += "\n" + "\n".join(state.warnings)
        self.info.setText(text)
