"""Drawing links with the mouse: accepted, refused with a reason, channels chosen."""
import pytest

from tests.gui.mouse import anchor, centre, drag, move, press, release


@pytest.fixture
def nodes(window):
    doc = window.document
    return {key: doc.add_node(widget_id, pos) for key, widget_id, pos in (
        ("numbers", "test.numbers", (0, 0)), ("double", "test.double", (250, 0)),
        ("split", "test.split", (250, 200)), ("matrix", "test.matrix", (0, 200)),
        ("collect", "test.collect", (500, 0)))}


def _links(window):
    wf = window.document.workflow
    return sorted((wf.nodes[l.source].title, l.source_channel, wf.nodes[l.sink].title, l.sink_channel)
                  for l in wf.links.values())


def test_drag_from_output_to_node_links_them_and_data_flows(window, nodes, qtbot):
    drag(window.view, anchor(window, nodes["numbers"], "out"), centre(window, nodes["double"]))
    assert _links(window) == [("Numbers", "Data", "Double", "Data")]
    [item] = window.scene.link_items.values()
    assert item.label.text() == "Data"
    engine = window.document.engine
    qtbot.waitUntil(lambda: engine.state(nodes["double"].id).outputs.get("Data") == [0, 2, 4])
    assert item.has_run        # drawn solid once data flowed


def test_link_can_also_be_drawn_backwards_from_an_input(window, nodes):
    drag(window.view, anchor(window, nodes["double"], "in"), centre(window, nodes["numbers"]))
    assert _links(window) == [("Numbers", "Data", "Double", "Data")]


def test_while_dragging_compatible_nodes_light_up_and_others_say_why_not(window, nodes):
    view, scene = window.view, window.scene
    press(view, anchor(window, nodes["matrix"], "out"))
    move(view, centre(window, nodes["double"]))
    items = scene.node_items
    assert items[nodes["double"].id].highlight == "refuse"
    assert items[nodes["numbers"].id].highlight == "refuse"   # takes no inputs
    note = scene.gesture.note
    assert note.isVisible() and "sends Matrix" in note.text.text()
    release(view, centre(window, nodes["double"]))
    assert _links(window) == []
    assert "sends Matrix" in window.statusBar().currentMessage()
    assert all(item.highlight == "" for item in items.values())

    press(view, anchor(window, nodes["numbers"], "out"))
    move(view, centre(window, nodes["double"]))
    assert items[nodes["double"].id].highlight == "accept"
    assert items[nodes["matrix"].id].highlight == "refuse"
    release(view, centre(window, nodes["double"]))
    assert _links(window) == [("Numbers", "Data", "Double", "Data")]


def test_cycle_is_refused(window, nodes):
    doc = window.document
    doc.link(nodes["numbers"].id, nodes["double"].id)
    doc.link(nodes["double"].id, nodes["collect"].id)
    drag(window.view, anchor(window, nodes["collect"], "out"), centre(window, nodes["double"]))
    assert "cycle" in window.statusBar().currentMessage()
    assert len(doc.workflow.links) == 2


def test_equally_good_channels_are_chosen_by_the_user(window, nodes):
    doc = window.document
    doc.link(nodes["numbers"].id, nodes["split"].id)
    asked = []

    def chooser(source, sink, chosen):
        asked.append((source.title, sink.title, chosen))
        return [("Odd", "Data")]
    window.scene.channel_chooser = chooser
    drag(window.view, anchor(window, nodes["split"], "out"), centre(window, nodes["double"]))
    assert asked == [("Split", "Double", [("Even", "Data")])]
    assert ("Split", "Odd", "Double", "Data") in _links(window)


def test_double_clicking_a_link_changes_its_channels_undoably(window, nodes):
    doc = window.document
    doc.link(nodes["numbers"].id, nodes["split"].id)
    doc.link(nodes["split"].id, nodes["collect"].id, ("Even", "Data"))
    window.scene.channel_chooser = lambda source, sink, chosen: [("Even", "Data"), ("Odd", "Data")]
    [link] = doc.workflow.links_into(nodes["collect"])
    window.scene.link_activated(window.scene.link_items[link.id])
    assert ("Split", "Odd", "Collect", "Data") in _links(window)
    assert len(_links(window)) == 3
    window.undo()
    assert ("Split", "Odd", "Collect", "Data") not in _links(window)


def test_linking_into_a_taken_single_input_replaces_the_old_link(window, nodes):
    doc = window.document
    other = doc.add_node("test.numbers", (0, -200))
    doc.link(nodes["numbers"].id, nodes["double"].id)
    drag(window.view, anchor(window, other, "out"), centre(window, nodes["double"]))
    assert _links(window) == [("Numbers (1)", "Data", "Double", "Data")]
    window.undo()
    assert _links(window) == [("Numbers", "Data", "Double", "Data")]


def test_dropping_a_link_on_empty_canvas_offers_only_widgets_that_fit(window, nodes):
    offered = {}

    def chooser(pos, accept, text):
        offered.update({w.name: accept(w) for w in window.registry})
        return window.registry.get("test.double")
    window.scene.widget_chooser = chooser
    start = anchor(window, nodes["numbers"], "out")
    drag(window.view, start, start + type(start)(0, 400))
    assert offered["Double"] and offered["Collect"] and not offered["Make Matrix"]
    assert not offered["Numbers"]
    assert ("Numbers", "Data", "Double (1)", "Data") in _links(window)
    window.undo()                                   # one step: the node and its link
    assert "Double (1)" not in [n.title for n in window.document.workflow.nodes.values()]


def test_links_can_be_disabled_and_show_it(window, nodes, qtbot):
    doc = window.document
    doc.link(nodes["numbers"].id, nodes["double"].id)
    [link] = doc.workflow.links.values()
    engine = doc.engine
    qtbot.waitUntil(lambda: engine.state(nodes["double"].id).outputs.get("Data") is not None)
    doc.set_link_enabled(link, False)
    assert not link.enabled and "disabled" in window.scene.link_items[link.id].toolTip()
    qtbot.waitUntil(lambda: engine.state(nodes["double"].id).outputs.get("Data") is None)
    window.undo()
    assert link.enabled


def test_refusals_show_the_reason_the_model_gives(window, nodes):
    from imgflow.workflow.links import WouldCycle
    doc, wf = window.document, window.document.workflow
    doc.link(nodes["numbers"].id, nodes["double"].id)
    doc.link(nodes["double"].id, nodes["collect"].id)
    [back] = wf.links_into(nodes["collect"])
    doc.set_link_enabled(back, False)     # a disabled link still closes the cycle
    reason = wf.check_link(nodes["collect"].id, "Data", nodes["double"].id, "Data")
    assert isinstance(reason, WouldCycle)
    drag(window.view, anchor(window, nodes["collect"], "out"), centre(window, nodes["double"]))
    assert window.statusBar().currentMessage() == str(reason)
    assert len(wf.links) == 2


def test_channels_dialog_names_the_link_the_model_would_replace(window, nodes):
    from imgflow.gui.channels_dialog import ChannelsDialog
    doc = window.document
    doc.link(nodes["numbers"].id, nodes["double"].id)
    dialog = ChannelsDialog(doc.workflow, nodes["split"], nodes["double"], [])
    texts = [dialog.model.item(r).text() for r in range(dialog.model.rowCount())]
    assert all("replaces the link from Numbers" in t for t in texts)
    dialog.set_pairs([("Even", "Data"), ("Odd", "Data")])
    assert dialog.problem.text() == "'Data' takes one link; choose one output for it."
