"""`imgflow FILE` as a person types it: a new process, the real entry point."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Runs imgflow's console entry point; once the window shows the file's
# widgets it prints their titles and quits the event loop.
SCRIPT = """
import sys
from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication
from imgflow import cli
from imgflow.gui import app

start = app.start_app

def start_then_report(path):
    window = start(path)

    def report():
        if window.document.workflow.nodes:
            titles = sorted(n.title for n in window.document.workflow.nodes.values())
            print("SHOWN", window.isVisible(), titles, flush=True)
            QApplication.instance().quit()
        else:
            QTimer.singleShot(50, report)
    QTimer.singleShot(50, report)
    return window

app.start_app = start_then_report
sys.argv = ["imgflow", sys.argv[1]]
sys.exit(cli.main())
"""


def test_imgflow_file_opens_the_canvas_and_runs_until_quit(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               IMGFLOW_AUTOSAVE_DIR=str(tmp_path / "autosave"),
               XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", SCRIPT,
                           str(ROOT / "examples" / "image-clustering.imgflow")],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "SHOWN True" in done.stdout
    assert "'Hierarchical Clustering'" in done.stdout and "'Import Images'" in done.stdout
