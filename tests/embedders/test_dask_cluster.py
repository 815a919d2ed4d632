"""Embedding on a real Dask cluster (LocalCluster, worker processes): the same vectors as
here, skip reasons, the local cache filled, only misses sent, cancel, and clear refusals."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

import numpy as np
import pytest

from imgflow.embedders.cache import EmbeddingCache
from imgflow.embedders.errors import EmbedderError, EmbeddingCancelled
from imgflow.embedders.pipeline import embed_images
from tests.conftest import dask_tasks_run
from tests.support.images import make_image_tree

pytest.importorskip("distributed")
from imgflow.embedders.dask_cluster import ClusterModel  # noqa: E402

MODEL = "squeezenet"


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """12 small photos of 4 kinds, a file that is no image and one that is gone."""
    root = tmp_path_factory.mktemp("photos")
    paths = [str(p) for p in make_image_tree(root, per_kind=3, size=(120, 90))]
    (root / "broken.jpg").write_bytes(b"not a jpeg at all")
    return paths + [str(root / "broken.jpg"), str(root / "gone.png")]


@pytest.fixture(scope="module")
def local(photos, squeezenet):
    """What the local pipeline makes of the photos."""
    return embed_images(photos, squeezenet)


def on_cluster(cluster, **options) -> ClusterModel:
    return ClusterModel(cluster.scheduler_address, MODEL, **{"task_size": 4, **options})


def test_the_cluster_gives_the_local_vectors_and_reasons_and_fills_the_local_cache(
        dask_cluster, photos, local, squeezenet, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    steps = []
    with on_cluster(dask_cluster) as model:
        result = embed_images(photos, model, cache, progress=lambda d, t: steps.append(d))
    assert result.skipped == local.skipped == {12: "not an image file", 13: "file not found"}
    assert result.n_computed == 12 and result.n_cached == 0
    np.testing.assert_allclose(result.vectors[:12], local.vectors[:12], rtol=1e-4, atol=1e-5)
    # progress advances per finished task (4 images each), never backwards
    assert steps == sorted(steps) and steps[-1] == len(photos)
    assert len({d for d in steps if 0 < d < len(photos)}) >= 2

    # the same cache as local runs: a local run finds every vector there
    again = embed_images(photos, squeezenet, cache)
    assert again.n_cached == 12 and again.n_computed == 0
    np.testing.assert_array_equal(again.vectors[:12], result.vectors[:12])
    cache.close()


def test_only_images_missing_from_the_cache_go_to_the_cluster(dask_cluster, photos, local,
                                                              squeezenet, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    embed_images(photos[:8], squeezenet, cache)
    before = dask_tasks_run(dask_cluster)
    with on_cluster(dask_cluster) as model:
        result = embed_images(photos, model, cache)
    assert result.n_cached == 8 and result.n_computed == 4
    # 4 photos and the broken file (the one that is gone is known here), 4 paths a task
    assert dask_tasks_run(dask_cluster) - before == 2
    np.testing.assert_allclose(result.vectors[:12], local.vectors[:12], rtol=1e-4, atol=1e-5)

    # nothing missing: the cluster is not even contacted
    with on_cluster(dask_cluster) as model:
        cached = embed_images(photos[:12], model, cache)
        assert model._client is None and cached.n_cached == 12
    cache.close()


def test_the_images_are_read_by_the_workers_only_and_a_rerun_needs_no_cluster(
        dask_cluster, photos, local, tmp_path, monkeypatch):
    from imgflow.embedders import pipeline
    read_here = []
    real_read = pipeline.read_bytes
    monkeypatch.setattr(pipeline, "read_bytes", lambda source: read_here.append(source)
                        or real_read(source))
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    with on_cluster(dask_cluster) as model:
        result = embed_images(photos, model, cache)
    assert result.n_computed == 12 and read_here == []     # not pulled here to be hashed
    # the stamps taken here vouch for the workers' keys: a re-run is answered here
    with on_cluster(dask_cluster) as model:
        again = embed_images(photos[:12], model, cache)
        assert model._client is None and again.n_cached == 12 and read_here == []
    np.testing.assert_array_equal(again.vectors, result.vectors[:12])
    cache.close()


def test_cancel_stops_the_run_and_the_tasks_left(dask_cluster, photos, tmp_path):
    cancelled = threading.Event()
    before = dask_tasks_run(dask_cluster)
    # the file that is gone is counted at once; more than that is a task done on the cluster
    with on_cluster(dask_cluster, task_size=1) as model:
        with pytest.raises(EmbeddingCancelled):
            embed_images(photos, model, EmbeddingCache(tmp_path / "cache.sqlite"),
                         progress=lambda d, t: d > 1 and cancelled.set(),
                         is_cancelled=cancelled.is_set)
    assert dask_tasks_run(dask_cluster) - before < 13       # not every task ran
    deadline = time.monotonic() + 30
    while any(str(k).startswith("embed_task") for k in list(dask_cluster.scheduler.tasks)):
        assert time.monotonic() < deadline, "the tasks left were not cancelled"
        time.sleep(0.1)


def test_an_unreachable_scheduler_is_one_clear_line(photos, tmp_path):
    with ClusterModel("tcp://127.0.0.1:9", MODEL, connect_timeout=1) as model:
        with pytest.raises(EmbedderError) as info:
            embed_images(photos, model, EmbeddingCache(tmp_path / "cache.sqlite"))
    message = str(info.value)
    assert "\n" not in message and "tcp://127.0.0.1:9" in message
    assert "Cannot reach the Dask scheduler" in message


def test_without_distributed_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)   # import distributed fails
    with pytest.raises(EmbedderError, match=r'pip install "imgflow\[dask\]"'):
        ClusterModel("tcp://127.0.0.1:9", MODEL)


def test_a_worker_that_dies_mid_task_loses_nothing(dask_cluster, photos, local, tmp_path):
    """Its task runs again on a worker that lives: every vector arrives, once."""
    pids = [w.process.process.pid for w in dask_cluster.workers.values()]
    killed = []

    def kill_one(done, total):
        if done > 1 and not killed:       # a task is done, both workers hold one: one dies
            killed.append(pids[0])
            os.kill(pids[0], signal.SIGKILL)

    with on_cluster(dask_cluster, task_size=1) as model:
        result = embed_images(photos, model, EmbeddingCache(tmp_path / "cache.sqlite"),
                              progress=kill_one)
    assert killed
    assert result.skipped == local.skipped and result.n_computed == 12
    np.testing.assert_allclose(result.vectors[:12], local.vectors[:12], rtol=1e-4, atol=1e-5)
    dask_cluster.wait_for_workers(2, timeout=120)         # the nanny restarts it
