import pytest

from imgflow.workflow import LinkError, Workflow
from tests.support.widgets import make_registry


@pytest.fixture
def wf():
    return Workflow(make_registry())


def test_link_of_fitting_types_is_made_and_events_are_sent(wf):
    events = []
    wf.subscribe(lambda e: events.append(e.kind))
    a = wf.add_node("test.numbers")
    b = wf.add_node("test.add")
    link = wf.add_link(a, "Data", b, "Data")
    assert wf.links_into(b) == [link]
    assert events == ["node_added", "node_added", "link_added"]


def test_incompatible_types_are_refused_with_a_reason(wf):
    m = wf.add_node("test.measure")
    n = wf.add_node("test.numbers")
    add = wf.add_node("test.add")
    wf.add_link(n, "Data", m, "Data")
    with pytest.raises(LinkError, match="sends Distances on 'Distances'.*takes Table"):
        wf.add_link(m, "Distances", add, "Data")


def test_cycles_and_second_link_to_single_input_are_refused(wf):
    a, b, c = (wf.add_node(w) for w in ("test.numbers", "test.add", "test.add"))
    wf.add_link(a, "Data", b, "Data")
    wf.add_link(b, "Data", c, "Data")
    assert "cycle" in wf.check_link(c.id, "Data", b.id, "Data")
    d = wf.add_node("test.numbers")
    reason = wf.check_link(d.id, "Data", c.id, "Data")
    assert "takes one link" in reason and "'Add'" in reason
    # a multiple input takes several
    coll = wf.add_node("test.collect")
    wf.add_link(a, "Data", coll, "Data")
    wf.add_link(d, "Data", coll, "Data")


def test_default_channels_prefer_free_default_input(wf):
    n1, n2 = wf.add_node("test.numbers"), wf.add_node("test.numbers")
    join = wf.add_node("test.join")
    assert wf.compatible_channels(n1, join) == [("Data", "Left"), ("Data", "Right")]
    assert wf.default_channels(n1, join) == ("Data", "Left")
    wf.add_link(n1, "Data", join, "Left")
    assert wf.default_channels(n2, join) == ("Data", "Right")


def test_titles_are_unique_and_removing_a_node_removes_its_links(wf):
    a, b = wf.add_node("test.numbers"), wf.add_node("test.numbers")
    assert (a.title, b.title) == ("Numbers", "Numbers (1)")
    add = wf.add_node("test.add")
    wf.add_link(a, "Data", add, "Data")
    node, links = wf.remove_node(a)
    assert not wf.links and len(links) == 1
    wf.insert_node(node, links)      # what undo does
    assert len(wf.links) == 1


def test_settings_are_validated(wf):
    n = wf.add_node("test.numbers")
    with pytest.raises(ValueError, match="whole number"):
        wf.set_settings(n, {"count": "3"})
    with pytest.raises(ValueError, match="at least 0"):
        wf.set_settings(n, {"count": -1})
    with pytest.raises(KeyError, match="no setting 'colour'"):
        wf.set_settings(n, {"colour": 1})
    wf.set_settings(n, {"count": 5})
    assert n.settings["count"] == 5


def test_topological_order_puts_sources_first(wf):
    a, b, c = (wf.add_node(w) for w in ("test.add", "test.numbers", "test.add"))
    wf.add_link(b, "Data", c, "Data")
    wf.add_link(c, "Data", a, "Data")
    order = wf.topological_order()
    assert order.index(b.id) < order.index(c.id) < order.index(a.id)
