"""The quick menu: a search popup for adding a widget where the user is working.

Opened by double-clicking empty canvas, by typing on the canvas, or by
dropping a link on empty canvas (then only widgets that fit are listed).
"""
from __future__ import annotations

from PyQt5.QtCore import QEvent, QEventLoop, QPoint, QSize, Qt
from PyQt5.QtWidgets import QFrame, QLabel, QLineEdit, QListView, QVBoxLayout

from ..registry import Registry
from .widget_model import WidgetFilter, WidgetModel


class QuickMenu(QFrame):
    def __init__(self, registry: Registry, parent=None):
        super().__init__(parent, Qt.Popup)
        self.setFrameShape(QFrame.StyledPanel)
        self.model = WidgetModel(registry, flat=True, parent=self)
        self.proxy = WidgetFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit(placeholderText="Search for a widget…")
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setIconSize(QSize(24, 24))
        self.list.setUniformItemSizes(True)
        self.list.clicked.connect(self._pick)
        self.list.activated.connect(self._pick)
        self.empty = QLabel("No widget fits here.")
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setStyleSheet("color: gray; padding: 8px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        self.resize(260, 320)
        self._chosen = None
        self._loop: QEventLoop | None = None

    def choose(self, screen_pos: QPoint, accept=None, text: str = ""):
        """Show at screen_pos and wait; the chosen widget class, or None."""
        self._chosen = None
        self.proxy.set_accept(accept)
        self.search.setText(text)
        self._filter(text)
        self.move(screen_pos)
        self.show()
        self.search.setFocus()
        self._loop = QEventLoop()
        self._loop.exec_()
        self._loop = None
        return self._chosen

    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        has_rows = self.proxy.rowCount() > 0
        self.list.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        if has_rows:
            self.list.setCurrentIndex(self.proxy.index(0, 0))

    def _pick(self, index) -> None:
        self._chosen = self.model.widget_at(self.proxy.mapToSource(index))
        self.hide()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.search and event.type() == QEvent.KeyPress:
            key = event.key()
            if key in (Qt.Key_Up, Qt.Key_Down, Qt.Key_PageUp, Qt.Key_PageDown):
                self.list.keyPressEvent(event)     # arrows move in the list, typing stays in search
                return True
            if key in (Qt.Key_Return, Qt.Key_Enter):
                if self.list.currentIndex().isValid():
                    self._pick(self.list.currentIndex())
                return True
        return super().eventFilter(obj, event)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        if self._loop is not None:
            self._loop.quit()
