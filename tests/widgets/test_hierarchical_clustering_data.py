"""Hierarchical Clustering's Data input: exact while it fits, two stages past it."""
import re

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from imgflow.api import Context, WidgetError
from imgflow.data import Column, Distances, Table
from imgflow.widgets.hierarchical_clustering import HierarchicalClustering
from imgflow.widgets.hierarchical_clustering import data_input
from imgflow.widgets.hierarchical_clustering.two_stage import weighted_ward

pytest.importorskip("faiss")


def planted(n_groups=6, per_group=80, width=32, spread=0.15, seed=3):
    """Rows around n_groups random directions (cosine-separated groups), shuffled."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(n_groups, width))
    truth = rng.permutation(np.repeat(np.arange(n_groups), per_group))
    X = directions[truth] + spread * rng.normal(size=(len(truth), width)) * np.sqrt(1 / width) * 4
    names = [f"img{i}" for i in range(len(truth))]
    table = Table(X.astype(np.float32), tuple(f"n{j}" for j in range(width)), (
        Column.text("image name", names),
        Column.image("image", [f"/photos/{n}.jpg" for n in names])))
    return table, truth


def run(table, widget=None, **settings):
    widget = widget or HierarchicalClustering()
    result = widget.compute({"Distances": None, "Data": table},
                            {**HierarchicalClustering.default_settings(), **settings}, Context())
    return result


def clusters_of(result) -> np.ndarray:
    return np.asarray(result.outputs["Data"].column("Cluster").data)


def test_small_data_is_clustered_exactly_like_cosine_distances_then_linkage():
    from imgflow.widgets.distances import Distances as DistancesWidget
    table, _ = planted()
    distances = DistancesWidget().compute(
        {"Data": table}, {**DistancesWidget.default_settings(), "metric": "cosine",
                          "normalize": False}, Context()).outputs["Distances"]
    via_distances = HierarchicalClustering().compute(
        {"Distances": distances, "Data": None},
        {**HierarchicalClustering.default_settings(), "selection": "top_n", "top_n": 6},
        Context())
    direct = run(table, selection="top_n", top_n=6)
    assert "Clustered exactly: 480 rows are no more than 2,000 groups" in direct.info
    assert list(clusters_of(direct)) == list(clusters_of(via_distances))


def test_forced_two_stages_agree_with_the_exact_clustering_on_planted_groups():
    table, truth = planted()
    exact = run(table, selection="top_n", top_n=6, two_stage="never")
    two = run(table, selection="top_n", top_n=6, two_stage="always", max_groups=40)
    assert "two stages" in two.info and "40 groups" in two.info
    assert adjusted_rand_score(truth, clusters_of(exact)) > 0.99
    assert adjusted_rand_score(clusters_of(exact), clusters_of(two)) > 0.95


def test_too_big_for_memory_switches_to_two_stages_and_says_why(monkeypatch):
    monkeypatch.setattr(data_input, "available_bytes", lambda: 1000)
    table, truth = planted()
    result = run(table, selection="top_n", top_n=6, max_groups=30)
    assert "Clustered in two stages: the exact way needs" in result.info
    assert adjusted_rand_score(truth, clusters_of(result)) > 0.95
    with pytest.raises(WidgetError, match="exactly needs .*Two stages"):
        run(table, two_stage="never")


def test_two_stage_selections_map_back_to_every_row():
    table, truth = planted()
    widget = HierarchicalClustering()
    top = run(table, widget, selection="top_n", top_n=6, two_stage="always", max_groups=30)
    assert np.all(clusters_of(top) != None)                                # noqa: E711
    assert len(top.outputs["Selected Data"]) == len(table)
    view = top.view
    assert view.n_items == 30 and sum(view.cluster_sizes) == len(table)
    # a height cut: every row gets the cluster of its group
    cut = run(table, widget, selection="height", height_ratio=0.3, two_stage="always",
              max_groups=30)
    assert np.all(clusters_of(cut) != None)                                # noqa: E711
    # clicking a leaf (a group) selects all of its rows, and the same rows come out
    leaf = int(view.leaf_nodes[0])
    clicked = run(table, widget, selection="manual", selected=[leaf], two_stage="always",
                  max_groups=30, selected_tree=view.tree_fingerprint)
    chosen = clicked.outputs["Selected Data"]
    assert len(chosen) == view.leaf_counts[0] > 1
    group = widget._cached[2].group_of
    rows = np.flatnonzero(group == leaf)
    assert sorted(chosen.ids.tolist()) == sorted(table.ids[rows].tolist())
    assert set(chosen.column("Cluster").data) == {"C1"}


def test_group_leaves_show_their_size_and_central_images():
    table, _ = planted()
    view = run(table, two_stage="always", max_groups=30).view
    assert len(view.leaf_nodes) == 30
    assert sum(view.leaf_counts) == len(table)
    assert all(re.fullmatch(rf"{c} × img\d+", label)
               for label, c in zip(view.leaf_labels, view.leaf_counts) if c > 1)
    assert all(path.startswith("/photos/") for path in view.leaf_images)
    assert any(len(more) == 2 for more in view.leaf_more_images)


def test_weighted_ward_equals_ward_on_the_rows_each_group_stands_for():
    from scipy.cluster.hierarchy import linkage
    rng = np.random.default_rng(5)
    centres, weights = rng.normal(size=(40, 6)), rng.integers(1, 5, 40)
    rows = np.repeat(centres, weights, axis=0)
    # the rows of one group merge first at height 0; then the groups merge as Ward merges them
    heights = np.sort(linkage(rows, "ward")[:, 2])[-39:]
    np.testing.assert_allclose(weighted_ward(centres, weights)[:, 2], heights, atol=1e-6)
    same = weighted_ward(centres, np.ones(40))
    np.testing.assert_allclose(same, linkage(centres, "ward"), atol=1e-9)


def test_distances_refusal_points_to_the_data_input(monkeypatch):
    import imgflow.widgets.common.distance_matrix as distances_module
    from imgflow.widgets.distances import Distances as DistancesWidget
    monkeypatch.setattr(distances_module, "available_bytes", lambda: 100)
    table, _ = planted()
    with pytest.raises(WidgetError, match="Hierarchical Clustering's Data input"):
        DistancesWidget().compute({"Data": table}, DistancesWidget.default_settings(), Context())


def test_without_any_input_it_waits():
    result = HierarchicalClustering().compute({"Distances": None, "Data": None},
                                              HierarchicalClustering.default_settings(), Context())
    assert result.outputs == {"Selected Data": None, "Data": None}
    assert "Waiting" in result.info


def test_the_panel_says_which_way_ran_and_a_click_on_a_group_selects_its_images(qtbot, tmp_path):
    from PyQt5.QtCore import Qt

    from imgflow.api import Output, Widget
    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel
    from imgflow.gui.qtpost import QtPoster
    from imgflow.registry import Registry
    from imgflow.workflow import Workflow
    from tests.support.images import make_image_tree

    paths = make_image_tree(tmp_path / "images", per_kind=10, size=(32, 24))
    kinds = np.unique([p.parent.name for p in paths], return_inverse=True)[1]
    rng = np.random.default_rng(1)
    X = (rng.normal(size=(kinds.max() + 1, 16)) * 3)[kinds] + rng.normal(size=(len(paths), 16))
    table = Table(X.astype(np.float32), tuple(f"e{j}" for j in range(16)), (
        Column.text("image name", [p.stem for p in paths]),
        Column.image("image", [str(p) for p in paths])))

    class TableSource(Widget):
        id, name = "test.table_source", "Table Source"
        outputs = (Output("Data", Table, default=True),)

        def compute(self, inputs, settings, ctx):
            return {"Data": table}

    wf = Workflow(Registry([*Registry.discover().widgets(), TableSource]))
    source = wf.add_node("test.table_source")
    hc = wf.add_node("imgflow.hierarchical_clustering",
                     settings={"two_stage": "always", "max_groups": 8})
    viewer = wf.add_node("imgflow.image_viewer")
    wf.add_link(source, "Data", hc, "Data")
    wf.add_link(hc, "Selected Data", viewer, "Data")
    engine = Engine(wf, post=QtPoster())
    panel = open_panel(wf, engine, hc)
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    qtbot.waitUntil(lambda: panel.plot.view is not None, timeout=20000)
    assert panel.data_box.isVisible() and panel.two_stage_combo.currentText() == "Always"
    assert "two stages, as chosen in the settings" in panel.info.text()
    assert "in 8 groups, Ward linkage" in panel.info.text()
    view = panel.plot.view
    assert len(view.leaf_nodes) == 8 and sum(view.leaf_counts) == len(paths)
    # every group leaf shows up to three of its images
    assert len(panel.plot._thumbs) == sum(1 + len(m) for m in view.leaf_more_images)

    slot = int(np.argmax(view.leaf_counts))
    leaf = int(view.leaf_nodes[slot])
    point = panel.plot.scene_point(view.parent_h[np.flatnonzero(view.nodes == leaf)[0]] / 2, slot)
    qtbot.mouseClick(panel.plot.viewport(), Qt.LeftButton, Qt.NoModifier, point)
    assert hc.settings["selected"] == [leaf]
    expected = int(view.leaf_counts[slot])

    def viewer_shows_the_group():
        shown = engine.state(viewer.id).inputs.get("Data")
        return shown is not None and engine.is_idle() and len(shown) == expected
    qtbot.waitUntil(viewer_shows_the_group, timeout=20000)
    engine.shutdown()


def test_a_collapsed_branch_of_groups_shows_its_first_groups_images():
    from imgflow.widgets.hierarchical_clustering.layout import build_view
    table, _ = planted()
    widget = HierarchicalClustering()
    run(table, widget, two_stage="always", max_groups=30)
    clustering = widget._cached[2]
    labels, images, more, counts = clustering.leaves([f"img{i}" for i in range(len(table))],
                                                     list(table.column("image").data))
    view = build_view(clustering.tree, labels, images, [], [], 3, rows_per_leaf=counts,
                      more_images=more)
    assert len(view.leaf_nodes) < 30 and sum(view.leaf_counts) == len(table)
    tree = clustering.tree
    for v, image, others in zip(view.leaf_nodes, view.leaf_images, view.leaf_more_images):
        first_group = tree.order[tree.start[v]]
        assert image == images[first_group] and others == more[first_group]


def test_changing_the_linkage_does_not_redo_two_stages(monkeypatch):
    table, _ = planted()
    widget = HierarchicalClustering()
    first = run(table, widget, two_stage="always", max_groups=30)
    calls = []
    monkeypatch.setattr(data_input, "_two_stage", lambda *a: calls.append(a))
    again = run(table, widget, two_stage="always", max_groups=30, linkage="average")
    assert calls == [] and again.view.tree_fingerprint == first.view.tree_fingerprint
