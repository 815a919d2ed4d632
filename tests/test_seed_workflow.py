"""The seed workflow end to end: Import Images -> Image Embedding -> Distances ->
Hierarchical Clustering -> Image Viewer (and Image Embedding -> Data Table).

Headless through the Workflow API, through ``imgflow run`` as a user would
script it, and on real photos (skipped when ../shared/data is absent).
"""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score

from imgflow.embedders.models import OFFLINE_DEFAULT
from imgflow.engine import Engine
from imgflow.registry import Registry
from imgflow.workflow import Workflow, save
from tests.support.images import make_image_tree, make_photo

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "image-clustering.imgflow"
OFFLINE = OFFLINE_DEFAULT  # what the example workflow uses


def test_the_example_uses_the_offline_default():
    import json
    nodes = json.loads(EXAMPLE.read_text(encoding="utf-8"))["nodes"]
    embedders = [n["settings"]["embedder"] for n in nodes
                 if n["widget"] == "imgflow.image_embedding"]
    assert embedders == [OFFLINE_DEFAULT]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """4 kinds x 5 generated photos, and an embedding cache of this module's own."""
    root = tmp_path_factory.mktemp("seed")
    make_image_tree(root / "images", per_kind=5, size=(160, 120))
    previous = os.environ.get("IMGFLOW_CACHE_DIR")
    os.environ["IMGFLOW_CACHE_DIR"] = str(root / "cache")
    yield root
    if previous is None:
        del os.environ["IMGFLOW_CACHE_DIR"]
    else:
        os.environ["IMGFLOW_CACHE_DIR"] = previous


def build(registry, directory, embedder=OFFLINE) -> Workflow:
    wf = Workflow(registry, title="Image clustering")
    images = wf.add_node("imgflow.import_images", settings={"directory": str(directory)})
    embed = wf.add_node("imgflow.image_embedding", settings={"embedder": embedder})
    dist = wf.add_node("imgflow.distances", settings={"metric": "cosine"})
    hc = wf.add_node("imgflow.hierarchical_clustering",
                     settings={"linkage": "ward", "selection": "top_n", "top_n": 4})
    viewer = wf.add_node("imgflow.image_viewer")
    table = wf.add_node("imgflow.data_table")
    wf.add_link(images, "Data", embed, "Images")
    wf.add_link(embed, "Embeddings", dist, "Data")
    wf.add_link(dist, "Distances", hc, "Distances")
    wf.add_link(hc, "Selected Data", viewer, "Data")
    wf.add_link(embed, "Embeddings", table, "Data")
    return wf


def test_headless_top4_ward_clusters_are_the_four_kinds(folder):
    wf = build(Registry.discover(), folder / "images")
    engine = Engine(wf)
    try:
        assert engine.run_until_idle(240)
        states = {n.title: engine.state(n.id) for n in wf.nodes.values()}
        assert all(s.status == "done" for s in states.values()), \
            {t: (s.status, s.message, s.warnings) for t, s in states.items()}
        data = states["Hierarchical Clustering"].outputs["Data"]
        assert len(data) == 20
        assert adjusted_rand_score(data.column("category").data,
                                   data.column("Cluster").data) == pytest.approx(1.0)
        shown = states["Image Viewer"].inputs["Data"]
        assert len(shown) == 20 and shown.has_column("Cluster")
        assert "20 computed" in states["Image Embedding"].info or \
            "20 from the cache" in states["Image Embedding"].info
    finally:
        engine.shutdown()


def workflow_file(tmp_path) -> Path:
    """The lead's example workflow when it is there; otherwise the same, built here."""
    if EXAMPLE.is_file():
        return EXAMPLE
    path = tmp_path / "image-clustering.imgflow"
    save(build(Registry.discover(), tmp_path), path)
    return path


def imgflow_run(workflow: Path, directory: Path, out: Path, cache: Path):
    exe = Path(sys.executable).with_name("imgflow")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "imgflow.cli"]
    command += ["run", str(workflow),
                "--set", f"Import Images.directory={directory}",
                "--set", f"Image Embedding.embedder={OFFLINE}",
                "--set", "Hierarchical Clustering.selection=top_n",
                "--set", "Hierarchical Clustering.top_n=4",
                "--export", f"Hierarchical Clustering:Data={out}"]
    env = dict(os.environ, IMGFLOW_CACHE_DIR=str(cache))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(out, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def cached_vectors(cache: Path) -> int:
    from imgflow.embedders.cache import EmbeddingCache
    with EmbeddingCache(cache / "embeddings.sqlite") as c:
        return c.count()


def test_imgflow_run_exports_clusters_and_embeds_only_a_new_image(folder, tmp_path):
    images = tmp_path / "images"
    shutil.copytree(folder / "images", images)
    cache = tmp_path / "cache"
    rows = imgflow_run(workflow_file(tmp_path), images, tmp_path / "clusters.csv", cache)
    assert len(rows) == 20
    assert sorted(r["image"] for r in rows) == sorted(str(p) for p in images.rglob("*.jpg"))
    cluster_of_kind = {}
    for r in rows:
        cluster_of_kind.setdefault(r["category"], set()).add(r["Cluster"])
    assert all(len(c) == 1 for c in cluster_of_kind.values()) and len(cluster_of_kind) == 4
    assert cached_vectors(cache) == 20

    new = images / "discs" / "discs-new.jpg"
    make_photo("discs", seed=99, size=(160, 120)).save(new, "JPEG")
    rows = imgflow_run(workflow_file(tmp_path), images, tmp_path / "again.csv", cache)
    assert len(rows) == 21
    cluster = {r["image"]: r["Cluster"] for r in rows}
    discs = {cluster[r["image"]] for r in rows if r["category"] == "discs"}
    assert discs == {cluster[str(new)]}              # the new disc joined the discs
    assert cached_vectors(cache) == 21               # and only it was embedded


@pytest.mark.parametrize("dataset, minimum", [("animals4", 0.7), ("imagenet-mix", 0.5)])
def test_real_photos_cluster_by_category(shared_data, dataset, minimum):
    """The offline default, cosine, Ward, top-k: ARI against the folders (measured with
    EfficientNet-Lite1: animals4 0.92, imagenet-mix 0.68; Lite0 0.83 / 0.80; the reference
    table: 0.71 / 0.58)."""
    from imgflow.api import Context
    from imgflow.widgets.distances import Distances
    from imgflow.widgets.hierarchical_clustering import HierarchicalClustering
    from imgflow.widgets.image_embedding import ImageEmbedding
    from imgflow.widgets.import_images import ImportImages

    table = ImportImages().compute({}, {"directory": str(shared_data / dataset),
                                        "recursive": True}, Context()).outputs["Data"]
    k = len(table.column("category").categories)
    embedded = ImageEmbedding().compute(
        {"Images": table}, {**ImageEmbedding.default_settings(), "embedder": OFFLINE},
        Context()).outputs["Embeddings"]
    distances = Distances().compute({"Data": embedded}, Distances.default_settings(),
                                    Context()).outputs["Distances"]
    data = HierarchicalClustering().compute(
        {"Distances": distances}, {**HierarchicalClustering.default_settings(),
                                   "selection": "top_n", "top_n": k}, Context()).outputs["Data"]
    assert len(data) == len(table)
    assert adjusted_rand_score(data.column("category").data,
                               data.column("Cluster").data) >= minimum
