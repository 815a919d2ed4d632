"""Image Embedding's dask_scheduler: the model runs on the cluster's workers, only on a
scheduler the user chose; a workflow file naming one is refused until they trust it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgflow import trusted_servers
from imgflow.api import Context, WidgetError
from imgflow.data import Column, Table
from imgflow.headless import RunError, SettingOverride, run_workflow
from imgflow.registry import Registry
from imgflow.widgets.image_embedding import ImageEmbedding
from tests.conftest import dask_tasks_run
from tests.remote.conftest import workflow_file
from tests.support.images import make_image_tree

ROOT = Path(__file__).resolve().parents[2]
MODEL = "squeezenet"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGFLOW_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("photos")
    make_image_tree(root, per_kind=2, size=(96, 72))
    return root


def table_of(folder: Path) -> Table:
    return Table.from_columns([Column.image("image", sorted(str(p) for p in folder.rglob("*.jpg")))])


def embed(table: Table, **settings):
    settings = {**ImageEmbedding.default_settings(), "embedder": MODEL, **settings}
    return ImageEmbedding().compute({"Images": table}, settings, Context())


def shared_workflow(tmp_path: Path, folder: Path, scheduler: str) -> Path:
    return workflow_file(tmp_path, folder, "", embedder=MODEL, dask_scheduler=scheduler)


def test_a_trusted_scheduler_embeds_as_this_computer_does(dask_cluster, folder, cache_dir):
    table = table_of(folder)
    here = embed(table)
    address = dask_cluster.scheduler_address
    trusted_servers.add(address)
    cache_dir.rename(cache_dir.with_name("local-cache"))        # the cluster computes afresh
    there = embed(table, dask_scheduler=address)
    np.testing.assert_allclose(there.outputs["Embeddings"].X, here.outputs["Embeddings"].X,
                               rtol=1e-4, atol=1e-5)
    assert there.view.n_computed == len(table) and f"Dask cluster {address}" in there.info
    again = embed(table)                                       # the same cache as local runs
    assert again.view.n_cached == len(table)


def test_a_scheduler_named_by_a_workflow_file_gets_nothing_until_trusted(
        dask_cluster, folder, tmp_path, cache_dir):
    address = dask_cluster.scheduler_address
    path = shared_workflow(tmp_path, folder, address)
    before = dask_tasks_run(dask_cluster), dask_tasks_run(dask_cluster, "worker_info")
    with pytest.raises(RunError) as info:
        run_workflow(path, Registry.discover(), [], timeout=120)
    message = str(info.value)
    assert "\n" not in message and f"imgflow servers add {address}" in message
    assert "Dask scheduler" in message
    # choosing the model on the command line does not make the file's scheduler the user's
    with pytest.raises(RunError, match="imgflow servers add"):
        run_workflow(path, Registry.discover(),
                     [SettingOverride.parse("Image Embedding.embedder=efficientnet-lite0")],
                     timeout=120)
    after = dask_tasks_run(dask_cluster), dask_tasks_run(dask_cluster, "worker_info")
    assert after == before


def test_a_scheduler_named_with_set_is_the_users_choice_for_that_run(
        dask_cluster, folder, tmp_path, cache_dir):
    path = shared_workflow(tmp_path, folder, "tcp://127.0.0.1:9")
    address = dask_cluster.scheduler_address
    before = dask_tasks_run(dask_cluster)
    wf = run_workflow(path, Registry.discover(),
                      [SettingOverride.parse(f"Image Embedding.dask_scheduler={address}")],
                      timeout=120)
    assert dask_tasks_run(dask_cluster) > before
    assert wf.node_by_title("Image Embedding").settings["dask_scheduler"] == address
    assert not trusted_servers.is_trusted(address)         # for that run only


def test_the_canvas_asks_about_a_scheduler_as_about_a_server(folder, tmp_path):
    from imgflow.workflow import load
    wf = load(shared_workflow(tmp_path, folder, "10.0.0.5"), Registry.discover())
    assert trusted_servers.untrusted_in(wf) == {"tcp://10.0.0.5:8786": [1]}
    trusted_servers.add("tcp://10.0.0.5:8786")
    assert trusted_servers.untrusted_in(wf) == {}


def test_an_unreachable_or_wrong_scheduler_is_one_clear_line(folder, cache_dir, monkeypatch):
    pytest.importorskip("distributed")
    from imgflow.embedders import dask_cluster as module
    monkeypatch.setattr(module, "CONNECT_TIMEOUT_S", 1.0)
    table = table_of(folder)
    trusted_servers.add("tcp://127.0.0.1:9")
    with pytest.raises(WidgetError) as info:
        embed(table, dask_scheduler="127.0.0.1:9")
    assert "\n" not in str(info.value) and "Cannot reach the Dask scheduler" in str(info.value)
    for wrong in ("http://127.0.0.1:9", "tcp://127.0.0.1:9/path", "tcp://host:port"):
        with pytest.raises(WidgetError) as info:
            embed(table, dask_scheduler=wrong)
        assert "\n" not in str(info.value)


def test_without_a_scheduler_dask_is_never_imported():
    code = ("import sys, json\n"
            "from imgflow.api import Context\n"
            "from imgflow.widgets.image_embedding import ImageEmbedding\n"
            "ImageEmbedding.sends_to({'embedder': 'squeezenet', 'dask_scheduler': ''})\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert not {m.split(".")[0] for m in json.loads(out.stdout)} & {"dask", "distributed"}


def test_the_panel_trusts_a_scheduler_typed_there_and_hides_it_for_a_server(qtbot):
    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel
    from imgflow.workflow import Workflow

    wf = Workflow(Registry.discover())
    node = wf.add_node("imgflow.image_embedding")
    engine = Engine(wf)
    panel = open_panel(wf, engine, node)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.cluster_box.isVisible() and "this computer" in panel.scheduler_trust.text()
    panel.scheduler_edit.setText(" 10.0.0.5:8786 ")
    panel.scheduler_edit.editingFinished.emit()
    assert node.settings["dask_scheduler"] == "10.0.0.5:8786"
    assert trusted_servers.is_trusted("tcp://10.0.0.5:8786")
    assert panel.scheduler_trust.text().startswith("Trusted")
    index = panel.embedder_combo.findData("remote")
    panel.embedder_combo.setCurrentIndex(index)
    panel.embedder_combo.activated.emit(index)
    assert not panel.cluster_box.isVisible()
    engine.shutdown()
