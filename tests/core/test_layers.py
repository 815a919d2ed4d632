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


def module_of(path: Path) -> list[str]:
    """The installed dotted name of a source file's package, as parts."""
    parts = list(path.parent.relative_to(ROOT).parts)
    return parts if parts[0] in ("imgflow", "tests") else ["imgflow", *parts]


def imported_names(package: str):
    """(file, absolute module) for every import statement in a package, relative ones resolved."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path.relative_to(ROOT), alias.name
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path.relative_to(ROOT), node.module
            elif isinstance(node, ast.ImportFrom):
                base = module_of(path)[:len(module_of(path)) - node.level + 1]
                yield path.relative_to(ROOT), ".".join([*base, *filter(None, [node.module])])


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_core_never_imports_a_widget():
    assert [(str(f), m) for f, m in imported_names("imgflow") if within(m, "imgflow.widgets")] == []


def test_embedders_import_nothing_of_ours_but_themselves():
    bad = [(str(f), m) for f, m in imported_names("embedders")
           if (within(m, "imgflow") and not within(m, "imgflow.embedders"))
           or m.split(".")[0] in ("widgets", "PyQt5", "pyqtgraph")]
    assert bad == []


@pytest.mark.parametrize("package, forbidden", [
    ("imgflow/data", ("imgflow.workflow", "imgflow.engine", "imgflow.gui")),
    ("imgflow/workflow", ("imgflow.engine", "imgflow.gui")),
    ("imgflow/engine", ("imgflow.gui",)),
])
def test_core_layers_point_down(package, forbidden):
    """canvas/app -> engine -> workflow -> data: a lower layer never imports a higher one."""
    bad = [(str(f), m) for f, m in imported_names(package) if any(within(m, x) for x in forbidden)]
    assert bad == []


def test_nothing_imports_the_bare_top_level_names():
    """widgets/ and embedders/ install as imgflow.widgets and imgflow.embedders only."""
    bad = [(str(f), m) for package in ("imgflow", "widgets", "embedders", "tests")
           for f, m in imported_names(package) if m.split(".")[0] in ("widgets", "embedders")]
    assert bad == []


def test_a_widget_imports_no_other_widget_only_the_common_helpers():
    """Code two widgets share lives in widgets/common, so one can change without the other."""
    def widget_of(module: str) -> str | None:
        parts = module.split(".")
        return parts[2] if within(module, "imgflow.widgets") and len(parts) > 2 else None

    bad = [(str(f), m) for f, m in imported_names("widgets")
           if widget_of(m) not in (None, "common", f.parts[1] if len(f.parts) > 2 else None)]
    assert bad == []


def test_qt_is_used_only_in_the_gui_layer_of_the_core():
    bad = [str(f) for f, m in imported_names("imgflow")
           if m.split(".")[0] in ("PyQt5", "pyqtgraph") and "gui" not in f.parts]
    assert bad == []


def modules_after(code: str, top_level: bool = True) -> set[str]:
    script = code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    modules = json.loads(out.stdout.splitlines()[-1])
    return {m.split(".")[0] for m in modules} if top_level else set(modules)


def test_core_cli_and_registry_start_without_torch_or_qt():
    loaded = modules_after("import imgflow.cli, imgflow.headless, imgflow.engine\n"
                           "from imgflow.registry import Registry; Registry.discover()")
    assert "torch" not in loaded
    assert "PyQt5" not in loaded


def test_embedders_import_nothing_of_ours_nor_torch():
    loaded = modules_after("import imgflow.embedders", top_level=False)
    assert {m for m in loaded if within(m, "imgflow") and not within(m, "imgflow.embedders")
            and m != "imgflow"} == set()
    assert not {m.split(".")[0] for m in loaded} & {"widgets", "embedders", "PyQt5", "torch"}
