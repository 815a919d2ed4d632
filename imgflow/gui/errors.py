"""Errors the user should see, never a crash: message boxes and the excepthook.

PyQt5 aborts the whole application when a Python exception escapes a slot
and ``sys.excepthook`` is the default one; our hook logs it and shows a
message instead, so a bug in one widget window cannot take the canvas down.
"""
from __future__ import annotations

import logging
import sys
import traceback

from PyQt5.QtWidgets import QApplication, QMessageBox

log = logging.getLogger("imgflow.gui")
_visible: dict[str, QMessageBox] = {}


def show_error(parent, title: str, text: str, details: str = "") -> QMessageBox:
    """A non-blocking error message; the same message is not stacked twice."""
    box = _visible.get(text)
    if box is not None and box.isVisible():
        box.raise_()
        return box
    box = QMessageBox(QMessageBox.Critical, title, text, QMessageBox.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.setModal(False)
    box.finished.connect(lambda _result, t=text: _visible.pop(t, None))
    _visible[text] = box
    box.show()
    return box


def report_exception(title: str, exc: BaseException, parent=None) -> None:
    """Log an exception with its traceback and tell the user in one sentence."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("%s\n%s", title, details)
    show_error(parent or QApplication.activeWindow(), "imgflow",
               f"{title}\n\n{type(exc).__name__}: {exc}", details)


def _hook(exc_type, exc, tb) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    if exc is None:
        exc = exc_type()
    exc.__traceback__ = tb
    try:
        report_exception("Something went wrong; your work is safe.", exc)
    except Exception:   # never let the hook itself raise
        sys.__excepthook__(exc_type, exc, tb)


def install_excepthook() -> None:
    sys.excepthook = _hook
