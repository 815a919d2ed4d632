"""Clustering quality and speed of the offline models, to choose the default.

    .venv/bin/python benchmarks/model_quality.py [--models ...] [--data DIR] [--no-speed]

For every photo set under --data (default ../shared/data: animals4,
imagenet-mix) and every model: the project's own Import Images, Image
Embedding, Distances (cosine) and Hierarchical Clustering (Ward, top k
clusters, k = the number of folders), then the adjusted Rand index of the
clusters against the folders (1 = the folders exactly, 0 = chance).  The
weighted mean weighs each set by its number of images, so the larger set
counts more.  Speed is benchmarks/embed.py's end-to-end images/s on the
largest set (and its CPU ms per image, which hardly depends on the other
processes on a shared machine).  Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OFFLINE = ("efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2")


def cluster_quality(folder: Path, model_id: str) -> tuple[int, float]:
    """(images, ARI) of the seed workflow's chain on one photo set."""
    from imgflow.api import Context
    from imgflow.widgets.distances import Distances
    from imgflow.widgets.hierarchical_clustering import HierarchicalClustering
    from imgflow.widgets.image_embedding import ImageEmbedding
    from imgflow.widgets.import_images import ImportImages

    table = ImportImages().compute({}, {**ImportImages.default_settings(),
                                        "directory": str(folder), "recursive": True},
                                   Context()).outputs["Data"]
    k = len(table.column("category").categories)
    embedded = ImageEmbedding().compute(
        {"Images": table}, {**ImageEmbedding.default_settings(), "embedder": model_id},
        Context()).outputs["Embeddings"]
    distances = Distances().compute(
        {"Data": embedded}, {**Distances.default_settings(), "metric": "cosine"},
        Context()).outputs["Distances"]
    data = HierarchicalClustering().compute(
        {"Distances": distances}, {**HierarchicalClustering.default_settings(),
                                   "linkage": "ward", "selection": "top_n", "top_n": k},
        Context()).outputs["Data"]
    return len(table), adjusted_rand_score(data.column("category").data,
                                           data.column("Cluster").data)


def speed(folder: Path, model_id: str) -> tuple[float, float]:
    """(end-to-end images/s, CPU ms per image) from benchmarks/embed.py."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "embed.py"), "--model", model_id,
         "--folder", str(folder), "--repeat", "3"],
        capture_output=True, text=True, check=True)
    found = re.search(r"end to end :\s+([\d.]+) images/s.*?CPU ([\d.]+) ms/image", done.stdout)
    return float(found.group(1)), float(found.group(2))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(OFFLINE))
    parser.add_argument("--data", default=str(ROOT.parent.parent / "shared" / "data"),
                        help="a folder of photo sets, each with one sub-folder per kind")
    parser.add_argument("--no-speed", action="store_true", help="ARI only")
    args = parser.parse_args(argv)
    sets = sorted(p for p in Path(args.data).iterdir() if p.is_dir())
    if not sets:
        sys.exit(f"no photo sets in {args.data}")
    largest = max(sets, key=lambda p: sum(1 for _ in p.rglob("*.*")))

    with tempfile.TemporaryDirectory(prefix="imgflow-quality-") as tmp:
        os.environ["IMGFLOW_CACHE_DIR"] = tmp  # every model embeds afresh
        print(f"{'model':20}" + "".join(f"{s.name:>14}" for s in sets)
              + f"{'weighted':>10}" + ("" if args.no_speed else
                                       f"{'images/s':>10}{'CPU ms':>8}"))
        for model_id in args.models:
            results = [cluster_quality(s, model_id) for s in sets]
            weighted = sum(n * ari for n, ari in results) / sum(n for n, _ in results)
            line = f"{model_id:20}" + "".join(f"{ari:>9.3f} (n={n:>3})" if n < 1000 else
                                             f"{ari:>14.3f}" for n, ari in results)
            line += f"{weighted:>10.3f}"
            if not args.no_speed:
                line += "{:>10.1f}{:>8.1f}".format(*speed(largest, model_id))
            print(line, flush=True)
    print(f"speed on {largest.name}; "
          "load avg {:.2f} {:.2f} {:.2f} (1, 5, 15 min)".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
