"""Image Embedding's window: the embedder, remote server settings, the image column, progress."""
from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (QFormLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar,
                             QPushButton, QVBoxLayout)

from imgflow.engine import ERROR, RUNNING, WAITING
from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel

from . import embedder_choices
from .run import EmbeddingSummary

FIRST_COLUMN = "(first image column)"


class ImageEmbeddingPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        top = QFormLayout()
        choices = embedder_choices()
        names = {model_id: name for model_id, name, _ in choices}
        self.embedder_combo = controls.combo(
            top, self, "embedder", label="Embedder:", labels=names,
            tips={model_id: description for model_id, _, description in choices},
            undo=lambda model_id: f"Embedder: {names[model_id]}")
        self.description = QLabel(self, wordWrap=True)
        self.description.setStyleSheet("color: #606060;")
        top.addRow("", self.description)
        self.column_combo = controls.combo(top, self, "image_column", label="Image column:",
                                           choices=("",), labels={"": FIRST_COLUMN})

        self.remote_box = QGroupBox("Server", self)
        form = QFormLayout(self.remote_box)
        self.url_edit = controls.text(form, self, "server_url", label="Address:",
                                      placeholder="http://host:8750 (several: comma-separated)",
                                      undo="Server address")
        self.remote_combo = controls.combo(
            form, self, "remote_model", label="Model:", undo="Server model",
            choices=[model_id for model_id, _, _ in choices[:-1]],
            labels={model_id: name.replace(" (offline)", "") for model_id, name, _ in choices})
        self.token_edit = controls.path(form, self, "token_file", mode="open",
                                        label="Token file:", placeholder="none").edit

        self.progress = QProgressBar(self, maximum=1000)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(lambda: self.host.engine.cancel(self.node.id))
        self.info = QLabel(self, wordWrap=True)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.info.setAlignment(Qt.AlignLeft | Qt.AlignTop)  # under the progress, not mid-window

        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.remote_box)
        layout.addLayout(progress_row)
        layout.addWidget(self.info, 1)
        self.resize(480, 320)

    # -- hooks -----------------------------------------------------------------------
    def settings_changed(self) -> None:
        self.description.setText(self.embedder_combo.currentData(Qt.ToolTipRole) or "")
        self.remote_box.setVisible(self.settings["embedder"] == "remote")
        self._fill_columns()

    def _fill_columns(self) -> None:
        table = self.state.inputs.get("Images")
        names = [c.name for c in table.columns_of_kind("image")] if table is not None else []
        wanted = self.settings["image_column"]
        if wanted and wanted not in names:
            names.append(wanted)
        controls.set_choices(self.column_combo, [""] + names, {"": FIRST_COLUMN})

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
