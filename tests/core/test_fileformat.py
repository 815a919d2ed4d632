import json
import os
from unittest import mock

import pytest

from imgflow.workflow import Workflow, WorkflowFileError, dumps, load, loads, save
from tests.support.widgets import make_registry


def sample_workflow(folder=None):
    wf = Workflow(make_registry(), title="Sample")
    a = wf.add_node("test.numbers", position=(10, 20), settings={"count": 5})
    b = wf.add_node("test.add", position=(200, 20), settings={"amount": 2.5})
    j = wf.add_node("test.join", position=(400, 40))
    wf.add_link(a, "Data", b, "Data")
    wf.add_link(b, "Data", j, "Left")
    wf.add_link(a, "Data", j, "Right", enabled=False)
    wf.add_annotation("text", (0, 100, 150, 40), "Numbers flow right", {"font_size": 12})
    wf.add_annotation("arrow", (0, 0, 50, 50))
    if folder is not None:
        wf.set_settings(a, {"folder": str(folder / "images")})
    return wf


def test_save_load_save_gives_the_identical_file(tmp_path):
    path = tmp_path / "wf.imgflow"
    save(sample_workflow(tmp_path), path)
    first = path.read_text()
    wf = load(path, make_registry())
    save(wf, path)
    assert path.read_text() == first
    assert [n.title for n in wf.nodes.values()] == ["Numbers", "Add", "Join"]
    assert wf.nodes[1].settings["amount"] == 2.5
    assert [l.enabled for l in wf.links.values()] == [True, True, False]
    assert wf.annotations[0].text == "Numbers flow right"


def test_file_is_plain_json_with_format_and_version(tmp_path):
    doc = json.loads(dumps(sample_workflow()))
    assert doc["format"] == "imgflow-workflow" and doc["version"] == 1
    assert doc["nodes"][0]["settings"]["count"] == 5


def test_paths_inside_the_folder_are_relative_so_the_workflow_can_move(tmp_path):
    (tmp_path / "images").mkdir()
    save(sample_workflow(tmp_path), tmp_path / "wf.imgflow")
    saved = json.loads((tmp_path / "wf.imgflow").read_text())["nodes"][0]["settings"]["folder"]
    assert saved["relative"] == "images"
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    os.rename(tmp_path, moved)
    wf = load(moved / "wf.imgflow", make_registry())
    assert wf.nodes[0].settings["folder"] == str(moved / "images")


def test_paths_outside_the_folder_stay_absolute(tmp_path):
    wf = sample_workflow()
    wf.set_settings(0, {"folder": "/elsewhere/photos"})
    (tmp_path / "sub").mkdir()
    save(wf, tmp_path / "sub" / "wf.imgflow")
    doc = json.loads((tmp_path / "sub" / "wf.imgflow").read_text())
    assert doc["nodes"][0]["settings"]["folder"] == "/elsewhere/photos"


def test_missing_widget_is_kept_as_placeholder_and_written_back(tmp_path):
    doc = json.loads(dumps(sample_workflow()))
    doc["nodes"].append({"id": 9, "widget": "someone.else.fancy", "title": "Fancy",
                         "position": [1, 2], "settings": {"secret": [1, {"a": 2}]},
                         "settings_version": 3, "panel": {}})
    doc["links"].append({"id": 7, "source": 1, "source_channel": "Data", "sink": 9,
                         "sink_channel": "In", "enabled": True})
    text = json.dumps(doc, indent=2) + "\n"
    wf = loads(text, make_registry())
    assert wf.nodes[9].is_placeholder
    again = json.loads(dumps(wf))
    assert again["nodes"][-1] == doc["nodes"][-1]
    assert again["links"][-1] == doc["links"][-1]



def test_a_cycle_through_a_missing_widget_is_refused(tmp_path):
    # Its channels cannot be checked, but a cycle would leave the engine waiting forever.
    doc = json.loads(dumps(sample_workflow()))
    doc["nodes"].append({"id": 9, "widget": "someone.else.fancy", "title": "Fancy",
                         "position": [1, 2]})
    doc["links"] += [{"id": 7, "source": 2, "source_channel": "Data", "sink": 9,
                      "sink_channel": "In"},
                     {"id": 8, "source": 9, "source_channel": "Out", "sink": 1,
                      "sink_channel": "Data"}]
    with pytest.raises(WorkflowFileError, match=r"links\[\d\]: Linking 'Fancy' to .* cycle"):
        loads(json.dumps(doc), make_registry())


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("nodes"), "missing 'nodes'"),
    (lambda d: d["nodes"][1].pop("widget"), r"nodes\[1\]: missing 'widget'"),
    (lambda d: d["links"][0].update(source=42), r"links\[0\]: source node 42 does not exist"),
    (lambda d: d["nodes"][0]["settings"].update(count="many"),
     r"nodes\[0\] \('Numbers'\): setting 'count' expected a whole number"),
    (lambda d: d["nodes"][0].update(position=[1]), "'position' must be two numbers"),
    (lambda d: d.update(format="something"), "not an imgflow workflow"),
    (lambda d: d.update(version=99), "newer imgflow"),
    (lambda d: d["links"][0].update(sink_channel="Nope"), "has no input called 'Nope'"),
    (lambda d: d["links"].append(dict(d["links"][0], id=5, source=2, sink=1,
                                      source_channel="Data", sink_channel="Data")),
     r"links\[3\]: Linking 'Join' to 'Add' would make a cycle"),
    (lambda d: d["links"].append(dict(d["links"][0], id=5)), "already linked"),
    (lambda d: d["nodes"][1].update(id=d["nodes"][0]["id"]), r"nodes\[1\]: id 0 is used twice"),
    (lambda d: d["annotations"][1].update(id=d["annotations"][0]["id"]),
     r"annotations\[1\]: id 0 is used twice"),
])
def test_malformed_files_name_the_problem_and_where(mutate, message):
    doc = json.loads(dumps(sample_workflow()))
    mutate(doc)
    with pytest.raises(WorkflowFileError, match=message):
        loads(json.dumps(doc), make_registry())


def test_bad_json_reports_line_and_column(tmp_path):
    path = tmp_path / "broken.imgflow"
    path.write_text('{"format": "imgflow-workflow",\n "version": 1 "nodes": []}')
    with pytest.raises(WorkflowFileError, match=r"broken.imgflow: not valid JSON \(line 2, column 15"):
        load(path, make_registry())


def test_binary_and_missing_files_give_messages(tmp_path):
    (tmp_path / "b.imgflow").write_bytes(b"\x80\x04\x95pickle")
    with pytest.raises(WorkflowFileError, match="not a text file"):
        load(tmp_path / "b.imgflow", make_registry())
    with pytest.raises(WorkflowFileError, match="cannot be read"):
        load(tmp_path / "nope.imgflow", make_registry())


def test_hostile_files_cannot_run_code_or_exhaust_memory(tmp_path):
    import pickle

    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    hostile = [
        pickle.dumps(Boom()),
        json.dumps({"format": "imgflow-workflow", "version": 1, "nodes": [
            {"id": 0, "widget": "test.numbers", "title": "__import__('os').system('x')",
             "position": [0, 0], "settings": {"tag": "__import__('os').system('touch pwned')"}}]}).encode(),
        b'{"format": "imgflow-workflow", "version": 1, "nodes": [], "x": ' + b"[" * 100000 + b"]" * 100000 + b"}",
        b'{"format": "imgflow-workflow", "version": 1, "nodes": [], "n": ' + b"9" * 100000 + b"}",
        b'{"format": "imgflow-workflow", "version": 1, "nodes": [{"id": 0, "widget": "test.numbers",'
        b' "title": "N", "position": [1e999, 0]}]}',
        b'{"format": "imgflow-workflow", "version": NaN, "nodes": []}',
    ]
    for i, payload in enumerate(hostile):
        path = tmp_path / f"h{i}.imgflow"
        path.write_bytes(payload)
        try:
            wf = load(path, make_registry())
        except WorkflowFileError:
            continue
        # the one that loads keeps the strings as inert text
        assert wf.nodes[0].settings["tag"].startswith("__import__")
    assert not (tmp_path / "pwned").exists()
    with mock.patch("imgflow.workflow.fileformat.MAX_FILE_BYTES", 1000):
        (tmp_path / "big.imgflow").write_text(" " * 2000)
        with pytest.raises(WorkflowFileError, match="at most"):
            load(tmp_path / "big.imgflow", make_registry())


def test_saving_is_atomic(tmp_path):
    path = tmp_path / "wf.imgflow"
    save(sample_workflow(), path)
    before = path.read_text()
    with mock.patch("os.replace", side_effect=OSError("disk full")):
        with pytest.raises(OSError):
            save(Workflow(make_registry()), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["wf.imgflow"]


def test_old_settings_are_migrated(tmp_path):
    from tests.support.widgets import Numbers

    class NumbersV2(Numbers):
        settings_version = 2

        @classmethod
        def migrate_settings(cls, settings, version):
            if version < 2 and "first" in settings:
                settings["start"] = settings.pop("first")
            return settings

    from imgflow.registry import Registry
    doc = {"format": "imgflow-workflow", "version": 1, "nodes": [
        {"id": 0, "widget": "test.numbers", "title": "N", "position": [0, 0],
         "settings_version": 1, "settings": {"first": 7}}]}
    wf = loads(json.dumps(doc), Registry([NumbersV2]))
    assert wf.nodes[0].settings["start"] == 7


def test_lists_of_paths_move_with_the_workflow_and_urls_stay(tmp_path):
    from imgflow.api import Setting
    from imgflow.registry import Registry
    from tests.support.widgets import Numbers

    class Picker(Numbers):
        id = "test.picker"
        settings = Numbers.settings + (Setting("picked", list, [], path=True),)

    registry = Registry([Picker])
    (tmp_path / "images").mkdir()
    wf = Workflow(registry)
    picked = [str(tmp_path / "images" / "a.jpg"), "https://example.org/b.jpg", "/elsewhere/c.jpg"]
    wf.add_node("test.picker", settings={"picked": picked})
    save(wf, tmp_path / "wf.imgflow")
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    os.rename(tmp_path, moved)
    again = load(moved / "wf.imgflow", registry)
    assert again.nodes[0].settings["picked"] == [
        str(moved / "images" / "a.jpg"), "https://example.org/b.jpg", "/elsewhere/c.jpg"]
