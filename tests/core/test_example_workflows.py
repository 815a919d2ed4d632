"""Finding example workflows: every *.imgflow in the folder, titled by its own fields."""
from __future__ import annotations

import json

import pytest

from imgflow.example_workflows import CopyError, copy_examples, examples_dir, list_examples


def write(folder, name, **fields):
    doc = {"format": "imgflow-workflow", "version": 1, "nodes": [], "links": [], **fields}
    (folder / f"{name}.imgflow").write_text(json.dumps(doc))


def test_title_and_description_come_from_the_file(tmp_path):
    write(tmp_path, "b-second", title="Second", description="Does  two\nthings.")
    write(tmp_path, "a-first-one")
    (tmp_path / "broken.imgflow").write_text("{not json")
    (tmp_path / "notes.txt").write_text("not an example")
    found = {e.name: e for e in list_examples(tmp_path)}
    assert sorted(found) == ["a-first-one", "b-second", "broken"]
    second = found["b-second"]
    assert (second.title, second.description) == ("Second", "Does two things.")
    assert found["a-first-one"].title == "A first one"      # no title: from the file name
    assert found["broken"].title == "Broken"


def test_an_order_file_puts_its_names_first_and_the_rest_follow_by_name(tmp_path):
    for name in ("zeta", "alpha", "main", "beta"):
        write(tmp_path, name, title=name)
    (tmp_path / "order.txt").write_text("main\nnot-there\nbeta\n")
    assert [e.name for e in list_examples(tmp_path)] == ["main", "beta", "alpha", "zeta"]


def test_the_bundled_folder_starts_with_the_readme_example():
    assert examples_dir().is_dir()
    assert list_examples()[0].name == "image-clustering"


def test_a_copy_takes_folders_of_images_but_not_scripts(tmp_path):
    source = tmp_path / "src"
    (source / "pics" / "cats").mkdir(parents=True)
    (source / "pics" / "cats" / "a.jpg").write_bytes(b"jpg")
    (source / "make.py").write_text("print()")
    write(source, "one", title="One")
    copied = copy_examples(tmp_path / "out", source)
    assert copied == [tmp_path / "out" / "one.imgflow"]
    assert (tmp_path / "out" / "pics" / "cats" / "a.jpg").read_bytes() == b"jpg"
    assert not (tmp_path / "out" / "make.py").exists()
    with pytest.raises(CopyError, match="already exists"):
        copy_examples(tmp_path / "out", source)


def test_copying_into_a_place_that_cannot_be_written_says_so(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(CopyError, match="cannot copy the examples into"):
        copy_examples(tmp_path / "file" / "below")
