"""Image Embedding's window: the embedder, remote server, timm model or Dask cluster settings, the
image column, progress."""
from __future__ import annotations

import os

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                             QLabel, QLineEdit, QProgressBar, QPushButton, QSizePolicy,
                             QVBoxLayout)

from imgflow import trusted_servers
from imgflow.engine import ERROR, RUNNING, WAITING
from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel
from imgflow.gui.preferences import show_preferences
from imgflow.user_settings import UserSettingsError
from imgflow.widgets.common.images import resolve

from . import TIMM_PREFIX, embedder_choices
from .cluster import SCHEMES, scheduler_address
from .run import EmbeddingSummary, server_urls

FIRST_COLUMN = "(first image column)"


class ImageEmbeddingPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        top = QFormLayout()
        choices = embedder_choices()
        # Hand-wired, not bound: "Other timm model…" is a choice that is no setting value
        # until a name is given.
        self.embedder_combo = QComboBox(self)
        for model_id, name, description in choices:
            self.embedder_combo.addItem(name, model_id)
            self.embedder_combo.setItemData(self.embedder_combo.count() - 1, description,
                                            Qt.ToolTipRole)
        self.embedder_combo.activated.connect(self._embedder_chosen)
        top.addRow("Embedder:", self.embedder_combo)
        self.description = QLabel(self, wordWrap=True)
        self.description.setStyleSheet("color: #606060;")
        top.addRow("", self.description)
        self.column_combo = controls.combo(top, self, "image_column", label="Image column:",
                                           choices=("",), labels={"": FIRST_COLUMN})

        self.remote_box = QGroupBox("Server", self)
        form = QFormLayout(self.remote_box)
        # Hand-wired, not bound: an address typed here is the user's choice, so it is trusted
        # before the setting changes (and the node runs).
        self.url_edit = QLineEdit(self, placeholderText="http://host:8750 (several: comma-separated)")
        self.url_edit.editingFinished.connect(self._url_edited)
        form.addRow("Address:", self.url_edit)
        listed = [(model_id, name) for model_id, name, _ in choices
                  if model_id not in (TIMM_PREFIX, "remote")]
        self.remote_combo = controls.combo(
            form, self, "remote_model", label="Model:", undo="Server model",
            choices=[model_id for model_id, _ in listed],
            labels={model_id: name.replace(" (offline, recommended)", "").replace(" (offline)", "")
                    for model_id, name in listed})
        self.trust_label = QLabel(self)
        servers_button = QPushButton("Servers…", self)
        servers_button.setToolTip("Your trusted servers and their access tokens (Preferences)")
        servers_button.clicked.connect(self._edit_servers)
        trust_row = QHBoxLayout()
        trust_row.addWidget(self.trust_label, 1)
        trust_row.addWidget(servers_button)
        form.addRow("Trust:", trust_row)

        self.timm_box = self._make_timm_box()
        self.cluster_box = self._make_cluster_box()

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
        layout.addWidget(self.timm_box)
        layout.addWidget(self.cluster_box)
        layout.addLayout(progress_row)
        layout.addWidget(self.info, 1)
        self.resize(480, 480)  # room for the timm model's and the cluster's boxes

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

    def _make_cluster_box(self) -> QGroupBox:
        """Where a local model runs: here, or on a Dask cluster's workers."""
        box = QGroupBox("Dask cluster", self)
        form = QFormLayout(box)
        # Hand-wired, not bound: a scheduler typed here is the user's choice, so it is
        # trusted before the setting changes (and the node runs).
        self.scheduler_edit = QLineEdit(self, placeholderText="none: here (or tcp://host:8786)")
        self.scheduler_edit.setToolTip("A Dask scheduler: its workers read the images "
                                       "and embed them")
        self.scheduler_edit.editingFinished.connect(self._scheduler_edited)
        form.addRow("Scheduler:", self.scheduler_edit)
        self.scheduler_trust = QLabel(self, wordWrap=True)
        form.addRow("Trust:", self.scheduler_trust)
        return box

    # -- actions ---------------------------------------------------------------------
    def _embedder_chosen(self, index: int) -> None:
        model_id = self.embedder_combo.itemData(index)
        if model_id == TIMM_PREFIX:
            # nothing to run until a name is given
            self.timm_box.setVisible(True)
            self.remote_box.setVisible(False)
            self.cluster_box.setVisible(True)
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

    def _url_edited(self) -> None:
        text = self.url_edit.text().strip()
        if text == self.settings["server_url"]:
            return                      # focus left the field: not a choice the user made
        # Typed here by the user: their choice, so these servers become trusted.
        for url in server_urls(text):
            try:
                trusted_servers.add(url)
            except (ValueError, UserSettingsError):
                pass                    # the node says what is wrong with the address
        self.set_settings("Server address", server_url=text)

    def _scheduler_edited(self) -> None:
        text = self.scheduler_edit.text().strip()
        if text == self.settings["dask_scheduler"]:
            return                      # focus left the field: not a choice the user made
        # Typed here by the user: their choice, so the scheduler becomes trusted.
        if text and scheduler_address(text).startswith(SCHEMES):
            try:
                trusted_servers.add(scheduler_address(text))
            except (ValueError, UserSettingsError):
                pass                    # the node says what is wrong with the address
        self.set_settings("Dask scheduler", dask_scheduler=text)

    def _show_scheduler_trust(self) -> None:
        text = self.settings["dask_scheduler"].strip()
        try:
            trusted = bool(text) and trusted_servers.is_trusted(scheduler_address(text))
        except UserSettingsError as exc:
            self.scheduler_trust.setText(str(exc))
            return
        self.scheduler_trust.setText(
            "Empty: the model runs on this computer." if not text else
            "Trusted: its workers read the images and embed them." if trusted else
            "Not trusted: nothing is sent there.")

    def _edit_servers(self) -> None:
        show_preferences(self)
        self._show_trust()
        self._show_scheduler_trust()
        if self.settings["embedder"] == "remote" or self.settings["dask_scheduler"].strip():
            self.host.engine.invalidate(self.node.id)   # a new token or trust: try again

    def _show_trust(self) -> None:
        urls = server_urls(self.settings["server_url"])
        try:
            found = {u: trusted_servers.find(u) for u in urls if trusted_servers.is_trusted(u)}
        except (ValueError, UserSettingsError) as exc:
            self.trust_label.setText(str(exc))
            return
        if not urls:
            text = "Addresses you type here become trusted."
        elif not found:
            text = "Not trusted: nothing is sent there."
        elif len(found) < len(urls):
            text = "Not trusted: " + ", ".join(u for u in urls if u not in found)
        else:
            tokens = sum(1 for e in found.values() if e is not None and e.token)
            text = "Trusted" + (", with a token" if tokens == len(urls) else
                                ", no token" if not tokens else ", some with a token")
        self.trust_label.setText(text)

    # -- hooks -----------------------------------------------------------------------
    def settings_changed(self) -> None:
        s = self.settings
        timm = s["embedder"].startswith(TIMM_PREFIX)
        index = self.embedder_combo.findData(TIMM_PREFIX if timm else s["embedder"])
        self.embedder_combo.setCurrentIndex(index)
        self.description.setText(self.embedder_combo.itemData(index, Qt.ToolTipRole) or "")
        self.remote_box.setVisible(s["embedder"] == "remote")
        self.timm_box.setVisible(timm)
        self.cluster_box.setVisible(s["embedder"] != "remote")
        if not self.scheduler_edit.hasFocus():
            self.scheduler_edit.setText(s["dask_scheduler"])
        self._show_scheduler_trust()
        self.timm_name_edit.setText(s["embedder"][len(TIMM_PREFIX):] if timm else "")
        self.weights_edit.setText(s["weights_file"])
        self.weights_source.setText(self._weights_source())
        self.weights_source.setToolTip(self.weights_source.text())
        if not self.url_edit.hasFocus():    # never overwrite what the user is typing
            self.url_edit.setText(s["server_url"])
        self._show_trust()
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
