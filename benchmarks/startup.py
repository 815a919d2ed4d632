"""How long `imgflow` takes to show its window (target: under 2 s).

Starts the app in a fresh interpreter (offscreen, throw-away autosave and
settings folders), exactly as `imgflow` would, and measures from process
start to the main window's first Show event; also reports whether torch was
imported (it must not be at start-up).

    .venv/bin/python benchmarks/startup.py [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PROBE = r"""
import sys
from PyQt5.QtCore import QEvent, QObject, QTimer
from PyQt5.QtWidgets import QApplication

class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Show and obj.objectName() == "imgflow-main":
            print("SHOWN", "torch" in sys.modules, flush=True)
            QTimer.singleShot(0, QApplication.quit)
        return False

app = QApplication(sys.argv[:1])
probe = Probe()
app.installEventFilter(probe)
from imgflow.cli import main
sys.exit(main([]))
"""


def one_run() -> tuple[float, bool]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", IMGFLOW_AUTOSAVE_DIR=tmp,
                   XDG_CONFIG_HOME=tmp, XDG_RUNTIME_DIR=tmp)
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", PROBE], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        for line in proc.stdout:
            if line.startswith("SHOWN"):
                elapsed = time.perf_counter() - start
                torch_loaded = line.split()[1] == "True"
                break
        else:
            proc.wait()
            raise SystemExit(f"the window never showed (exit code {proc.returncode})")
        proc.wait(timeout=30)
        return elapsed, torch_loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    one_run()    # warm the OS file cache; the first start after a build is not typical
    times, torch_seen = [], False
    for _ in range(args.runs):
        elapsed, torch_loaded = one_run()
        times.append(elapsed)
        torch_seen |= torch_loaded
    print(f"window shown after: median {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s, max {max(times):.2f} s ({args.runs} runs)")
    print(f"torch imported at start-up: {'YES (should not be)' if torch_seen else 'no'}")


if __name__ == "__main__":
    main()
