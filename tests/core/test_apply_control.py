"""Apply control: with "Apply automatically" off, changes wait for Apply (in the canvas's
engine); headless engines always apply; the choice is saved in the workflow file."""
import numpy as np
import pytest

from imgflow.engine import DONE, Engine
from imgflow.registry import Registry
from imgflow.workflow import dumps, loads
from imgflow.workflow import Workflow
from tests.support import widgets as tw


class SlowAdd(tw.AddOne):
    """AddOne with an Apply button (its runs are 'long')."""
    id = "test.slow_add"
    name = "Slow Add"
    apply_control = True


@pytest.fixture(autouse=True)
def clear_calls():
    tw.CALLS.clear()
    tw.reset_held()
    yield
    tw.HELD_GATE.set()


def registry():
    return Registry((*tw.TEST_WIDGETS, SlowAdd))


def chain(auto_apply=False):
    """numbers -> slow add (apply control) -> add"""
    wf = Workflow(registry())
    src = wf.add_node("test.numbers", settings={"tag": "src"})
    slow = wf.add_node("test.slow_add", settings={"tag": "slow"})
    after = wf.add_node("test.add", settings={"tag": "after"})
    wf.add_link(src, "Data", slow, "Data")
    wf.add_link(slow, "Data", after, "Data")
    wf.set_auto_apply(slow, auto_apply)
    return wf, src, slow, after


def calls(tag):
    return sum(1 for _, t in tw.CALLS if t == tag)


def values(engine, node):
    return list(engine.outputs(node.id)["Data"].X[:, 0])


def applied_once(wf, slow):
    """An engine that has run everything once (Apply pressed on the held node)."""
    engine = Engine(wf, manual_apply=True)
    engine.run_until_idle(10)
    assert calls("slow") == 0 and engine.state(slow.id).pending_apply
    assert engine.apply(slow.id)
    engine.run_until_idle(10)
    tw.CALLS.clear()
    return engine


def test_with_apply_off_a_settings_change_waits_and_apply_runs_it_once():
    wf, src, slow, after = chain()
    engine = applied_once(wf, slow)
    assert values(engine, after) == [2, 3, 4]
    wf.set_settings(slow, {"amount": 10.0})
    wf.set_settings(slow, {"amount": 20.0})
    engine.run_until_idle(10)
    assert tw.CALLS == []
    state = engine.state(slow.id)
    assert state.pending_apply and engine.is_pending(slow.id)
    assert state.status == DONE and values(engine, slow) == [1, 2, 3]   # the last results stay
    assert engine.apply(slow.id)
    engine.run_until_idle(10)
    assert calls("slow") == 1 and calls("after") == 1
    assert values(engine, after) == [21, 22, 23]
    assert not engine.state(slow.id).pending_apply
    assert not engine.apply(slow.id)      # nothing pending: nothing runs
    engine.run_until_idle(10)
    assert calls("slow") == 1


def test_with_apply_off_new_inputs_wait_too_and_nothing_after_runs():
    wf, src, slow, after = chain()
    engine = applied_once(wf, slow)
    wf.set_settings(src, {"start": 5})
    engine.run_until_idle(10)
    assert calls("src") == 1 and calls("slow") == 0 and calls("after") == 0
    assert engine.state(slow.id).pending_apply
    assert values(engine, after) == [2, 3, 4]
    engine.apply(slow.id)
    engine.run_until_idle(10)
    assert values(engine, after) == [7, 8, 9]


def test_turning_apply_automatically_back_on_runs_what_waited():
    wf, src, slow, after = chain()
    engine = applied_once(wf, slow)
    wf.set_settings(slow, {"amount": 3.0})
    engine.run_until_idle(10)
    assert calls("slow") == 0
    wf.set_auto_apply(slow, True)
    engine.run_until_idle(10)
    assert calls("slow") == 1 and values(engine, after) == [4, 5, 6]
    wf.set_settings(slow, {"amount": 4.0})      # and changes run at once again
    engine.run_until_idle(10)
    assert calls("slow") == 2


def test_widgets_without_apply_control_ignore_the_flag():
    wf, src, slow, after = chain()
    wf.set_auto_apply(after, False)
    engine = applied_once(wf, slow)
    wf.set_settings(after, {"amount": 2.0})
    engine.run_until_idle(10)
    assert calls("after") == 1


def test_headless_engines_always_apply():
    wf, src, slow, after = chain()
    engine = Engine(wf)
    engine.run_until_idle(10)
    assert calls("slow") == 1 and values(engine, after) == [2, 3, 4]
    wf.set_settings(slow, {"amount": 5.0})
    engine.run_until_idle(10)
    assert calls("slow") == 2 and not engine.state(slow.id).pending_apply


def test_a_change_during_an_applied_run_lets_it_finish_and_then_waits():
    wf = Workflow(Registry((*tw.TEST_WIDGETS, SlowAdd)))
    src = wf.add_node("test.numbers")
    slow = wf.add_node("test.slow_add", settings={"tag": "slow", "delay": 0.3})
    wf.add_link(src, "Data", slow, "Data")
    wf.set_auto_apply(slow, False)
    engine = Engine(wf, manual_apply=True)
    engine.run_until_idle(10)
    engine.apply(slow.id)
    engine.run_until_idle(0.1)          # the run has started
    assert engine.state(slow.id).status == "running"
    wf.set_settings(slow, {"amount": 7.0})
    assert engine.run_until_idle(10)
    state = engine.state(slow.id)
    assert state.status == DONE and state.pending_apply
    assert values(engine, slow) == [1, 2, 3] and calls("slow") == 1


def test_invalidate_runs_a_held_node_because_the_user_asked():
    wf, src, slow, after = chain()
    engine = applied_once(wf, slow)
    wf.set_settings(slow, {"amount": 2.0})
    engine.invalidate(slow.id)
    engine.run_until_idle(10)
    assert calls("slow") == 1 and not engine.state(slow.id).pending_apply


def test_auto_apply_is_saved_in_the_file_and_read_back(tmp_path):
    wf, src, slow, after = chain()
    text = dumps(wf)
    assert text.count('"auto_apply"') == 1        # only the node that has it off
    again = loads(text, registry())
    assert again.nodes[slow.id].auto_apply is False
    assert again.nodes[src.id].auto_apply is True
    wf.set_auto_apply(slow, True)
    assert '"auto_apply"' not in dumps(wf)        # files of nodes left on are unchanged


def test_a_bad_auto_apply_in_a_file_is_a_clear_error():
    wf, src, slow, after = chain()
    text = dumps(wf).replace('"auto_apply": false', '"auto_apply": "no"')
    with pytest.raises(ValueError, match="auto_apply"):
        loads(text, registry())


def test_imgflow_run_applies_a_node_saved_with_apply_off(tmp_path):
    import io
    from imgflow.headless import run_workflow
    from imgflow.workflow import save
    wf, src, slow, after = chain()
    path = tmp_path / "held.imgflow"
    save(wf, path)
    seen = {}
    run_workflow(path, registry(), stream=io.StringIO(), timeout=10,
                 on_engine=lambda engine: seen.setdefault("engine", engine))
    assert calls("slow") == 1 and calls("after") == 1
    assert values(seen["engine"], after) == [2, 3, 4]
