"""Real embedding servers in subprocesses on 127.0.0.1, for the remote tests."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SLOW_SERVER = Path(__file__).with_name("slow_server.py")
RECORDING_SERVER = Path(__file__).with_name("recording_server.py")
MODEL = "squeezenet"
SIZE = (227, 227)
TOKEN = "s3cret-test-token"
_READY = re.compile(r"ready on (http://127\.0\.0\.1:\d+)")


class ServerProcess:
    """``python -m imgflow.embedders.remote.server`` (or the slow launcher) on a free port."""

    def __init__(self, *args: str, slow: float | None = None, script: Path | None = None):
        if script is not None:
            cmd = [sys.executable, str(script)]
        elif slow is None:
            cmd = [sys.executable, "-m", "imgflow.embedders.remote.server"]
        else:
            cmd = [sys.executable, str(SLOW_SERVER), "--delay", str(slow)]
        cmd += ["--model", MODEL, "--host", "127.0.0.1", "--port", "0", *args]
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        self.url: str | None = None
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            m = _READY.search(line)
            if m:
                self.url = m.group(1)
                self._ready.set()
        self._ready.set()

    def wait_ready(self, timeout: float = 120.0) -> "ServerProcess":
        if not self._ready.wait(timeout) or self.url is None:
            self.stop()
            raise RuntimeError("server did not start:\n" + self.output())
        return self

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_exit(self, timeout: float = 30.0) -> int:
        rc = self.proc.wait(timeout)
        self._reader.join(5)
        return rc

    def terminate(self):
        self.proc.send_signal(signal.SIGTERM)

    def kill(self):
        self.proc.kill()
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._reader.join(5)


@pytest.fixture(scope="session")
def token_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("token") / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="session")
def servers(token_file):
    """Every long-lived server, started at once so their start-ups overlap.

    - main: with a token, at most 8 images and 2 MiB per request
    - plain: no token, model batches of up to 16 images, so requests of
      several clients can share one (for failover and many-clients tests)
    - slow: 1 s per batch, one request at a time (503 + Retry-After)
    """
    procs = {
        "main": ServerProcess("--token-file", str(token_file), "--max-images", "8",
                              "--max-body-mb", "2"),
        "plain": ServerProcess("--batch-wait-ms", "20", "--batch-size", "16"),
        "slow": ServerProcess("--max-concurrent", "1", "--retry-after", "1",
                              slow=1.0),
    }
    try:
        for p in procs.values():
            p.wait_ready()
        yield procs
    finally:
        for p in procs.values():
            p.stop()


class RecordingServer(ServerProcess):
    """The hostile server of recording_server.py: every request it got, headers and all."""

    def __init__(self, log: Path, value: float = 7.0):
        self.log = log
        super().__init__("--log", str(log), "--value", str(value), script=RECORDING_SERVER)

    def requests(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def recording_server(tmp_path):
    server = RecordingServer(tmp_path / "requests.jsonl").wait_ready(30)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def local_model():
    from imgflow.embedders.models import load_model
    return load_model(MODEL, device="cpu")


def random_images(n: int, seed: int = 0, size=SIZE) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # smooth-ish images: random noise compresses badly and slows PNG down
    small = rng.integers(0, 256, (n, size[0] // 8 + 1, size[1] // 8 + 1, 3))
    big = np.kron(small, np.ones((1, 8, 8, 1)))[:, :size[0], :size[1]]
    return big.astype(np.uint8)


def wait_until(predicate, timeout: float = 10.0, step: float = 0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return False


def workflow_file(folder: Path, images: Path, url: str, **embedding) -> Path:
    """Import Images -> Image Embedding (remote), as someone else might send it."""
    settings = {"embedder": "remote", "server_url": url, "remote_model": MODEL, **embedding}
    doc = {"format": "imgflow-workflow", "version": 1, "nodes": [
        {"id": 0, "widget": "imgflow.import_images", "title": "Import Images",
         "position": [0, 0], "settings": {"directory": str(images)}},
        {"id": 1, "widget": "imgflow.image_embedding", "title": "Image Embedding",
         "position": [200, 0], "settings_version": 1, "settings": settings}],
        "links": [{"id": 0, "source": 0, "source_channel": "Data", "sink": 1,
                   "sink_channel": "Images"}]}
    path = folder / "shared.imgflow"
    path.write_text(json.dumps(doc))
    return path


def images_sent(server: RecordingServer) -> int:
    """How many images the recording server was sent, over all its requests."""
    from imgflow.embedders.remote import wire
    posts = [r for r in server.requests() if r["method"] == "POST"]
    return sum(len(wire.unpack_frame(r["body_text"].encode("latin-1"))[0]["lengths"])
               for r in posts)
