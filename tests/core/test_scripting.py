"""The Python API: imgflow.load(...).set(...).run() on the engine of `imgflow run`."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import imgflow
from imgflow import trusted_servers
from imgflow.api import Output, Setting, Widget
from imgflow.data import Table
from imgflow.registry import Registry
from imgflow.workflow import Workflow, save
from tests.support.widgets import TEST_WIDGETS


class Sender(Widget):
    """Would send data to `server` (a destination): records whether it was trusted."""
    id = "test.sender"
    name = "Sender"
    category = "Test"
    outputs = (Output("Data", Table, default=True),)
    settings = (Setting("server", str, "", destination=True), Setting("on", bool, False))

    @classmethod
    def sends_to(cls, settings):
        return [settings["server"]] if settings.get("on") and settings.get("server") else []

    def compute(self, inputs, settings, ctx):
        trusted = [trusted_servers.is_trusted(u) for u in self.sends_to(settings)]
        return {"Data": Table(np.array([[float(all(trusted))]]), ("trusted",))}


def registry() -> Registry:
    return Registry([*TEST_WIDGETS, Sender])


@pytest.fixture
def path(tmp_path):
    wf = Workflow(registry())
    src = wf.add_node("test.numbers", title="Source", settings={"count": 3})
    add = wf.add_node("test.add", title="Plus One")
    wf.add_link(src, "Data", add, "Data")
    wf.add_node("test.sender", title="Sender", settings={"server": "http://file-named:8750"})
    path = tmp_path / "wf.imgflow"
    save(wf, path)
    return path


def test_set_run_and_read_a_table(path):
    wf = imgflow.load(path, registry())
    out = wf.set("Source", count=4).set("Plus One", amount=0.5).run()
    table = out["Plus One"]["Data"]
    assert isinstance(table, Table)
    np.testing.assert_array_equal(table.to_numpy()[:, 0], [0.5, 1.5, 2.5, 3.5])
    assert list(out) == ["Source", "Plus One", "Sender"] and "Source" in out
    assert wf.settings("Source")["count"] == 4
    again = wf.set("Source", count=2).run()           # runs again with the new value
    assert len(again["Plus One"]["Data"]) == 2


@pytest.mark.parametrize("act, message", [
    (lambda wf: wf.set("Nobody", count=1),
     "no node titled 'Nobody' (the workflow has 'Source', 'Plus One', 'Sender')"),
    (lambda wf: wf.set("Source", colour=1), "Numbers has no setting 'colour'"),
    (lambda wf: wf.set("Source", count="many"), "Source.count: expected a whole number"),
    (lambda wf: wf.set("Source", count=-2), "Source.count: must be at least 0"),
    (lambda wf: wf.run()["Source"]["Nope"], "'Source' has no output 'Nope' (outputs: 'Data')"),
    (lambda wf: wf.run()["Nobody"], "no node titled 'Nobody'"),
])
def test_mistakes_raise_workflow_error_with_the_cli_reasons(path, act, message):
    wf = imgflow.load(path, registry())
    with pytest.raises(imgflow.WorkflowError) as caught:
        act(wf)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_failed_node_and_a_bad_file_raise(tmp_path):
    wf = Workflow(registry())
    src = wf.add_node("test.numbers")
    fail = wf.add_node("test.fail", title="Broken")
    wf.add_link(src, "Data", fail, "Data")
    save(wf, tmp_path / "f.imgflow")
    with pytest.raises(imgflow.WorkflowError, match="^Broken: The input has no images.$"):
        imgflow.load(tmp_path / "f.imgflow", registry()).run()
    (tmp_path / "bad.imgflow").write_text("{not json")
    with pytest.raises(imgflow.WorkflowError, match="not valid JSON"):
        imgflow.load(tmp_path / "bad.imgflow", registry())


def test_a_server_set_by_the_script_is_the_users_choice_one_in_the_file_is_not(path):
    wf = imgflow.load(path, registry())
    out = wf.set("Sender", on=True).run()          # the file names the server: not trusted
    assert out["Sender"]["Data"].X[0, 0] == 0
    out = wf.set("Sender", server="http://mine:8750").run()
    assert out["Sender"]["Data"].X[0, 0] == 1
    assert not trusted_servers.is_trusted("http://mine:8750")   # for that run only


def test_import_imgflow_stays_light():
    probe = ("import sys, imgflow; imgflow.WorkflowError; imgflow.load; "
             "print(' '.join(m for m in ('torch', 'PyQt5', 'imgflow.engine') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    assert "torch" not in out and "PyQt5" not in out
