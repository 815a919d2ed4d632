"""Every image is looked up in the cache before the model is asked for anything:
a fully cached run never builds (nor imports) the network."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from imgflow.embedders import pipeline
from imgflow.embedders.cache import EmbeddingCache
from imgflow.embedders.models import load_model, model_info
from imgflow.embedders.models.lazy import LazyModel
from imgflow.embedders.pipeline import embed_images
from tests.embedders.fakes import MeanColourModel


class Untouchable(MeanColourModel):
    """A model that fails the test when anything but .info is asked of it."""
    touched = False

    def __getattribute__(self, name):
        if name in ("embed", "lanes", "batch_size", "lanes_running"):
            pytest.fail(f"the model was asked for {name} although every vector was cached")
        return super().__getattribute__(name)


@pytest.fixture
def coloured(tmp_path):
    paths = []
    for i in range(6):
        path = tmp_path / f"c{i}.png"
        Image.new("RGB", (30, 20), (40 * i, 10, 200 - 30 * i)).save(path)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("lanes", [1, 2])
def test_a_fully_cached_run_never_asks_the_model(coloured, tmp_path, lanes):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    first = embed_images(coloured, MeanColourModel(lanes=lanes), cache=cache)
    # a moved file is found by its content, not its stamp: still no model
    moved = str(tmp_path / "moved.png")
    os.rename(coloured[0], moved)
    again = embed_images([moved, *coloured[1:]], Untouchable(lanes=lanes), cache=cache)
    assert (again.n_cached, again.n_computed) == (len(coloured), 0)
    np.testing.assert_array_equal(again.vectors, first.vectors)


def test_one_new_image_reads_each_file_once_and_embeds_only_it(coloured, tmp_path, monkeypatch):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    embed_images(coloured[:-1], MeanColourModel(), cache=cache)
    reads = []
    real = pipeline.read_bytes
    monkeypatch.setattr(pipeline, "read_bytes", lambda s: reads.append(s) or real(s))
    model = MeanColourModel()
    result = embed_images(coloured, model, cache=cache)
    assert (result.n_cached, result.n_computed) == (len(coloured) - 1, 1)
    assert model.calls == [1]
    # stamps are too fresh to trust (RACY_NS), so all are read; none twice
    assert sorted(reads) == sorted(set(reads))


def test_an_unreadable_file_is_skipped_before_the_model_is_asked(coloured, tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    embed_images(coloured, MeanColourModel(), cache=cache)
    result = embed_images([*coloured, str(tmp_path / "gone.png")], Untouchable(), cache=cache)
    assert result.skipped == {len(coloured): "file not found"}


def test_the_lazy_model_keys_the_cache_as_the_loaded_model(tmp_path):
    from imgflow.embedders.models.efficientnet_lite import weights_file
    custom = tmp_path / "lite0.pth"
    custom.write_bytes(open(weights_file(), "rb").read())
    for weights in (None, str(custom)):
        lazy = LazyModel("efficientnet-lite0", device="cpu", weights_path=weights)
        assert not lazy.loaded
        assert lazy.info == model_info("efficientnet-lite0", weights)
        loaded = load_model("efficientnet-lite0", device="cpu", weights_path=weights)
        assert lazy.info == loaded.info
    assert lazy.info.version != model_info("efficientnet-lite0").version  # custom weights
    batch = np.zeros((1, 224, 224, 3), np.uint8)
    np.testing.assert_array_equal(lazy.embed(batch), loaded.embed(batch))
    assert lazy.loaded


def test_the_inception_weights_variable_keys_the_cache(tmp_path, monkeypatch):
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"some weights")
    monkeypatch.setenv("IMGFLOW_INCEPTION_WEIGHTS", str(weights))
    assert model_info("inception-v3").version.startswith("inception-v3/")
    assert model_info("inception-v3").version != model_info("efficientnet-lite0").version
    assert "+w" in model_info("inception-v3").version
    monkeypatch.delenv("IMGFLOW_INCEPTION_WEIGHTS")
    assert "+w" not in model_info("inception-v3").version


def test_a_model_started_in_the_background_is_built_once(monkeypatch):
    import threading
    import time

    from imgflow.embedders import models
    from imgflow.embedders.errors import EmbedderError
    builds = []

    def slow_load(*args):
        builds.append(threading.current_thread().name)
        time.sleep(0.2)
        return MeanColourModel(info=model_info("squeezenet"))
    monkeypatch.setattr(models, "load_model", slow_load)
    lazy = LazyModel("squeezenet")
    lazy.start_loading()
    lazy.start_loading()
    assert lazy.model() is lazy.model() and builds == ["imgflow-model-load"]

    def failing_load(*args):
        raise EmbedderError("no weights")
    monkeypatch.setattr(models, "load_model", failing_load)
    broken = LazyModel("squeezenet")
    broken.start_loading()
    with pytest.raises(EmbedderError, match="no weights"):
        broken.model()            # the background's error, in the caller's thread
    with pytest.raises(EmbedderError, match="no weights"):
        broken.model()            # and again on a later try


def test_a_cold_run_embeds_with_a_lazy_model(coloured, tmp_path, monkeypatch):
    from imgflow.embedders import models
    made = []
    monkeypatch.setattr(models, "model_info", lambda *a: MeanColourModel().info)
    monkeypatch.setattr(models, "load_model",
                        lambda *a: made.append(1) or MeanColourModel(lanes=2))
    lazy = LazyModel("fake")
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    result = embed_images(coloured, lazy, cache=cache)
    assert (result.n_computed, made) == (len(coloured), [1])
    assert embed_images(coloured, LazyModel("fake"), cache=cache).n_cached == len(coloured)
    assert made == [1]            # the second run never built its model
