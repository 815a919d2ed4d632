"""Starting the canvas: ``imgflow [FILE]`` ends up in ``run_app``.

Start-up stays light: widgets are discovered (their modules import no torch
or Qt), panels are imported only when a window opens.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PyQt5.QtCore import QCoreApplication, Qt, QTimer
from PyQt5.QtWidgets import QApplication, QMessageBox


def _application(argv: list[str]) -> QApplication:
    app = QApplication.instance()
    if app is None:
        if sys.platform.startswith("linux"):
            # The canvas needs no OpenGL.  Qt's GLX integration loads Mesa, whose LLVM
            # clashes with the LLVM inside triton (imported by torch when a model loads)
            # and crashes the process with a segmentation fault.
            os.environ.setdefault("QT_XCB_GL_INTEGRATION", "none")
        # High-DPI attributes must be set before the application exists.
        QCoreApplication.setAttribute(Qt.AA_EnableHighDpiScaling, True)
        QCoreApplication.setAttribute(Qt.AA_UseHighDpiPixmaps, True)
        app = QApplication(argv)
    app.setApplicationName("imgflow")
    app.setOrganizationName("imgflow")
    app.setApplicationDisplayName("imgflow")
    return app


def offer_recovery(window) -> bool:
    """After a crash: ask whether to restore the unsaved work; True if restored."""
    from .autosave import find_recoverable
    found = find_recoverable()
    if not found:
        return False
    latest = found[0]
    what = f"your unsaved changes to {latest.original.name}" if latest.original \
        else "your unsaved workflow"
    answer = QMessageBox.question(
        window, "Restore unsaved work?",
        f"imgflow did not close properly last time. Restore {what}?",
        QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
    if answer != QMessageBox.Yes:
        for recovery in found:
            recovery.discard()
        return False
    try:
        window.restore(latest)
    except Exception as exc:   # a damaged recovery file must not stop the start
        QMessageBox.warning(window, "Cannot restore", f"The recovery file could not be read: {exc}")
        latest.discard()
        return False
    for older in found[1:]:
        older.discard()
    return True


def start_app(path: str | None = None):
    """Everything ``run_app`` does before entering the event loop; returns the
    window, which the caller must keep (and the QApplication, too)."""
    app = _application(sys.argv[:1])
    from .errors import install_excepthook
    from .icons import app_icon
    from .mainwindow import MainWindow
    install_excepthook()
    app.setWindowIcon(app_icon())
    window = MainWindow()
    window.show()

    def after_show() -> None:
        restored = offer_recovery(window)
        if path and not restored:
            if not Path(path).exists():
                QMessageBox.critical(window, "Cannot open workflow", f"{path} does not exist.")
            else:
                window.open_path(path)
        elif not path and not restored:
            from .welcome import show_at_start
            if show_at_start():
                window.show_welcome()
    QTimer.singleShot(0, after_show)
    return window


def run_app(path: str | None = None) -> int:
    # Both are held here for the whole event loop: PyQt destroys a
    # QApplication or a top-level window once Python lets go of it.
    app = _application(sys.argv[:1])
    window = start_app(path)
    code = app.exec_()
    if window.isVisible():  # quit without closing it (session end, a script)
        window.document.close()  # cancel running widgets so the process can exit
    return code
