"""imgflow against Orange 3 + Image Analytics: whole processes, same photos, same run.

    python benchmarks/vs_orange.py --orange-python ORANGE_VENV/bin/python [--n 1000 | --folder F]

The pipeline of issue 14's table: Import Images -> Image Embedding -> cosine
distances -> Ward clustering -> the top 4 clusters written as CSV; imgflow's
CSV also holds the embeddings (1,000 x 1,280 numbers for EfficientNet-Lite0).  Each side runs as a fresh process with an empty cache ("cold"), then
again ("every vector cached").  Orange runs in its own venv
(``python3 -m venv orange-venv && orange-venv/bin/pip install orange3
orange3-imageanalytics PyQt6``); without --orange-python, or when that
Python cannot import Orange, its column says so and the ratios use the
issue's figures, labelled as such.  Also times the CSV export of 1,000 x
1,280 float32 numbers.  Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.embed import folder_images, generate  # noqa: E402
from imgflow.data import Table  # noqa: E402

MODELS = ("squeezenet", "efficientnet-lite0")
# Orange (SqueezeNet) in issue 14, on this machine: cold 100.7 / 102.6 s, cached 19.1 / 19.4 s
ISSUE_ORANGE = {"cold": 101.65, "cached": 19.25}


def workflow_file(folder: Path, model: str, k: int, path: Path) -> Path:
    from imgflow.registry import Registry
    from imgflow.workflow import Workflow, save
    wf = Workflow(Registry.discover())
    images = wf.add_node("imgflow.import_images", title="Import Images",
                         settings={"directory": str(folder)})
    embed = wf.add_node("imgflow.image_embedding", title="Image Embedding",
                        settings={"embedder": model})
    dist = wf.add_node("imgflow.distances", title="Distances", settings={"metric": "cosine"})
    clus = wf.add_node("imgflow.hierarchical_clustering", title="Hierarchical Clustering",
                       settings={"linkage": "ward", "selection": "top_n", "top_n": k})
    wf.add_link(images, "Data", embed, "Images")
    wf.add_link(embed, "Embeddings", dist, "Data")
    wf.add_link(dist, "Distances", clus, "Distances")
    save(wf, path)
    return path


def timed(command: list[str], env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return float("nan"), tail
    return seconds, ""


def imgflow_runs(folder: Path, model: str, k: int, tmp: Path) -> dict[str, float]:
    wf = workflow_file(folder, model, k, tmp / f"{model}.imgflow")
    env = {"IMGFLOW_CACHE_DIR": str(tmp / f"cache-{model}")}
    # the clustering's Data output is the embeddings with a Cluster column: one CSV
    # holds both what Orange writes and the embeddings
    command = [sys.executable, "-m", "imgflow.cli", "run", str(wf),
               "--export", f"Hierarchical Clustering:Data={tmp / f'{model}-clusters.csv'}"]
    out = {}
    for label in ("cold", "cached"):
        out[label], error = timed(command, env)
        if error:
            print(f"  imgflow {model} {label}: failed: {error}")
    return out


def orange_runs(python: str | None, folder: Path, k: int, tmp: Path) -> dict[str, float] | None:
    if not python:
        print("Orange: skipped (no --orange-python given)")
        return None
    check = subprocess.run([python, "-c", "import Orange, orangecontrib.imageanalytics"],
                           capture_output=True, text=True)
    if check.returncode != 0:
        print(f"Orange: skipped ({python} cannot import Orange and its Image Analytics)")
        return None
    env = {"XDG_CACHE_HOME": str(tmp / "orange-cache"), "QT_QPA_PLATFORM": "offscreen"}
    command = [python, str(ROOT / "benchmarks" / "orange_pipeline.py"), str(folder), str(k),
               str(tmp / "orange-clusters.csv")]
    out = {}
    for label in ("cold", "cached"):
        out[label], error = timed(command, env)
        if error:
            print(f"  Orange {label}: failed: {error}")
    return out


def csv_export_seconds(tmp: Path, repeats: int = 3) -> float:
    rng = np.random.default_rng(0)
    X = np.maximum(rng.standard_normal((1000, 1280)), 0).astype(np.float32)
    table = Table(X, tuple(f"n{i}" for i in range(1280)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        table.to_csv(tmp / "export.csv")
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orange-python", help="the python of a venv with Orange installed")
    parser.add_argument("--folder", help="photos to use (default: N generated 640x480 JPEGs)")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="imgflow-vs-orange-") as tmp_name:
        tmp = Path(tmp_name)
        if args.folder:
            folder = Path(args.folder).resolve()
        else:
            folder = tmp / "photos"
            folder.mkdir()
            generate(folder, args.n)
        n = len(folder_images(str(folder)))
        print(f"{n} photos in {folder}; {os.cpu_count()} cores")
        orange = orange_runs(args.orange_python, folder, args.k, tmp)
        ours = {m: imgflow_runs(folder, m, args.k, tmp) for m in args.models.split(",")}
        export = csv_export_seconds(tmp)
    report(n, orange, ours, export)


def report(n: int, orange, ours: dict, export: float) -> None:
    reference = orange or ISSUE_ORANGE
    source = "this run" if orange else "issue 14's figures, NOT this run"
    columns = ["Orange (SqueezeNet)"] + [f"imgflow {m}" for m in ours]
    print(f"\n| whole run, {n} photos | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for label, title in (("cold", "cold cache"), ("cached", "every vector cached")):
        cells = [f"{orange[label]:.1f} s" if orange else "not run"]
        cells += [f"{ours[m][label]:.1f} s ({reference[label] / ours[m][label]:.1f}x)"
                  for m in ours]
        print(f"| {title} | " + " | ".join(cells) + " |")
    print(f"\n(Nx = Orange's time / imgflow's; Orange's times from {source})")
    print(f"targets: cached whole run incl. embeddings CSV <= 1/10 of Orange's; "
          f"cold SqueezeNet >= 5x faster than Orange")
    print(f"CSV export of 1,000 x 1,280 float32: {export:.2f} s (median of 3; target <= 0.5 s)")


if __name__ == "__main__":
    main()
