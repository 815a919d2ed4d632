"""Duplicates' window: the threshold, the pixel check, and each group's images side by side."""
from __future__ import annotations

from PyQt5.QtWidgets import QFormLayout, QVBoxLayout

from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel
from imgflow.widgets.common.status import StatusLine
from imgflow.widgets.common.thumbnails import ThumbnailLoader

from . import DuplicatesView
from .groups_view import GroupsList, GroupsModel


class DuplicatesPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        form = QFormLayout()
        self.threshold_spin = controls.spin(form, self, "threshold", label="Threshold:",
                                            step=0.01, decimals=3, undo="Threshold")
        self.pixels_box = controls.check(form, self, "compare_pixels",
                                         label="Confirm by comparing the images' pixels",
                                         undo="Compare pixels")
        self.status = StatusLine("Comparing…", self)
        self.loader = ThumbnailLoader(self)
        self.model = GroupsModel(self)
        self.groups = GroupsList(self.loader, self)
        self.groups.setModel(self.model)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.groups, 1)
        self.resize(720, 520)

    def state_changed(self, state) -> None:
        self.status.show_state(state, "Link embeddings of images (Image Embedding).")
        view = state.view if isinstance(state.view, DuplicatesView) else None
        if view is not self.model.view:
            self.loader.clear_pending()
            self.model.set_view(view)
