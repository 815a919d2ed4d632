"""`imgflow widgets`, `imgflow help WIDGET`, `imgflow examples`, and mistyped commands,
as a person types them: a new process, the real entry point."""
from __future__ import annotations

import subprocess
import sys

import pytest

from imgflow.example_workflows import list_examples
from imgflow.registry import Registry
from imgflow.widget_help import page_text, widget_page

INSTALLED = Registry.discover()


def imgflow(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "imgflow.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def one_line_error(out, *fragments):
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("imgflow: error: "), out.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_widgets_lists_title_id_inputs_and_outputs_of_every_installed_widget():
    out = imgflow("widgets")
    assert out.returncode == 0, out.stderr
    blocks = out.stdout.strip().split("\n")
    for widget in INSTALLED.widgets():
        at = blocks.index(f"{widget.name}  [{widget.id}]")
        assert all(f"{c.name} ({c.type.__name__})" in blocks[at + 1] for c in widget.inputs)
        assert all(f"{c.name} ({c.type.__name__})" in blocks[at + 2] for c in widget.outputs)
    assert len(blocks) == 3 * len(INSTALLED.widgets())


@pytest.mark.parametrize("name", ["Distances", "distances", "imgflow.distances"])
def test_help_prints_the_page_by_title_or_id(name):
    out = imgflow("help", name)
    assert out.returncode == 0, out.stderr
    assert out.stdout == page_text(widget_page(INSTALLED.get("imgflow.distances")).markdown)
    assert "metric (text; one of euclidean" in out.stdout and "default cosine" in out.stdout


def test_help_of_a_title_with_spaces_without_quotes():
    out = imgflow("help", "Image", "Viewer")
    assert out.returncode == 0 and out.stdout.startswith("Image Viewer\n")


def test_an_unknown_widget_names_close_matches():
    one_line_error(imgflow("help", "Distnce"), "no widget called 'Distnce'", "Distances")
    one_line_error(imgflow("help", "qwertyuiop"), "imgflow widgets lists them all")


def test_a_mistyped_command_is_a_one_line_error_not_a_canvas():
    one_line_error(imgflow("widgts"), "'widgts' is neither a command nor a workflow file",
                   "did you mean 'widgets'?")
    one_line_error(imgflow("exmples"), "did you mean 'examples'?")


def test_examples_lists_every_bundled_example_one_a_line():
    out = imgflow("examples")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    examples = list_examples()
    assert len(examples) >= 1 and len(lines) == len(examples)
    for line, example in zip(lines, examples):
        name, title = line.split(None, 1)
        assert (name, title) == (example.name, example.title)
    assert "image-clustering" in [e.name for e in examples]


def test_examples_copy_brings_the_images_and_never_overwrites(tmp_path):
    out = imgflow("examples", "--copy", str(tmp_path / "mine"))
    assert out.returncode == 0, out.stderr
    copied = sorted(p.name for p in (tmp_path / "mine").glob("*.imgflow"))
    assert copied == sorted(f"{e.name}.imgflow" for e in list_examples())
    images = list((tmp_path / "mine" / "images").rglob("*.jpg"))
    assert len(images) >= 20
    assert not list((tmp_path / "mine").rglob("*.py"))
    (tmp_path / "mine" / "image-clustering.imgflow").write_text("mine")
    one_line_error(imgflow("examples", "--copy", str(tmp_path / "mine")), "already exists",
                   "nothing was copied")
    assert (tmp_path / "mine" / "image-clustering.imgflow").read_text() == "mine"


def test_a_copied_example_opens_from_its_own_folder(tmp_path):
    from imgflow.workflow import load
    imgflow("examples", "--copy", str(tmp_path))
    workflow = load(tmp_path / "image-clustering.imgflow", INSTALLED)
    node = workflow.node_by_title("Import Images")
    assert node.settings["directory"] == str(tmp_path / "images")


def test_a_listing_piped_into_a_reader_that_stops_early_ends_quietly():
    """`imgflow widgets | head -3`: no traceback when head closes the pipe."""
    import os
    import subprocess
    import sys
    code = "import sys; from imgflow.cli import main; sys.exit(main(['widgets']))"
    listing = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=os.path.dirname(os.path.dirname(
                                   os.path.dirname(os.path.abspath(__file__)))))
    listing.stdout.close()                 # the reader goes away before the listing is written
    err = listing.stderr.read().decode()
    assert listing.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err
