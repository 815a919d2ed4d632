import pytest

from imgflow.workflow import LinkError, Workflow, loads
from imgflow.workflow import links as rules
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
    assert "cycle" in str(wf.check_link(c.id, "Data", b.id, "Data"))
    d = wf.add_node("test.numbers")
    reason = str(wf.check_link(d.id, "Data", c.id, "Data"))
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


def test_each_refusal_has_its_kind_and_sentence(wf):
    n, a, b = wf.add_node("test.numbers"), wf.add_node("test.add"), wf.add_node("test.add")
    m, coll = wf.add_node("test.measure"), wf.add_node("test.collect")
    first = wf.add_link(n, "Data", a, "Data")
    wf.add_link(a, "Data", b, "Data", enabled=False)
    cases = [
        ((a.id, "Data", a.id, "Data"), rules.SelfLink, "cannot be linked to itself"),
        ((n.id, "Rows", b.id, "Data"), rules.NoSuchChannel, "no output called 'Rows'"),
        ((n.id, "Data", b.id, "Table"), rules.NoSuchChannel, "no input called 'Table'"),
        ((m.id, "Distances", n.id, "Data"), rules.NoSuchChannel, "'Numbers' takes no inputs"),
        ((m.id, "Distances", coll.id, "Data"), rules.IncompatibleTypes, "sends Distances"),
        # the disabled link b <- a still counts: enabling it must not close a cycle
        ((b.id, "Data", a.id, "Data"), rules.WouldCycle, "would make a cycle"),
        ((n.id, "Data", a.id, "Data"), rules.DuplicateLink, "already linked"),
        ((wf.add_node("test.numbers").id, "Data", a.id, "Data"), rules.InputTaken,
         "takes one link on 'Data', and it already has one from 'Numbers'"),
    ]
    for args, kind, sentence in cases:
        reason = wf.check_link(*args)
        assert isinstance(reason, kind) and sentence in str(reason), (args, reason)
        with pytest.raises(kind, match=sentence.replace("(", r"\(")):
            wf.add_link(*args)
    assert wf.check_link(n.id, "Data", coll.id, "Data") is None
    assert rules.replaced_links(wf, wf.add_node("test.numbers").id, "Data", a.id, "Data") == [first]


def test_a_missing_widget_cannot_be_linked(wf):
    doc = {"format": "imgflow-workflow", "version": 1, "nodes": [
        {"id": 0, "widget": "test.numbers", "title": "Numbers", "position": [0, 0]},
        {"id": 1, "widget": "gone.widget", "title": "Gone", "position": [0, 0]}]}
    import json
    wf = loads(json.dumps(doc), wf.registry)
    reason = wf.check_link(0, "Data", 1, "Data")
    assert isinstance(reason, rules.NotInstalled) and "'Gone' is not installed" in str(reason)


def test_a_set_of_pairs_may_not_feed_one_single_input_twice(wf):
    join, n = wf.add_node("test.join"), wf.add_node("test.numbers")
    assert rules.check_pairs(wf, n.id, join.id, [("Data", "Left"), ("Data", "Right")]) is None
    add = wf.add_node("test.add")
    reason = rules.check_pairs(wf, n.id, add.id, [("Data", "Data"), ("Data", "Data")])
    assert isinstance(reason, rules.InputTaken) and "choose one output" in str(reason)


def test_graph_walks_follow_only_enabled_links(wf):
    a, b, c = wf.add_node("test.numbers"), wf.add_node("test.add"), wf.add_node("test.add")
    wf.add_link(a, "Data", b, "Data")
    bc = wf.add_link(b, "Data", c, "Data")
    assert wf.downstream(a.id) == {b.id, c.id} and wf.upstream(c.id) == {a.id, b.id}
    wf.set_link_enabled(bc, False)
    assert wf.downstream(a.id) == {b.id} and wf.upstream(c.id) == set()
    assert wf.downstream(a.id, all_links=True) == {b.id, c.id}
    wf.set_link_enabled(bc, True)
    assert wf.upstream(c.id) == {a.id, b.id}


def test_the_order_is_kept_until_the_graph_changes(wf):
    a, b = wf.add_node("test.add"), wf.add_node("test.numbers")
    order = wf.topological_order()
    assert wf.topological_order() is order             # not re-sorted on every pass
    wf.set_settings(b, {"count": 4})
    assert wf.topological_order() is order             # settings do not touch the graph
    wf.add_link(b, "Data", a, "Data")
    assert wf.topological_order() == [b.id, a.id]
