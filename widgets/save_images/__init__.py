"""Save Images: copy or convert the images of a table into a folder, one sub-folder per group.

The group is the ``Cluster`` column when there is one, else ``category``
(``auto``), or a chosen column, or none.  Rows without a group go to
"unassigned".  Nothing is ever lost: a file is written under a temporary
name and then renamed, and with ``overwrite = never`` (the default) an
existing file is never replaced: one with the same bytes counts as saved,
one with other bytes makes the image go to "name-1.ext".  So running a
workflow twice writes nothing new the second time.  Each image that could
not be saved is named with its reason; the output's "saved as" column holds
where each row's image now is (missing for those).
"""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from imgflow.api import Context, Input, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Column, Table

from .writing import UNASSIGNED, safe_name

FORMATS = ("original", "png", "jpeg")
MAX_LISTED = 10


@dataclass(frozen=True)
class SaveSummary:
    """What the panel shows beside the output."""
    directory: str
    group_column: str | None
    written: int
    already_there: int
    failed: tuple[tuple[str, str], ...]     # (image, reason)


def resolve_directory(directory: str, workflow_dir: Path | None) -> Path:
    """The folder to save into (made if missing), or a clear WidgetError."""
    if not directory.strip():
        raise WidgetError("No folder chosen: choose where to save the images.")
    path = Path(directory).expanduser()
    if not path.is_absolute() and workflow_dir is not None:
        path = workflow_dir / path
    if path.exists() and not path.is_dir():
        raise WidgetError(f"Not a folder: {path}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WidgetError(f"Cannot make the folder {path}: {reason(exc)}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise WidgetError(f"Cannot write to the folder (no permission): {path}")
    return path.resolve()


def group_column(table: Table, group_by: str) -> Column | None:
    if group_by == "none":
        return None
    if group_by == "auto":
        for name in ("Cluster", "category"):
            if table.has_column(name):
                return table.column(name)
        return None
    if not table.has_column(group_by):
        names = ", ".join(f"'{c.name}'" for c in table.columns) or "none"
        raise WidgetError(f"There is no column '{group_by}' to group by (columns: {names}).")
    return table.column(group_by)


def group_values(column: Column | None, n: int) -> list[str | None]:
    if column is None:
        return [""] * n                  # "": no sub-folder
    if column.kind == "numeric":
        return [None if v != v else f"{v:g}" for v in column.data]
    return list(column.data)


def reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "the disk is full"
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
        return "no permission"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def save_images(table: Table, settings: dict, ctx: Context) -> Result:
    from imgflow.embedders.images import ImageSkipped, read_bytes
    from imgflow.widgets.common.images import image_column, resolve

    from .writing import encode, save_bytes

    images = image_column(table, "", ctx)
    root = resolve_directory(settings["directory"], ctx.workflow_dir)
    column = group_column(table, settings["group_by"])
    groups = group_values(column, len(table))
    fmt, max_size = settings["format"], settings["max_size"]
    replace = settings["overwrite"] == "replace"
    saved_as: list[str | None] = [None] * len(table)
    failed: list[tuple[str, str]] = []
    taken: set[Path] = set()
    written = already = 0
    disk_full = False
    for row, (source, group) in enumerate(zip(images.data, groups)):
        ctx.check()
        ctx.progress(row, len(table))
        label = source or f"row {row + 1}"
        if disk_full:
            failed.append((label, "not tried: the disk is full"))
            continue
        if not source:
            failed.append((label, "no image"))
            continue
        try:
            data, extension = encode(read_bytes(resolve(source, ctx.workflow_dir)),
                                     fmt, max_size)
        except ImageSkipped as exc:
            failed.append((label, str(exc) or "cannot be read"))
            continue
        except Exception as exc:     # Pillow's many ways of failing on one odd file
            failed.append((label, f"cannot be converted ({reason(exc)})"))
            continue
        name = os.path.basename(source.split("?")[0].rstrip("/")) or f"image-{row + 1}"
        stem, own_extension = os.path.splitext(name)
        folder = root / safe_name(group) if group != "" else root
        try:
            folder.mkdir(exist_ok=True)
            path, now = save_bytes(folder, safe_name(stem), extension or own_extension,
                                   data, replace, taken)
        except OSError as exc:
            failed.append((label, reason(exc)))
            disk_full = exc.errno == errno.ENOSPC
            continue
        saved_as[row] = str(path)
        written += now
        already += not now
    ctx.progress(1.0)
    if failed:
        listed = "; ".join(f"{s} ({r})" for s, r in failed[:MAX_LISTED])
        more = f"; and {len(failed) - MAX_LISTED} more" if len(failed) > MAX_LISTED else ""
        ctx.warning(f"{len(failed)} image(s) could not be saved: {listed}{more}")
    out = table.add_column(Column.text("saved as", saved_as))
    summary = SaveSummary(str(root), column.name if column is not None else None,
                          written, already, tuple(failed))
    info = f"{written + already} image(s) saved in {root}"
    if already:
        info += f" ({already} already there)"
    return Result({"Data": out}, view=summary, info=info)


class SaveImages(Widget):
    id = "imgflow.save_images"
    name = "Save Images"
    category = "Image Analytics"
    icon = "save_images.svg"
    description = "Save the images into a folder, one sub-folder per cluster or category."
    keywords = ("save", "export", "write", "copy", "folder", "files", "clusters")
    priority = 40
    inputs = (Input("Data", Table, default=True, doc="A table with an image column."),)
    outputs = (Output("Data", Table, default=True,
                      doc="The same rows, with 'saved as': where each image was saved."),)
    settings = (
        Setting("directory", str, "", path=True, doc="The folder to save into."),
        Setting("group_by", str, "auto",
                doc="One sub-folder per value of this column: 'auto' (Cluster, else "
                    "category, else none), 'none', or a column's name."),
        Setting("format", str, "original", choices=FORMATS,
                doc="'original' copies the files unchanged; or convert to PNG or JPEG."),
        Setting("max_size", int, 0, minimum=0, maximum=100_000,
                doc="Longest side in pixels (0 = keep the size)."),
        Setting("overwrite", str, "never", choices=("never", "replace"),
                doc="'never': an existing file is kept and the image saved as name-1.ext; "
                    "'replace': existing files of the same name are replaced."),
    )
    panel = "imgflow.widgets.save_images.panel:SaveImagesPanel"

    def compute(self, inputs, settings, ctx: Context) -> Result:
        return save_images(inputs["Data"], settings, ctx)


__all__ = ["SaveImages", "UNASSIGNED", "save_images"]
