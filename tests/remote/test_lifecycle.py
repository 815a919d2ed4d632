"""Server start-up failures and graceful shutdown on SIGTERM."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import requests

from imgflow.embedders.remote import wire

from .conftest import MODEL, ROOT, ServerProcess, random_images, wait_until


def run_server(*args, env=None):
    return subprocess.run([sys.executable, "-m", "imgflow.embedders.remote.server", *args],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                          capture_output=True, text=True, timeout=60)


def test_model_that_cannot_load_stops_the_server_with_its_reason(tmp_path):
    missing = tmp_path / "no-such-weights.pth"
    done = run_server("--model", "inception-v3", "--port", "0",
                      env={"IMGFLOW_INCEPTION_WEIGHTS": str(missing)})
    assert done.returncode == 2
    assert "imgflow serve: error:" in done.stderr
    assert "Inception v3 weight file" in done.stderr and str(missing) in done.stderr
    assert "ready on" not in done.stderr


def test_bad_arguments_stop_the_server(tmp_path):
    done = run_server("--model", "resnet-9000", "--port", "0")
    assert done.returncode == 2 and "Unknown model" in done.stderr
    done = run_server("--model", MODEL, "--port", "0",
                      "--token-file", str(tmp_path / "absent"))
    assert done.returncode == 2 and "Cannot read the token file" in done.stderr


def test_sigterm_finishes_requests_in_flight(local_model):
    srv = ServerProcess("--max-concurrent", "8", "--batch-wait-ms", "1",
                        slow=1.0).wait_ready()
    try:
        images = random_images(6, seed=31)
        bodies = [wire.encode_images(images[2 * i:2 * i + 2]) for i in range(3)]
        replies = {}

        def send(i):
            body = bodies[i]
            replies[i] = requests.post(
                f"{srv.url}/v1/models/{MODEL}/embed", data=body, timeout=30,
                headers={"Content-Type": wire.IMAGES_TYPE})

        threads = [threading.Thread(target=send, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        assert wait_until(lambda: requests.get(f"{srv.url}/v1/health", timeout=5)
                          .json()["in_flight"] == 3)
        srv.terminate()
        for t in threads:
            t.join(30)
        assert srv.wait_exit(30) == 0
    finally:
        srv.stop()
    assert sorted(replies) == [0, 1, 2]
    for i, resp in replies.items():
        assert resp.status_code == 200
        _, vectors, errors = wire.decode_embeddings(resp.content)
        assert not errors
        np.testing.assert_allclose(vectors, local_model.embed(images[2 * i:2 * i + 2]),
                                   rtol=1e-5, atol=1e-5)
    out = srv.output()
    assert "Shutting down" in out and "server stopped" in out
    assert out.count("POST /v1/models/squeezenet/embed 200") == 3
