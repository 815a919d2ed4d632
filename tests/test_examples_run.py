"""Every bundled example workflow runs headless to the end, offline, as a user would run it:
copied out with ``imgflow examples --copy`` and run with ``imgflow run``.

New examples dropped into examples/ are found and run here without changes to this file.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from imgflow.example_workflows import copy_examples, list_examples

EXAMPLES = list_examples()


@pytest.fixture(scope="module")
def copied(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examples")
    copy_examples(folder)       # runs may write files (Save Images): never into the repository
    return folder


def test_there_are_bundled_examples():
    assert "image-clustering" in [e.name for e in EXAMPLES]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_example_runs_headless_to_the_end(example, copied):
    path = copied / example.path.name
    titles = [n["title"] for n in json.loads(path.read_text(encoding="utf-8"))["nodes"]]
    out = subprocess.run([sys.executable, "-m", "imgflow.cli", "run", str(path),
                          "--timeout", "500"], capture_output=True, text=True, timeout=560, cwd=copied)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    last = {}   # each node's last reported status (a node waiting for a selection says nothing)
    for line in out.stderr.splitlines():
        title, _, status = line.partition(": ")
        if title in titles:
            last[title] = status
    assert last and all(status == "done" for status in last.values()), out.stderr[-3000:]
    sources = [n["title"] for n in json.loads(path.read_text(encoding="utf-8"))["nodes"]
               if n["widget"] == "imgflow.import_images"]
    assert all(last.get(title) == "done" for title in sources)
