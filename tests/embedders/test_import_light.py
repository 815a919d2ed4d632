"""Importing embedders is cheap: no torch, Qt or imgflow until a model loads."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT = ("PyQt5", "PyQt6", "PySide2", "PySide6", "pyqtgraph")


def is_app_code(module: str) -> bool:
    """A module of imgflow outside its embedders (the package's own tiny __init__ is not)."""
    return module.startswith("imgflow.") and not (
        module == "imgflow.embedders" or module.startswith("imgflow.embedders."))


def forbidden(modules, also=()) -> set[str]:
    return {m for m in modules if is_app_code(m) or m.split(".")[0] in (*QT, *also)}


def imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return set(out.split())


def test_import_does_not_load_torch_or_qt():
    modules = imported_after(
        "import imgflow.embedders, imgflow.embedders.images, imgflow.embedders.models, imgflow.embedders.cache, "
        "imgflow.embedders.pipeline, imgflow.embedders.errors")
    assert "imgflow.embedders.pipeline" in modules
    assert forbidden(modules, also=("torch", "torchvision", "timm")) == set()


def test_loading_a_model_imports_torch_but_no_app_code():
    modules = imported_after("import imgflow.embedders; imgflow.embedders.load_model('squeezenet')")
    assert "torch" in modules
    assert forbidden(modules) == set()


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
            assert forbidden(names) == set(), f"{path}: imports {names}"
