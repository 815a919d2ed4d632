"""Embedding on a Dask LocalCluster against the local pipeline, in the same run.

    python benchmarks/dask_embedding.py                      # 2,000 images, SqueezeNet
    python benchmarks/dask_embedding.py --n 500 --model efficientnet-lite0 --repeat 3

Writes N photo-like JPEGs (--size, default 320x240) to a temporary folder,
starts a LocalCluster of --workers worker processes with one thread each, and
times embed_images on the same images, each run with an empty cache: once with
the local model (its lanes on this machine's cores), once with ClusterModel
(connecting included, as Image Embedding connects per run). Both models are
loaded first (on a few other images), so neither time includes torch's import.
Runs alternate, and the medians are compared: other work on a shared machine
then weighs on both. Target (issue #17): Dask within 1.3x of the local time.
Prints figures; it is not a test and asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from embed import photo_like  # noqa: E402
from imgflow.embedders import EmbeddingCache, embed_images  # noqa: E402
from imgflow.embedders.models.lazy import LazyModel  # noqa: E402

TARGET = 1.3


def generate(folder: Path, n: int, size: tuple[int, int], seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"photo_{i:05d}.jpg"
        photo_like(rng, size).save(path, quality=90)
        paths.append(str(path))
    return paths


def timed(paths: list[str], model, cache_path: Path) -> tuple[float, object]:
    cache = EmbeddingCache(cache_path)
    start = time.perf_counter()
    result = embed_images(paths, model, cache)
    seconds = time.perf_counter() - start
    cache.close()
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--model", default="squeezenet")
    parser.add_argument("--size", default="320x240", help="WIDTHxHEIGHT of the generated JPEGs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))

    from distributed import LocalCluster

    from imgflow.embedders.dask_cluster import ClusterModel

    with tempfile.TemporaryDirectory(prefix="imgflow-dask-bench-") as tmp:
        tmp = Path(tmp)
        paths = generate(tmp / "images", args.n, size, seed=0)
        warm = generate(tmp / "warm", 16, size, seed=1)
        print(f"{args.n} JPEGs of {size[0]}x{size[1]}, {args.model}, LocalCluster of "
              f"{args.workers} worker processes x 1 thread", flush=True)
        started = time.perf_counter()
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        print(f"cluster started in {time.perf_counter() - started:.1f} s", flush=True)
        try:
            local = LazyModel(args.model)
            embed_images(warm, local)                   # loads the model here
            with ClusterModel(cluster.scheduler_address, args.model, task_size=8) as model:
                embed_images(warm, model)               # and on every worker
            local_s, dask_s = [], []
            for run in range(args.repeat):
                seconds, here = timed(paths, local, tmp / f"local-{run}.sqlite")
                local_s.append(seconds)
                print(f"  local run {run + 1}: {seconds:.1f} s", flush=True)
                with ClusterModel(cluster.scheduler_address, args.model) as model:
                    seconds, there = timed(paths, model, tmp / f"dask-{run}.sqlite")
                dask_s.append(seconds)
                print(f"  dask  run {run + 1}: {seconds:.1f} s", flush=True)
                same = np.allclose(here.vectors, there.vectors, rtol=1e-4, atol=1e-5,
                                   equal_nan=True)
                print(f"  same vectors: {same}; computed {there.n_computed}, "
                      f"skipped {len(there.skipped)}", flush=True)
        finally:
            cluster.close()
    local_m, dask_m = statistics.median(local_s), statistics.median(dask_s)
    ratio = dask_m / local_m
    print(f"local pipeline: {local_m:.1f} s ({args.n / local_m:.0f} images/s)")
    print(f"dask cluster:   {dask_m:.1f} s ({args.n / dask_m:.0f} images/s)")
    print(f"ratio dask/local: {ratio:.2f} (target <= {TARGET}: "
          f"{'met' if ratio <= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
