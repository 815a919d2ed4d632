"""`imgflow run` on a workflow whose images are all cached never imports torch.

The probe runs the CLI's own entry point (imgflow.cli.main, what the `imgflow`
command calls) in a fresh interpreter, then lists the heavy modules loaded.
The cold run is the control: there the same probe must see torch.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
from imgflow.cli import main
rc = main(sys.argv[1:])
heavy = [m for m in ("torch", "timm", "torchvision") if m in sys.modules]
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(rc)
"""


def run_probe(tmp_path, out: Path) -> tuple[str, str]:
    env = {**os.environ, "IMGFLOW_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "run", str(ROOT / "examples" / "image-clustering.imgflow"),
         "--set", f"Import Images.directory={ROOT / 'examples' / 'images'}",
         "--export", f"Image Embedding:Embeddings={out}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    heavy = [line for line in done.stderr.splitlines() if line.startswith("HEAVY=")][-1]
    return heavy.removeprefix("HEAVY="), done.stderr


def test_a_fully_cached_run_never_imports_torch(tmp_path):
    cold, _ = run_probe(tmp_path, tmp_path / "cold.csv")
    assert "torch" in cold.split(",")          # the control: the probe sees torch
    cached, log = run_probe(tmp_path, tmp_path / "cached.csv")
    assert cached == "", log
    with open(tmp_path / "cold.csv") as a, open(tmp_path / "cached.csv") as b:
        cold_rows, cached_rows = list(csv.reader(a)), list(csv.reader(b))
    assert len(cached_rows) > 1 and cached_rows == cold_rows


CANVAS_PROBE = """
import sys, time
from PyQt5.QtWidgets import QApplication
from imgflow.gui.mainwindow import MainWindow
from imgflow.registry import Registry
app = QApplication([])
window = MainWindow(Registry.discover(), autosave=False)
window.show()
assert window.open_path(sys.argv[1])
doc = window.document
node = doc.workflow.node_by_title("Image Embedding")
window.panels.open(node)                         # the panel shows the results
deadline = time.monotonic() + 300
while not doc.engine.is_idle() and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
app.processEvents()
table = doc.engine.outputs(node.id).get("Embeddings")
print("ROWS=%d" % (0 if table is None else len(table)), file=sys.stderr)
heavy = [m for m in ("torch", "timm", "torchvision") if m in sys.modules]
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
doc.undo_stack.setClean()
window.close()
"""


def test_reopening_a_cached_workflow_in_the_canvas_never_imports_torch(tmp_path):
    run_probe(tmp_path, tmp_path / "cold.csv")        # fills the cache
    env = {**os.environ, "IMGFLOW_CACHE_DIR": str(tmp_path / "cache"),
           "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", CANVAS_PROBE,
                           str(ROOT / "examples" / "image-clustering.imgflow")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert [x for x in lines if x.startswith("ROWS=")][-1] != "ROWS=0", done.stderr
    assert [x for x in lines if x.startswith("HEAVY=")][-1] == "HEAVY=", done.stderr
