"""The example workflows of Save Images, Neighbors and Duplicates, run as a user would:
``imgflow run`` on a copy of examples/ (so nothing is written into the repository)."""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """A copy of the example workflows and their drawn images, with an embedding cache."""
    root = tmp_path_factory.mktemp("examples")
    for name in ("images", "duplicates"):
        shutil.copytree(ROOT / "examples" / name, root / name)
    for name in ("save-images", "neighbors", "duplicates"):
        shutil.copy(ROOT / "examples" / f"{name}.imgflow", root)
    return root


def run(examples: Path, workflow: str, *exports: str) -> list[list[dict]]:
    exe = Path(sys.executable).with_name("imgflow")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "imgflow.cli"]
    command += ["run", str(examples / workflow)]
    outs = []
    for i, export in enumerate(exports):
        outs.append(examples / f"out-{i}.csv")
        command += ["--export", f"{export}={outs[-1]}"]
    env = dict(os.environ, IMGFLOW_CACHE_DIR=str(examples / "cache"))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    tables = []
    for out in outs:
        with open(out, newline="", encoding="utf-8") as f:
            tables.append(list(csv.DictReader(f)))
    return tables


def test_save_images_example_saves_each_cluster_into_its_folder_twice_safely(examples):
    (rows,) = run(examples, "save-images.imgflow", "Save Images:Data")
    assert len(rows) == 20
    folders = {}
    for row in rows:
        saved = Path(row["saved as"])
        assert saved.parent.parent == examples / "saved"
        assert saved.read_bytes() == Path(row["image"]).read_bytes()
        folders.setdefault(saved.parent.name, set()).add(row["category"])
    assert sorted(folders) == ["C1", "C2", "C3", "C4"]
    assert all(len(kinds) == 1 for kinds in folders.values())   # one kind per cluster
    before = sorted(p for p in (examples / "saved").rglob("*"))
    run(examples, "save-images.imgflow")
    assert sorted(p for p in (examples / "saved").rglob("*")) == before


def test_neighbors_example_finds_images_of_the_same_kind(examples):
    (rows,) = run(examples, "neighbors.imgflow", "Neighbors:Neighbors")
    assert len(rows) == 20 * 3
    assert all(r["reference"] != r["image name"] for r in rows)
    same = sum(r["reference"].split("-")[0] == r["category"] for r in rows)
    assert same / len(rows) >= 0.9


def test_duplicates_example_groups_each_scene_with_its_copies(examples):
    duplicates, unique = run(examples, "duplicates.imgflow", "Duplicates:Duplicates",
                             "Duplicates:Unique")
    groups = {}
    for row in duplicates:
        groups.setdefault(row["Duplicate group"], set()).add(row["image name"])
    assert sorted(map(sorted, groups.values())) == [
        ["forest-1", "forest-1-resized"], ["sea-2", "sea-2-copy"], ["sky-1", "sky-1-small"]]
    assert len(unique) == 8
    kept = {r["image name"] for r in unique}
    assert {"forest-1", "sky-1"} <= kept                  # the larger of each
    assert len(kept & {"sea-2", "sea-2-copy"}) == 1       # of equal ones, the first
