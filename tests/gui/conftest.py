"""GUI test set-up: offscreen Qt, throw-away settings and autosave folders,
message boxes that never block, and a window on a registry of test widgets."""
from __future__ import annotations

import pytest
from PyQt5.QtCore import QSettings
from PyQt5.QtWidgets import QMessageBox

from tests.gui.fixtures_widgets import make_registry


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGFLOW_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    for fmt in (QSettings.NativeFormat, QSettings.IniFormat):
        QSettings.setPath(fmt, QSettings.UserScope, str(tmp_path / "settings"))


class Answers:
    """Records modal questions and answers them as a test says."""

    def __init__(self):
        self.asked: list[tuple[str, str]] = []
        self.question = QMessageBox.Discard
        self.critical: list[str] = []

    def _question(self, parent, title, text, *args, **kwargs):
        self.asked.append((title, text))
        return self.question

    def _critical(self, parent, title, text, *args, **kwargs):
        self.critical.append(text)
        return QMessageBox.Ok


@pytest.fixture
def answers(monkeypatch) -> Answers:
    a = Answers()
    monkeypatch.setattr(QMessageBox, "question", a._question)
    monkeypatch.setattr(QMessageBox, "critical", a._critical)
    monkeypatch.setattr(QMessageBox, "warning", a._critical)
    return a


@pytest.fixture
def registry():
    return make_registry()


@pytest.fixture
def window(qtbot, registry, answers):
    from imgflow.gui.mainwindow import MainWindow
    w = MainWindow(registry)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    answers.question = QMessageBox.Discard
    w.close()
