"""Workflow files on disk (issue 16): every file that loads can be saved back; links and modes stay."""
from __future__ import annotations

import json
import os
import stat

import pytest

from imgflow.api import Setting
from imgflow.registry import Registry
from imgflow.workflow import Workflow, WorkflowFileError, load, save
from tests.support.widgets import Numbers


class Lister(Numbers):
    id = "test.lister"
    settings = Numbers.settings + (Setting("values", list, []),)


REGISTRY = Registry([Lister])


def document(**node) -> dict:
    return {"format": "imgflow-workflow", "version": 1, "nodes": [
        {"id": 0, "widget": "test.lister", "title": "L", "position": [0, 0], **node}]}


PLACES = {
    "list setting": lambda n: document(settings={"values": [1, n]}),
    "panel state": lambda n: document(panel={"zoom": {"level": n}}),
    "unknown widget": lambda n: {**document(), "nodes": [
        {"id": 0, "widget": "someone.else", "title": "U", "position": [0, 0],
         "settings": {"deep": [{"x": n}]}}]},
    "annotation style": lambda n: {**document(), "annotations": [
        {"id": 0, "kind": "text", "geometry": [0, 0, 1, 1], "style": {"size": n}}]},
}


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("place", list(PLACES))
def test_non_finite_numbers_anywhere_are_refused_with_one_line(tmp_path, place, number):
    marker = 123456.5
    text = json.dumps(PLACES[place](marker)).replace(str(marker), number)
    path = tmp_path / "wf.imgflow"
    path.write_text(text)
    with pytest.raises(WorkflowFileError) as caught:
        load(path, REGISTRY)
    message = str(caught.value)
    assert message.startswith("wf.imgflow: ") and "\n" not in message
    assert number.lstrip("-") in message


@pytest.mark.parametrize("place", list(PLACES))
def test_large_finite_numbers_load_and_save_back(tmp_path, place):
    path = tmp_path / "wf.imgflow"
    path.write_text(json.dumps(PLACES[place](1e300)))
    save(load(path, REGISTRY), path)
    assert "1e+300" in path.read_text()


def sample() -> Workflow:
    wf = Workflow(REGISTRY)
    wf.add_node("test.lister", settings={"values": [1, 2]})
    return wf


def test_saving_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "shared").mkdir()
    target = tmp_path / "shared" / "real.imgflow"
    save(Workflow(REGISTRY), target)
    link = tmp_path / "mine.imgflow"
    link.symlink_to(os.path.join("shared", "real.imgflow"))
    save(sample(), link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("shared", "real.imgflow")
    assert load(target, REGISTRY).nodes[0].settings["values"] == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.imgflow", "shared"]
    assert [p.name for p in (tmp_path / "shared").iterdir()] == ["real.imgflow"]


@pytest.mark.parametrize("mode", [0o644, 0o664, 0o600, 0o640])
def test_saving_keeps_the_files_mode(tmp_path, mode):
    path = tmp_path / "wf.imgflow"
    save(Workflow(REGISTRY), path)
    os.chmod(path, mode)
    save(sample(), path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    link = tmp_path / "link.imgflow"
    link.symlink_to(path)
    save(Workflow(REGISTRY), link)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_a_new_file_gets_the_usual_mode(tmp_path):
    umask = os.umask(0o027)
    try:
        save(sample(), tmp_path / "new.imgflow")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.imgflow").stat().st_mode) == 0o640  # not 0600


def test_a_whole_number_too_large_for_a_float_setting_is_refused(tmp_path):
    from tests.support.widgets import make_registry
    path = tmp_path / "wf.imgflow"
    path.write_text(json.dumps({"format": "imgflow-workflow", "version": 1, "nodes": [
        {"id": 0, "widget": "test.add", "title": "A", "position": [0, 0],
         "settings": {"amount": 10**400}}]}))
    with pytest.raises(WorkflowFileError, match="setting 'amount' must be a finite number"):
        load(path, make_registry())
