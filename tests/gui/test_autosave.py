"""Unsaved work survives a crash: recovery file written, offered, restored, removed."""
import os
import subprocess
import sys

from PyQt5.QtWidgets import QMessageBox

from imgflow.gui.app import offer_recovery
from imgflow.gui.autosave import autosave_dir, find_recoverable


def _crash(window):
    """What a crash leaves behind: the recovery file of a process that is gone."""
    window.autosave.save_now()
    orphan = window.autosave.file.with_name("recovery-999999999.imgflow")
    window.autosave.file.rename(orphan)
    window.autosave.file.with_suffix(".json").rename(orphan.with_suffix(".json"))
    return orphan


def test_edits_are_autosaved_after_a_pause(window, qtbot):
    window.autosave._debounce.setInterval(50)
    window.document.add_node("test.numbers", (0, 0))
    qtbot.waitUntil(window.autosave.file.exists, timeout=2000)
    assert "test.numbers" in window.autosave.file.read_text()
    assert window.autosave.file.parent == autosave_dir()
    assert find_recoverable() == []          # our own, live process: not offered


def test_after_a_crash_the_next_start_restores_the_work(window, qtbot, registry, answers, tmp_path):
    doc = window.document
    a = doc.add_node("test.numbers", (0, 0))
    doc.set_settings(a, {"count": 4})
    orphan = _crash(window)
    from imgflow.gui.mainwindow import MainWindow
    second = MainWindow(registry)
    qtbot.addWidget(second)
    answers.question = QMessageBox.Yes
    assert offer_recovery(second)
    [node] = second.document.workflow.nodes.values()
    assert node.settings["count"] == 4
    assert second.isWindowModified()        # restored work is not saved yet
    assert not orphan.exists()
    answers.question = QMessageBox.Discard
    second.close()


def test_declining_recovery_discards_it(window, answers):
    window.document.add_node("test.numbers", (0, 0))
    orphan = _crash(window)
    answers.question = QMessageBox.No
    assert not offer_recovery(window)
    assert not orphan.exists()


def test_saving_or_closing_cleanly_removes_the_recovery_file(window, tmp_path, answers):
    window.document.add_node("test.numbers", (0, 0))
    window.autosave.save_now()
    assert window.autosave.file.exists()
    window.save_to(tmp_path / "w.imgflow")
    assert not window.autosave.file.exists()
    window.document.add_node("test.double", (100, 0))
    window.autosave.save_now()
    assert window.autosave.file.exists()
    answers.question = QMessageBox.Discard
    assert window.close()
    assert not window.autosave.file.exists()
    assert os.listdir(autosave_dir()) == []


HOLD_LOCK = """
import sys
from PyQt5.QtCore import QLockFile
lock = QLockFile(sys.argv[1])
print(lock.tryLock(0), flush=True)
sys.stdin.read()
"""


def test_a_running_imgflows_work_is_not_offered_until_its_process_dies(window, answers):
    """Another process holds the lock of its recovery file; killed, it leaves a stale lock."""
    window.document.add_node("test.numbers", (0, 0))
    orphan = _crash(window)
    owner = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(orphan.with_suffix(".lock"))],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout.readline().strip() == "True"
        assert find_recoverable() == []                      # its owner is alive
    finally:
        owner.kill()                                         # no clean-up: the lock stays
        owner.wait()
    assert orphan.with_suffix(".lock").exists()
    answers.question = QMessageBox.Yes
    assert offer_recovery(window)                            # the stale lock is taken over
    assert not orphan.exists() and not orphan.with_suffix(".lock").exists()
