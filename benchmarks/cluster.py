"""Distances + hierarchical clustering of N random 2048-wide vectors: time and peak memory.

    .venv/bin/python benchmarks/cluster.py [N ...] [--linkage ward average] [--metric cosine]

Runs the widgets' own code (Distances' compute, then the clustering's
linkage and tree), each size and linkage in a fresh process, and prints
seconds per step and the child's peak resident memory (ru_maxrss).  Two
clustering paths are measured:

* widget:   what Hierarchical Clustering does: the distances stay intact
            (they are shared with other links), the linkage works on a copy;
* in-place: a caller that owns the distances and is done with them lets
            fastcluster overwrite them (preserve_input=False): no copy for
            float64 distances.  The float32 vectors here give float32
            distances (0.8 GB at 20,000), which fastcluster cannot use, so
            this path converts them to float64 just as the widget path does.

For comparison (``--path wrapper scipy``): fastcluster's own Python
``linkage(..., preserve_input=False)``, which under numpy 2 copies its input
anyway (fastcluster 1.3), and scipy's ``linkage`` (always on a copy).

Reference (anchor, this machine): Orange 3.40 at N = 20,000 (cosine +
average) 32.4 s and 8.2 GiB; 7.9 s and 2.3 GiB at 10,000.  Plain scipy
pdist + linkage: 131 s.  Target: N = 20,000 in <= 16 s and <= 2.5 GiB.

Measured (this machine, 2 cores, widget path, cosine, load < 1): N = 20,000
13.1-16.5 s (median about 14.5 s, ward and average alike) and 2.46 GiB:
float32 distances (0.8 GB) + the clustering's float64 copy (1.6 GB) + the
vectors; 3.7-4.9 s and 0.73 GiB at 10,000.  Before float32 distances and
own mappings (float64 distances, numpy's huge-page advice): 18.0-19.9 s and
3.21 GiB at 20,000; 4.1-5.1 s and 0.91 GiB at 10,000.  Timings vary by
+-1.5 s from run to run here.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def child(n: int, method: str, metric: str, path: str) -> dict:
    import numpy as np

    from imgflow.api import Context
    from imgflow.data import Table
    from imgflow.widgets.distances import Distances
    from imgflow.widgets.hierarchical_clustering.tree import Tree, linkage

    rng = np.random.default_rng(n)
    X = rng.random((n, 2048), dtype=np.float32)      # float32, as embeddings are
    table = Table(X, tuple(f"n{i}" for i in range(2048)))
    settings = {**Distances.default_settings(), "metric": metric}
    start = time.perf_counter()
    distances = Distances().compute({"Data": table}, settings, Context()).outputs["Distances"]
    t_dist = time.perf_counter() - start
    if path == "wrapper":
        import fastcluster
        Z = fastcluster.linkage(distances.condensed, method=method, preserve_input=False)
    elif path == "scipy":
        from scipy.cluster.hierarchy import linkage as scipy_linkage
        Z = scipy_linkage(distances.condensed, method=method)
    else:
        Z = linkage(distances.condensed, n, method, in_place=(path == "in-place"))
    Tree.from_linkage(Z)
    t_total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # kB on Linux
    return {"distances_s": t_dist, "linkage_s": t_total - t_dist, "total_s": t_total,
            "peak_bytes": peak, "dtype": str(distances.condensed.dtype)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000, 10000, 20000])
    parser.add_argument("--linkage", nargs="+", default=["ward", "average"])
    parser.add_argument("--metric", default="cosine")
    parser.add_argument("--path", nargs="+", default=["widget", "in-place"],
                        choices=["widget", "in-place", "wrapper", "scipy"])
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        n, method, metric, path = args.child
        print(json.dumps(child(int(n), method, metric, path)))
        return
    print(f"{'N':>7} {'linkage':>8} {'path':>9} {'distances':>10} {'linkage':>8} "
          f"{'total':>8} {'peak':>9} {'matrix':>8}", flush=True)
    for n in args.sizes:
        for method in args.linkage:
            for path in args.path:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", str(n), method, args.metric, path],
                    capture_output=True, text=True, cwd=ROOT)
                if out.returncode != 0:
                    print(f"{n:>7} {method:>8} {path:>9} failed: {out.stderr.strip()[-300:]}")
                    continue
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{n:>7} {method:>8} {path:>9} {r['distances_s']:>9.1f}s "
                      f"{r['linkage_s']:>7.1f}s {r['total_s']:>7.1f}s "
                      f"{r['peak_bytes'] / 2**30:>7.2f}GiB {r['dtype']:>8}", flush=True)


if __name__ == "__main__":
    main()
