"""The product's reason to exist, done as a person does it in the canvas.

Drag the six widgets out of the toolbox, draw the links with the mouse,
point Import Images at a folder, click a branch of the dendrogram, and see
exactly that branch's images in the Image Viewer; save, reopen, and the same
selection is back.
"""
import numpy as np
import pytest
from PyQt5.QtCore import QPoint

from imgflow.api import Context
from imgflow.registry import Registry
from imgflow.widgets.hierarchical_clustering import HierarchicalClustering
from tests.gui.mouse import anchor, centre, drag, drop_on_canvas, toolbox_index
from tests.support.images import make_image_tree

WIDGETS = [("Import Images", (60, 200)), ("Image Embedding", (260, 200)),
           ("Distances", (460, 200)), ("Hierarchical Clustering", (660, 200)),
           ("Image Viewer", (860, 200)), ("Data Table", (460, 380))]
LINKS = [("Import Images", "Image Embedding"), ("Image Embedding", "Distances"),
         ("Distances", "Hierarchical Clustering"), ("Hierarchical Clustering", "Image Viewer"),
         ("Image Embedding", "Data Table")]


@pytest.fixture
def main_window(qtbot, answers):
    from imgflow.gui.mainwindow import MainWindow
    windows = []

    def make():
        w = MainWindow(Registry.discover(), autosave=False)
        qtbot.addWidget(w)
        w.resize(1300, 800)
        w.show()
        qtbot.waitExposed(w)
        windows.append(w)
        return w
    yield make
    for w in windows:
        w.document.undo_stack.setClean()
        w.close()


def build_by_hand(window):
    nodes = {}
    for name, pos in WIDGETS:
        mime = window.toolbox.model.mimeData([toolbox_index(window.toolbox, name)])
        drop_on_canvas(window.view, mime, QPoint(*pos))
        nodes[name] = window.document.workflow.node_by_title(name)
    for source, sink in LINKS:
        drag(window.view, anchor(window, nodes[source], "out"), centre(window, nodes[sink]))
    return nodes


def click_branch(qtbot, panel, branch):
    from PyQt5.QtCore import Qt
    view = panel.plot.view
    i = int(np.flatnonzero(view.nodes == branch)[0])
    point = panel.plot.scene_point((view.node_h[i] + view.parent_h[i]) / 2, view.node_s[i])
    qtbot.mouseClick(panel.plot.viewport(), Qt.LeftButton, Qt.NoModifier, point)


def test_click_a_branch_and_see_its_images_then_save_and_reopen(qtbot, main_window, tmp_path):
    folder = tmp_path / "photos"
    make_image_tree(folder, per_kind=4, size=(160, 120))
    window = main_window()
    nodes = build_by_hand(window)
    wf = window.document.workflow
    linked = {(wf.nodes[l.source].title, wf.nodes[l.sink].title, l.source_channel, l.sink_channel)
              for l in wf.links.values()}
    assert linked == {("Import Images", "Image Embedding", "Data", "Images"),
                      ("Image Embedding", "Distances", "Embeddings", "Data"),
                      ("Distances", "Hierarchical Clustering", "Distances", "Distances"),
                      ("Hierarchical Clustering", "Image Viewer", "Selected Data", "Data"),
                      ("Image Embedding", "Data Table", "Embeddings", "Data")}

    # Settings as the windows set them (each an undoable edit of the canvas).
    embed_panel = window.panels.open(nodes["Image Embedding"])
    embed_panel.set_settings("Embedder", embedder="efficientnet-lite0")
    window.panels.open(nodes["Import Images"]).set_settings("Folder", directory=str(folder))
    engine = window.document.engine
    qtbot.waitUntil(lambda: engine.is_idle() and engine.state(
        nodes["Hierarchical Clustering"].id).status == "done", timeout=120000)

    hc_panel = window.panels.open(nodes["Hierarchical Clustering"])
    qtbot.waitUntil(lambda: hc_panel.plot.view is not None, timeout=20000)
    distances = engine.state(nodes["Hierarchical Clustering"].id).inputs["Distances"]
    tree = HierarchicalClustering().tree(distances, "ward", Context())
    branch = tree.top(4)[0]
    click_branch(qtbot, hc_panel, branch)
    embedded = engine.state(nodes["Distances"].id).inputs["Data"]
    expected = sorted(embedded.column("image").data[tree.leaves(branch)])
    kinds = {p.split("/")[-2] for p in expected}
    assert len(kinds) == 1 and len(expected) == 4, "a top-4 branch is one kind of image"

    viewer = nodes["Image Viewer"]

    def viewer_shows(paths):
        shown = engine.state(viewer.id).inputs.get("Data")
        return engine.is_idle() and shown is not None and sorted(shown.column("image").data) == paths
    qtbot.waitUntil(lambda: viewer_shows(expected), timeout=30000)
    viewer_panel = window.panels.open(viewer)
    qtbot.waitUntil(lambda: viewer_panel.grid.model().rowCount() == 4, timeout=10000)

    path = tmp_path / "mine.imgflow"
    assert window.save_to(path)
    window.close()

    again = main_window()
    assert again.open_path(path)
    wf2, engine2 = again.document.workflow, again.document.engine
    assert wf2.node_by_title("Hierarchical Clustering").settings["selected"] == [branch]
    viewer2 = wf2.node_by_title("Image Viewer")
    qtbot.waitUntil(lambda: engine2.is_idle() and engine2.state(viewer2.id).inputs.get("Data")
                    is not None, timeout=120000)
    assert sorted(engine2.state(viewer2.id).inputs["Data"].column("image").data) == expected
