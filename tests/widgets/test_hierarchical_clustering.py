"""Hierarchical Clustering: the linkage, the three ways of selecting, the outputs, the panel."""
import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage as scipy_linkage
from scipy.spatial.distance import pdist

from imgflow.api import Context, WidgetError
from imgflow.data import Column, Distances, Table
import imgflow.widgets.hierarchical_clustering as hc_module
from imgflow.widgets.hierarchical_clustering import HierarchicalClustering
from imgflow.widgets.hierarchical_clustering import tree as tree_module
from imgflow.widgets.hierarchical_clustering.layout import build_view
from imgflow.widgets.hierarchical_clustering.tree import Tree, linkage

RNG = np.random.default_rng(7)
CENTRES = np.array([[0, 0, 9], [0, 9, 0], [9, 0, 0], [9, 9, 9]], dtype=float)
KIND = np.repeat(np.arange(4), 6)
BLOBS = CENTRES[KIND] + RNG.normal(0, 0.5, (24, 3))


def blob_table(X=BLOBS) -> Table:
    return Table(X, ("x", "y", "z"), (
        Column.text("image name", [f"img{i}" for i in range(len(X))]),
        Column.categorical("kind", [f"k{k}" for k in KIND[:len(X)]])))


def distances(X=BLOBS) -> Distances:
    return Distances(pdist(X), len(X), table=blob_table(X))


def run(d, widget=None, **settings):
    widget = widget or HierarchicalClustering()
    ctx = Context()
    result = widget.compute({"Distances": d},
                            {**HierarchicalClustering.default_settings(), **settings}, ctx)
    return result, ctx


@pytest.mark.parametrize("method", ["single", "average", "weighted", "complete", "ward"])
def test_linkage_matches_scipy_and_leaves_the_shared_distances_intact(method):
    condensed = pdist(RNG.normal(size=(50, 4)))
    before = condensed.copy()
    Z = linkage(condensed, 50, method)
    np.testing.assert_array_equal(condensed, before)
    np.testing.assert_allclose(Z[:, 2], scipy_linkage(before, method)[:, 2], rtol=1e-10)


@pytest.mark.parametrize("method", ["ward", "average"])
def test_float32_distances_cluster_as_float64_ones_and_stay_intact(method):
    from imgflow.widgets.distances import Distances as DistancesWidget
    measure = lambda X: DistancesWidget().compute(
        {"Data": blob_table(X)}, {**DistancesWidget.default_settings(), "metric": "euclidean",
                                  "normalize": False}, Context()).outputs["Distances"]
    d32, d64 = measure(BLOBS.astype(np.float32)), measure(BLOBS)
    assert d32.condensed.dtype == np.float32 and d64.condensed.dtype == np.float64
    before = d32.condensed.copy()
    Z32, Z64 = linkage(d32.condensed, d32.n, method), linkage(d64.condensed, d64.n, method)
    np.testing.assert_array_equal(d32.condensed, before)      # the shared input is kept
    np.testing.assert_array_equal(Z32[:, [0, 1, 3]], Z64[:, [0, 1, 3]])   # same merges
    # float32 precision, relative to the data's scale
    np.testing.assert_allclose(Z32[:, 2], Z64[:, 2], atol=1e-5 * Z64[-1, 2])


def test_missing_distances_are_refused():
    condensed = pdist(BLOBS)
    condensed[3] = np.nan
    with pytest.raises(WidgetError, match="missing or infinite"):
        run(Distances(condensed, len(BLOBS)))


def test_a_clustering_that_would_not_fit_in_memory_is_refused(monkeypatch):
    monkeypatch.setattr(tree_module, "available_bytes", lambda: 100)
    with pytest.raises(WidgetError, match="needs .* but only 100 bytes is available"):
        run(distances())


def test_top_n_finds_the_blobs_and_names_clusters_in_leaf_order():
    d = distances()
    result, _ = run(d, selection="top_n", top_n=4)
    data = result.outputs["Data"]
    np.testing.assert_array_equal(data.ids, d.table.ids)        # rows traceable, in order
    clusters = data.column("Cluster").data
    assert data.column("Cluster").categories == ("C1", "C2", "C3", "C4")
    for k in range(4):                              # one cluster per blob
        assert len(set(clusters[KIND == k])) == 1
    assert len(set(clusters)) == 4
    view = result.view
    first_leaf = view.leaf_nodes[0]
    assert clusters[first_leaf] == "C1"             # numbering follows the leaves
    assert set(data.column("Selected").data) == {"Yes"}


def test_height_cut_matches_scipys_distance_criterion():
    d = distances()
    Z = scipy_linkage(d.condensed, "ward")
    for ratio in (0.0, 0.05, 0.3, 0.7, 1.0):
        result, _ = run(d, selection="height", height_ratio=ratio)
        ours = result.outputs["Data"].column("Cluster").data
        theirs = fcluster(Z, ratio * Z[-1, 2], "distance")
        pairs_same = lambda labels: np.equal.outer(labels, labels)
        np.testing.assert_array_equal(pairs_same(ours), pairs_same(theirs))
        assert result.view.cut_height == pytest.approx(ratio * Z[-1, 2])


def test_manual_selection_outputs_the_rows_of_the_chosen_branches():
    d = distances()
    tree = Tree.from_linkage(linkage(d.condensed, d.n, "ward"))
    blob, single = tree.top(4)[0], int(tree.leaves(tree.top(4)[2])[0])
    inner = tree.children(blob)[0]                  # inside `blob`: counts once
    result, ctx = run(d, selected=[inner, blob, single, 999])
    chosen = result.outputs["Selected Data"]
    expected = sorted(tree.leaves(blob).tolist() + [single])
    np.testing.assert_array_equal(chosen.ids, d.table.ids[expected])
    assert list(chosen.column("Cluster").categories) == ["C1", "C2"]
    assert "1 saved branch(es) are not in this tree" in ctx.warnings[0]
    data = result.outputs["Data"]
    assert len(data) == 24 and len(data.columns) == len(d.table.columns) + 2
    unselected = data.column("Selected").data == "No"
    assert unselected.sum() == 24 - len(expected)
    assert all(v is None for v in data.column("Cluster").data[unselected])


def test_branches_saved_for_another_tree_are_not_applied_to_this_one():
    d = distances()
    first, _ = run(d)
    blob = Tree.from_linkage(linkage(d.condensed, d.n, "ward")).top(4)[0]
    saved = {"selected": [blob], "selected_tree": first.view.tree_fingerprint}
    same, ctx = run(distances(), **saved)           # the same data again: same tree
    assert len(same.outputs["Selected Data"]) == 6 and not ctx.warnings
    other = BLOBS[::-1] + RNG.normal(0, 0.5, BLOBS.shape)
    changed, ctx = run(distances(other), **saved)   # new data: the ids mean other branches
    assert changed.outputs["Selected Data"] is None
    assert ctx.warnings == ["The data changed since these branches were selected; "
                            "click the branches again."]


def test_nothing_selected_outputs_no_selected_data_but_all_data():
    result, _ = run(distances())
    assert result.outputs["Selected Data"] is None
    assert set(result.outputs["Data"].column("Selected").data) == {"No"}


def test_a_selection_change_reuses_the_linkage(monkeypatch):
    calls = []
    real = hc_module.linkage
    monkeypatch.setattr(hc_module, "linkage", lambda *a: calls.append(a) or real(*a))
    widget, d = HierarchicalClustering(), distances()
    run(d, widget, selection="top_n", top_n=2)
    run(d, widget, selection="top_n", top_n=3)
    run(d, widget, selection="height")
    assert len(calls) == 1
    run(d, widget, linkage="average")
    run(distances(), widget, linkage="average")     # new distances object
    assert len(calls) == 3


def test_distances_between_columns_give_one_row_per_column():
    X = RNG.normal(size=(30, 5))
    d = Distances(pdist(X.T), 5, table=blob_table(BLOBS), axis="columns",
                  labels=("a", "b", "c", "d", "e"))
    result, _ = run(d, selection="top_n", top_n=2)
    data = result.outputs["Data"]
    assert list(data.column("item").data) == ["a", "b", "c", "d", "e"]


def test_large_trees_are_pruned_for_drawing_and_clicks_find_branches():
    X = RNG.normal(size=(5000, 3))
    d = Distances(pdist(X), 5000)
    result, _ = run(d, selection="top_n", top_n=3)
    view = result.view
    assert 100 < len(view.leaf_nodes) <= 1000 and view.depth is not None
    assert view.leaf_counts.sum() == 5000           # collapsed leaves stand for all items
    tree = HierarchicalClustering().tree(d, "ward", Context())
    for node in (tree.root, tree.top(3)[1], tree.children(tree.top(3)[1])[0]):
        i = int(np.flatnonzero(view.nodes == node)[0])
        h = (view.node_h[i] + view.parent_h[i]) / 2 if node != tree.root else view.node_h[i] * 1.01
        assert view.node_at(h, view.node_s[i]) == node


def test_labels_come_from_the_chosen_column_with_fallbacks():
    d = distances()
    tree = Tree.from_linkage(linkage(d.condensed, d.n, "ward"))
    view = build_view(tree, [f"L{i}" for i in range(24)], [None] * 24, [], [], 0)
    assert sorted(view.leaf_labels) == sorted(f"L{i}" for i in range(24))
    result, _ = run(d, label_column="kind")
    assert set(result.view.leaf_labels) == {"k0", "k1", "k2", "k3"}
    result, _ = run(d, label_column="no such column")
    assert result.view.leaf_labels[0].startswith("img")


# -- the panel, with an Image Viewer downstream ------------------------------------------

def gui_workflow(tmp_path):
    from imgflow.api import Output, Widget
    from imgflow.registry import Registry
    from imgflow.workflow import Workflow
    from tests.support.images import make_image_tree

    paths = make_image_tree(tmp_path / "images", per_kind=4, size=(64, 48))
    kinds = np.array([p.parent.name for p in paths])
    codes = np.unique(kinds, return_inverse=True)[1]
    X = CENTRES[codes] + RNG.normal(0, 0.5, (len(paths), 3))
    table = Table(X, ("x", "y", "z"), (
        Column.text("image name", [p.stem for p in paths]),
        Column.image("image", [str(p) for p in paths])))

    class TableSource(Widget):
        id, name = "test.table_source", "Table Source"
        outputs = (Output("Data", Table, default=True),)

        def compute(self, inputs, settings, ctx):
            return {"Data": table}

    registry = Registry([*Registry.discover().widgets(), TableSource])
    wf = Workflow(registry)
    source = wf.add_node("test.table_source")
    dist = wf.add_node("imgflow.distances", settings={"metric": "euclidean", "normalize": False})
    hc = wf.add_node("imgflow.hierarchical_clustering")
    viewer = wf.add_node("imgflow.image_viewer")
    wf.add_link(source, "Data", dist, "Data")
    wf.add_link(dist, "Distances", hc, "Distances")
    wf.add_link(hc, "Selected Data", viewer, "Data")
    return wf, registry, table, hc, viewer


def click_branch(qtbot, panel, node, ctrl=False):
    from PyQt5.QtCore import Qt
    view = panel.plot.view
    i = int(np.flatnonzero(view.nodes == node)[0])
    point = panel.plot.scene_point((view.node_h[i] + view.parent_h[i]) / 2, view.node_s[i])
    modifiers = Qt.ControlModifier if ctrl else Qt.NoModifier
    qtbot.mouseClick(panel.plot.viewport(), Qt.LeftButton, modifiers, point)


def test_clicking_a_branch_shows_its_images_downstream_and_survives_save(qtbot, tmp_path):
    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel
    from imgflow.gui.qtpost import QtPoster
    from imgflow.workflow import load, save

    wf, registry, table, hc, viewer = gui_workflow(tmp_path)
    engine = Engine(wf, post=QtPoster())
    panel = open_panel(wf, engine, hc)
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    qtbot.waitUntil(lambda: panel.plot.view is not None, timeout=20000)

    tree = HierarchicalClustering().tree(engine.state(hc.id).inputs["Distances"], "ward",
                                         Context())
    branch = tree.top(4)[1]
    click_branch(qtbot, panel, branch)
    assert hc.settings["selection"] == "manual" and hc.settings["selected"] == [branch]

    def viewer_shows(rows):
        shown = engine.state(viewer.id).inputs.get("Data")
        return shown is not None and engine.is_idle() and \
            sorted(shown.ids.tolist()) == sorted(table.ids[rows].tolist())
    qtbot.waitUntil(lambda: viewer_shows(tree.leaves(branch)), timeout=20000)

    other = tree.top(4)[3]                           # Ctrl-click adds a second branch
    click_branch(qtbot, panel, other, ctrl=True)
    both = np.concatenate([tree.leaves(branch), tree.leaves(other)])
    qtbot.waitUntil(lambda: viewer_shows(both), timeout=20000)
    assert len(panel.plot._items) == 3               # grey lines, and one colour per cluster

    path = tmp_path / "clusters.imgflow"
    save(wf, path)
    engine.shutdown()
    reopened = load(path, registry)
    engine2 = Engine(reopened)
    assert engine2.run_until_idle(30)
    viewer2 = reopened.node_by_title(viewer.title)
    assert reopened.node_by_title(hc.title).settings["selected"] == [branch, other]
    shown = engine2.state(viewer2.id).inputs["Data"]
    assert sorted(shown.column("image").data) == sorted(table.column("image").data[both])
    engine2.shutdown()


def test_dragging_the_cut_line_sets_the_height(qtbot, tmp_path):
    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel
    from imgflow.gui.qtpost import QtPoster

    wf, _, _, hc, _ = gui_workflow(tmp_path)
    wf.set_settings(hc, {"selection": "height", "height_ratio": 0.5})
    engine = Engine(wf, post=QtPoster())
    panel = open_panel(wf, engine, hc)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.plot.view is not None, timeout=20000)
    line = panel.plot.cut_line
    assert line.isVisible() and line.value() == pytest.approx(panel.plot.view.root_height / 2)
    line.setValue(panel.plot.view.root_height * 0.25)
    line.sigPositionChangeFinished.emit(line)
    assert hc.settings["height_ratio"] == pytest.approx(0.25)
    panel.top_spin.setValue(2)
    assert hc.settings["selection"] == "top_n" and hc.settings["top_n"] == 2
    qtbot.waitUntil(engine.is_idle, timeout=20000)
    engine.shutdown()
