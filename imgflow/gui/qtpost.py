"""Bridging the engine onto the Qt event loop.

The engine hands callables to ``post`` from worker threads; a queued signal
runs them on the thread that owns this object (the GUI thread).
"""
from __future__ import annotations

from typing import Callable

from PyQt5.QtCore import QObject, Qt, pyqtSignal


class QtPoster(QObject):
    _call = pyqtSignal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._closed = False
        self._call.connect(self._run, Qt.QueuedConnection)

    def __call__(self, fn: Callable[[], None]) -> None:
        if self._closed:
            return
        try:
            self._call.emit(fn)
        except RuntimeError:  # the Qt object is gone: the application has ended
            self._closed = True

    def close(self) -> None:
        """Drop calls still queued or yet to come (their engine has shut down)."""
        self._closed = True

    def _run(self, fn: Callable[[], None]) -> None:
        if not self._closed:
            fn()
