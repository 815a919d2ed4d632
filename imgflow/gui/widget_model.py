"""The widgets of a registry as a Qt item model, and a filter for searching it.

Shared by the toolbox (grouped by category) and the quick menu (flat list);
items carry the widget id, so dragging one produces the same mime data the
canvas accepts on drop.
"""
from __future__ import annotations

import html

from PyQt5.QtCore import QMimeData, QSortFilterProxyModel, Qt
from PyQt5.QtGui import QFont, QStandardItem, QStandardItemModel

from ..registry import Registry
from ..widget_help import summary
from .icons import category_icon, widget_icon
from .view import WIDGET_MIME

WIDGET_ID_ROLE = Qt.UserRole + 1
SEARCH_ROLE = Qt.UserRole + 2


def _type_name(t: type) -> str:
    return getattr(t, "__name__", str(t))


def widget_tooltip(widget) -> str:
    """The one-line description, inputs and outputs, for hovering over a widget."""
    parts = [f"<b>{html.escape(widget.name)}</b>"]
    if widget.description:
        parts.append(html.escape(summary(widget)))
    for label, channels in (("Inputs", widget.inputs), ("Outputs", widget.outputs)):
        names = ", ".join(f"{html.escape(c.name)} <span style='color:gray'>"
                          f"({_type_name(c.type)})</span>" for c in channels) or "none"
        parts.append(f"<b>{label}:</b> {names}")
    return "<br>".join(parts)


class WidgetModel(QStandardItemModel):
    def __init__(self, registry: Registry, flat: bool = False, parent=None):
        super().__init__(parent)
        self.registry = registry
        for category, widgets in registry.categories().items():
            parent_item = self.invisibleRootItem()
            if not flat:
                parent_item = QStandardItem(category_icon(category), category)
                font = QFont(parent_item.font())
                font.setBold(True)
                parent_item.setFont(font)
                parent_item.setFlags(Qt.ItemIsEnabled)
                parent_item.setData(category.lower(), SEARCH_ROLE)
                self.appendRow(parent_item)
            for widget in widgets:
                parent_item.appendRow(self._widget_item(widget, flat))

    @staticmethod
    def _widget_item(widget, flat: bool) -> QStandardItem:
        item = QStandardItem(widget_icon(widget), widget.name)
        item.setData(widget.id, WIDGET_ID_ROLE)
        item.setData(" ".join([widget.name, widget.category, *widget.keywords,
                               widget.description]).lower(), SEARCH_ROLE)
        item.setToolTip(widget_tooltip(widget))
        item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
        if flat:
            item.setData(widget.category, Qt.StatusTipRole)
        return item

    def widget_at(self, index):
        widget_id = index.data(WIDGET_ID_ROLE)
        return self.registry.get(widget_id) if widget_id else None

    def mimeTypes(self) -> list[str]:
        return [WIDGET_MIME]

    def mimeData(self, indexes) -> QMimeData:
        mime = QMimeData()
        ids = [i.data(WIDGET_ID_ROLE) for i in indexes if i.data(WIDGET_ID_ROLE)]
        if ids:
            mime.setData(WIDGET_MIME, ids[0].encode("utf-8"))
        return mime


class WidgetFilter(QSortFilterProxyModel):
    """Keeps widgets whose name, category, keywords or description hold every typed word,
    and (optionally) only those an ``accept`` predicate allows."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self._words: list[str] = []
        self._accept = None

    def set_text(self, text: str) -> None:
        self._words = text.lower().split()
        self.invalidateFilter()

    def set_accept(self, accept) -> None:
        self._accept = accept
        self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:
        index = self.sourceModel().index(row, 0, parent)
        widget_id = index.data(WIDGET_ID_ROLE)
        if widget_id is None:
            return False   # a category shows when one of its widgets does (recursive filtering)
        if self._accept is not None and not self._accept(self.sourceModel().registry.get(widget_id)):
            return False
        haystack = index.data(SEARCH_ROLE) or ""
        return all(word in haystack for word in self._words)
