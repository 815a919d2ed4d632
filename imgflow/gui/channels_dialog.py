"""Choosing which output feeds which input of a link (double-click a link,
or when several channel pairs fit equally well)."""
from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QStandardItem, QStandardItemModel
from PyQt5.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListView, QVBoxLayout

from ..workflow import Node, Workflow
from ..workflow.links import check_pairs, replaced_links

PAIR_ROLE = Qt.UserRole + 1


class ChannelsDialog(QDialog):
    def __init__(self, wf: Workflow, source: Node, sink: Node,
                 chosen: list[tuple[str, str]], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Edit Links")
        self.wf, self.source, self.sink = wf, source, sink
        self.model = QStandardItemModel(self)
        for out, inp in wf.compatible_channels(source, sink):
            self.model.appendRow(self._pair_item(out, inp, (out, inp) in chosen))
        self.list = QListView()
        self.list.setModel(self.model)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c0392b;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Links from <b>{source.title}</b> to <b>{sink.title}</b>:"))
        layout.addWidget(self.list)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.model.itemChanged.connect(lambda _item: self._validate())
        self._validate()
        self.resize(420, 260)

    def _pair_item(self, out: str, inp: str, checked: bool) -> QStandardItem:
        src_widget, dst_widget = self.wf.widget(self.source), self.wf.widget(self.sink)
        text = (f"{out} ({src_widget.output(out).type.__name__})  →  "
                f"{inp} ({dst_widget.input(inp).type.__name__})")
        others = [l for l in replaced_links(self.wf, self.source.id, out, self.sink.id, inp)
                  if l.source != self.source.id]
        if others:
            text += f"   (replaces the link from {self.wf.node(others[0].source).title})"
        item = QStandardItem(text)
        item.setCheckable(True)
        item.setCheckState(Qt.Checked if checked else Qt.Unchecked)
        item.setEditable(False)
        item.setData((out, inp), PAIR_ROLE)
        return item

    def pairs(self) -> list[tuple[str, str]]:
        return [tuple(self.model.item(r).data(PAIR_ROLE)) for r in range(self.model.rowCount())
                if self.model.item(r).checkState() == Qt.Checked]

    def set_pairs(self, pairs) -> None:
        for r in range(self.model.rowCount()):
            item = self.model.item(r)
            item.setCheckState(Qt.Checked if tuple(item.data(PAIR_ROLE)) in pairs else Qt.Unchecked)

    def _validate(self) -> None:
        problem = str(check_pairs(self.wf, self.source.id, self.sink.id, self.pairs()) or "")
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(not problem)


def choose_channels(parent, wf: Workflow, source: Node, sink: Node,
                    chosen: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    dialog = ChannelsDialog(wf, source, sink, chosen, parent)
    return dialog.pairs() if dialog.exec_() == QDialog.Accepted else None
