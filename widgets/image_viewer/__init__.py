"""Image Viewer: a grid of thumbnails of a table's images; selected rows go out.

The selection is saved as the image paths of the selected rows (row ids live
only as long as the process), so a reopened workflow selects the same images
once the same data arrives.  "Data" is the whole input with a "Selected"
column (Yes/No), as Orange annotates its outputs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgflow.api import Context, Input, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Column, Table

SELECTED = "Selected"


@dataclass(frozen=True)
class ViewerView:
    """The columns the panel shows, as compute resolved them."""
    image_column: str
    title_column: str
    image_columns: tuple[str, ...]
    title_columns: tuple[str, ...]
    n_selected: int


def image_columns(table: Table) -> list[str]:
    """Columns that can hold image paths or URLs: image columns first, then text."""
    return ([c.name for c in table.columns if c.kind == "image"]
            + [c.name for c in table.columns if c.kind == "text"])


def title_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns]


def choose_image_column(table: Table, wanted: str) -> str:
    candidates = image_columns(table)
    if wanted and wanted in candidates:
        return wanted
    if not candidates:
        raise WidgetError("The data has no column of images (image paths or URLs).")
    return candidates[0]


def choose_title_column(table: Table, wanted: str, image_column: str) -> str:
    names = title_columns(table)
    if wanted and wanted in names:
        return wanted
    return "image name" if "image name" in names else image_column


def selected_mask(table: Table, image_column: str, selection: list) -> np.ndarray:
    """Rows whose image is among the saved selection."""
    chosen = {s for s in selection if isinstance(s, str)}
    data = table.column(image_column).data
    return np.fromiter((v in chosen for v in data), dtype=bool, count=len(data))


def selection_setting(table: Table, image_column: str, rows) -> list[str]:
    """What to save for the selected rows: their images, each once, in table order."""
    data = table.column(image_column).data
    return list(dict.fromkeys(data[i] for i in sorted(rows) if data[i] is not None))


def annotated(table: Table, mask: np.ndarray) -> Table:
    values = np.where(mask, "Yes", "No")
    return table.add_column(Column.categorical(SELECTED, values, role="meta",
                                               categories=("No", "Yes")))


def view_images(table: Table, settings: dict) -> Result:
    image = choose_image_column(table, settings["image_column"])
    title = choose_title_column(table, settings["title_column"], image)
    mask = selected_mask(table, image, settings["selection"])
    n = int(mask.sum())
    outputs = {"Selected Images": table.subset(mask) if n else None,
               "Data": annotated(table, mask)}
    view = ViewerView(image, title, tuple(image_columns(table)), tuple(title_columns(table)), n)
    info = f"{len(table)} images" + (f", {n} selected" if n else "")
    return Result(outputs, view=view, info=info)


class ImageViewer(Widget):
    id = "imgflow.image_viewer"
    name = "Image Viewer"
    category = "Image Analytics"
    icon = "image_viewer.svg"
    description = "Browse the images of a table as thumbnails and select some."
    keywords = ("thumbnails", "gallery", "browse", "show", "pictures")
    priority = 20
    inputs = (Input("Data", Table, default=True, doc="A table with a column of image paths."),)
    outputs = (
        Output("Selected Images", Table, default=True, doc="The selected rows."),
        Output("Data", Table, doc="All rows, with a 'Selected' column."),
    )
    settings = (
        Setting("image_column", str, "", doc="Column with the images ('' = the first)."),
        Setting("title_column", str, "", view_only=True,
                doc="Column shown under each image ('' = image name)."),
        Setting("thumbnail_size", int, 128, minimum=48, maximum=512, view_only=True,
                doc="Thumbnail size in pixels."),
        Setting("selection", list, [], path=True,
                doc="The images (paths) of the selected rows."),
    )
    panel = "imgflow.widgets.image_viewer.panel:ImageViewerPanel"

    def compute(self, inputs, settings, ctx: Context) -> Result:
        return view_images(inputs["Data"], settings)
