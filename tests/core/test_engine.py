import json
import threading
import time

import numpy as np
import pytest

from imgflow.engine import DONE, ERROR, IDLE, WARNING, Engine
from imgflow.workflow import Workflow, loads, dumps
from tests.support import widgets as tw


@pytest.fixture(autouse=True)
def clear_calls():
    tw.CALLS.clear()


def values(engine, node, output="Data"):
    return list(engine.outputs(node.id)[output].X[:, 0])


def calls_of(tag):
    return sum(1 for _, t in tw.CALLS if t == tag)


def diamond():
    """numbers -> left(+1), right(+10) -> join(left + right)"""
    wf = Workflow(tw.make_registry())
    src = wf.add_node("test.numbers", settings={"tag": "src"})
    left = wf.add_node("test.add", settings={"tag": "left", "amount": 1.0})
    # "right" is slower, so "join" would run twice if it did not wait for both sides.
    right = wf.add_node("test.add", settings={"tag": "right", "amount": 10.0, "delay": 0.2})
    join = wf.add_node("test.join", settings={"tag": "join"})
    wf.add_link(src, "Data", left, "Data")
    wf.add_link(src, "Data", right, "Data")
    wf.add_link(left, "Data", join, "Left")
    wf.add_link(right, "Data", join, "Right")
    return wf, src, left, right, join


def test_diamond_computes_each_node_once_in_order():
    wf, src, left, right, join = diamond()
    engine = Engine(wf)
    assert engine.run_until_idle(10)
    assert values(engine, join) == [11, 13, 15]
    assert [calls_of(t) for t in ("src", "left", "right", "join")] == [1, 1, 1, 1]
    assert [t for _, t in tw.CALLS].index("join") == 3
    assert engine.state(join.id).status == DONE


def test_a_change_recomputes_only_what_is_downstream_once_even_through_diamonds():
    wf, src, left, right, join = diamond()
    engine = Engine(wf)
    engine.run_until_idle(10)
    tw.CALLS.clear()
    wf.set_settings(right, {"amount": 20.0})
    engine.run_until_idle(10)
    assert sorted(t for _, t in tw.CALLS) == ["join", "right"]
    tw.CALLS.clear()
    wf.set_settings(src, {"start": 1})
    engine.run_until_idle(10)
    assert [calls_of(t) for t in ("src", "left", "right", "join")] == [1, 1, 1, 1]
    assert values(engine, join) == [23, 25, 27]


def test_a_burst_of_changes_is_coalesced_into_one_pass():
    wf, src, left, right, join = diamond()
    engine = Engine(wf)
    engine.run_until_idle(10)
    tw.CALLS.clear()
    for count in range(5, 10):
        wf.set_settings(src, {"count": count})
    engine.run_until_idle(10)
    assert calls_of("src") == 1 and calls_of("join") == 1
    assert len(values(engine, join)) == 9


def test_freeze_holds_changes_until_released():
    wf, src, *_ , join = diamond()
    engine = Engine(wf)
    engine.run_until_idle(10)
    engine.set_frozen(True)
    tw.CALLS.clear()
    wf.set_settings(src, {"count": 1})
    engine.run_until_idle(1)
    assert tw.CALLS == []
    engine.set_frozen(False)
    engine.run_until_idle(10)
    assert values(engine, join) == [11]


def test_a_change_during_a_run_cancels_it_and_the_stale_result_is_discarded():
    wf = Workflow(tw.make_registry())
    src = wf.add_node("test.numbers")
    slow = wf.add_node("test.add", settings={"delay": 5.0, "amount": 1.0, "tag": "slow"})
    wf.add_link(src, "Data", slow, "Data")
    engine = Engine(wf)
    seen = []
    engine.subscribe(lambda nid, st: seen.append((nid, st.status)))
    deadline = time.monotonic() + 5
    while (slow.id, "running") not in seen and time.monotonic() < deadline:
        engine.run_until_idle(0.05)
    t0 = time.monotonic()
    wf.set_settings(slow, {"delay": 0.0, "amount": 100.0})
    assert engine.run_until_idle(10)
    assert time.monotonic() - t0 < 3, "the slow run was not cancelled"
    assert values(engine, slow) == [100, 101, 102]


def test_errors_stay_on_their_node_and_the_rest_keeps_working():
    wf = Workflow(tw.make_registry())
    src = wf.add_node("test.numbers")
    fail = wf.add_node("test.fail")
    crash = wf.add_node("test.fail", settings={"readable": False})
    after = wf.add_node("test.add", settings={"tag": "after"})
    ok = wf.add_node("test.add", settings={"tag": "ok"})
    for node in (fail, crash, ok):
        wf.add_link(src, "Data", node, "Data")
    wf.add_link(fail, "Data", after, "Data")
    engine = Engine(wf)
    engine.run_until_idle(10)
    assert engine.state(fail.id).status == ERROR
    assert engine.state(fail.id).message == "The input has no images."
    assert engine.state(crash.id).message == "ZeroDivisionError: division by zero"
    assert engine.state(after.id).status == IDLE
    assert engine.state(after.id).message == "Waiting for Data."
    assert values(engine, ok) == [1, 2, 3]


def test_warnings_and_multiple_inputs_in_link_order():
    wf = Workflow(tw.make_registry())
    a = wf.add_node("test.numbers", title="A", settings={"count": 2})
    b = wf.add_node("test.numbers", title="B", settings={"count": 3})
    warn = wf.add_node("test.warn")
    coll = wf.add_node("test.collect")
    wf.add_link(b, "Data", coll, "Data")
    wf.add_link(a, "Data", warn, "Data")
    wf.add_link(warn, "Data", coll, "Data")
    engine = Engine(wf)
    engine.run_until_idle(10)
    assert engine.state(warn.id).status == WARNING
    assert engine.state(warn.id).warnings == ["2 rows skipped"]
    assert engine.state(coll.id).view == [3, 2]
    assert engine.state(coll.id).info == "B + Warn"


def test_removing_or_disabling_a_link_withdraws_the_data():
    wf, src, left, right, join = diamond()
    engine = Engine(wf)
    engine.run_until_idle(10)
    link = next(l for l in wf.links_into(join) if l.sink_channel == "Right")
    wf.set_link_enabled(link, False)
    engine.run_until_idle(10)
    assert engine.state(join.id).status == IDLE and "Right" in engine.state(join.id).message
    wf.set_link_enabled(link, True)
    engine.run_until_idle(10)
    assert engine.state(join.id).status == DONE
    wf.remove_link(link)
    engine.run_until_idle(10)
    assert engine.outputs(join.id) == {}


def test_a_placeholder_node_is_an_error_and_others_still_run():
    wf = Workflow(tw.make_registry())
    wf.add_node("test.numbers")
    doc = json.loads(dumps(wf))
    doc["nodes"].append({"id": 5, "widget": "gone.widget", "title": "Gone", "position": [0, 0]})
    wf = loads(json.dumps(doc), tw.make_registry())
    engine = Engine(wf)
    engine.run_until_idle(10)
    assert "not installed" in engine.state(5).message
    assert engine.state(0).status == DONE


def test_cancel_stops_a_running_node():
    wf = Workflow(tw.make_registry())
    src = wf.add_node("test.numbers")
    slow = wf.add_node("test.add", settings={"delay": 30.0})
    wf.add_link(src, "Data", slow, "Data")
    engine = Engine(wf)
    while engine.state(slow.id).status != "running":
        engine.run_until_idle(0.05)
    engine.cancel(slow.id)
    assert engine.run_until_idle(2)
    assert engine.state(slow.id).message == "Cancelled."


def test_progress_is_reported_on_the_owner_thread():
    from imgflow.api import Input, Output, Widget
    from imgflow.data import Table
    from imgflow.registry import Registry

    class Steps(Widget):
        id, name = "test.steps", "Steps"
        inputs = (Input("Data", Table),)
        outputs = (Output("Data", Table),)

        def compute(self, inputs, settings, ctx):
            for i in range(4):
                ctx.progress(i + 1, 4)
            return {"Data": inputs["Data"]}

    wf = Workflow(Registry([tw.Numbers, Steps]))
    src = wf.add_node("test.numbers")
    steps = wf.add_node("test.steps")
    wf.add_link(src, "Data", steps, "Data")
    engine = Engine(wf)
    owner = threading.current_thread()
    progress = []
    engine.subscribe(lambda nid, st: nid == steps.id and st.status == "running"
                     and progress.append((st.progress, threading.current_thread() is owner)))
    engine.run_until_idle(10)
    assert [p for p, _ in progress][-1] == 1.0
    assert all(on_owner for _, on_owner in progress)


def test_view_only_settings_do_not_rerun_anything():
    from imgflow.api import Setting
    from imgflow.registry import Registry

    class Shown(tw.AddOne):
        id = "test.shown"
        settings = tw.AddOne.settings + (Setting("zoom", int, 1, view_only=True),)

    wf = Workflow(Registry([tw.Numbers, Shown, tw.AddOne]))
    src = wf.add_node("test.numbers")
    shown = wf.add_node("test.shown", settings={"tag": "shown"})
    after = wf.add_node("test.add", settings={"tag": "after"})
    wf.add_link(src, "Data", shown, "Data")
    wf.add_link(shown, "Data", after, "Data")
    engine = Engine(wf)
    engine.run_until_idle(10)
    tw.CALLS.clear()
    events = []
    wf.subscribe(lambda e: events.append((e.kind, e.changed)))
    wf.set_settings(shown, {"zoom": 3})
    engine.run_until_idle(10)
    assert tw.CALLS == []
    assert events == [("settings_changed", ("zoom",))]   # the panel still hears of it
    wf.set_settings(shown, {"zoom": 2, "amount": 5.0})
    engine.run_until_idle(10)
    assert sorted(t for _, t in tw.CALLS) == ["after", "shown"]


def test_a_disabled_link_neither_reruns_nor_holds_up_what_it_would_feed():
    wf = Workflow(tw.make_registry())
    src = wf.add_node("test.numbers", settings={"tag": "src"})
    slow = wf.add_node("test.add", settings={"tag": "slow"})
    coll = wf.add_node("test.collect", settings={"tag": "coll"})
    wf.add_link(src, "Data", slow, "Data")
    wf.add_link(src, "Data", coll, "Data")
    wf.add_link(slow, "Data", coll, "Data", enabled=False)
    engine = Engine(wf)
    assert engine.run_until_idle(10)
    assert engine.state(coll.id).view == [3]
    tw.CALLS.clear()
    wf.set_settings(slow, {"amount": 5.0})
    assert engine.run_until_idle(10)
    assert [t for _, t in tw.CALLS] == ["slow"]          # nothing behind the disabled link
    # while "slow" runs, "coll" is not held up by it
    wf.set_settings(slow, {"delay": 30.0})
    wf.set_settings(coll, {"tag": "coll again"})
    deadline = time.monotonic() + 10
    while engine.state(coll.id).status != DONE and time.monotonic() < deadline:
        engine.run_until_idle(0.05)
    assert engine.state(coll.id).status == DONE and engine.state(slow.id).status == "running"
    engine.cancel(slow.id)
    engine.shutdown()


def test_disabling_and_enabling_a_link_recomputes_only_its_sink():
    wf, src, left, right, join = diamond()
    engine = Engine(wf)
    engine.run_until_idle(10)
    link = next(l for l in wf.links_into(right))
    tw.CALLS.clear()
    wf.set_link_enabled(link, False)
    assert engine.run_until_idle(10)
    assert tw.CALLS == []                                        # right has no input now
    assert "Waiting for Data" in engine.state(right.id).message
    assert engine.state(join.id).status == IDLE                  # its Right went away
    tw.CALLS.clear()
    wf.set_settings(src, {"start": 5})
    assert engine.run_until_idle(10)
    assert sorted(t for _, t in tw.CALLS) == ["left", "src"]     # right is cut off


@pytest.fixture
def held():
    tw.reset_held()
    yield
    tw.HELD_GATE.set()


def test_a_widget_object_never_runs_two_computes_and_the_latest_input_wins(held):
    wf = Workflow(tw.make_registry())
    node = wf.add_node("test.held", settings={"value": 1, "hold": True})
    after = wf.add_node("test.add", settings={"tag": "after"})
    wf.add_link(node, "Data", after, "Data")
    engine = Engine(wf)
    deadline = time.monotonic() + 10
    while tw.HELD_ENTERED != [1] and time.monotonic() < deadline:
        engine.run_until_idle(0.05)
    # New inputs cancel the held run; it does not notice until the gate opens.
    for value in (2, 3, 4):
        wf.set_settings(node, {"value": value, "hold": False})
        assert not engine.run_until_idle(0.1)            # waiting for the object, not blocked
    assert engine.state(node.id).status == "waiting"
    assert tw.HELD_ENTERED == [1]                        # nothing started on the busy object
    tw.HELD_GATE.set()
    assert engine.run_until_idle(10)
    assert tw.OVERLAPS == []
    assert tw.HELD_ENTERED == [1, 4]                     # the changes meanwhile ran once
    assert values(engine, node) == [4] and values(engine, after) == [5]


def test_a_removed_node_put_back_does_not_wait_for_its_old_object(held):
    wf = Workflow(tw.make_registry())
    node = wf.add_node("test.held", settings={"value": 1, "hold": True})
    engine = Engine(wf)
    deadline = time.monotonic() + 10
    while tw.HELD_ENTERED != [1] and time.monotonic() < deadline:
        engine.run_until_idle(0.05)
    removed, _links = wf.remove_node(node)
    removed.settings = {**removed.settings, "hold": False, "value": 2}
    wf.insert_node(removed)                             # undo: a new object for it
    assert engine.run_until_idle(10)
    assert values(engine, node) == [2] and tw.OVERLAPS == []
    tw.HELD_GATE.set()
