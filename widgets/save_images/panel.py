"""Save Images' window: the folder, how to group, the format and size, and what was saved."""
from __future__ import annotations

from PyQt5.QtWidgets import QFormLayout, QHBoxLayout, QPushButton, QVBoxLayout

from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel
from imgflow.widgets.common.status import StatusLine

from . import MAX_LISTED, SaveSummary

GROUP_LABELS = {"auto": "Automatic (Cluster, else category)", "none": "None (one folder)"}
FORMAT_LABELS = {"original": "Original files (unchanged)", "png": "PNG", "jpeg": "JPEG"}


class SaveImagesPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        form = QFormLayout()
        self.folder = controls.path(form, self, "directory", mode="directory", label="Folder:",
                                    caption="Save the images into", undo="Folder")
        self.group_combo = controls.combo(form, self, "group_by", label="Sub-folders by:",
                                          choices=tuple(GROUP_LABELS), labels=GROUP_LABELS,
                                          undo="Group by")
        self.format_combo = controls.combo(form, self, "format", label="Format:",
                                           labels=FORMAT_LABELS, undo="Format")
        self.size_spin = controls.spin(form, self, "max_size", label="Longest side:",
                                       special="Keep the size", suffix=" px", step=64,
                                       undo="Longest side")
        self.overwrite = controls.radio(form, self, "overwrite", label="Existing files",
                                        labels={"never": "Keep them (save as name-1, …)",
                                                "replace": "Replace them"})
        self.save_button = QPushButton("Save again", self)
        self.save_button.setToolTip("Save the images again (after files in the folder changed)")
        self.save_button.clicked.connect(lambda: self.host.engine.invalidate(self.node.id))
        self.status = StatusLine("Saving…", self)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.resize(480, 320)

    def settings_changed(self) -> None:
        self._offer_columns(self.state.inputs.get("Data"))

    def _offer_columns(self, table) -> None:
        columns = [c.name for c in table.columns if c.kind in ("categorical", "text")] \
            if table is not None else []
        current = self.settings["group_by"]
        choices = list(GROUP_LABELS) + columns
        if current not in choices:
            choices.append(current)        # a column the data lacks now: still shown
        controls.set_choices(self.group_combo, choices, GROUP_LABELS)

    def state_changed(self, state) -> None:
        self._offer_columns(state.inputs.get("Data"))
        self.save_button.setEnabled(state.inputs.get("Data") is not None and not state.busy)
        self.status.show_state(state, "Link a table with images (e.g. a clustering's Data).")
        summary = state.view
        if isinstance(summary, SaveSummary) and summary.failed:
            self.status.info.setToolTip("\n".join(f"{source}: {reason}" for source, reason
                                                  in summary.failed[:10 * MAX_LISTED]))
        else:
            self.status.info.setToolTip("")
