"""RemoteModel against real servers: retries, failover, many clients, pipeline."""
from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import requests

from imgflow.embedders.cache import EmbeddingCache
from imgflow.embedders.errors import EmbedderError, EmbeddingCancelled
from imgflow.embedders.pipeline import embed_images
from imgflow.embedders.remote.client import RemoteModel
from tests.support.images import make_image_tree

from .conftest import MODEL, ServerProcess, random_images, wait_until


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_is_named_with_a_way_out():
    url = f"http://127.0.0.1:{closed_port()}"
    start = time.monotonic()
    with pytest.raises(EmbedderError) as info:
        RemoteModel(url, MODEL)
    message = str(info.value)
    assert url in message and "connection refused" in message
    assert "offline model" in message and "SqueezeNet" in message
    assert time.monotonic() - start < 10


def test_busy_server_is_retried_after_retry_after(servers, local_model):
    srv = servers["slow"]            # one request at a time, Retry-After: 1
    images = random_images(6, seed=11)
    n_busy_before = sum(" 503 " in line for line in srv.lines)
    with RemoteModel(srv.url, MODEL, images_per_request=2, concurrency=3) as model:
        start = time.monotonic()
        vectors = model.embed(images)
        elapsed = time.monotonic() - start
        stats = dict(model.stats)
    np.testing.assert_allclose(vectors, local_model.embed(images), rtol=1e-5, atol=1e-5)
    assert stats["busy"] >= 1
    # each 503 made the whole client wait a second: a handful, not a flood
    assert wait_until(lambda: sum(" 503 " in l for l in srv.lines) - n_busy_before
                      == stats["busy"])
    assert stats["busy"] <= 10
    assert elapsed >= 1.0


def test_cancel_stops_waiting(servers):
    cancelled = threading.Event()
    with RemoteModel(servers["slow"].url, MODEL, images_per_request=1, concurrency=2,
                     is_cancelled=cancelled.is_set) as model:
        threading.Timer(0.3, cancelled.set).start()
        start = time.monotonic()
        with pytest.raises(EmbeddingCancelled):
            model.embed(random_images(8))
        assert time.monotonic() - start < 3.0


def test_server_killed_mid_run_fails_over_and_comes_back(servers, local_model):
    doomed = ServerProcess().wait_ready()
    port = int(doomed.url.rsplit(":", 1)[1])
    revived = None
    try:
        survivor = servers["plain"].url
        lone = RemoteModel(doomed.url, MODEL, cooldown=0.1, max_attempts=3)
        model = RemoteModel([doomed.url, survivor], MODEL, images_per_request=4,
                            concurrency=4, cooldown=1.0)
        images = random_images(48, seed=21)
        calls = lambda: sum("POST /v1/models" in l for l in doomed.lines)  # noqa: E731
        killer = threading.Thread(target=lambda: wait_until(lambda: calls() >= 3, 30)
                                  and doomed.kill())
        killer.start()
        vectors = np.concatenate([model.embed(images[i:i + 16])
                                  for i in range(0, 48, 16)])
        killer.join(30)
        assert doomed.proc.poll() is not None, "the server was not killed mid-run"
        # every image has its vector, equal to the local one
        np.testing.assert_allclose(vectors, local_model.embed(images),
                                   rtol=1e-5, atol=1e-5)
        assert model.stats["retries"] >= 1
        # a client with only the dead server says so clearly
        with pytest.raises(EmbedderError) as info:
            lone.embed(images[:4])
        message = str(info.value)
        assert doomed.url in message and "4 images could not be embedded" in message
        assert "connection refused" in message and "run again" in message
        # once the server answers again (after its cool-down) it gets work again
        dead = model._pool.endpoints[0]
        served = dead.served
        revived = ServerProcess("--port", str(port)).wait_ready()
        deadline = time.monotonic() + 20
        while dead.served == served and time.monotonic() < deadline:
            model.embed(images[:8])
        assert dead.served > served and dead.failures == 0
    finally:
        doomed.stop()
        if revived is not None:
            revived.stop()


def test_many_concurrent_clients_get_every_image(servers, local_model):
    url = servers["plain"].url
    before = requests.get(f"{url}/v1/health", timeout=10).json()

    def client(seed):
        images = random_images(6, seed=100 + seed)
        with RemoteModel(url, MODEL, images_per_request=3, concurrency=2) as model:
            return images, model.embed(images)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(client, range(8)))
    images = np.concatenate([i for i, _ in results])
    vectors = np.concatenate([v for _, v in results])
    assert not np.isnan(vectors).any()
    np.testing.assert_allclose(vectors, local_model.embed(images), rtol=1e-5, atol=1e-5)
    after = requests.get(f"{url}/v1/health", timeout=10).json()
    requests_ = after["served_requests"] - before["served_requests"]
    batches = after["model_batches"] - before["model_batches"]
    assert requests_ == 16 and after["embedded_images"] - before["embedded_images"] == 48
    assert batches < requests_, "requests of different clients share model batches"


def test_pipeline_with_remote_model_caches_under_the_servers_name(servers, local_model, tmp_path):
    paths = [str(p) for p in make_image_tree(tmp_path / "imgs", per_kind=3)]
    paths.append(str(tmp_path / "missing.jpg"))
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    with RemoteModel(servers["plain"].url, MODEL) as model:
        first = embed_images(paths, model, cache=cache)
        again = embed_images(paths, model, cache=cache)
    local = embed_images(paths, local_model)
    assert first.n_computed == 12 and list(first.skipped) == [12]
    assert again.n_cached == 12 and again.n_computed == 0
    np.testing.assert_allclose(first.vectors[:12], local.vectors[:12],
                               rtol=1e-5, atol=1e-5)
    # the server's identity keys the cache: a local run never takes a server's vectors
    assert model.info.version.startswith(f"server {model.urls[0]} {MODEL} ")
    assert model.server_version == local_model.info.version
    from_cache = embed_images(paths, local_model, cache=cache)
    assert from_cache.n_cached == 0 and from_cache.n_computed == 12
