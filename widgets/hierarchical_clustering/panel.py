"""Hierarchical Clustering's window: linkage and selection controls beside the dendrogram.

A click on a branch selects its sub-tree (Ctrl-click adds or removes one);
the selection is a setting, so it is undoable and saved with the workflow.
The tree, its layout and the clusters all come computed in the node's view.
"""
from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout,
                             QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton,
                             QRadioButton, QSpinBox, QVBoxLayout, QWidget)

from imgflow.engine import ERROR, RUNNING, WAITING
from imgflow.gui.panel import WidgetPanel

from .dendrogram import DendrogramPlot
from .layout import DendrogramView
from .tree import LINKAGES

MODES = (("manual", "Manual", "Click a branch to select it; Ctrl-click adds more."),
         ("height", "Height ratio:", "Cut the tree at a height: drag the line in the plot."),
         ("top_n", "Top N:", "The N clusters nearest the root."))


class HierarchicalClusteringPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        self.linkage_combo = QComboBox(self)
        self.linkage_combo.addItems([name.capitalize() for name in LINKAGES])
        self.linkage_combo.activated.connect(self._linkage_chosen)

        selection_box = QGroupBox("Selection", self)
        grid = QFormLayout(selection_box)
        self.mode_group = QButtonGroup(self)
        self.mode_buttons = {}
        for i, (key, label, tip) in enumerate(MODES):
            self.mode_buttons[key] = QRadioButton(label, selection_box)
            self.mode_buttons[key].setToolTip(tip)
            self.mode_group.addButton(self.mode_buttons[key], i)
        self.mode_group.buttonClicked.connect(self._mode_clicked)
        self.ratio_spin = QDoubleSpinBox(self, minimum=0.0, maximum=1.0, singleStep=0.05,
                                         decimals=3)
        self.ratio_spin.setKeyboardTracking(False)
        self.ratio_spin.valueChanged.connect(
            lambda v: self.set_settings("Cut height", selection="height", height_ratio=v))
        self.top_spin = QSpinBox(self, minimum=1, maximum=10000)
        self.top_spin.setKeyboardTracking(False)
        self.top_spin.valueChanged.connect(
            lambda v: self.set_settings("Top N", selection="top_n", top_n=v))
        self.clear_button = QPushButton("Clear selection", self)
        self.clear_button.clicked.connect(
            lambda: self.set_settings("Clear selection", selection="manual", selected=[]))
        grid.addRow(self.mode_buttons["manual"])
        grid.addRow(self.mode_buttons["height"], self.ratio_spin)
        grid.addRow(self.mode_buttons["top_n"], self.top_spin)
        grid.addRow(self.clear_button)

        display_box = QGroupBox("Display", self)
        form = QFormLayout(display_box)
        self.label_combo = QComboBox(self)
        self.label_combo.activated.connect(
            lambda i: self.set_settings("Labels", label_column=self.label_combo.itemText(i)))
        self.depth_spin = QSpinBox(self, minimum=0, maximum=200, specialValueText="automatic")
        self.depth_spin.setKeyboardTracking(False)
        self.depth_spin.setToolTip("Draw the tree to this depth; deeper branches are drawn "
                                   "as one leaf with a count")
        self.depth_spin.valueChanged.connect(
            lambda v: self.set_settings("Depth", max_depth=v))
        self.thumbs_box = QCheckBox("Images at the leaves", self)
        self.thumbs_box.toggled.connect(
            lambda on: self.set_settings("Images at the leaves", show_thumbnails=on))
        fit_button = QPushButton("Fit", self)
        fit_button.setToolTip("Show the whole tree (the wheel zooms along the leaves)")
        form.addRow("Labels:", self.label_combo)
        form.addRow("Depth:", self.depth_spin)
        form.addRow(self.thumbs_box)
        form.addRow(fit_button)

        self.progress = QProgressBar(self, maximum=1000, textVisible=False)
        self.progress.setFixedHeight(8)
        self.info = QLabel(self, wordWrap=True)
        self.info.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.plot = DendrogramPlot(self)
        self.plot.branchClicked.connect(self._branch_clicked)
        self.plot.cutMoved.connect(self._cut_moved)
        fit_button.clicked.connect(self.plot.fit)

        side = QVBoxLayout()
        linkage_row = QHBoxLayout()
        linkage_row.addWidget(QLabel("Linkage:", self))
        linkage_row.addWidget(self.linkage_combo, 1)
        side.addLayout(linkage_row)
        side.addWidget(selection_box)
        side.addWidget(display_box)
        side.addWidget(self.progress)
        side.addWidget(self.info, 1)
        side_widget = QWidget(self)
        side_widget.setLayout(side)
        side_widget.setFixedWidth(250)
        layout = QHBoxLayout(self)
        layout.addWidget(side_widget)
        layout.addWidget(self.plot, 1)
        self._shown_view = None
        self.resize(900, 600)

    # -- actions ---------------------------------------------------------------------
    def _linkage_chosen(self, index: int) -> None:
        # branch ids belong to one tree: a new linkage makes a new tree
        self.set_settings(f"Linkage: {LINKAGES[index]}", linkage=LINKAGES[index], selected=[])

    def _mode_clicked(self, button) -> None:
        mode = next(k for k, b in self.mode_buttons.items() if b is button)
        self.set_settings("Selection mode", selection=mode)

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
        s = self.settings
        widgets = (self.ratio_spin, self.top_spin, self.depth_spin, self.thumbs_box)
        for w in widgets:
            w.blockSignals(True)
        self.linkage_combo.setCurrentIndex(LINKAGES.index(s["linkage"]))
        self.mode_buttons[s["selection"]].setChecked(True)
        self.ratio_spin.setValue(s["height_ratio"])
        self.top_spin.setValue(s["top_n"])
        self.depth_spin.setValue(s["max_depth"])
        self.thumbs_box.setChecked(s["show_thumbnails"])
        for w in widgets:
            w.blockSignals(False)
        self._fill_labels()

    def _fill_labels(self) -> None:
        distances = self.state.inputs.get("Distances")
        table = getattr(distances, "table", None)
        names = [c.name for c in table.columns if c.kind in ("text", "categorical")] \
            if table is not None else []
        wanted = self.settings["label_column"]
        if wanted not in names:
            names.insert(0, wanted)
        self.label_combo.clear()
        self.label_combo.addItems(names)
        self.label_combo.setCurrentIndex(names.index(wanted))

    def state_changed(self, state) -> None:
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
            text = state.info or state.message or "No distances."
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
