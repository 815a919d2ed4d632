"""What is happening: the engine's work summarised for the status bar, and a log.

Follows the engine of the shown document; logs each node's transitions
(started, finished, failed) and warnings from Python's logging.
"""
from __future__ import annotations

import logging
import time

from PyQt5.QtCore import QObject, pyqtSignal
from PyQt5.QtGui import QFont
from PyQt5.QtWidgets import QPlainTextEdit

from ..engine import DONE, ERROR, RUNNING, WAITING, WARNING, NodeState


class Activity(QObject):
    summary_changed = pyqtSignal(str)
    logged = pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.document = None
        self._status: dict[int, str] = {}
        self._handler = _LogHandler(self)
        logging.getLogger("imgflow").addHandler(self._handler)

    def watch(self, document) -> None:
        if self.document is not None:
            self.document.engine.unsubscribe(self._on_state)
        self.document = document
        self._status = {}
        document.engine.subscribe(self._on_state)
        self.refresh()

    def close(self) -> None:
        logging.getLogger("imgflow").removeHandler(self._handler)

    def log(self, text: str) -> None:
        self.logged.emit(f"{time.strftime('%H:%M:%S')}  {text}")

    def _on_state(self, node_id: int, state: NodeState) -> None:
        node = self.document.workflow.nodes.get(node_id)
        previous = self._status.get(node_id)
        self._status[node_id] = state.status
        if node is not None and state.status != previous:
            if state.status == RUNNING:
                self.log(f"{node.title}: running")
            elif state.status == DONE:
                self.log(f"{node.title}: done" + (f" ({state.info})" if state.info else ""))
            elif state.status == WARNING:
                self.log(f"{node.title}: done with warnings: " + "; ".join(state.warnings))
            elif state.status == ERROR:
                self.log(f"{node.title}: error: {state.message}")
        self.refresh()

    def refresh(self) -> None:
        """Recompute the summary (e.g. after freezing)."""
        doc = self.document
        if doc is None:
            return
        running = []
        for node_id, node in doc.workflow.nodes.items():
            state = doc.engine.state(node_id)
            if state.status == RUNNING:
                percent = f" {round(state.progress * 100)}%" if state.progress is not None else ""
                running.append(f"{node.title}{percent}")
        waiting = sum(doc.engine.state(n).status == WAITING for n in doc.workflow.nodes)
        if running:
            text = "Running: " + ", ".join(running)
            if waiting:
                text += f"  ·  {waiting} waiting"
        elif doc.engine.frozen and waiting:
            text = f"Frozen: {waiting} widget{'s' if waiting != 1 else ''} will run when unfrozen"
        else:
            text = "Ready"
        failed = sum(doc.engine.state(n).status == ERROR for n in doc.workflow.nodes)
        if failed:
            text += f"  ·  {failed} widget{'s' if failed != 1 else ''} failed (see their nodes)"
        self.summary_changed.emit(text)


class _LogHandler(logging.Handler):
    def __init__(self, activity: Activity):
        super().__init__(level=logging.WARNING)
        self.activity = activity

    def emit(self, record: logging.LogRecord) -> None:
        try:
            first_line = record.getMessage().splitlines()[0] if record.getMessage() else ""
            self.activity.log(f"{record.levelname.lower()}: {first_line}")
        except Exception:
            pass


class LogView(QPlainTextEdit):
    MAX_LINES = 2000

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(self.MAX_LINES)
        font = QFont("monospace")
        font.setStyleHint(QFont.TypeWriter)
        self.setFont(font)
