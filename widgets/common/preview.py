"""A full-size preview of one image: Space or a double-click opens it, arrows go through the rest.

The window fits the screen: an image larger than the screen is shown shrunk
to fit, a smaller one at its own size.  Images are decoded in a thread (with
the shared loading module, so every format, EXIF turn and size limit behaves
as in import and embedding), and the neighbours of the shown image are read
ahead, so that stepping with the arrow keys does not wait on the disk.

    preview = attach_preview(grid, model.source, model.title)  # an item view's images
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from PyQt5.QtCore import QEvent, QObject, QRect, QRunnable, QSize, Qt, QThreadPool, pyqtSignal
from PyQt5.QtGui import QGuiApplication, QPainter, QPalette, QPixmap
from PyQt5.QtWidgets import QAbstractItemView, QApplication, QWidget

from imgflow.embedders.images import ImageSkipped, is_url, open_rgb, read_bytes, read_size
from imgflow.widgets.common.thumbnails import pil_to_qimage

SCREEN_SHARE = 0.9         # of the screen's free area the window may take
CAPTION_HEIGHT = 28
READ_AHEAD = 1             # images decoded ahead on each side
KEPT = 5                   # decoded images kept for going back and forth


def load_for_screen(source: str, fit: QSize):
    """(QImage no larger than ``fit``, (width, height) of the original), or ImageSkipped."""
    data = read_bytes(source)
    image = open_rgb(data, target=(fit.width(), fit.height()))
    # JPEGs are decoded at a reduced scale when that still fills the screen: the
    # original size comes from the header
    original = image.size if is_url(source) else read_size(source)
    if image.width > fit.width() or image.height > fit.height():
        image.thumbnail((fit.width(), fit.height()))
    return pil_to_qimage(image), original


class _Carrier(QObject):
    done = pyqtSignal(str, object, object, str)      # source, QImage or None, size, reason


class _Load(QRunnable):
    def __init__(self, source: str, fit: QSize, carrier: _Carrier):
        super().__init__()
        self.source, self.fit, self.carrier = source, fit, carrier

    def run(self) -> None:
        image, size, reason = None, None, ""
        try:
            image, size = load_for_screen(self.source, self.fit)
        except ImageSkipped as exc:
            reason = str(exc) or "not an image"
        except Exception as exc:  # a preview must never take the panel down
            reason = f"cannot load ({type(exc).__name__})"
        try:
            self.carrier.done.emit(self.source, image, size, reason)
        except RuntimeError:       # the window was closed and deleted meanwhile
            pass


class PreviewWindow(QWidget):
    """One image at a time from a list of sources; Left/Right step, Esc or Space closes."""
    moved = pyqtSignal(int)        # the row now shown

    def __init__(self, parent: QWidget | None = None, pool: QThreadPool | None = None):
        super().__init__(parent, Qt.Window)
        self.setAttribute(Qt.WA_DeleteOnClose, False)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setBackgroundRole(QPalette.Dark)
        self.setAutoFillBackground(True)
        self._pool = pool or QThreadPool.globalInstance()
        self._carrier = _Carrier(self)
        self._carrier.done.connect(self._arrived, Qt.QueuedConnection)
        self._count: Callable[[], int] = lambda: 0
        self._source: Callable[[int], str | None] = lambda row: None
        self._title: Callable[[int], str] = lambda row: ""
        self._images: OrderedDict[str, tuple] = OrderedDict()   # source -> (pixmap, size, reason)
        self._asked: set[str] = set()
        self.row = -1

    # -- what to show -------------------------------------------------------------
    def set_items(self, count: Callable[[], int], source: Callable[[int], str | None],
                  title: Callable[[int], str]) -> None:
        self._count, self._source, self._title = count, source, title

    def show_row(self, row: int) -> None:
        if not 0 <= row < self._count():
            return
        self.row = row
        self._fit_to_screen()
        if not self.isVisible():
            self.show()
        self.raise_()
        self.activateWindow()
        for near in range(row - READ_AHEAD, row + READ_AHEAD + 1):
            self._request(near)
        self._update_title()
        self.update()
        self.moved.emit(row)

    @property
    def current(self) -> tuple | None:
        """(QPixmap or None, original size, reason) of the shown row once loaded, else None."""
        source = self._source(self.row) if self.row >= 0 else None
        return self._images.get(source) if source else None

    def screen_fit(self) -> QSize:
        screen = (self.parentWidget() or self).screen() or QGuiApplication.primaryScreen()
        free = screen.availableGeometry()
        return QSize(int(free.width() * SCREEN_SHARE),
                     int(free.height() * SCREEN_SHARE) - CAPTION_HEIGHT)

    # -- loading ------------------------------------------------------------------
    def _request(self, row: int) -> None:
        if not 0 <= row < self._count():
            return
        source = self._source(row)
        if not source or source in self._images or source in self._asked:
            return
        self._asked.add(source)
        self._pool.start(_Load(source, self.screen_fit(), self._carrier))

    def _arrived(self, source: str, image, size, reason: str) -> None:
        self._asked.discard(source)
        pixmap = QPixmap.fromImage(image) if image is not None else None
        self._images[source] = (pixmap, size, reason)
        while len(self._images) > KEPT:
            self._images.popitem(last=False)
        if source == self._source(self.row):
            self._update_title()
            self._fit_to_screen()
            self.update()

    # -- window -------------------------------------------------------------------
    def _fit_to_screen(self) -> None:
        """The window takes the image's size (within the screen), centred where it was."""
        fit = self.screen_fit()
        shown = self.current
        want = QSize(480, 360)
        if shown and shown[0] is not None:
            want = shown[0].size()
        want = QSize(max(320, min(want.width(), fit.width())),
                     max(240, min(want.height(), fit.height())) + CAPTION_HEIGHT)
        if self.isVisible() and self.size() == want:
            return
        centre = self.geometry().center() if self.isVisible() else None
        self.resize(want)
        if centre is None:
            screen = (self.parentWidget() or self).screen() or QGuiApplication.primaryScreen()
            centre = screen.availableGeometry().center()
        frame = self.frameGeometry()
        frame.moveCenter(centre)
        self.move(frame.topLeft())

    def _update_title(self) -> None:
        n = self._count()
        title = self._title(self.row) if self.row >= 0 else ""
        shown = self.current
        size = f" — {shown[1][0]} × {shown[1][1]}" if shown and shown[1] else ""
        self.setWindowTitle(f"{title} ({self.row + 1} of {n}){size}")

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key_Right, Qt.Key_Down, Qt.Key_PageDown):
            self.show_row(min(self.row + 1, self._count() - 1))
        elif key in (Qt.Key_Left, Qt.Key_Up, Qt.Key_PageUp):
            self.show_row(max(self.row - 1, 0))
        elif key == Qt.Key_Home:
            self.show_row(0)
        elif key == Qt.Key_End:
            self.show_row(self._count() - 1)
        elif key in (Qt.Key_Escape, Qt.Key_Space):
            self.close()
        else:
            super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.close()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        area = self.rect().adjusted(0, 0, 0, -CAPTION_HEIGHT)
        shown = self.current
        painter.setPen(self.palette().color(QPalette.BrightText))
        if shown is None:
            painter.drawText(area, Qt.AlignCenter, "Loading…")
        elif shown[0] is None:
            painter.drawText(area, Qt.AlignCenter | Qt.TextWordWrap, f"Cannot show: {shown[2]}")
        else:
            pixmap = shown[0]
            size = pixmap.size()
            if size.width() > area.width() or size.height() > area.height():
                size = size.scaled(area.size(), Qt.KeepAspectRatio)   # never enlarged
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(area.center())
            painter.setRenderHint(QPainter.SmoothPixmapTransform)
            painter.drawPixmap(target, pixmap)
        caption = QRect(8, area.bottom(), self.width() - 16, CAPTION_HEIGHT)
        hint = "←/→ previous/next · Esc closes" if self.width() >= 600 else ""
        room = caption.width() - (painter.fontMetrics().horizontalAdvance(hint) + 16 if hint else 0)
        painter.drawText(caption, Qt.AlignVCenter | Qt.AlignLeft,
                         painter.fontMetrics().elidedText(self.windowTitle(), Qt.ElideMiddle,
                                                          max(0, room)))
        painter.drawText(caption, Qt.AlignVCenter | Qt.AlignRight, hint)


class _GridKeys(QObject):
    """Space on the view opens the preview at the current item (instead of selecting it)."""

    def __init__(self, view: QAbstractItemView, open_at: Callable[[int], None]):
        super().__init__(view)
        self.open_at = open_at
        view.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if (event.type() == QEvent.KeyPress and event.key() == Qt.Key_Space
                and not event.modifiers() & (Qt.ControlModifier | Qt.ShiftModifier)):
            index = obj.currentIndex()
            if index.isValid():
                self.open_at(index.row())
                return True
        return False


def attach_preview(view: QAbstractItemView, source: Callable[[int], str | None],
                   title: Callable[[int], str]) -> PreviewWindow:
    """Give an item view of images a preview: Space or a double-click opens it at that item.

    Moving in the preview moves the view's current item along (the selection is left alone).
    """
    preview = PreviewWindow(view.window())
    model = lambda: view.model()
    preview.set_items(lambda: model().rowCount() if model() is not None else 0, source, title)

    def follow(row: int) -> None:
        index = model().index(row, 0)
        view.selectionModel().setCurrentIndex(index, view.selectionModel().NoUpdate)
        view.scrollTo(index)

    preview.moved.connect(follow)
    view.doubleClicked.connect(lambda index: preview.show_row(index.row()))
    preview._keys = _GridKeys(view, preview.show_row)
    QApplication.instance().aboutToQuit.connect(preview.close)
    return preview
