"""Thumbnails for panels: loaded in background threads, kept in a bounded LRU cache.

Usage (any panel; the dendrogram's leaves, the image grid, table cells)::

    loader = ThumbnailLoader(parent)
    loader.ready.connect(lambda source: view.update())
    pixmap = loader.pixmap(source, 128)   # a thumbnail, a placeholder, or a broken mark

``pixmap`` never blocks: on a cache miss it queues the image and returns a
placeholder; ``ready(source)`` fires on the GUI thread once it is in.  The
newest request is served first, so what is on screen now loads before what
was scrolled past; ``clear_pending()`` drops requests no longer wanted.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Hashable

from PyQt5 import sip
from PyQt5.QtCore import QCoreApplication, QObject, QRectF, QRunnable, Qt, QThreadPool, pyqtSignal
from PyQt5.QtGui import QColor, QImage, QPainter, QPen, QPixmap

from imgflow.embedders.images import ImageSkipped, load_thumbnail

DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
SIZE_STEPS = (32, 64, 128, 256, 512)     # images are loaded at one of these sizes


def load_size(size: int) -> int:
    """The size to load for a display size: a few steps, so a slider does not reload everything."""
    return next((s for s in SIZE_STEPS if s >= size), SIZE_STEPS[-1])


class ThumbnailCache:
    """An LRU of pixmaps bounded by their total bytes."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, QPixmap] = OrderedDict()

    def get(self, key: Hashable) -> QPixmap | None:
        pixmap = self._items.get(key)
        if pixmap is not None:
            self._items.move_to_end(key)
        return pixmap

    def put(self, key: Hashable, pixmap: QPixmap) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= _nbytes(old)
        self._items[key] = pixmap
        self.bytes += _nbytes(pixmap)
        while self.bytes > self.max_bytes and len(self._items) > 1:
            _, evicted = self._items.popitem(last=False)
            self.bytes -= _nbytes(evicted)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0


def _nbytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4


def pil_to_qimage(image) -> QImage:
    """An RGB Pillow image as a QImage that owns its pixels (safe off the GUI thread)."""
    data = image.tobytes("raw", "RGB")
    qimage = QImage(data, image.width, image.height, 3 * image.width, QImage.Format_RGB888)
    return qimage.copy()


class _Queue:
    """Requests waiting for a worker; thread-safe, newest first."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending: OrderedDict[tuple, None] = OrderedDict()

    def push(self, key: tuple) -> None:
        with self.lock:
            self.pending[key] = None
            self.pending.move_to_end(key)

    def bump(self, key: tuple) -> None:
        """Serve a still-waiting request sooner (it is wanted again)."""
        with self.lock:
            if key in self.pending:
                self.pending.move_to_end(key)

    def pop(self) -> tuple | None:
        with self.lock:
            return self.pending.popitem(last=True)[0] if self.pending else None

    def clear(self) -> None:
        with self.lock:
            self.pending.clear()


class _Relay(QObject):
    """Carries results from workers to the GUI thread; lives as long as the application.

    Workers never hold a loader (which a closed panel may have deleted), only
    its number; results for a loader that is gone are dropped.
    """
    done = pyqtSignal(int, object, object, str)     # loader token, key, QImage or None, reason

    def __init__(self):
        super().__init__()
        self.loaders: "weakref.WeakValueDictionary[int, ThumbnailLoader]" = \
            weakref.WeakValueDictionary()
        self.done.connect(self._dispatch, Qt.QueuedConnection)

    def drop_pending(self) -> None:
        """At quit: workers finish what they hold, but start nothing new."""
        for loader in list(self.loaders.values()):
            loader.clear_pending()

    def _dispatch(self, token: int, key, qimage, reason: str) -> None:
        loader = self.loaders.get(token)
        # a closed panel's loader may be gone in Qt while Python still holds its wrapper
        if loader is not None and not sip.isdeleted(loader):
            loader._arrived(key, qimage, reason)


_relay: _Relay | None = None
_tokens = iter(range(1, 1 << 62))


def _get_relay() -> _Relay:
    global _relay
    if _relay is None:       # first made on the GUI thread, by a loader's constructor
        _relay = _Relay()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(_relay.drop_pending)
    return _relay


class _Load(QRunnable):
    def __init__(self, queue: _Queue, token: int, relay: _Relay):
        super().__init__()
        self.queue, self.token, self.relay = queue, token, relay

    def run(self) -> None:
        key = self.queue.pop()
        if key is None:
            return           # the request was dropped or served by an earlier task
        source, size = key
        qimage, reason = None, ""
        try:
            qimage = pil_to_qimage(load_thumbnail(source, size))
        except ImageSkipped as exc:
            reason = str(exc) or "not an image"
        except Exception as exc:  # a thumbnail must never take the panel down
            reason = f"cannot load ({type(exc).__name__})"
        self.relay.done.emit(self.token, key, qimage, reason)


def shared_pool() -> QThreadPool:
    """A pool for thumbnails only, so slow disks or URLs do not hold up other Qt work."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(max(2, min(4, QThreadPool.globalInstance().maxThreadCount())))
        _pool.setExpiryTimeout(5000)
    return _pool


_pool: QThreadPool | None = None


class ThumbnailLoader(QObject):
    """Gives thumbnails without blocking; says when one has arrived."""
    ready = pyqtSignal(str)          # source whose thumbnail (or failure) just arrived

    def __init__(self, parent: QObject | None = None, cache_bytes: int = DEFAULT_CACHE_BYTES,
                 pool: QThreadPool | None = None):
        super().__init__(parent)
        self.cache = ThumbnailCache(cache_bytes)
        self.failed: dict[str, str] = {}       # source -> reason it cannot be shown
        self._queue = _Queue()
        self._asked: set[tuple] = set()        # queued or loading now
        self._pool = pool or shared_pool()
        self._relay = _get_relay()
        self._token = next(_tokens)
        self._relay.loaders[self._token] = self
        self._marks: dict[tuple, QPixmap] = {}

    def thumbnail(self, source: str, size: int) -> QPixmap | None:
        """The thumbnail if it is loaded; otherwise None, and it is queued."""
        if not source or source in self.failed:
            return None
        key = (source, load_size(size))
        pixmap = self.cache.get(key)
        if pixmap is None and key not in self._asked:
            self._asked.add(key)
            self._queue.push(key)
            self._pool.start(_Load(self._queue, self._token, self._relay))
        elif pixmap is None:
            self._queue.bump(key)      # asked again: it is wanted now, serve it sooner
        return pixmap

    def pixmap(self, source: str, size: int) -> QPixmap:
        """The thumbnail, or a placeholder while it loads, or a broken-image mark."""
        if not source or source in self.failed:
            return self.mark("broken", size)
        return self.thumbnail(source, size) or self.mark("loading", size)

    def is_loading(self, source: str, size: int) -> bool:
        return (source, load_size(size)) in self._asked

    def clear_pending(self) -> None:
        """Forget queued requests (rows scrolled out of view); asked again when shown."""
        with self._queue.lock:
            dropped = set(self._queue.pending)
            self._queue.pending.clear()
        self._asked -= dropped

    def mark(self, kind: str, size: int) -> QPixmap:
        """A 'loading' placeholder or a 'broken' image mark of the given size."""
        key = (kind, size)
        if key not in self._marks:
            self._marks[key] = _draw_mark(kind, size)
        return self._marks[key]

    def _arrived(self, key: tuple, qimage: QImage | None, reason: str) -> None:
        self._asked.discard(key)
        source = key[0]
        if qimage is None:
            self.failed[source] = reason
        else:
            self.cache.put(key, QPixmap.fromImage(qimage))
        self.ready.emit(source)


def _draw_mark(kind: str, size: int) -> QPixmap:
    side = max(8, int(size))
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    rect = QRectF(1, 1, side - 2, side - 2)
    if kind == "broken":       # a quiet frame with a cross, smaller than a thumbnail
        inset = side * 0.18
        frame = rect.adjusted(inset, inset, -inset, -inset)
        painter.setPen(QPen(QColor(200, 90, 90), max(1.0, side / 48)))
        painter.setBrush(QColor(252, 240, 240))
        painter.drawRoundedRect(frame, side / 16, side / 16)
        cross = frame.adjusted(frame.width() * 0.3, frame.height() * 0.3,
                               -frame.width() * 0.3, -frame.height() * 0.3)
        painter.setPen(QPen(QColor(200, 90, 90), max(1.5, side / 24)))
        painter.drawLine(cross.topLeft(), cross.bottomRight())
        painter.drawLine(cross.topRight(), cross.bottomLeft())
    else:
        painter.setPen(QPen(QColor(215, 215, 215), 1))
        painter.setBrush(QColor(242, 242, 242))
        painter.drawRoundedRect(rect, side / 12, side / 12)
    painter.end()
    return pixmap
