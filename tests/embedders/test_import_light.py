"""Importing embedders is cheap: no torch, Qt or imgflow until a model loads."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("imgflow", "widgets", "PyQt5", "PyQt6", "PySide2", "PySide6", "pyqtgraph")


def imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return {name.split(".")[0] for name in out.split()}


def test_import_does_not_load_torch_or_qt():
    modules = imported_after(
        "import embedders, embedders.images, embedders.models, embedders.cache, "
        "embedders.pipeline, embedders.errors")
    assert "embedders" in modules
    assert not modules & {"torch", "torchvision", "timm", *FORBIDDEN}


def test_loading_a_model_imports_torch_but_no_app_code():
    modules = imported_after("import embedders; embedders.load_model('squeezenet')")
    assert "torch" in modules
    assert not modules & set(FORBIDDEN)


def test_source_names_no_app_package():
    """Every module of embedders/ but the remote server's is free of app
    imports, including those inside functions."""
    for path in (ROOT / "embedders").rglob("*.py"):
        if "remote" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path}: imports {name}"
