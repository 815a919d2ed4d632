"""embed_images: order, skipped rows, cache use, overlap, cancellation.

Most tests run twice: with one model call at a time (a GPU or a server)
and with two lanes that each load and embed a batch (a CPU).
"""
from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
from PIL import Image

from imgflow.embedders import cache as cache_module
from imgflow.embedders import pipeline
from imgflow.embedders.cache import EmbeddingCache
from imgflow.embedders.errors import EmbedderError, EmbeddingCancelled
from imgflow.embedders.images import open_rgb, read_bytes
from imgflow.embedders.pipeline import embed_images
from tests.embedders.fakes import MeanColourModel

COLOURS = [(250, 10, 10), (10, 250, 10), (10, 10, 250), (200, 200, 0), (0, 200, 200),
           (120, 120, 120), (255, 255, 255), (0, 0, 0), (90, 30, 160)]


@pytest.fixture(params=[1, 2], ids=["pipelined", "lanes"])
def lanes(request) -> int:
    return request.param


@pytest.fixture
def coloured(tmp_path):
    """One PNG per colour, so a vector tells which file it came from."""
    paths = []
    for i, colour in enumerate(COLOURS):
        path = tmp_path / f"c{i}.png"
        Image.new("RGB", (30, 20), colour).save(path)
        paths.append(str(path))
    return paths


def test_vectors_in_input_order_with_skipped_marked(coloured, tmp_path, lanes):
    (tmp_path / "bad.jpg").write_text("not an image")
    sources = [coloured[0], str(tmp_path / "bad.jpg"), coloured[1], str(tmp_path / "nope.png"),
               coloured[2], *coloured[3:]]
    model = MeanColourModel(lanes=lanes)
    steps = []
    result = embed_images(sources, model, progress=lambda d, t: steps.append((d, t)))
    assert result.vectors.shape == (len(sources), 3) and result.vectors.dtype == np.float32
    assert result.skipped == {1: "not an image file", 3: "file not found"}
    assert np.isnan(result.vectors[[1, 3]]).all()
    good = [i for i in range(len(sources)) if i not in result.skipped]
    expected = [COLOURS[0], COLOURS[1], *COLOURS[2:]]
    np.testing.assert_allclose(result.vectors[good], expected, atol=0.5)
    assert result.n_computed == len(good) and result.n_cached == 0
    assert max(model.calls) <= model.batch_size
    assert steps[-1] == (len(sources), len(sources))
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)


def test_batch_size_argument(coloured, lanes):
    model = MeanColourModel(lanes=lanes)
    embed_images(coloured, model, batch_size=2)
    assert max(model.calls) == 2 and sum(model.calls) == len(coloured)


def test_empty_input(lanes):
    result = embed_images([], MeanColourModel(lanes=lanes))
    assert result.vectors.shape == (0, 3) and result.skipped == {}


def test_second_run_comes_from_cache(coloured, tmp_path, lanes):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    first = embed_images(coloured, MeanColourModel(lanes=lanes), cache=cache)
    model = MeanColourModel(lanes=lanes)
    second = embed_images(coloured, model, cache=cache)
    assert model.calls == [] and second.n_cached == len(coloured) and second.n_computed == 0
    np.testing.assert_array_equal(first.vectors, second.vectors)


def test_unchanged_files_are_not_even_read(coloured, tmp_path, monkeypatch, lanes):
    # the files were written a moment ago: count them as old enough to remember
    # (files changed within RACY_NS are read again: test_cache_trust.py)
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    embed_images(coloured, MeanColourModel(lanes=lanes), cache=cache)
    reads = []
    monkeypatch.setattr(pipeline, "read_bytes", lambda s: reads.append(s) or read_bytes(s))
    embed_images(coloured, MeanColourModel(lanes=lanes), cache=cache)
    assert reads == []


def test_renamed_file_hits_and_edited_file_misses(coloured, tmp_path, lanes):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    embed_images(coloured, MeanColourModel(lanes=lanes), cache=cache)
    moved = tmp_path / "moved"
    moved.mkdir()
    renamed = str(moved / "renamed.png")
    os.rename(coloured[0], renamed)
    Image.new("RGB", (30, 20), (1, 2, 3)).save(coloured[1])  # edited in place
    decoded = []
    real_open = pipeline.open_rgb
    pipeline_open = lambda data, target=None: decoded.append(1) or real_open(data, target)  # noqa: E731
    model = MeanColourModel(lanes=lanes)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "open_rgb", pipeline_open)
        result = embed_images([renamed, coloured[1]], model, cache=cache)
    assert result.n_cached == 1 and result.n_computed == 1 and model.calls == [1]
    assert len(decoded) == 1  # only the miss was decoded
    np.testing.assert_allclose(result.vectors[0], COLOURS[0], atol=0.5)
    np.testing.assert_allclose(result.vectors[1], (1, 2, 3), atol=0.5)


def test_other_model_version_misses(coloured, tmp_path, lanes):
    import dataclasses
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    embed_images(coloured, MeanColourModel(lanes=lanes), cache=cache)
    other = MeanColourModel(lanes=lanes)
    other.info = dataclasses.replace(other.info, version="fake/2")
    assert embed_images(coloured, other, cache=cache).n_computed == len(coloured)


def grey_squares(folder, n: int) -> list[str]:
    paths = []
    for i in range(n):
        path = folder / f"{i}.png"
        Image.new("RGB", (20, 20), (i, i, i)).save(path)
        paths.append(str(path))
    return paths


def test_decoding_overlaps_the_model(tmp_path):
    """One call at a time: while the model works on one batch, the next
    batch is being loaded."""
    paths = grey_squares(tmp_path, 24)
    loads = []
    real = pipeline.open_rgb

    def slow_open(data, target=None):
        loads.append(time.monotonic())
        time.sleep(0.01)
        return real(data, target)
    model = MeanColourModel(delay=0.15)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "open_rgb", slow_open)
        embed_images(paths, model)
    first_start, first_end = model.intervals[0]
    during = [t for t in loads if first_start < t < first_end]
    assert len(during) >= model.batch_size


def test_lanes_embed_batches_at_once(tmp_path):
    """A model with lanes runs that many batches at once, in input order."""
    paths = grey_squares(tmp_path, 24)
    model = MeanColourModel(delay=0.1, lanes=2)
    result = embed_images(paths, model)
    assert model.lanes_entered == 1 and sorted(model.calls) == [4] * 6
    starts, ends = zip(*sorted(model.intervals))
    assert any(start < end for start, end in zip(starts[1:], ends))  # overlapping calls
    np.testing.assert_allclose(result.vectors[:, 0], range(24), atol=0.5)


def test_lanes_share_the_work_evenly(tmp_path):
    """9 images in batches of up to 4 on 2 lanes: 4 batches of 2-3 images,
    not 4 + 4 + 1 with a last batch on one lane while the other idles."""
    paths = grey_squares(tmp_path, 9)
    model = MeanColourModel(lanes=2)
    result = embed_images(paths, model)
    assert sorted(model.calls) == [2, 2, 2, 3]
    np.testing.assert_allclose(result.vectors[:, 0], range(9), atol=0.5)


@pytest.mark.timeout(20)
def test_cancel_between_batches(coloured, lanes):
    """No model call starts once cancelled; calls already running finish."""
    model = MeanColourModel(delay=0.05, lanes=lanes)
    cancelled_at = []

    def is_cancelled():
        if len(model.calls) >= 2 and not cancelled_at:
            cancelled_at.append(time.monotonic())
        return bool(cancelled_at)
    with pytest.raises(EmbeddingCancelled):
        embed_images(coloured * 5, model, is_cancelled=is_cancelled)
    time.sleep(0.2)  # a lane still running would record its call by now
    assert 2 <= len(model.calls) <= 1 + lanes
    assert all(start < cancelled_at[0] for start, _ in model.intervals)


@pytest.mark.timeout(20)
def test_cancel_is_prompt_while_loading(coloured, monkeypatch, lanes):
    """Slow loaders (a network share, say) do not delay a cancel."""
    def slow_read(source):
        time.sleep(0.5)
        return read_bytes(source)
    monkeypatch.setattr(pipeline, "read_bytes", slow_read)
    flag = threading.Event()
    threading.Timer(0.2, flag.set).start()
    start = time.monotonic()
    with pytest.raises(EmbeddingCancelled):
        embed_images(coloured * 20, MeanColourModel(lanes=lanes), is_cancelled=flag.is_set)
    assert time.monotonic() - start < 0.6


def test_model_failure_is_an_embedder_error(coloured, lanes):
    class Broken(MeanColourModel):
        def embed(self, batch):
            raise ConnectionError("server went away")
    with pytest.raises(EmbedderError, match="server went away"):
        embed_images(coloured, Broken(lanes=lanes))

    class WrongWidth(MeanColourModel):
        def embed(self, batch):
            return np.zeros((len(batch), 7), np.float32)
    with pytest.raises(EmbedderError, match="shape"):
        embed_images(coloured, WrongWidth(lanes=lanes))


def test_unexpected_loader_error_only_skips_that_image(coloured, monkeypatch, lanes):
    real = pipeline.open_rgb

    def fragile(data, target=None):
        image = real(data, target)
        if image.getpixel((0, 0)) == COLOURS[4]:
            raise RuntimeError("decoder bug")
        return image
    monkeypatch.setattr(pipeline, "open_rgb", fragile)
    result = embed_images(coloured, MeanColourModel(lanes=lanes))
    assert list(result.skipped) == [4] and "decoder bug" in result.skipped[4]
    assert result.n_computed == len(coloured) - 1


def test_real_model_pipeline_equals_direct_embedding(squeezenet, coloured, tmp_path):
    result = embed_images(coloured[:3], squeezenet, cache=EmbeddingCache(tmp_path / "c.sqlite"))
    info = squeezenet.info
    direct = squeezenet.embed(np.stack([
        info.prepare(open_rgb(read_bytes(p), info.decode_target)) for p in coloured[:3]]))
    np.testing.assert_allclose(result.vectors, direct, rtol=1e-5, atol=1e-4)
