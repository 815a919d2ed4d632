"""A built wheel holds what the installed app needs."""
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def source_packages() -> set[str]:
    found = set()
    for top in ("imgflow", "widgets", "embedders"):
        for init in (ROOT / top).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT).parts
            found.add(".".join(parts if top == "imgflow" else ("imgflow", *parts)))
    return found


def test_every_package_of_the_tree_is_declared():
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    assert source_packages() | {"imgflow.icons", "imgflow.examples"} == declared


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(ROOT)], check=True, cwd=build)
    (path,) = out.glob("imgflow-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_contains_code_icons_and_entry_points(wheel):
    names = set(wheel.namelist())
    for package in source_packages():
        assert package.replace(".", "/") + "/__init__.py" in names
    icons = sorted(p.name for p in (ROOT / "icons").glob("*.svg"))
    assert icons, "the icons folder is empty"
    assert {f"imgflow/icons/{name}" for name in icons} <= names
    entry_points = wheel.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "imgflow = imgflow.cli:main" in entry_points
    assert "[imgflow.widgets]" in entry_points and "imgflow.widgets.distances:Distances" in entry_points
    assert {n.split("/")[0] for n in names if not n.startswith("imgflow-")} == {"imgflow"}


def test_wheel_contains_the_examples_with_their_images_and_the_help_pages(wheel):
    names = set(wheel.namelist())
    examples = ROOT / "examples"
    shipped = {p.relative_to(examples).as_posix() for p in examples.rglob("*")
               if p.is_file() and p.suffix in (".imgflow", ".jpg", ".jpeg", ".png")}
    assert any(name.endswith(".imgflow") for name in shipped)
    assert {f"imgflow/examples/{name}" for name in shipped} <= names
    guides = [p for p in (ROOT / "widgets").rglob("help*") if p.suffix in (".md", ".png")]
    assert guides, "no widget has a hand-written help page"
    assert {"imgflow/widgets/" + p.relative_to(ROOT / "widgets").as_posix() for p in guides} <= names
