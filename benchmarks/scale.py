"""Clustering at scale: two-stage Hierarchical Clustering of synthetic embeddings.

    .venv/bin/python benchmarks/scale.py [--rows 100000 1000000] [--exact-rows 20000]
                                         [--groups 2000] [--kmeans 100000]
                                         [--neighbors 100000 1000000 [--blockwise]]
                                         [--duplicates 100000 1000000 [--exact]]
                                         [--image-map 100000]

Embeddings with planted groups: ``PLANTED`` directions in 1,280 dimensions
(EfficientNet-Lite0's width) in families of four similar ones, groups of
unequal sizes, each row its group's direction plus noise larger than the
direction (see the constants), in float32 as the models give them.  Each
measurement runs Hierarchical Clustering's own compute (the ``Data`` input,
top N = the planted number of groups) in a fresh process and prints its
seconds, the process's peak resident memory (ru_maxrss: the embeddings
themselves and the output tables included) and the adjusted Rand index
against the planted groups.

* ``--rows``: two stages (k-means into at most ``--groups`` groups with
  faiss, then Ward over the groups weighted by their sizes);
* ``--exact-rows``: the same rows clustered both ways, exact (cosine
  distances + Ward, as the Distances widget would feed it) and in two
  stages, and the ARI between the two.  The issue asks for this on real
  photos at 20,000 rows, but ../shared/data holds only some hundreds of
  photos, so it is measured on 20,000 synthetic rows instead;
* ``--file``: File reading back an exported CSV of that many rows
  (``--file-width`` columns): seconds and peak memory beside the matrix's size;
* ``--neighbors``: Neighbors, k = 10 for the first 1,000 rows as references
  (``--blockwise``: also with faiss off, the products it used before);
* ``--duplicates``: Duplicates with 1 % of rows replaced by a near-copy of
  another (threshold 0.1, no pixel check): the share of copies found and the
  rows grouped that are no copies (``--exact``: the index and every pair);
* ``--image-map``: Image Map's t-SNE, and the share of each point's 10
  nearest on the map from its planted group;
* ``--kmeans``: the first stage alone, faiss against scikit-learn's
  MiniBatchKMeans, at that many rows (how the k-means library was chosen).

Targets (2-core, 24 GiB machine): 100,000 x 1,280 in <= 3 min and <= 4 GiB
with ARI >= 0.9; 1,000,000 rows in <= 30 min and <= 16 GiB.

Measured (this machine, shared: load average 6-14 on its 2 cores, so wall
times are 2-8x what an idle machine gives; CPU seconds do not depend on it):
  100,000 rows, noise 2.0: 72 s (26 CPU s), 1.26 GiB, ARI 0.999
  100,000 rows, noise 3.0: 89 s (38 CPU s), 1.26 GiB, ARI 0.928
  1,000,000 rows, noise 2.0, --unselected: 262 s (126 CPU s), 5.50 GiB, ARI 1.000
  (selecting all rows adds Selected Data, a copy of them: 4.8 GiB more)
  (k-means trained on 32 rows per centre instead of 16: 104-177 s, 56-62
  CPU s, 1.69 GiB, ARI 0.999 / 0.925)
  20,000 rows, noise 2.0: exact 122 s, 2.57 GiB, ARI 0.998; two stages
  63 s, 0.63 GiB, ARI 0.997; the two agree with ARI 0.995
  20,000 rows, noise 3.0 (groups barely apart): exact 52 s (23 CPU s), ARI
  0.876; two stages 35 s (14 CPU s), ARI 0.776; they agree with ARI 0.711.
  Two stages lose here: 2,000 groups of 10 rows are too small to average
  the noise out; at 100,000 rows (50 a group) the same noise gives 0.928
  File, an exported CSV of 100,000 rows x 128 (253 MB): read in 37 s; peak
  0.25 GiB (0.10 before reading; the matrix itself 0.05 GiB)
  Neighbors, 1,000 references, k = 10 (a quiet moment of the machine):
    100,000 rows: faiss 2.5 s (4 CPU s), 1.11 GiB; blockwise 3.4 s (6 CPU s),
    1.14 GiB (under load 6-12 the same run gave 53 s / 39 s wall, 8 / 9 CPU
    s); precision 0.999.  1,000,000 rows: faiss 31.3 s (48 CPU s), 6.15 GiB,
    precision 1.000 (Data prepared a block at a time; with a whole unit-length
    copy of the 4.9 GB of embeddings it was 27.3 s, 43 CPU s, 9.72 GiB)
  Duplicates, 1 % planted copies: 100,000 rows (the index) 70 s (133 CPU s),
    1.86 GiB, every copy found, no other row grouped (673 s wall under load
    12); 30,000 rows, index 22 s (18 CPU s) against every pair 18 s (21 CPU
    s), both exact on the copies: every pair grows as n^2, so about 230 CPU
    s at 100,000.  1,000,000 rows: stopped unfinished after 68 min wall and
    6,660 CPU s, 16.9 GB resident (before the widget stopped copying the
    vectors twice when nothing is missing: 2 x 4.9 GB less now); the
    index's cost grows faster than the n^1.5 guessed from 100,000
  Image Map, t-SNE of 100,000 rows: 260 s (275 CPU s), 2.79 GiB (1222 s wall,
    349 CPU s under load 12); the 10 nearest on the map share the planted
    group: 1.000
  k-means alone, 100,000 rows into 2,000 groups (trained on 64,000 rows):
  faiss 91 s (15 s of it assigning), MiniBatchKMeans 123 s (30 s), 20
  groups left empty
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIDTH = 1280
PLANTED = 20
FAMILY = 4        # planted groups come in families of 4 ...
SIBLING = 0.6     # ... whose directions share most of their length (cosine about 0.7)
NOISE = 2.0       # per dimension, against 1 for the direction (--noise): rows of one group have
                  # cosine about 0.2, of sibling groups about 0.14, of others 0 (+-0.03 each)
BLOCK = 50_000
TRAIN_PER_GROUP = int(os.environ.get("SCALE_TRAIN_PER_GROUP", "0"))   # 0: the widget's own


def planted(n: int, noise: float = NOISE, seed: int = 0):
    """(X float32 n x WIDTH, truth) generated a block at a time (no float64 copy of X)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    # groups in families (siblings are nearer each other than other groups are)
    families = rng.standard_normal((PLANTED // FAMILY, WIDTH))
    directions = families.repeat(FAMILY, axis=0) + SIBLING * rng.standard_normal((PLANTED, WIDTH))
    directions *= np.sqrt(WIDTH) / np.linalg.norm(directions, axis=1, keepdims=True)
    directions = directions.astype(np.float32)
    shares = rng.dirichlet(np.full(PLANTED, 3.0))          # unequal group sizes
    truth = rng.choice(PLANTED, size=n, p=shares)
    X = np.empty((n, WIDTH), dtype=np.float32)
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        X[start:stop] = rng.standard_normal((stop - start, WIDTH), dtype=np.float32)
        X[start:stop] *= noise
        X[start:stop] += directions[truth[start:stop]]
    return X, truth


def cluster(n: int, two_stage: str, groups: int, noise: float) -> dict:
    """The widget's compute, top N = PLANTED; "two_stage" may end in "-unselected": then
    nothing is selected (no Selected Data, a copy of every row, is made) and the top N
    clusters are read from the widget's tree."""
    unselected = two_stage.endswith("-unselected")
    two_stage = two_stage.removesuffix("-unselected")
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from imgflow.api import Context
    from imgflow.data import Table
    from imgflow.widgets.hierarchical_clustering import HierarchicalClustering

    X, truth = planted(n, noise)
    if TRAIN_PER_GROUP:
        from imgflow.widgets.hierarchical_clustering import two_stage
        two_stage.TRAIN_ROWS_PER_GROUP = TRAIN_PER_GROUP
    table = Table(X, tuple(f"n{j}" for j in range(WIDTH)))
    del X
    settings = {**HierarchicalClustering.default_settings(),
                "selection": "manual" if unselected else "top_n",
                "top_n": PLANTED, "two_stage": two_stage, "max_groups": groups}
    start, cpu = time.perf_counter(), _cpu()
    widget = HierarchicalClustering()
    result = widget.compute({"Distances": None, "Data": table}, settings, Context())
    seconds = time.perf_counter() - start
    if unselected:
        clustering = widget._cached[2]
        found = clustering.row_labels(clustering.tree.top(PLANTED)).astype(str)
    else:
        found = np.asarray(result.outputs["Data"].column("Cluster").data).astype(str)
    return {"seconds": seconds, "cpu": _cpu() - cpu, "peak": _peak(),
            "ari": adjusted_rand_score(truth, found),
            "info": result.info.splitlines()[-1], "labels": found.tolist() if n <= 50_000 else []}


def kmeans(n: int, library: str, groups: int, noise: float) -> dict:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from imgflow.api import Context
    from imgflow.widgets.hierarchical_clustering import two_stage

    X, truth = planted(n, noise)
    start = time.perf_counter()
    if library == "faiss":
        found = two_stage.kmeans_groups(X, groups, Context()).group_of
    else:
        from sklearn.cluster import MiniBatchKMeans
        Y = two_stage.unit_rows(X)
        km = MiniBatchKMeans(groups, batch_size=4096, n_init=1, max_iter=20, init="random",
                             random_state=0, max_no_improvement=5, compute_labels=False).fit(Y)
        found = km.predict(Y)
    seconds = time.perf_counter() - start
    # how pure the groups are: the ARI of "planted group of each group's majority" vs truth
    majority = np.zeros(found.max() + 1, dtype=np.int64)
    for g in np.unique(found):
        majority[g] = np.bincount(truth[found == g]).argmax()
    return {"seconds": seconds, "peak": _peak(), "groups": int(len(np.unique(found))),
            "purity_ari": adjusted_rand_score(truth, majority[found])}


def read_file(n: int, width: str, _groups: int, _noise: float) -> dict:
    """File: an exported CSV of n rows read back (seconds, peak memory against the matrix)."""
    import tempfile

    import numpy as np

    from imgflow.data import Column, Table
    from imgflow.data.reading import read_table, write_description

    width = int(width)
    rng = np.random.default_rng(0)
    table = Table(rng.standard_normal((n, width), dtype=np.float32),
                  tuple(f"n{j}" for j in range(width)),
                  (Column.image("image", [f"/photos/{i}.jpg" for i in range(n)]),))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "embeddings.csv"
        start = time.perf_counter()
        table.to_csv(path)
        write_description(table, path)
        written = time.perf_counter() - start
        size = path.stat().st_size
        del table
        before = _peak()
        start = time.perf_counter()
        loaded, _ = read_table(path)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "write_seconds": written, "file_bytes": size,
            "matrix_bytes": loaded.X.nbytes, "peak": _peak(), "peak_before": before}


REFERENCES = 1000       # Neighbors: reference rows (the first rows of the data)
COPIES = 0.01           # Duplicates: this share of rows replaced by a near-copy of another row
COPY_NOISE = 0.5        # per dimension: a copy lies about 0.025 (cosine) from its original
COPY_THRESHOLD = 0.1    # ... and rows of one planted group about 0.8 apart


def neighbors(n: int, mode: str, _groups: int, noise: float) -> dict:
    """Neighbors' compute, k = 10 for the first REFERENCES rows (exclusion on): seconds,
    peak memory and the share of neighbours in their reference's planted group.
    mode "blockwise": faiss switched off (the products the widget made before)."""
    import numpy as np

    from imgflow.api import Context
    from imgflow.data import Table
    from imgflow.widgets.neighbors import Neighbors, search

    if mode == "blockwise":
        search.FAISS_METRICS = ()
    X, truth = planted(n, noise)
    data = Table(X, tuple(f"n{j}" for j in range(WIDTH)))
    del X
    reference = data.subset(np.arange(REFERENCES))
    settings = {**Neighbors.default_settings(), "k": 10, "metric": "cosine"}
    start, cpu = time.perf_counter(), _cpu()
    result = Neighbors().compute({"Data": data, "Reference": reference}, settings, Context())
    seconds = time.perf_counter() - start
    out = result.outputs["Neighbors"]
    same = truth[out.ids] == np.repeat(truth[:REFERENCES], 10)
    return {"seconds": seconds, "cpu": _cpu() - cpu, "peak": _peak(),
            "precision": float(same.mean()), "rows": len(out)}


def with_copies(n: int, noise: float):
    """Planted rows, COPIES of them replaced by a near-copy of another row:
    (X, pairs (original, copy))."""
    import numpy as np

    X, _ = planted(n, noise)
    rng = np.random.default_rng(1)
    chosen = rng.choice(n, 2 * int(n * COPIES), replace=False)
    originals, copies = chosen[::2], chosen[1::2]
    for start in range(0, len(copies), BLOCK):
        part = slice(start, start + BLOCK)
        X[copies[part]] = X[originals[part]] + COPY_NOISE * rng.standard_normal(
            (len(copies[part]), WIDTH), dtype=np.float32)
    return X, np.column_stack([originals, copies])


def duplicates(n: int, mode: str, _groups: int, noise: float) -> dict:
    """Duplicates' compute (threshold COPY_THRESHOLD, no pixels) on rows with planted
    copies: seconds, peak memory, the share of copies found, rows grouped wrongly.
    mode "exact": every pair measured whatever n (the widget's way up to 50,000 rows);
    "index": the faiss index whatever n (its way above)."""
    import numpy as np

    from imgflow.api import Context
    from imgflow.data import Table
    from imgflow.widgets.duplicates import Duplicates, groups

    if mode != "widget":
        groups.APPROXIMATE_ROWS = n if mode == "exact" else 0
    X, pairs = with_copies(n, noise)
    table = Table(X, tuple(f"n{j}" for j in range(WIDTH)))
    del X
    settings = {**Duplicates.default_settings(), "threshold": COPY_THRESHOLD,
                "compare_pixels": False}
    start, cpu = time.perf_counter(), _cpu()
    result = Duplicates().compute({"Data": table}, settings, Context())
    seconds = time.perf_counter() - start
    group = np.asarray(result.outputs["Data"].column("Duplicate group").data, dtype=object)
    found = (group[pairs[:, 0]] == group[pairs[:, 1]]) & (group[pairs[:, 0]] != None)  # noqa: E711
    planted_rows = np.zeros(n, dtype=bool)
    planted_rows[pairs.ravel()] = True
    wrong = int(((group != None) & ~planted_rows).sum())                             # noqa: E711
    return {"seconds": seconds, "cpu": _cpu() - cpu, "peak": _peak(),
            "recall": float(found.mean()), "wrong": wrong, "info": result.info}


def image_map(n: int, method: str, _groups: int, noise: float) -> dict:
    """Image Map's compute (t-SNE unless told): seconds, peak memory, and the share of
    each point's 10 nearest on the map that are of its planted group."""
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    from imgflow.api import Context
    from imgflow.data import Table
    from imgflow.widgets.image_map import ImageMap

    X, truth = planted(n, noise)
    table = Table(X, tuple(f"n{j}" for j in range(WIDTH)))
    del X
    settings = {**ImageMap.default_settings(), "method": method}
    start, cpu = time.perf_counter(), _cpu()
    result = ImageMap().compute({"Data": table}, settings, Context())
    seconds = time.perf_counter() - start
    xy = result.view.xy
    near = NearestNeighbors(n_neighbors=11).fit(xy).kneighbors(xy, return_distance=False)[:, 1:]
    return {"seconds": seconds, "cpu": _cpu() - cpu, "peak": _peak(),
            "precision": float((truth[near] == truth[:, None]).mean())}


def _cpu() -> float:
    """CPU seconds of this process, all threads: the machine's load does not change it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # kB on Linux


def run_child(*args) -> dict | None:
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        print(f"  {args} failed: {out.stderr.strip()[-400:]}", flush=True)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="*", type=int, default=[100_000])
    parser.add_argument("--exact-rows", nargs="*", type=int, default=[20_000])
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--kmeans", nargs="*", type=int, default=[])
    parser.add_argument("--noise", type=float, default=NOISE)
    parser.add_argument("--unselected", action="store_true",
                        help="--rows: select nothing (no Selected Data copy of every row)")
    parser.add_argument("--file", nargs="*", type=int, default=[],
                        help="rows of an exported CSV for File to read back")
    parser.add_argument("--file-width", type=int, default=128)
    parser.add_argument("--neighbors", nargs="*", type=int, default=[],
                        help="rows for Neighbors (k = 10 for 1,000 references)")
    parser.add_argument("--blockwise", action="store_true",
                        help="--neighbors: also without faiss (the blockwise products)")
    parser.add_argument("--duplicates", nargs="*", type=int, default=[],
                        help="rows for Duplicates (with 1%% planted copies)")
    parser.add_argument("--exact", action="store_true",
                        help="--duplicates: the index and every pair, whatever the rows")
    parser.add_argument("--image-map", nargs="*", type=int, default=[],
                        help="rows for Image Map (t-SNE)")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, n, mode, groups, noise = args.child
        fn = {"cluster": cluster, "kmeans": kmeans, "file": read_file, "neighbors": neighbors,
              "duplicates": duplicates, "image_map": image_map}[what]
        print(json.dumps(fn(int(n), mode, int(groups), float(noise))))
        return
    gib = 2 ** 30
    for n in args.exact_rows:
        print(f"{n:,} rows x {WIDTH}, {PLANTED} planted groups, noise {args.noise}: exact "
              "against two stages",
              flush=True)
        runs = {mode: run_child("cluster", n, mode, args.groups, args.noise) for mode in ("never", "always")}
        for mode, r in runs.items():
            if r:
                print(f"  {'exact' if mode == 'never' else 'two-stage':>9}: {r['seconds']:7.1f} s "
                      f"({r['cpu']:.0f} CPU s) "
                      f"{r['peak'] / gib:6.2f} GiB  ARI vs planted {r['ari']:.3f}", flush=True)
        if all(runs.values()):
            from sklearn.metrics import adjusted_rand_score
            agree = adjusted_rand_score(runs["never"]["labels"], runs["always"]["labels"])
            print(f"  ARI between exact and two-stage: {agree:.3f}", flush=True)
    for n in args.rows:
        mode = "always-unselected" if args.unselected else "always"
        r = run_child("cluster", n, mode, args.groups, args.noise)
        if r:
            print(f"{n:,} rows x {WIDTH}, noise {args.noise}, two stages ({args.groups:,} groups): "
                  f"{r['seconds']:.1f} s ({r['cpu']:.0f} CPU s), {r['peak'] / gib:.2f} GiB peak, "
                  f"ARI vs planted {r['ari']:.3f}", flush=True)
    for n in args.file:
        r = run_child("file", n, args.file_width, 0, 0)
        if r:
            print(f"File: CSV of {n:,} rows x {args.file_width} ({r['file_bytes'] / 1e6:.0f} MB, "
                  f"written in {r['write_seconds']:.1f} s) read in {r['seconds']:.1f} s; "
                  f"peak {r['peak'] / gib:.2f} GiB, before reading {r['peak_before'] / gib:.2f} "
                  f"GiB, the matrix {r['matrix_bytes'] / gib:.2f} GiB", flush=True)
    for n in args.neighbors:
        for mode in ("faiss", "blockwise") if args.blockwise else ("faiss",):
            r = run_child("neighbors", n, mode, 0, args.noise)
            if r:
                print(f"Neighbors, {n:,} rows x {WIDTH}, k = 10 for {REFERENCES:,} references, "
                      f"{mode}: {r['seconds']:.1f} s ({r['cpu']:.0f} CPU s), "
                      f"{r['peak'] / gib:.2f} GiB peak, {r['precision']:.3f} of neighbours "
                      "in the reference's planted group", flush=True)
    for n in args.duplicates:
        for mode in ("index", "exact") if args.exact else ("widget",):
            r = run_child("duplicates", n, mode, 0, args.noise)
            if r:
                print(f"Duplicates, {n:,} rows x {WIDTH} ({COPIES:.0%} planted copies), {mode}: "
                      f"{r['seconds']:.1f} s ({r['cpu']:.0f} CPU s), {r['peak'] / gib:.2f} GiB "
                      f"peak, {r['recall']:.4f} of copies found, {r['wrong']} other rows "
                      f"grouped ({r['info']})", flush=True)
    for n in args.image_map:
        r = run_child("image_map", n, "tsne", 0, args.noise)
        if r:
            print(f"Image Map, {n:,} rows x {WIDTH}, t-SNE: {r['seconds']:.1f} s "
                  f"({r['cpu']:.0f} CPU s), {r['peak'] / gib:.2f} GiB peak, {r['precision']:.3f} "
                  "of the 10 nearest on the map in the same planted group", flush=True)
    for n in args.kmeans:
        for library in ("faiss", "sklearn"):
            r = run_child("kmeans", n, library, args.groups, args.noise)
            if r:
                print(f"k-means of {n:,} rows into {args.groups:,} groups, {library:>7}: "
                      f"{r['seconds']:.1f} s, {r['peak'] / gib:.2f} GiB, {r['groups']:,} groups "
                      f"used, majority-label ARI {r['purity_ari']:.3f}", flush=True)


if __name__ == "__main__":
    main()
