"""`imgflow run --export`: the format by extension, empty outputs, one-line failures."""
from __future__ import annotations

import csv
import sys

import numpy as np
import pytest

from imgflow.cli import main
from imgflow.workflow import Workflow, save
from tests.support.widgets import make_registry


@pytest.fixture
def workflow_file(tmp_path):
    wf = Workflow(make_registry())
    wf.add_node("test.numbers", title="Source", settings={"count": 3})
    wf.add_node("test.warn", title="Lonely")          # no input: gives nothing
    path = tmp_path / "wf.imgflow"
    save(wf, path)
    return path


def run(argv, capsys):
    code = main(argv, registry=make_registry())
    return code, capsys.readouterr().err


def test_the_extension_chooses_the_format(workflow_file, tmp_path, capsys):
    code, err = run(["run", str(workflow_file), "--export", f"Source:Data={tmp_path / 'v.npy'}",
                     "--export", f"Source:Data={tmp_path / 'v.txt'}"], capsys)
    assert code == 0, err
    np.testing.assert_array_equal(np.load(tmp_path / "v.npy"), [[0.0], [1.0], [2.0]])
    assert list(csv.reader(open(tmp_path / "v.txt"))) == [
        ["label", "value"], ["r0", "0"], ["r1", "1"], ["r2", "2"]]


def test_an_empty_output_writes_a_header_only_file(workflow_file, tmp_path, capsys):
    out = tmp_path / "empty.csv"
    code, err = run(["run", str(workflow_file), "--set", "Source.count=0",
                     "--export", f"Source:Data={out}"], capsys)
    assert code == 0, err
    assert list(csv.reader(open(out))) == [["label", "value"]]


def test_an_output_never_given_writes_an_empty_file_with_a_warning(workflow_file, tmp_path,
                                                                   capsys):
    out = tmp_path / "nothing.csv"
    code, err = run(["run", str(workflow_file), "--export", f"Lonely:Data={out}"], capsys)
    assert code == 0, err
    assert out.read_bytes() == b"\r\n"                 # a table with no columns
    assert "'Lonely' produced nothing on 'Data'" in err


def test_a_failed_export_is_one_line_and_keeps_the_old_file(workflow_file, tmp_path, capsys,
                                                            monkeypatch):
    out = tmp_path / "v.parquet"
    out.write_text("old")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    code, err = run(["run", str(workflow_file), "--export", f"Source:Data={out}"], capsys)
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("imgflow: error: cannot write") and "imgflow[parquet]" in last
    assert out.read_text() == "old"
    code, err = run(["run", str(workflow_file),
                     "--export", f"Source:Data={tmp_path / 'no' / 'such' / 'dir.csv'}"], capsys)
    assert code == 1 and "No such file or directory" in err and "Traceback" not in err
