"""The Image Map example runs offline, as a user would script it, on its drawn images."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "image-map.imgflow"


def test_the_example_maps_its_images_with_each_kind_together(tmp_path):
    exe = Path(sys.executable).with_name("imgflow")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "imgflow.cli"]
    out = tmp_path / "map.csv"
    command += ["run", str(EXAMPLE), "--export", f"Image Map:Data={out}"]
    env = dict(os.environ, IMGFLOW_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(list((ROOT / "examples" / "images").rglob("*.png"))
                            + list((ROOT / "examples" / "images").rglob("*.jpg")))
    xy = np.array([(float(r["x"]), float(r["y"])) for r in rows])
    kinds = np.array([r["category"] for r in rows])
    _, near = cKDTree(xy).query(xy, 4)
    assert (kinds[near[:, 1:]] == kinds[:, None]).mean() > 0.9
