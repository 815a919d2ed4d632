"""Autosave: unsaved work is written to a recovery file, so a crash loses little.

Written a moment after each edit (debounced) and at intervals while there
are unsaved changes; removed when the work is saved or the window closes
cleanly.  A recovery file whose process is gone is offered at the next start.
Each running imgflow writes its own file (named by process id).
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from PyQt5.QtCore import QObject, QTimer

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

    def discard(self) -> None:
        for path in (self.file, _meta_path(self.file)):
            path.unlink(missing_ok=True)


def _meta_path(file: Path) -> Path:
    return file.with_suffix(".json")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return False    # os.kill would terminate it there; treat others' files as orphans
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True     # exists, owned by someone else
    return True


def find_recoverable(directory: Path | None = None) -> list[Recovery]:
    """Recovery files left by imgflow processes that are no longer running, newest first."""
    directory = directory or autosave_dir()
    found = []
    for file in directory.glob("recovery-*.imgflow"):
        try:
            pid = int(file.stem.split("-", 1)[1])
        except ValueError:
            continue
        if _alive(pid):
            continue
        try:
            meta = json.loads(_meta_path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        original = meta.get("path") if isinstance(meta, dict) else None
        found.append(Recovery(file, Path(original) if isinstance(original, str) else None,
                              file.stat().st_mtime))
    return sorted(found, key=lambda r: -r.saved_at)


class Autosave(QObject):
    DEBOUNCE_MS = 2000
    INTERVAL_MS = 60_000

    def __init__(self, directory: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.directory = directory or autosave_dir()
        self.file = self.directory / f"recovery-{os.getpid()}.imgflow"
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
            save(self.document.workflow, self.file)
            meta = {"path": str(self.document.path) if self.document.path else None,
                    "time": time.time()}
            _meta_path(self.file).write_text(json.dumps(meta), encoding="utf-8")
        except OSError as exc:   # a full disk must not interrupt the user's work
            import logging
            logging.getLogger(__name__).warning("autosave failed: %s", exc)

    def remove(self) -> None:
        self._debounce.stop()
        Recovery(self.file, None, 0).discard()
