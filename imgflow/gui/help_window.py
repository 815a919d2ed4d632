"""The help window: every widget's page (``widget_help``) in a QTextBrowser.

F1 on a node, F1 or "?" in a widget's window, and Help → Widgets open it.
One help window per top-level window: asking again shows another page in it.
The page is the same Markdown that ``imgflow help`` prints as text.
"""
from __future__ import annotations

from PyQt5.QtCore import QSize, Qt, QUrl
from PyQt5.QtGui import QImage, QTextDocument
from PyQt5.QtWidgets import (QHBoxLayout, QListWidget, QListWidgetItem, QSplitter, QTextBrowser,
                             QWidget)

from ..registry import Registry
from ..widget_help import HelpPage, summary, widget_page
from .icons import widget_icon

WIDGET_ID_ROLE = Qt.UserRole + 1
PICTURE_WIDTH = 460      # pictures wider than this are shown reduced, beside readable text


class PageBrowser(QTextBrowser):
    """Shows one page; its pictures come from the widget's guide folder."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.page: HelpPage | None = None
        self.setOpenExternalLinks(True)
        self.document().setDocumentMargin(12)

    def show_page(self, page: HelpPage) -> None:
        self.page = page
        self.setMarkdown(page.markdown)

    def loadResource(self, kind: int, url: QUrl):
        if kind == QTextDocument.ImageResource and self.page is not None:
            path = self.page.images.get(url.toString())
            if path is not None:
                image = QImage(str(path))
                if image.width() > PICTURE_WIDTH:
                    image = image.scaledToWidth(PICTURE_WIDTH, Qt.SmoothTransformation)
                return image
        return super().loadResource(kind, url)


class HelpWindow(QWidget):
    def __init__(self, registry: Registry, parent: QWidget | None = None):
        super().__init__(parent, Qt.Window)
        self.registry = registry
        self.setWindowTitle("Widget Help — imgflow")
        self.index = QListWidget()
        self.index.setIconSize(QSize(24, 24))
        for widget in registry.widgets():
            item = QListWidgetItem(widget_icon(widget), widget.name)
            item.setData(WIDGET_ID_ROLE, widget.id)
            item.setToolTip(summary(widget))
            self.index.addItem(item)
        self.index.currentItemChanged.connect(self._chosen)
        self.browser = PageBrowser()
        splitter = QSplitter()
        splitter.addWidget(self.index)
        splitter.addWidget(self.browser)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([190, 610])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.resize(860, 680)

    @property
    def widget_id(self) -> str | None:
        page = self.browser.page
        return page.widget.id if page is not None else None

    def show_widget(self, widget_id: str | None = None) -> None:
        """Show a widget's page (the first widget's when None or unknown)."""
        rows = [self.index.item(r).data(WIDGET_ID_ROLE) for r in range(self.index.count())]
        row = rows.index(widget_id) if widget_id in rows else 0
        if rows:
            self.index.setCurrentRow(row)
            self._chosen(self.index.item(row))

    def _chosen(self, item, _previous=None) -> None:
        widget = self.registry.get(item.data(WIDGET_ID_ROLE)) if item is not None else None
        if widget is not None and widget.id != self.widget_id:
            self.browser.show_page(widget_page(widget))


def show_widget_help(registry: Registry, widget_id: str | None, near: QWidget | None) -> HelpWindow:
    """Open (or raise) the help window of ``near``'s top-level window at a widget's page."""
    root = near
    while root is not None and root.parentWidget() is not None:
        root = root.parentWidget()
    window = None
    if root is not None:
        window = next((w for w in root.findChildren(HelpWindow, "", Qt.FindDirectChildrenOnly)
                       if w.registry is registry), None)
    if window is None:
        window = HelpWindow(registry, root)
    window.show_widget(widget_id)
    window.show()
    window.raise_()
    window.activateWindow()
    return window
