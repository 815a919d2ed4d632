"""The toolbox: widgets by category, search as you type, drag onto the canvas."""
from PyQt5.QtCore import QPoint, Qt

from tests.gui.mouse import drop_on_canvas, toolbox_index


def test_widgets_grouped_by_category_with_search_as_you_type(window, qtbot):
    toolbox = window.toolbox
    categories = [toolbox.proxy.index(r, 0).data() for r in range(toolbox.proxy.rowCount())]
    assert categories == ["Test Data", "Test Transform"]
    assert "Numbers" in toolbox.visible_widget_names()

    qtbot.keyClicks(toolbox.search, "doub")
    assert toolbox.visible_widget_names() == ["Double"]
    toolbox.search.clear()
    qtbot.keyClicks(toolbox.search, "range")          # a keyword, not the name
    assert toolbox.visible_widget_names() == ["Numbers"]
    toolbox.search.setText("no such widget")
    assert toolbox.visible_widget_names() == []


def test_hover_tells_what_a_widget_does_and_its_channels(window):
    tip = toolbox_index(window.toolbox, "Double").data(Qt.ToolTipRole)
    assert "Doubles every number." in tip
    assert "Inputs:" in tip and "Outputs:" in tip and "Values" in tip


def test_dragging_a_widget_onto_the_canvas_adds_it_where_dropped(window):
    index = toolbox_index(window.toolbox, "Numbers")
    mime = window.toolbox.model.mimeData([index])
    drop_at = QPoint(300, 200)
    event = drop_on_canvas(window.view, mime, drop_at)
    assert event.isAccepted()
    [node] = window.document.workflow.nodes.values()
    assert node.widget_id == "test.numbers"
    expected = window.view.mapToScene(drop_at)
    assert node.position == (expected.x(), expected.y())
    assert window.scene.node_items[node.id].isSelected()
    window.undo()
    assert not window.document.workflow.nodes


def test_activating_a_widget_adds_it_without_covering_another(window):
    numbers = window.registry.get("test.numbers")
    window.toolbox.widget_activated.emit(numbers)
    window.toolbox.widget_activated.emit(numbers)
    first, second = window.document.workflow.nodes.values()
    assert second.title == "Numbers (1)"
    assert abs(first.position[0] - second.position[0]) >= 60
