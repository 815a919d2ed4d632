"""Image Embedding with timm:NAME and a weights file, as a user scripts it with `imgflow run`."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgflow.api import Context, SettingError
from imgflow.widgets.image_embedding import ImageEmbedding
from tests.support.images import make_image_tree

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "image-clustering.imgflow"


def setting(name):
    return next(s for s in ImageEmbedding.settings if s.name == name)


def test_the_embedder_setting_takes_timm_names():
    embedder = setting("embedder")
    assert embedder.validate("timm:convnext_tiny") == "timm:convnext_tiny"
    for bad in ("timm:", "timm:a b", "vgg"):
        with pytest.raises(SettingError):
            embedder.validate(bad)
    assert setting("weights_file").path and setting("weights_file").default == ""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("timm")
    make_image_tree(root / "images", per_kind=2, size=(96, 72))
    import timm
    import torch
    torch.manual_seed(0)
    torch.save(timm.create_model("resnet18", pretrained=False).state_dict(), root / "r18.pth")
    return root


def imgflow_run(folder: Path, out: Path, cache: Path, *settings: str, env=None):
    exe = Path(sys.executable).with_name("imgflow")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "imgflow.cli"]
    command += ["run", str(EXAMPLE), "--set", f"Import Images.directory={folder / 'images'}"]
    for s in settings:
        command += ["--set", s]
    command += ["--export", f"Image Embedding:Embeddings={out}"]
    env = dict(os.environ, IMGFLOW_CACHE_DIR=str(cache), **(env or {}))
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def vectors(path: Path) -> np.ndarray:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = [n for n in rows[0] if n.startswith("n") and n[1:].isdigit()]
    return np.array([[float(r[n]) for n in names] for r in rows])


def test_a_timm_model_with_a_weights_file_gives_the_same_vectors_twice(folder, tmp_path):
    chosen = ("Image Embedding.embedder=timm:resnet18",
              f"Image Embedding.weights_file={folder / 'r18.pth'}")
    first = imgflow_run(folder, tmp_path / "a.csv", tmp_path / "cache-a", *chosen)
    assert first.returncode == 0, first.stderr
    second = imgflow_run(folder, tmp_path / "b.csv", tmp_path / "cache-b", *chosen)
    assert second.returncode == 0, second.stderr
    a, b = vectors(tmp_path / "a.csv"), vectors(tmp_path / "b.csv")
    assert a.shape == (8, 512) and np.isfinite(a).all() and a.std() > 0
    np.testing.assert_array_equal(a, b)


def test_no_network_and_no_file_is_one_line_without_a_traceback(folder, tmp_path):
    # no weights in (an empty) timm cache, and the hub marked unreachable
    done = imgflow_run(folder, tmp_path / "x.csv", tmp_path / "cache",
                       "Image Embedding.embedder=timm:resnet18",
                       env={"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")})
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    line = next(li for li in done.stderr.splitlines() if li.startswith("imgflow: error"))
    assert "resnet18 needs its pretrained weights" in line and "EfficientNet-Lite0" in line


def test_a_relative_weights_file_is_read_from_the_workflows_folder(folder, monkeypatch, tmp_path):
    from imgflow.data import Column, Table
    monkeypatch.setenv("IMGFLOW_CACHE_DIR", str(tmp_path / "cache"))
    images = sorted(str(p) for p in (folder / "images").rglob("*.jpg"))
    table = Table.from_columns([Column.image("image", images)])
    ctx = Context(workflow_dir=folder)
    widget = ImageEmbedding()
    result = widget.compute({"Images": table}, {**ImageEmbedding.default_settings(),
                                                "embedder": "timm:resnet18",
                                                "weights_file": "r18.pth"}, ctx)
    assert result.outputs["Embeddings"].X.shape == (8, 512)
    # the same file for another model: said, not silently ignored
    ctx = Context(workflow_dir=folder)
    widget.compute({"Images": table}, {**ImageEmbedding.default_settings(),
                                       "embedder": "squeezenet", "weights_file": "r18.pth"}, ctx)
    assert any("timm models only" in w for w in ctx.warnings)


def test_the_panel_offers_other_timm_models_and_says_which_file_is_read(qtbot, tmp_path):
    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel
    from imgflow.registry import Registry
    from imgflow.workflow import Workflow

    wf = Workflow(Registry.discover())
    node = wf.add_node("imgflow.image_embedding")
    engine = Engine(wf, workflow_path=tmp_path / "flow.imgflow")
    panel = open_panel(wf, engine, node)
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.timm_box.isVisible()
    index = panel.embedder_combo.findData("timm:")
    assert panel.embedder_combo.itemText(index) == "Other timm model…"
    panel.embedder_combo.setCurrentIndex(index)
    panel.embedder_combo.activated.emit(index)
    assert panel.timm_box.isVisible() and node.settings["embedder"] == "inception-v3"
    panel.timm_name_edit.setText(" convnext_tiny ")
    panel.timm_name_edit.editingFinished.emit()
    assert node.settings["embedder"] == "timm:convnext_tiny"
    assert "download" in panel.weights_source.text()
    panel.weights_edit.setText("weights/mine.pth")
    panel.weights_edit.editingFinished.emit()
    assert node.settings["weights_file"] == "weights/mine.pth"
    assert panel.weights_source.text() == \
        f"Loads weights from:\n{tmp_path / 'weights' / 'mine.pth'}"
    # another model hides the box; the remote list offers no timm entry
    index = panel.embedder_combo.findData("squeezenet")
    panel.embedder_combo.activated.emit(index)
    assert not panel.timm_box.isVisible()
    assert panel.remote_combo.findData("timm:") == -1
    engine.shutdown()
