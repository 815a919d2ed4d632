import csv
import subprocess
import sys

import pytest

from imgflow import __version__
from imgflow.cli import main
from imgflow.workflow import Workflow, save
from tests.support.widgets import make_registry


@pytest.fixture
def workflow_file(tmp_path):
    wf = Workflow(make_registry())
    src = wf.add_node("test.numbers", title="Source", settings={"count": 3})
    add = wf.add_node("test.add", title="Plus One")
    wf.add_link(src, "Data", add, "Data")
    path = tmp_path / "wf.imgflow"
    save(wf, path)
    return path


def run(argv, capsys):
    code = main(argv, registry=make_registry())
    return code, capsys.readouterr().err


def test_run_sets_values_and_exports_csv_in_row_order(workflow_file, tmp_path, capsys):
    out = tmp_path / "out.csv"
    code, err = run(["run", str(workflow_file), "--set", "Source.count=4", "--set", "Plus One.amount=0.5",
                     "--export", f"Plus One:Data={out}"], capsys)
    assert code == 0, err
    rows = list(csv.reader(open(out)))
    assert rows == [["label", "value"], ["r0", "0.5"], ["r1", "1.5"], ["r2", "2.5"], ["r3", "3.5"]]
    assert "Plus One: done" in err


@pytest.mark.parametrize("args, message", [
    (["--set", "Nobody.count=1"], "no node titled 'Nobody' (the workflow has 'Source', 'Plus One')"),
    (["--set", "Source.colour=1"], "Numbers has no setting 'colour'"),
    (["--set", "Source.count=many"], "Source.count: expected a whole number, got 'many'"),
    (["--set", "Source.count=-2"], "must be at least 0"),
    (["--set", "nonsense"], 'expected "NODE TITLE.setting=value"'),
    (["--export", "Source:Nope=x.csv"], "'Source' has no output 'Nope' (outputs: 'Data')"),
])
def test_bad_arguments_give_a_one_line_reason(workflow_file, capsys, args, message):
    code, err = run(["run", str(workflow_file), *args], capsys)
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_failing_widget_makes_the_run_fail(tmp_path, capsys):
    wf = Workflow(make_registry())
    src = wf.add_node("test.numbers")
    fail = wf.add_node("test.fail", title="Broken")
    wf.add_link(src, "Data", fail, "Data")
    save(wf, tmp_path / "f.imgflow")
    code, err = run(["run", str(tmp_path / "f.imgflow")], capsys)
    assert code == 1
    assert err.strip().splitlines()[-1] == "imgflow: error: Broken: The input has no images."


def test_malformed_and_missing_files(tmp_path, capsys):
    (tmp_path / "bad.imgflow").write_text("{not json")
    code, err = run(["run", str(tmp_path / "bad.imgflow")], capsys)
    assert code == 1 and "bad.imgflow: not valid JSON (line 1" in err
    code, err = run(["run", str(tmp_path / "missing.imgflow")], capsys)
    assert code == 1 and "missing.imgflow: cannot be read" in err


def test_version_and_help_from_the_installed_command():
    out = subprocess.run([sys.executable, "-m", "imgflow.cli", "--version"], capture_output=True, text=True)
    assert out.stdout.strip() == f"imgflow {__version__}"
    out = subprocess.run([sys.executable, "-m", "imgflow.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "run" in out.stdout and "serve" in out.stdout
    out = subprocess.run([sys.executable, "-m", "imgflow.cli", "run", "--help"], capture_output=True, text=True)
    assert "--export" in out.stdout and "--set" in out.stdout
