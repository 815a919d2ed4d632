"""Neighbors' window: how many neighbours, the metric, whether a reference may be its own."""
from __future__ import annotations

from PyQt5.QtWidgets import QFormLayout, QVBoxLayout

from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel
from imgflow.widgets.common.status import StatusLine

from . import METRICS


class NeighborsPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        form = QFormLayout()
        self.k_spin = controls.spin(form, self, "k", label="Neighbours:", undo="Neighbours")
        self.metric_combo = controls.combo(
            form, self, "metric", label="Distance:",
            labels={key: name for key, (name, _tip) in METRICS.items()},
            tips={key: tip for key, (_name, tip) in METRICS.items()},
            undo=lambda metric: f"Distance: {METRICS[metric][0]}")
        self.exclude_box = controls.check(form, self, "exclude_references",
                                          label="A reference is not its own neighbour",
                                          undo="Exclude references")
        self.status = StatusLine("Searching…", self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.resize(340, 200)

    def state_changed(self, state) -> None:
        waiting = "Link Data and Reference (the same table on both searches every row)."
        self.status.show_state(state, waiting)
