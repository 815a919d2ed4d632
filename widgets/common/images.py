"""The image column of a table, and image paths as the loader reads them: shared by the
widgets that open images (Image Embedding, Save Images, Duplicates)."""
from __future__ import annotations

import os
from pathlib import Path

from imgflow.api import Context, WidgetError
from imgflow.data import Column, Table


def image_column(table: Table, wanted: str, ctx: Context) -> Column:
    """The column of images to embed: the chosen one, else the first."""
    images = table.columns_of_kind("image")
    if not images:
        raise WidgetError("The data has no image column: connect Import Images (or data "
                          "with a column of image paths).")
    if wanted:
        for col in images:
            if col.name == wanted:
                return col
        ctx.warning(f"There is no image column '{wanted}'; '{images[0].name}' is used.")
    return images[0]


def resolve(source: str | None, base: Path | None) -> str | None:
    """An image path as the pipeline reads it (relative ones: from the workflow's folder)."""
    if not source:
        return None
    if "://" in source or base is None or os.path.isabs(source):
        return source
    return str(base / source)
