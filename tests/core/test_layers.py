"""The arrows point one way: these tests keep them honest.

canvas/app -> engine -> workflow -> data; widgets -> core, embedders;
embedders -> nothing of ours.  Start-up must not import torch.
"""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_names(package: str):
    """(file, top-level module) for every import statement in a package."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path.relative_to(ROOT), alias.name
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path.relative_to(ROOT), node.module


@pytest.mark.parametrize("package, forbidden", [
    ("imgflow", ("widgets",)),
    ("embedders", ("imgflow", "widgets", "PyQt5", "pyqtgraph")),
])
def test_source_imports_point_one_way(package, forbidden):
    bad = [(str(f), m) for f, m in imported_names(package) if m.split(".")[0] in forbidden]
    assert bad == []


def test_qt_is_used_only_in_the_gui_layer_of_the_core():
    bad = [str(f) for f, m in imported_names("imgflow")
           if m.split(".")[0] in ("PyQt5", "pyqtgraph") and "gui" not in f.parts]
    assert bad == []


def modules_after(code: str) -> set[str]:
    script = code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return {m.split(".")[0] for m in json.loads(out.stdout.splitlines()[-1])}


def test_core_cli_and_registry_start_without_torch_or_qt():
    loaded = modules_after("import imgflow.cli, imgflow.headless, imgflow.engine\n"
                           "from imgflow.registry import Registry; Registry.discover()")
    assert "torch" not in loaded
    assert "PyQt5" not in loaded


def test_embedders_import_nothing_of_ours_nor_torch():
    loaded = modules_after("import embedders")
    assert not loaded & {"imgflow", "widgets", "PyQt5", "torch"}
