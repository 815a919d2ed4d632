"""The toolbox: widgets grouped by category, searchable, draggable onto the canvas."""
from __future__ import annotations

from PyQt5.QtCore import QSize, Qt, pyqtSignal
from PyQt5.QtWidgets import QAbstractItemView, QLineEdit, QTreeView, QVBoxLayout, QWidget

from ..registry import Registry
from .widget_model import WidgetFilter, WidgetModel


class Toolbox(QWidget):
    widget_activated = pyqtSignal(object)     # a widget class (double-click or Enter)

    def __init__(self, registry: Registry, parent=None):
        super().__init__(parent)
        self.model = WidgetModel(registry, parent=self)
        self.proxy = WidgetFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit(placeholderText="Search widgets…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setIconSize(QSize(28, 28))
        self.tree.setIndentation(10)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragOnly)
        self.tree.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.tree.activated.connect(self._activate)
        self.tree.setStyleSheet("QTreeView { border: none; } QTreeView::item { padding: 3px 2px; }")
        self.tree.expandAll()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)

    def sizeHint(self) -> QSize:
        return QSize(220, 500)

    def visible_widget_names(self) -> list[str]:
        """Names of the widgets the filter shows now (in order)."""
        names = []
        for row in range(self.proxy.rowCount()):
            category = self.proxy.index(row, 0)
            names += [self.proxy.index(r, 0, category).data()
                      for r in range(self.proxy.rowCount(category))]
        return names

    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        self.tree.expandAll()

    def _activate(self, index) -> None:
        widget = self.model.widget_at(self.proxy.mapToSource(index))
        if widget is not None:
            self.widget_activated.emit(widget)

    def _activate_first(self) -> None:
        if self.proxy.rowCount():
            category = self.proxy.index(0, 0)
            if self.proxy.rowCount(category):
                self._activate(self.proxy.index(0, 0, category))
