"""Duplicates: groups of images that are copies of one another.

Two rows whose embeddings are closer than ``threshold`` (cosine distance)
are copies; groups are the connected components of such pairs, named D1,
D2, ... in the order of their first row.  Rows with missing values are
never grouped (two unreadable images are not copies of each other).

Measured on real photos with planted copies (benchmarks/duplicates.py):
a resized (60 %) and re-compressed (JPEG 75) copy lies up to 0.24 from its
photo, while two different photos of the same kind of animal can lie 0.14
apart, so no threshold alone can both catch the copies and never join
different photos.  With ``compare_pixels`` (the default) each close pair is
confirmed by the images themselves (see pixels.py), and the default
threshold, 0.3, is above every copy measured; the measured result is all
copies found and no two different photos joined.  Without an image column,
or with ``compare_pixels`` off, the threshold alone decides: choose about
0.1 then (measured: no false groups, but only two thirds of the resized
copies found).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgflow.api import Context, Input, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Column, Table

DEFAULT_THRESHOLD = 0.3     # with compare_pixels; measured in benchmarks/duplicates.py
GROUP_COLUMN = "Duplicate group"


@dataclass(frozen=True)
class DuplicatesView:
    """What the panel shows: each group's rows (positions in Data), images and names."""
    groups: tuple[tuple[int, ...], ...]
    kept: tuple[int, ...]                # per group, the row that goes to Unique
    images: tuple[str | None, ...]       # per row of Data
    names: tuple[str, ...]               # per row of Data
    closest: tuple[float, ...]           # per row, distance to its nearest copy (inf: none)


def pixel_counts(table: Table, rows: np.ndarray) -> np.ndarray:
    """Width x height of the given rows (from the columns, else the file headers); 0 unknown."""
    if table.has_column("width") and table.has_column("height"):
        w, h = table.column("width").data[rows], table.column("height").data[rows]
        return np.nan_to_num(w * h)
    from imgflow.embedders.images import ImageSkipped, read_size

    images = table.columns_of_kind("image")
    out = np.zeros(len(rows))
    for i, row in enumerate(rows):
        source = images[0].data[row] if images else None
        try:
            w, h = read_size(source) if source else (0, 0)
        except ImageSkipped:
            w, h = 0, 0
        out[i] = w * h
    return out


def kept_rows(table: Table, group_of: np.ndarray) -> list[int]:
    """Per group, the row with the most pixels (the first of those on a tie)."""
    kept = []
    for g in range(group_of.max(initial=-1) + 1):
        rows = np.flatnonzero(group_of == g)
        kept.append(int(rows[np.argmax(pixel_counts(table, rows))]))   # argmax: first on ties
    return kept


def pixel_check(table: Table, compare_pixels: bool, ctx: Context):
    """The pair confirmer to use, or None (with a warning when pixels were wanted)."""
    if not compare_pixels:
        return None
    if not table.columns_of_kind("image"):
        ctx.warning("The data has no image column, so pairs are judged by the threshold "
                    "alone; lower it to about 0.1 to avoid joining different photos.")
        return None
    from imgflow.widgets.common.images import resolve

    from .pixels import PixelCheck
    sources = [resolve(s, ctx.workflow_dir) for s in _images(table)]
    return PixelCheck(sources, ctx.check)


def find_duplicates(table: Table, threshold: float, ctx: Context,
                    compare_pixels: bool = True) -> Result:
    from .groups import close_pairs_components, numbered_groups

    if table.n_features == 0:
        raise WidgetError("The data has no numeric columns to compare. "
                          "For images, connect Image Embedding first.")
    missing = np.isnan(table.X).any(axis=1)
    if missing.all():
        raise WidgetError("Every row has missing values; there is nothing to compare.")
    if missing.any():
        ctx.warning(f"{int(missing.sum())} row(s) with missing values were not compared.")
    complete = np.flatnonzero(~missing)
    group_of = np.full(len(table), -1)
    closest = np.full(len(table), np.inf)
    if len(complete) > 1:
        # a subset copies the vectors (5 GB a copy at a million rows): only when it must
        compared = table.subset(complete) if len(complete) < len(table) else table
        check = pixel_check(compared, compare_pixels, ctx)
        labels, near = close_pairs_components(compared.X, threshold, check,
                                              ctx.progress, ctx.check)
        group_of[complete] = numbered_groups(labels)
        closest[complete] = near
        if check is not None and len(check.unreadable):
            ctx.warning(f"{len(check.unreadable)} image(s) could not be read to compare "
                        "their pixels and were not grouped.")
    n_groups = int(group_of.max(initial=-1) + 1)
    names = [f"D{g + 1}" for g in range(n_groups)]
    column = Column.categorical(GROUP_COLUMN, [names[g] if g >= 0 else None for g in group_of],
                                role="meta", categories=names)
    data = table.add_column(column)
    kept = kept_rows(table, group_of)
    in_group = group_of >= 0
    order = np.lexsort((np.arange(len(table)), group_of))      # by group, then row
    duplicates = data.subset(order[in_group[order]]) if n_groups else None
    unique_rows = ~in_group
    unique_rows[kept] = True
    unique = data.subset(unique_rows)
    view = DuplicatesView(
        tuple(tuple(int(r) for r in np.flatnonzero(group_of == g)) for g in range(n_groups)),
        tuple(kept), tuple(_images(table)), tuple(_names(table)), tuple(closest.tolist()))
    n_copies = int(in_group.sum()) - n_groups
    info = (f"{n_groups} group(s) of duplicates; {n_copies} "
            f"{'copy' if n_copies == 1 else 'copies'} left out of Unique"
            if n_groups else f"No duplicates among {len(table):,} rows")
    return Result({"Data": data, "Duplicates": duplicates, "Unique": unique}, view=view,
                  info=info)


def _images(table: Table) -> list[str | None]:
    images = table.columns_of_kind("image")
    return list(images[0].data) if images else [None] * len(table)


def _names(table: Table) -> list[str]:
    if table.has_column("image name"):
        return ["?" if v is None else str(v) for v in table.column("image name").data]
    return [str(i + 1) for i in range(len(table))]


class Duplicates(Widget):
    id = "imgflow.duplicates"
    name = "Duplicates"
    category = "Unsupervised"
    icon = "duplicates.svg"
    description = "Find near-identical images (resized, re-compressed or exact copies)."
    keywords = ("duplicate", "copies", "near-duplicate", "dedupe", "same", "identical")
    priority = 40
    inputs = (Input("Data", Table, default=True, doc="Rows with embeddings."),)
    outputs = (
        Output("Data", Table, default=True,
               doc=f"All rows, with '{GROUP_COLUMN}' (D1, D2, ...; missing when unique)."),
        Output("Duplicates", Table, doc="Only the rows in a group, group by group."),
        Output("Unique", Table, doc="Rows in no group, plus one per group (the most pixels)."),
    )
    settings = (
        Setting("threshold", float, DEFAULT_THRESHOLD, minimum=0.0, maximum=1.0,
                doc="Cosine distance under which two images are copies of each other."),
        Setting("compare_pixels", bool, True,
                doc="Confirm each close pair by comparing the two images' pixels "
                    "(different photos of one kind can be as close as copies)."),
    )
    panel = "imgflow.widgets.duplicates.panel:DuplicatesPanel"
    apply_control = True

    def compute(self, inputs, settings, ctx: Context) -> Result:
        return find_duplicates(inputs["Data"], settings["threshold"], ctx,
                               settings["compare_pixels"])
