"""Makes the pictures of the help pages and docs: each widget's window (help-panel.png in
its package), the help window (docs/help-window.png) and the welcome dialog (docs/welcome.png).

Run under a virtual X display, from the repository root:

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots.py

It opens a copy of each example (offline model, drawn images), waits until
every node is done, opens each widget's window (once, from the first example
that has it) at a readable size and grabs it; the help window and the welcome
dialog are taken over the image-clustering example.  Pictures are reduced to
128 colours so each stays under 60 KB.
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="shots-"))
os.environ["IMGFLOW_CONFIG_DIR"] = str(WORK / "config")
os.environ.setdefault("IMGFLOW_CACHE_DIR", str(WORK / "cache"))
os.environ.setdefault("QT_XCB_GL_INTEGRATION", "none")    # see imgflow.gui.app
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from PyQt5.QtCore import QBuffer, QSettings  # noqa: E402
from PyQt5.QtWidgets import QApplication  # noqa: E402

MAX_BYTES = 60_000
# Windows open at their own comfortable size; these are made smaller where that leaves
# much empty space in a picture.
PANEL_SIZES: dict[str, tuple[int, int]] = {}


def wait(app, seconds: float, until=lambda: False) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        app.processEvents()
        time.sleep(0.02)


def save_small(widget, path: Path, max_width: int = 760) -> None:
    """The widget's picture as a PNG of at most 128 colours (smaller if it must be)."""
    buffer = QBuffer()
    buffer.open(QBuffer.ReadWrite)
    widget.grab().save(buffer, "PNG")
    image = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGB")
    width = min(image.width, max_width)
    while True:
        scaled = image.resize((width, round(image.height * width / image.width)),
                              Image.Resampling.LANCZOS) if width != image.width else image
        out = io.BytesIO()
        # The fast octree keeps small areas of strong colour (dendrogram branches) that
        # median cut merges into the large grey ones.
        scaled.quantize(128, method=Image.Quantize.FASTOCTREE).save(out, "PNG", optimize=True)
        if out.tell() <= MAX_BYTES or width < 240:
            break
        width = int(width * 0.85)
    path.write_bytes(out.getvalue())
    print(f"{path.relative_to(ROOT)}: {scaled.width}x{scaled.height}, {out.tell():,} bytes")


def main() -> int:
    app = QApplication(sys.argv[:1])
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(WORK / "qsettings"))
    from imgflow.example_workflows import copy_examples, list_examples
    from imgflow.gui.help_window import show_widget_help
    from imgflow.gui.mainwindow import MainWindow
    from imgflow.widget_help import guide_folder

    copy_examples(WORK / "examples")
    window = MainWindow(autosave=False)
    window.resize(1100, 700)
    window.show()
    done = set()        # each widget's window once, from the first example that has it
    for example in list_examples():     # in the bundled order: image-clustering first
        path = WORK / "examples" / example.path.name
        window.open_path(path)
        doc = window.document
        wait(app, 0.5)
        wait(app, 300, doc.engine.is_idle)
        wait(app, 1.0)
        for node in list(doc.workflow.nodes.values()):
            widget = doc.workflow.widget(node)
            if widget is None or not widget.panel or node.widget_id in done:
                continue
            done.add(node.widget_id)
            panel = window.panels.open(node)
            if widget.name in PANEL_SIZES:
                panel.resize(*PANEL_SIZES[widget.name])
            wait(app, 2.5)     # thumbnails load in the background
            save_small(panel, guide_folder(widget) / "help-panel.png", 600)
            panel.close()
        if example.name == "image-clustering":
            clustering = path
    window.open_path(clustering)
    doc = window.document
    help_window = show_widget_help(window.registry, "imgflow.hierarchical_clustering", window)
    help_window.resize(900, 700)
    wait(app, 1.0)
    save_small(help_window, ROOT / "docs" / "help-window.png", 900)
    help_window.close()
    dialog = window.show_welcome()
    wait(app, 1.0)
    save_small(dialog, ROOT / "docs" / "welcome.png", 900)
    dialog.close()
    doc.engine.set_frozen(True)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
