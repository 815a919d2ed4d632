"""Hierarchical Clustering's window: linkage and selection controls beside the dendrogram.

A click on a branch selects its sub-tree (Ctrl-click adds or removes one);
the selection is a setting, so it is undoable and saved with the workflow.
The tree, its layout and the clusters all come computed in the node's view.
"""
from __future__ import annotations

from PyQt5.QtCore import QSize, Qt
from PyQt5.QtWidgets import (QFormLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar,
                             QPushButton, QVBoxLayout, QWidget)

from imgflow.engine import ERROR, RUNNING, WAITING
from imgflow.gui import controls
from imgflow.gui.panel import WidgetPanel

from .dendrogram import READABLE_LEAVES, DendrogramPlot, plot_height_for
from .layout import DendrogramView
from .tree import LINKAGES

MODES = (("manual", "Manual", "Click a branch to select it; Ctrl-click adds more."),
         ("height", "Height ratio:", "Cut the tree at a height: drag the line in the plot."),
         ("top_n", "Top N:", "The N clusters nearest the root."))


class HierarchicalClusteringPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        side = QVBoxLayout()
        # branch ids belong to one tree: a new linkage makes a new tree
        self.linkage_combo = controls.combo(
            side, self, "linkage", label="Linkage:", labels={m: m.capitalize() for m in LINKAGES},
            undo=lambda method: f"Linkage: {method}", also={"selected": []})

        selection_box = controls.radio(side, self, "selection", label="Selection",
                                       labels={key: label for key, label, _tip in MODES},
                                       tips={key: tip for key, _label, tip in MODES},
                                       undo="Selection mode")
        self.mode_buttons = selection_box.buttons
        self.ratio_spin = controls.spin(None, self, "height_ratio", step=0.05, decimals=3,
                                        undo="Cut height", also={"selection": "height"})
        self.top_spin = controls.spin(None, self, "top_n", undo="Top N",
                                      also={"selection": "top_n"})
        self.clear_button = QPushButton("Clear selection", self)
        self.clear_button.clicked.connect(
            lambda: self.set_settings("Clear selection", selection="manual", selected=[]))
        grid = selection_box.layout()
        grid.addWidget(self.ratio_spin, 1, 1)
        grid.addWidget(self.top_spin, 2, 1)
        grid.addWidget(self.clear_button, 3, 0, 1, 2)

        # shown only while the Data input is connected: its settings mean nothing otherwise
        self.data_box = data_box = QGroupBox("Data input", self)
        data_box.setVisible(False)
        data_box.setToolTip("Rows given directly (not distances): clustered exactly while all "
                            "their distances fit in memory, else in two stages — k-means "
                            "groups, then Ward over the groups.")
        data_form = QFormLayout(data_box)
        self.two_stage_combo = controls.combo(
            data_form, self, "two_stage", label="Two stages:", undo="Two stages",
            labels={"auto": "When too big", "always": "Always", "never": "Never"},
            tips={"auto": "Exact while the distance matrix fits in memory, else two stages",
                  "always": "k-means groups, then Ward over them, whatever the size",
                  "never": "Always exact (refused when it would not fit in memory)"},
            also={"selected": []})
        self.groups_spin = controls.spin(data_form, self, "max_groups", label="Groups:",
                                         undo="Groups", also={"selected": []})

        display_box = QGroupBox("Display", self)
        form = QFormLayout(display_box)
        self.label_combo = controls.combo(form, self, "label_column", label="Labels:",
                                          choices=(), undo="Labels")
        self.depth_spin = controls.spin(form, self, "max_depth", label="Depth:",
                                        special="automatic")
        self.thumbs_box = controls.check(form, self, "show_thumbnails",
                                         label="Images at the leaves")
        fit_button = QPushButton("Fit", self)
        fit_button.setToolTip("Show the whole tree (the wheel zooms along the leaves)")
        form.addRow(fit_button)

        self.progress = QProgressBar(self, maximum=1000, textVisible=False)
        self.progress.setFixedHeight(8)
        self.info = QLabel(self, wordWrap=True)
        self.info.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.plot = DendrogramPlot(self)
        self.plot.branchClicked.connect(self._branch_clicked)
        self.plot.cutMoved.connect(self._cut_moved)
        fit_button.clicked.connect(self.plot.fit)

        side.addWidget(data_box)
        side.addWidget(display_box)
        side.addWidget(self.progress)
        side.addWidget(self.info, 1)
        side_widget = QWidget(self)
        side_widget.setLayout(side)
        side_widget.setFixedWidth(250)
        self.controls_area = side      # the bottom row (Apply) goes under the controls
        layout = QHBoxLayout(self)
        layout.addWidget(side_widget)
        layout.addWidget(self.plot, 1)
        self._shown_view = None
        self.resize(900, 600)

    def comfortable_size(self) -> QSize:
        """Room for the controls and a tree of 20 leaves with readable thumbnails."""
        margins = self.layout().contentsMargins()
        height = plot_height_for(READABLE_LEAVES) + margins.top() + margins.bottom()
        return super().comfortable_size().expandedTo(QSize(900, height))

    # -- actions ---------------------------------------------------------------------
    def _branch_clicked(self, node: int, add: bool) -> None:
        view = self.plot.view
        current = list(self.settings["selected"]) if self.settings["selection"] == "manual" else []
        if add:
            if node in current:
                current.remove(node)
            else:
                # a branch inside or around a selected one replaces it
                current = [v for v in current if not _nested(view, v, node)] + [node]
        else:
            current = [node]
        self.set_settings("Select branch", selection="manual", selected=current,
                          selected_tree=view.tree_fingerprint)

    def _cut_moved(self, height: float) -> None:
        view = self.plot.view
        if view is not None and view.root_height > 0:
            ratio = min(max(height / view.root_height, 0.0), 1.0)
            self.set_settings("Cut height", selection="height", height_ratio=round(ratio, 4))

    # -- hooks -----------------------------------------------------------------------
    def settings_changed(self) -> None:
        self._fill_labels()

    def _fill_labels(self) -> None:
        distances = self.state.inputs.get("Distances")
        table = getattr(distances, "table", None) if distances is not None \
            else self.state.inputs.get("Data")
        names = [c.name for c in table.columns if c.kind in ("text", "categorical")] \
            if table is not None else []
        wanted = self.settings["label_column"]
        if wanted not in names:
            names.insert(0, wanted)
        controls.set_choices(self.label_combo, names)

    def state_changed(self, state) -> None:
        self.data_box.setVisible(state.inputs.get("Data") is not None)
        busy = state.status in (RUNNING, WAITING)
        self.progress.setVisible(state.status == RUNNING)
        self.progress.setValue(int((state.progress or 0) * 1000))
        self._fill_labels()
        view = state.view if isinstance(state.view, DendrogramView) else None
        if not busy and view is not self._shown_view:
            self._shown_view = view
            self.plot.set_view(view, self.settings["show_thumbnails"])
        if state.status == ERROR:
            text = state.message
        elif busy:
            text = "Clustering…" if state.status == RUNNING else "Waiting…"
        else:
            text = state.info or state.message or "No distances or data."
            if view is not None and view.depth is not None:
                text += f"\nDrawn to depth {view.depth} ({len(view.leaf_nodes):,} leaves shown)."
        if state.warnings:
            text += "\n" + "\n".join(state.warnings)
        self.info.setText(text)


def _nested(view: DendrogramView | None, a: int, b: int) -> bool:
    """Whether branch a lies inside b or b inside a (by their leaf spans)."""
    if view is None:
        return False
    spans = dict(zip(view.nodes.tolist(), zip(view.node_lo.tolist(), view.node_hi.tolist())))
    if a not in spans or b not in spans:
        return False
    (a0, a1), (b0, b1) = spans[a], spans[b]
    return (a0 <= b0 and b1 <= a1) or (b0 <= a0 and a1 <= b1)
