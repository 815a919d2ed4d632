"""Smoke test with the installed widgets: the toolbox shows them, the example
chain can be built and linked on the canvas, and their windows open."""
import importlib.util

import pytest

from imgflow.registry import Registry

CHAIN = ["imgflow.import_images", "imgflow.image_embedding", "imgflow.distances",
         "imgflow.hierarchical_clustering", "imgflow.image_viewer"]


def test_canvas_with_the_installed_widgets(qtbot, answers, tmp_path, monkeypatch):
    from PyQt5.QtWidgets import QMessageBox
    from imgflow.gui import errors
    from imgflow.gui.mainwindow import MainWindow
    reported = []
    monkeypatch.setattr(errors, "show_error", lambda parent, title, text, details="":
                        reported.append(text))
    registry = Registry.discover()
    if not list(registry):
        pytest.skip("no widgets are installed")
    window = MainWindow(registry)
    qtbot.addWidget(window)
    window.show()
    names = window.toolbox.visible_widget_names()
    assert sorted(names) == sorted(w.name for w in registry)

    doc = window.document
    present = [w for w in CHAIN if w in registry]
    nodes = [doc.add_node(w, (i * 180.0, 0.0)) for i, w in enumerate(present)]
    for source, sink in zip(nodes, nodes[1:]):
        if doc.plan_link(source.id, sink.id).ok:
            doc.link(source.id, sink.id)
    if "imgflow.data_table" in registry and nodes:
        table = doc.add_node("imgflow.data_table", (360.0, 150.0))
        doc.link(nodes[min(1, len(nodes) - 1)].id, table.id)
        nodes.append(table)
    for node in nodes:
        panel = registry.get(node.widget_id).panel
        if panel and importlib.util.find_spec(panel.partition(":")[0]) is None:
            continue                    # that widget's window is not written yet
        window.panels.open(node)        # every window opens without an error
    assert answers.critical == [] and reported == []
    for node in nodes:
        assert window.scene.node_items[node.id].icon_path.is_file()
    answers.question = QMessageBox.Discard
    window.close()
