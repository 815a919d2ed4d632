"""Image Embedding: vectors for the readable images, the rest skipped with reasons, a cache."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgflow.api import Cancelled, Context, WidgetError
from imgflow.data import Column, Table
from tests.support.images import make_image_tree
from imgflow.widgets.image_embedding import ImageEmbedding, embedder_choices

ROOT = Path(__file__).resolve().parents[2]
OFFLINE = "efficientnet-lite0"


@pytest.fixture(scope="module")
def widget():
    """One instance for the module, as the engine keeps one per node: the model loads once."""
    return ImageEmbedding()


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("IMGFLOW_CACHE_DIR", str(folder))
    return folder


def image_table(paths) -> Table:
    return Table.from_columns([
        Column.text("image name", [Path(p).stem if p else None for p in paths]),
        Column.image("image", [str(p) if p else None for p in paths])])


def embed(widget, table, ctx=None, **settings):
    ctx = ctx or Context()
    result = widget.compute({"Images": table},
                            {**ImageEmbedding.default_settings(), "embedder": OFFLINE,
                             **settings}, ctx)
    return result, ctx


def test_vectors_are_added_as_features_skipped_images_go_apart(widget, cache_dir, tmp_path):
    paths = make_image_tree(tmp_path / "img", per_kind=2, size=(96, 72))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a picture")
    table = image_table([paths[0], broken, paths[1], None, *paths[2:]])
    result, ctx = embed(widget, table)

    out = result.outputs["Embeddings"]
    assert out.feature_names[:2] == ("n0", "n1") and out.n_features == 1280
    assert out.X.dtype == np.float32 and np.isfinite(out.X).all()
    assert list(out.ids) == [table.ids[0], table.ids[2], *table.ids[4:]]   # input order, ids kept
    assert [c.name for c in out.columns] == ["image name", "image"]

    skipped = result.outputs["Skipped Images"]
    assert list(skipped.ids) == [table.ids[1], table.ids[3]]
    reasons = skipped.column("reason").data
    assert reasons[1] == "no image path" and reasons[0]
    assert ctx.warnings[0].startswith("2 of 10 images could not be embedded: broken (")
    assert result.view.n_computed == 8 and "8 computed" in result.info


def test_the_cache_makes_a_rerun_instant_and_embeds_only_new_images(widget, cache_dir, tmp_path):
    paths = make_image_tree(tmp_path / "img", per_kind=2, size=(96, 72))
    first, _ = embed(widget, image_table(paths[:6]))
    assert (first.view.n_cached, first.view.n_computed) == (0, 6)
    again, _ = embed(widget, image_table(paths))
    assert (again.view.n_cached, again.view.n_computed) == (6, 2)
    assert "6 from the cache, 2 computed" in again.info
    np.testing.assert_allclose(again.outputs["Embeddings"].X[:6], first.outputs["Embeddings"].X,
                               atol=1e-5)


def test_the_loaded_model_is_kept_between_runs(widget, cache_dir, tmp_path, monkeypatch):
    import imgflow.embedders.models
    embed(widget, image_table(make_image_tree(tmp_path / "a", per_kind=1, size=(64, 48))))
    monkeypatch.setattr(imgflow.embedders.models, "load_model",
                        lambda *a, **k: pytest.fail("the model was loaded again"))
    result, _ = embed(widget, image_table(make_image_tree(tmp_path / "b", per_kind=1,
                                                          size=(64, 48))))
    assert result.outputs["Embeddings"] is not None


def test_missing_inception_weights_name_the_offline_models(cache_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("IMGFLOW_INCEPTION_WEIGHTS", str(tmp_path / "nowhere.pth"))
    table = image_table(make_image_tree(tmp_path / "img", per_kind=1, size=(64, 48)))
    with pytest.raises(WidgetError, match="EfficientNet-Lite0 or SqueezeNet"):
        embed(ImageEmbedding(), table, embedder="inception-v3")


def test_an_unreachable_server_is_an_error_never_a_silent_switch(cache_dir, tmp_path):
    from imgflow import trusted_servers
    table = image_table(make_image_tree(tmp_path / "img", per_kind=1, size=(64, 48)))
    trusted_servers.add("127.0.0.1:9")
    with pytest.raises(WidgetError, match="Cannot reach .*offline model"):
        embed(ImageEmbedding(), table, embedder="remote", server_url="127.0.0.1:9")
    with pytest.raises(WidgetError, match="No server address"):
        embed(ImageEmbedding(), table, embedder="remote")


def test_a_remote_server_embeds_like_the_local_model(widget, cache_dir, tmp_path, token_file):
    from imgflow import trusted_servers
    from tests.remote.conftest import ServerProcess
    table = image_table(make_image_tree(tmp_path / "img", per_kind=1, size=(96, 72)))
    server = ServerProcess("--token-file", str(token_file)).wait_ready()
    try:
        # the token comes from the user's trusted-server entry, as `imgflow servers add` stores it
        trusted_servers.add(server.url, token_file.read_text().strip())
        remote, _ = embed(ImageEmbedding(), table, embedder="remote", server_url=server.url,
                          remote_model="squeezenet")
    finally:
        server.stop()
    local, _ = embed(widget, table, embedder="squeezenet")
    np.testing.assert_allclose(remote.outputs["Embeddings"].X, local.outputs["Embeddings"].X,
                               rtol=1e-3, atol=1e-3)


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text("widget-test-token\n")
    return path


def test_no_image_column_and_an_unknown_column_are_explained(widget, cache_dir, tmp_path):
    with pytest.raises(WidgetError, match="no image column"):
        embed(widget, Table.from_columns([Column.text("name", ["a"])]))
    table = image_table(make_image_tree(tmp_path / "img", per_kind=1, size=(64, 48)))
    result, ctx = embed(widget, table, image_column="photo")
    assert "no image column 'photo'; 'image' is used" in ctx.warnings[0]
    assert len(result.outputs["Embeddings"]) == 4


def test_cancelling_stops_the_run(widget, cache_dir, tmp_path):
    table = image_table(make_image_tree(tmp_path / "img", per_kind=3, size=(64, 48)))
    ctx = Context(on_progress=lambda f: ctx.cancel())
    with pytest.raises(Cancelled):
        embed(widget, table, ctx)


def test_the_embedders_on_offer_and_no_torch_or_qt_at_import():
    ids = [c[0] for c in embedder_choices()]
    assert ids == ["inception-v3", "squeezenet", "efficientnet-lite0", "efficientnet-lite1",
                   "efficientnet-lite2", "timm:", "remote"]
    assert "(offline)" in dict((c[0], c[1]) for c in embedder_choices())[OFFLINE]
    code = ("import sys, json, imgflow.widgets.image_embedding, imgflow.widgets.distances, "
            "imgflow.widgets.hierarchical_clustering; print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    loaded = {m.split(".")[0] for m in json.loads(out.stdout)}
    assert not loaded & {"torch", "PyQt5", "pyqtgraph"}


def test_the_panel_shows_server_settings_only_for_remote_and_cancels(qtbot, monkeypatch):
    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel
    from imgflow.registry import Registry
    from imgflow.workflow import Workflow

    wf = Workflow(Registry.discover())
    node = wf.add_node("imgflow.image_embedding")
    engine = Engine(wf)
    panel = open_panel(wf, engine, node)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.embedder_combo.currentText() == "Inception v3"
    assert not panel.remote_box.isVisible()
    index = panel.embedder_combo.findData("remote")
    panel.embedder_combo.setCurrentIndex(index)
    panel.embedder_combo.activated.emit(index)
    assert node.settings["embedder"] == "remote" and panel.remote_box.isVisible()
    panel.url_edit.setText(" gpu1:8750 ")
    panel.url_edit.editingFinished.emit()
    assert node.settings["server_url"] == "gpu1:8750"
    cancelled = []
    monkeypatch.setattr(engine, "cancel", cancelled.append)
    panel.cancel_button.click()
    assert cancelled == [node.id]
    engine.shutdown()
