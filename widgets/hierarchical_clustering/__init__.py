"""Hierarchical Clustering: a dendrogram of the distances, and clusters picked from it.

It takes distances, or a table of embeddings directly (``Data``): those it
clusters exactly while that fits in memory and in two stages past it (see
``data_input.py``), where the dendrogram's leaves are groups of rows.

Branches are picked by hand (click, Ctrl-click for more), by a cut height,
or as the top N clusters.  Clusters are named C1, C2, ... in the order of
their leaves in the dendrogram, so the same tree gives the same names.
The linkage is computed once per (distances, method); changing the
selection only redraws.
"""
from __future__ import annotations

import dataclasses

import weakref

import numpy as np

from imgflow.api import Context, Input, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Column, Distances, Table, printable

from .data_input import TWO_STAGE_MODES, Clustering, choose_way, cluster_data
from .tree import LINKAGES, Tree, choose_clusters, linkage

SELECTION_MODES = ("manual", "height", "top_n")
LABEL_FALLBACK = "image name"


def measured_table(distances: Distances) -> Table:
    """One row per measured item: the input rows, or the measured columns' names."""
    if distances.axis == "rows" and distances.table is not None:
        return distances.table
    if distances.axis == "columns" and distances.labels:
        names = distances.labels
    else:
        names = [str(i + 1) for i in range(distances.n)]
    return Table.from_columns([Column.text("item", names)])


def leaf_labels(table: Table, column: str) -> list[str]:
    """Text for each leaf: the chosen column, else the first text-like one, else numbers."""
    candidates = [c for c in table.columns if c.name == column]
    candidates += [c for c in table.columns if c.kind in ("text", "categorical")]
    if candidates:
        col = candidates[0]
        return ["?" if v is None else printable(str(v)) for v in col.data]
    return [str(i + 1) for i in range(len(table))]


def image_paths(table: Table) -> list[str | None]:
    images = table.columns_of_kind("image")
    if not images:
        return [None] * len(table)
    return list(images[0].data)


def output_tables(table: Table, cluster_of: np.ndarray, names: list[str]):
    """(Selected Data, Data): the chosen rows with their cluster, and all rows flagged."""
    values = [names[c] if c >= 0 else None for c in cluster_of]
    cluster = Column.categorical("Cluster", values, role="meta", categories=names)
    selected = cluster_of >= 0
    flag = Column.categorical("Selected", np.where(selected, "Yes", "No"), role="meta",
                              categories=("No", "Yes"))
    data = table.add_column(cluster).add_column(flag)
    chosen = table.add_column(cluster).subset(selected) if selected.any() else None
    return chosen, data


class HierarchicalClustering(Widget):
    id = "imgflow.hierarchical_clustering"
    name = "Hierarchical Clustering"
    category = "Unsupervised"
    icon = "hierarchical_clustering.svg"
    description = "Cluster by a dendrogram of distances; pick clusters by hand, by height or top N."
    keywords = ("dendrogram", "cluster", "linkage", "ward", "tree", "hierarchy")
    priority = 20
    inputs = (
        Input("Distances", Distances, default=True, optional=True,
              doc="Distances between items."),
        Input("Data", Table, optional=True,
              doc="Rows to cluster by their features (e.g. embeddings), without a distance "
                  "matrix when it would not fit in memory."),
    )
    outputs = (
        Output("Selected Data", Table, default=True,
               doc="Rows of the selected clusters, with a 'Cluster' column (C1, C2, ...)."),
        Output("Data", Table, doc="All rows, with 'Cluster' (missing when not selected) "
                                  "and 'Selected' (Yes/No)."),
    )
    settings = (
        Setting("linkage", str, "ward", choices=LINKAGES, doc="How cluster distances are merged."),
        Setting("selection", str, "manual", choices=SELECTION_MODES,
                doc="Pick clusters by hand, by a cut height, or the top N."),
        Setting("top_n", int, 3, minimum=1, maximum=10000, doc="Number of clusters (top N)."),
        Setting("height_ratio", float, 0.5, minimum=0.0, maximum=1.0,
                doc="Cut height as a fraction of the tree's height."),
        Setting("selected", list, [], doc="Selected branches (node ids of the linkage)."),
        Setting("selected_tree", str, "",
                doc="The fingerprint of the tree the branches were selected in."),
        Setting("label_column", str, LABEL_FALLBACK, doc="Column naming the leaves."),
        Setting("max_depth", int, 0, minimum=0, maximum=200,
                doc="Draw only this many levels (0: automatic for large trees)."),
        Setting("show_thumbnails", bool, True, doc="Show images at the leaves."),
        Setting("two_stage", str, "auto", choices=TWO_STAGE_MODES,
                doc="Data input: k-means groups, then Ward over them — when the exact "
                    "distances would not fit in memory (auto), always, or never."),
        Setting("max_groups", int, 2000, minimum=2, maximum=50000,
                doc="Data input, two stages: the most k-means groups (the dendrogram's leaves)."),
    )
    panel = "imgflow.widgets.hierarchical_clustering.panel:HierarchicalClusteringPanel"
    apply_control = True

    def __init__(self):
        # (weak reference to the input, its parameters, the Clustering): a
        # selection change re-runs compute but must not redo the linkage.  No
        # lock: the engine runs one compute at a time on this object.
        self._cached: tuple[weakref.ref, tuple, Clustering] | None = None

    def tree(self, distances: Distances, method: str, ctx: Context) -> Tree:
        return self.clustering({"Distances": distances}, {"linkage": method}, ctx).tree

    def clustering(self, inputs, settings, ctx: Context) -> Clustering:
        distances, data = inputs.get("Distances"), inputs.get("Data")
        if distances is not None:
            if not isinstance(distances, Distances):
                raise WidgetError("The input is not a distance matrix.")
            if data is not None:
                ctx.warning("Both Distances and Data are connected; the distances are clustered.")
            source, key = distances, ("distances", settings["linkage"])
        else:
            if not isinstance(data, Table):
                raise WidgetError("The Data input is not a table.")
            source, way = data, choose_way(len(data), data.X, settings["two_stage"],
                                           settings["max_groups"])
            # two stages are Ward's whatever the linkage: changing it redoes nothing
            # (the reason names the memory free now: not part of the key)
            key = ("data", way[0], settings["max_groups"] if way[0] else settings["linkage"])
        cached = self._cached
        if cached and cached[0]() is source and cached[1] == key:
            return cached[2]
        self._cached = None                     # let go of the old tree first
        ctx.progress(0.05)
        if source is distances:
            tree = Tree.from_linkage(linkage(distances.condensed, distances.n, key[1]))
            result = Clustering(tree, measured_table(distances))
        else:
            result = cluster_data(data, way, settings["linkage"], settings["max_groups"], ctx)
        # kept even when this run was cancelled meanwhile: the run that
        # replaced it (a selection change) starts after this one and wants this very tree
        self._cached = (weakref.ref(source), key, result)
        ctx.check()
        return result

    def compute(self, inputs, settings, ctx: Context) -> Result:
        from .layout import build_view

        if inputs.get("Distances") is None and inputs.get("Data") is None:
            return Result({"Selected Data": None, "Data": None},
                          info="Waiting for Distances or Data.")
        clustering = self.clustering(inputs, settings, ctx)
        tree = clustering.tree
        mode = settings["selection"]
        selected = settings["selected"]
        if mode == "manual" and selected and settings["selected_tree"] not in ("", tree.fingerprint):
            # Same ids, other tree: they would name other branches. Say so, select nothing.
            selected = []
            ctx.warning("The data changed since these branches were selected; "
                        "click the branches again.")
        clusters, warning = choose_clusters(tree, mode, selected,
                                            settings["top_n"], settings["height_ratio"])
        if warning:
            ctx.warning(warning)
        names = [f"C{i + 1}" for i in range(len(clusters))]
        table = clustering.table
        chosen, data = output_tables(table, clustering.row_labels(clusters), names)
        cut = settings["height_ratio"] * tree.height[tree.root] if mode == "height" else None
        labels, images, more, counts = clustering.leaves(
            leaf_labels(table, settings["label_column"]), image_paths(table))
        view = build_view(tree, labels, images, clusters, names, settings["max_depth"], cut,
                          rows_per_leaf=counts, more_images=more)
        view = dataclasses.replace(view, tree_fingerprint=tree.fingerprint)
        ctx.progress(1.0)
        n_selected = 0 if chosen is None else len(chosen)
        if clustering.group_of is None:
            what = f"{tree.n:,} items, {settings['linkage']} linkage"
        else:
            what = f"{clustering.n_rows:,} items in {tree.n:,} groups, Ward linkage"
        info = f"{what}; {len(clusters)} cluster(s), {n_selected:,} items selected"
        if clustering.note:
            info += f"\nClustered {clustering.note}."
        return Result({"Selected Data": chosen, "Data": data}, view=view, info=info)
