"""File names that are not valid UTF-8 (old archives: b'latin1-\\xe9.jpg') work end to end.

Inside imgflow such a name is a str with a lone surrogate (os.fsdecode), which
opens the file; what people read (cells, captions, CSV) shows the byte as \\xNN.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgflow.api import Context
from imgflow.data import Column, Table, printable
from imgflow.registry import Registry
from imgflow.widgets.image_viewer import ImageViewer
from imgflow.widgets.import_images import ImportImages
from imgflow.workflow import Workflow, load, save

ROOT = Path(__file__).resolve().parents[2]
NAME = b"latin1-\xe9.jpg"  # é in Latin-1: not valid UTF-8


@pytest.fixture
def folder(tmp_path) -> Path:
    """Two photos: one with a Latin-1 name (made through bytes paths), one plain."""
    root = tmp_path / "photos"
    root.mkdir()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(os.path.join(os.fsencode(root), NAME), "JPEG")
    Image.new("RGB", (64, 48), (40, 40, 200)).save(root / "plain.jpg")
    return root


def odd_path(folder: Path) -> str:
    return os.fsdecode(os.path.join(os.fsencode(folder), NAME))


def test_printable_shows_undecodable_bytes_as_escapes():
    assert printable(os.fsdecode(b"/p/latin1-\xe9.jpg")) == "/p/latin1-\\xe9.jpg"
    assert printable("caf\u00e9 \u732b.jpg") == "caf\u00e9 \u732b.jpg"  # real Unicode stays
    assert printable("\ud800") == "\\ud800"


def test_import_images_lists_the_file_with_a_path_that_opens_it(folder):
    table = ImportImages().compute({}, {"directory": str(folder), "recursive": True},
                                   Context()).outputs["Data"]
    paths = list(table.column("image").data)
    assert paths == [odd_path(folder), str(folder / "plain.jpg")]
    assert os.fsencode(paths[0]).endswith(NAME) and Path(paths[0]).is_file()
    assert table.column("image name").data[0] == os.fsdecode(b"latin1-\xe9")


def test_csv_export_is_utf8_with_the_byte_escaped(folder, tmp_path):
    table = Table.from_columns([Column.image("image", [odd_path(folder)]),
                                Column.text(os.fsdecode(b"t\xe9xt"), ["x"])])
    out = tmp_path / "out.csv"
    table.to_csv(out)
    text = out.read_bytes().decode("utf-8")  # valid UTF-8 for any spreadsheet
    assert text == f"image,t\\xe9xt\r\n{folder}/latin1-\\xe9.jpg,x\r\n"


def test_a_workflow_saves_and_loads_such_paths_exactly(folder, tmp_path):
    registry = Registry([ImageViewer, ImportImages])
    wf = Workflow(registry)
    imp = wf.add_node("imgflow.import_images", settings={"directory": str(folder)})
    viewer = wf.add_node("imgflow.image_viewer", settings={"selection": [odd_path(folder)]})
    wf.add_link(imp, "Data", viewer, "Data")
    path = tmp_path / "wf.imgflow"
    save(wf, path)
    assert "latin1-\\udce9.jpg" in path.read_bytes().decode("utf-8")
    again = load(path, registry)
    assert again.nodes[viewer.id].settings["selection"] == [odd_path(folder)]
    assert again.nodes[imp.id].settings["directory"] == str(folder)


def test_the_viewer_loads_its_thumbnail_and_names_it_readably(qtbot, folder):
    from imgflow.widgets.common.thumbnails import ThumbnailLoader
    from imgflow.widgets.image_viewer.grid import ThumbnailModel
    from PyQt5.QtCore import Qt
    table = ImportImages().compute({}, {"directory": str(folder), "recursive": True},
                                   Context()).outputs["Data"]
    loader = ThumbnailLoader()
    model = ThumbnailModel(loader)
    model.set_table(table, "image", "image name")
    index = model.index(0)
    model.data(index, Qt.DecorationRole)  # asks for the thumbnail
    qtbot.waitUntil(lambda: len(loader.cache) == 1 or bool(loader.failed), timeout=10_000)
    assert not loader.failed
    assert model.data(index, Qt.DisplayRole) == "latin1-\\xe9"
    assert model.data(index, Qt.ToolTipRole).endswith("/latin1-\\xe9.jpg")


def test_the_data_table_shows_the_name_readably(qtbot, folder):
    from imgflow.widgets.data_table.model import TableModel
    from PyQt5.QtCore import Qt
    table = Table.from_columns([Column.image("image", [odd_path(folder)])])
    model = TableModel(table)
    assert model.data(model.index(0, 0), Qt.DisplayRole) == f"{folder}/latin1-\\xe9.jpg"


@pytest.mark.timeout(300)
def test_imgflow_run_embeds_and_exports_a_folder_with_such_a_name(folder, tmp_path):
    workflow = tmp_path / "clustering.imgflow"
    shutil.copy(ROOT / "examples" / "image-clustering.imgflow", workflow)
    out = tmp_path / "embeddings.csv"
    env = {**os.environ, "IMGFLOW_CACHE_DIR": str(tmp_path / "cache"),
           "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run(
        [sys.executable, "-m", "imgflow.cli", "run", str(workflow),
         "--set", f"Import Images.directory={folder}",
         "--set", "Image Embedding.embedder=efficientnet-lite0",
         "--export", f"Image Embedding:Embeddings={out}"],
        capture_output=True, text=True, env=env, timeout=280)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    rows = list(csv.reader(out.open(encoding="utf-8", newline="")))
    assert [r[:2] for r in rows] == [["image name", "image"],
                                     ["latin1-\\xe9", f"{folder}/latin1-\\xe9.jpg"],
                                     ["plain", f"{folder}/plain.jpg"]]
    vectors = np.array([[float(v) for v in r[5:]] for r in rows[1:]])
    assert vectors.shape == (2, 1280) and np.isfinite(vectors).all()
    assert not np.allclose(vectors[0], vectors[1])  # the red photo was really embedded


def test_import_images_panel_names_such_folders_readably(qtbot, folder):
    from imgflow.widgets.import_images import ImportSummary
    from imgflow.widgets.import_images.panel import _skipped_tooltip, describe
    summary = ImportSummary(str(folder), 2, (os.fsdecode(b"caf\xe9"), "sea"),
                            ((os.fsdecode(b"caf\xe9/bad.jpg"), "not an image file"),))
    assert "2 categories (caf\\xe9, sea)" in describe(summary)
    assert _skipped_tooltip(summary) == "caf\\xe9/bad.jpg: not an image file"
