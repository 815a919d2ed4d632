"""Autosave: unsaved work is written to a recovery file, so a crash loses little.

Written a moment after each edit (debounced) and at intervals while there
are unsaved changes; removed when the work is saved or the window closes
cleanly.  Each window writes its own file and holds a QLockFile beside it
while the file exists; a recovery file whose lock is free or stale (its
process is gone: Qt checks the process id and name, on every OS) is offered
at the next start.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from PyQt5.QtCore import QLockFile, QObject, QTimer

from ..workflow import save

ENV_DIR = "IMGFLOW_AUTOSAVE_DIR"


def autosave_dir() -> Path:
    configured = os.environ.get(ENV_DIR)
    if configured:
        return Path(configured)
    from platformdirs import user_data_dir
    return Path(user_data_dir("imgflow", appauthor=False)) / "autosave"


@dataclass
class Recovery:
    file: Path
    original: Path | None      # the file the work belonged to, if it had one
    saved_at: float
    lock: QLockFile | None = None   # held while this process deals with the file

    def discard(self) -> None:
        for path in (self.file, _meta_path(self.file)):
            path.unlink(missing_ok=True)
        if self.lock is not None:
            self.lock.unlock()


def _meta_path(file: Path) -> Path:
    return file.with_suffix(".json")


def _lock_for(file: Path) -> QLockFile:
    lock = QLockFile(str(file.with_suffix(".lock")))
    # Age does not make a lock stale: a window may stay open for days.  Only a
    # lock whose process is gone (or is another program now) is taken over.
    lock.setStaleLockTime(0)
    return lock


def find_recoverable(directory: Path | None = None) -> list[Recovery]:
    """Recovery files left by imgflow processes that are no longer running, newest first."""
    directory = directory or autosave_dir()
    found = []
    for file in directory.glob("recovery-*.imgflow"):
        lock = _lock_for(file)
        if not lock.tryLock(0):
            continue                   # its imgflow is still running
        try:
            meta = json.loads(_meta_path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        original = meta.get("path") if isinstance(meta, dict) else None
        found.append(Recovery(file, Path(original) if isinstance(original, str) else None,
                              file.stat().st_mtime, lock))
    return sorted(found, key=lambda r: -r.saved_at)


class Autosave(QObject):
    DEBOUNCE_MS = 2000
    INTERVAL_MS = 60_000

    def __init__(self, directory: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.directory = directory or autosave_dir()
        self.file = self.directory / f"recovery-{os.getpid()}-{secrets.token_hex(4)}.imgflow"
        self._lock = _lock_for(self.file)
        self.document = None
        self._debounce = QTimer(self, singleShot=True, interval=self.DEBOUNCE_MS)
        self._debounce.timeout.connect(self.save_now)
        self._interval = QTimer(self, interval=self.INTERVAL_MS)
        self._interval.timeout.connect(self.save_now)
        self._interval.start()

    def watch(self, document) -> None:
        """Follow this document's edits (the one shown in the window)."""
        if self.document is not None:
            self.document.undo_stack.indexChanged.disconnect(self.schedule)
        self.document = document
        document.undo_stack.indexChanged.connect(self.schedule)
        self.schedule()

    def schedule(self, *_args) -> None:
        self._debounce.start()

    def save_now(self) -> None:
        if self.document is None:
            return
        if not self.document.modified:
            self.remove()      # the file on disk holds everything
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if not self._lock.isLocked() and not self._lock.tryLock(0):
                raise OSError(f"cannot lock {self.file.name} (error {self._lock.error()})")
            save(self.document.workflow, self.file)
            meta = {"path": str(self.document.path) if self.document.path else None,
                    "time": time.time()}
            _meta_path(self.file).write_text(json.dumps(meta), encoding="utf-8")
        except OSError as exc:   # a full disk must not interrupt the user's work
            import logging
            logging.getLogger(__name__).warning("autosave failed: %s", exc)

    def remove(self) -> None:
        self._debounce.stop()
        Recovery(self.file, None, 0, self._lock).discard()
