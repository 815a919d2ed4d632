"""Image Map: the rows laid out in two dimensions so that alike images lie together.

t-SNE (the default) and UMAP keep neighbourhoods: photos of one kind end up
next to each other; PCA is fast but only shows the two widest directions.
``grid`` snaps the layout onto a grid, one image per cell, as Orange's
Image Grid does.  The layout is computed once per (data, method, layout,
seed): selecting points or colouring them does not lay out again.

The selection is saved as the selected rows' images (paths), or as row
numbers when the data has no images, so that a reopened workflow selects the
same points once the same data arrives.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from imgflow.api import Context, Input, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Column, Table

from .projection import METHODS

LAYOUTS = ("scatter", "grid")


@dataclass(frozen=True)
class MapView:
    """What the panel draws: one (x, y) per row, the images and the colouring choices."""
    table: Table
    xy: np.ndarray
    images: np.ndarray | None          # image path or URL per row, or None without images
    image_column: str
    color_columns: tuple[str, ...]     # the categorical columns points may be coloured by
    layout: str
    selected: np.ndarray               # bool per row


def numeric_matrix(table: Table, ctx: Context) -> np.ndarray:
    """The features to lay out, missing values filled; WidgetError when there are none."""
    from imgflow.widgets.common.distance_matrix import impute_missing

    if table.n_features == 0:
        raise WidgetError("The data has no numeric columns to lay out. "
                          "For images, connect Image Embedding first.")
    if np.isnan(table.X).all():
        raise WidgetError("Every numeric value in the data is missing.")
    X, warning = impute_missing(table.X, "euclidean")
    if warning:
        ctx.warning(warning)
    if not np.isfinite(X).all():
        raise WidgetError("The data has infinite values; the map needs finite numbers.")
    return X


def image_column(table: Table) -> str:
    images = table.columns_of_kind("image")
    return images[0].name if images else ""


def selected_mask(table: Table, column: str, selection: list) -> np.ndarray:
    """Rows named by the saved selection: images when the data has them, else row numbers."""
    n = len(table)
    if column:
        chosen = {s for s in selection if isinstance(s, str)}
        return np.fromiter((v in chosen for v in table.column(column).data), bool, count=n)
    mask = np.zeros(n, dtype=bool)
    rows = [r for r in selection if isinstance(r, int) and 0 <= r < n]
    mask[rows] = True
    return mask


def selection_setting(table: Table, column: str, rows) -> list:
    """What to save for the selected rows (see selected_mask)."""
    rows = sorted(int(r) for r in rows)
    if column:
        data = table.column(column).data
        return list(dict.fromkeys(data[r] for r in rows if data[r] is not None))
    return rows


def with_coordinates(table: Table, xy: np.ndarray) -> Table:
    clash = {"x", "y"} & set(table.feature_names)
    if clash:
        raise WidgetError(f"The data has a numeric feature named {sorted(clash)[0]!r}; "
                          "the map's coordinates need those names. Rename it first.")
    return (table.add_column(Column.numeric("x", xy[:, 0]))
                 .add_column(Column.numeric("y", xy[:, 1])))


class ImageMap(Widget):
    id = "imgflow.image_map"
    name = "Image Map"
    category = "Image Analytics"
    icon = "image_map.svg"
    description = "Lay images out in 2-D so that alike ones lie together (t-SNE, UMAP, PCA)."
    keywords = ("t-sne", "tsne", "umap", "pca", "projection", "embedding plot", "scatter",
                "image grid", "map")
    priority = 40
    inputs = (Input("Data", Table, default=True, doc="Rows to lay out (for images: embeddings)."),)
    outputs = (
        Output("Data", Table, default=True, doc="All rows, with their coordinates 'x' and 'y'."),
        Output("Selected Data", Table, doc="The rows selected in the map, with 'x' and 'y'."),
    )
    settings = (
        Setting("method", str, "tsne", choices=tuple(METHODS),
                doc="t-SNE and UMAP keep neighbourhoods; PCA is quick but mixes kinds."),
        Setting("layout", str, "scatter", choices=LAYOUTS,
                doc="Points where the method puts them, or snapped onto a grid."),
        Setting("color_by", str, "", view_only=True,
                doc="A categorical column to colour the points by ('' = none)."),
        Setting("seed", int, 0, minimum=0, maximum=2**31 - 1,
                doc="Random seed: the same seed gives the same map."),
        Setting("selection", list, [], path=True,
                doc="The selected rows' images (paths), or row numbers without images."),
    )
    panel = "imgflow.widgets.image_map.panel:ImageMapPanel"
    apply_control = True

    def __init__(self):
        # (weak reference to the table, method, layout, seed) -> layout: a new
        # selection re-runs compute, which must not lay the map out again.
        self._cached: tuple[weakref.ref, tuple, np.ndarray] | None = None

    def layout_of(self, table: Table, settings: dict, ctx: Context) -> np.ndarray:
        from .grid import snap_to_grid
        from .projection import project

        key = (settings["method"], settings["layout"], settings["seed"])
        cached = self._cached
        if cached and cached[0]() is table and cached[1] == key:
            return cached[2]
        self._cached = None
        xy = project(numeric_matrix(table, ctx), settings["method"], settings["seed"], ctx)
        if settings["layout"] == "grid":
            ctx.check()
            xy = snap_to_grid(xy)
        self._cached = (weakref.ref(table), key, xy)
        return xy

    def compute(self, inputs, settings, ctx: Context) -> Result:
        table = inputs["Data"]
        if not isinstance(table, Table):
            raise WidgetError("The input is not a table.")
        xy = self.layout_of(table, settings, ctx)
        data = with_coordinates(table, xy)
        column = image_column(table)
        mask = selected_mask(table, column, settings["selection"])
        n_selected = int(mask.sum())
        colors = tuple(c.name for c in table.columns if c.kind == "categorical")
        view = MapView(data, xy, table.column(column).data if column else None, column,
                       colors, settings["layout"], mask)
        ctx.progress(1.0)
        info = (f"{len(table):,} rows by {METHODS[settings['method']]}"
                + (", on a grid" if settings["layout"] == "grid" else "")
                + (f"; {n_selected:,} selected" if n_selected else ""))
        return Result({"Data": data, "Selected Data": data.subset(mask) if n_selected else None},
                      view=view, info=info)
