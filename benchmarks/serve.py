"""Benchmark the embedding server against the same model run in-process.

    .venv/bin/python benchmarks/serve.py [--model squeezenet] [--clients 4]
        [--images-per-request 8] [--duration 15] [--encoding png|raw]
        [--url http://host:8750] [--token TOKEN] [--server-arg=--device=cuda ...]

Without --url it starts ``python -m imgflow.embedders.remote.server`` on 127.0.0.1
(a free port) and stops it with SIGTERM at the end.  N client threads, each
with its own RemoteModel, send requests of a fixed number of images for a
bounded time; it prints images/s, request latency p50/p99 and errors.  Then it
runs the model in-process on the same images for the same time, for
comparison.  On one small machine, clients, server and model share the CPU,
so the remote figure there is a lower bound.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imgflow.embedders.models import MODELS, load_model  # noqa: E402
from imgflow.embedders.remote.client import RemoteModel  # noqa: E402


def start_server(model: str, extra: list[str], timeout: float = 120.0):
    cmd = [sys.executable, "-m", "imgflow.embedders.remote.server", "--model", model,
           "--host", "127.0.0.1", "--port", "0", *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # read the log (one line per request) until the server exits
    lines, found = [], threading.Event()
    url = []

    def read():
        for line in proc.stdout:
            lines.append(line)
            m = re.search(r"ready on (http://\S+)", line)
            if m:
                url.append(m.group(1))
                found.set()
        found.set()

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(timeout) or not url:
        proc.kill()
        sys.exit("server did not start:\n" + "".join(lines))
    return proc, url[0]


def percentile(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def run_clients(url, model_id, token, n_clients, per_request, duration, encoding):
    h, w = MODELS[model_id].input_size
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (per_request, h // 4, w // 4, 3), dtype=np.uint8)
    images = np.kron(images, np.ones((1, 4, 4, 1), np.uint8))[:, :h, :w]
    images = np.ascontiguousarray(np.pad(
        images, ((0, 0), (0, h - images.shape[1]), (0, w - images.shape[2]), (0, 0))))
    latencies, errors, done = [], [], [0]
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def client():
        model = RemoteModel(url, model_id, token=token, images_per_request=per_request,
                            concurrency=1, encoding=encoding, max_wait=duration)
        try:
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                try:
                    model.embed(images)
                except Exception as exc:  # noqa: BLE001 -- counted and shown
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    latencies.append(time.perf_counter() - t0)
                    done[0] += per_request
        finally:
            model.close()

    threads = [threading.Thread(target=client) for _ in range(n_clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 120)
    return done[0], time.monotonic() - start, latencies, errors


def run_local(model_id, duration, batch_size):
    model = load_model(model_id)
    h, w = model.info.input_size
    batch_size = batch_size or getattr(model, "batch_size", 16)
    images = np.random.default_rng(1).integers(0, 256, (batch_size, h, w, 3), np.uint8)
    model.embed(images[:1])
    n, start = 0, time.monotonic()
    while time.monotonic() - start < duration:
        model.embed(images)
        n += batch_size
    return n, time.monotonic() - start, batch_size, model.device


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="squeezenet")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--images-per-request", type=int, default=8)
    p.add_argument("--duration", type=float, default=15.0, help="seconds per run")
    p.add_argument("--encoding", default="png", choices=["png", "raw"])
    p.add_argument("--url", help="use a running server instead of starting one")
    p.add_argument("--token")
    p.add_argument("--server-arg", action="append", default=[],
                   help="extra option for the started server, e.g. --server-arg=--device=cuda")
    p.add_argument("--local-batch", type=int, default=None)
    p.add_argument("--skip-local", action="store_true")
    args = p.parse_args(argv)

    proc = None
    url = args.url
    if url is None:
        proc, url = start_server(args.model, args.server_arg)
    try:
        n, elapsed, lat, errors = run_clients(
            url, args.model, args.token, args.clients, args.images_per_request,
            args.duration, args.encoding)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"remote  {args.model} via {url}: {args.clients} clients x "
          f"{args.images_per_request} images/request ({args.encoding})")
    print(f"  {n} images in {elapsed:.1f} s = {n / elapsed:.1f} images/s; "
          f"{len(lat)} requests, latency p50 {1000 * percentile(lat, 50):.0f} ms, "
          f"p99 {1000 * percentile(lat, 99):.0f} ms; errors: {len(errors)}")
    for e in sorted(set(errors))[:5]:
        print(f"    {e}")
    if not args.skip_local:
        n, elapsed, bs, device = run_local(args.model, args.duration, args.local_batch)
        print(f"local   {args.model} in-process on {device}, batches of {bs}:")
        print(f"  {n} images in {elapsed:.1f} s = {n / elapsed:.1f} images/s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
