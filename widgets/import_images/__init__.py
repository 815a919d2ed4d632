"""Import Images: a table of the images in a folder (and its sub-folders).

The folder may also be an object-storage URL (``s3://bucket/prefix``,
``gs://...``, any fsspec URL whose package is installed): the same table, with
each object's URL as its path.  A bucket named by a workflow file is read only
when the user trusts it (imgflow.trusted_servers), since reading it signs
requests with the user's own credentials.

One row per readable image: "image name" (file stem), "image" (the path),
"size" (bytes), "width" and "height" (pixels, from the header only), and,
when images lie in sub-folders, a "category" class column named after the
sub-folder path.  Files that look like images by their extension but cannot
be read are listed in a warning, not output.  A folder with no images gives
a warning and no output, so what follows waits instead of working on
nothing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from imgflow import trusted_servers
from imgflow.api import Context, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Table
from imgflow.embedders import storage
from imgflow.user_settings import UserSettingsError

MAX_RECENT = 10
MAX_LISTED = 10      # skipped files named in the warning; the rest are counted


@dataclass(frozen=True)
class ImportSummary:
    """What the panel shows beside the output."""
    directory: str
    n_images: int
    categories: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]     # (path under the folder, reason)


def resolve_directory(directory: str, workflow_dir: Path | None) -> Path | str:
    """The folder to scan (a path, or a storage URL the user trusts), or WidgetError
    saying plainly what is wrong."""
    if not directory.strip():
        raise WidgetError("No folder chosen: choose a folder of images.")
    if storage.is_storage_url(directory.strip()):
        return trusted_url(directory.strip())
    if storage.scheme(directory.strip()) in storage.LOCAL:
        try:                  # file:///x is the local folder /x, read as any other path
            directory = storage.local_path(directory.strip())
        except ValueError as exc:
            raise WidgetError(f"Not a local folder: {exc}") from None
    path = Path(directory).expanduser()
    if not path.is_absolute() and workflow_dir is not None:
        path = workflow_dir / path
    if not path.exists():
        raise WidgetError(f"Folder not found: {path}")
    if not path.is_dir():
        raise WidgetError(f"Not a folder: {path}")
    if not os.access(path, os.R_OK | os.X_OK):
        raise WidgetError(f"Cannot read the folder (no permission): {path}")
    return path.resolve()


def trusted_url(url: str) -> str:
    """The URL, when the user trusts its bucket; else WidgetError saying how to allow it."""
    try:
        storage.location(url)
        if not trusted_servers.storage_trusted(url):
            raise WidgetError(trusted_servers.untrusted_message(url))
    except ValueError as exc:
        raise WidgetError(f"Cannot use this address: {exc}") from None
    except UserSettingsError as exc:
        raise WidgetError(str(exc)) from None
    return url


def with_recent(recent: list[str], directory: str) -> list[str]:
    """The recent-folders list with directory moved to the front."""
    return ([directory] + [r for r in recent if r != directory])[:MAX_RECENT]


def skipped_warning(skipped: list[tuple[str, str]]) -> str:
    listed = "; ".join(f"{path} ({reason})" for path, reason in skipped[:MAX_LISTED])
    more = f"; and {len(skipped) - MAX_LISTED} more" if len(skipped) > MAX_LISTED else ""
    what = "file is not a readable image and was" if len(skipped) == 1 else \
        "files are not readable images and were"
    return f"{len(skipped)} {what} skipped: {listed}{more}"


def import_images(directory: str, recursive: bool, ctx: Context) -> Result:
    """Scan the folder; the whole computation of the widget."""
    from .scan import build_table, find_images, find_objects, read_sizes

    root = resolve_directory(directory, ctx.workflow_dir)
    if isinstance(root, str):
        files, unreadable = find_objects(root, recursive, ctx.check), []
    else:
        files, unreadable = find_images(root, recursive, ctx.check)
    if unreadable:
        ctx.warning(f"{len(unreadable)} sub-folder(s) could not be read: "
                    + ", ".join(unreadable[:MAX_LISTED]))
    sizes = read_sizes(files, ctx.progress, ctx.check)
    scan = build_table(files, sizes)
    if scan.skipped:
        ctx.warning(skipped_warning(scan.skipped))
    if scan.table is None:
        where = "" if recursive else " (sub-folders are not searched)"
        ctx.warning(f"No images found in {root}{where}.")
    summary = ImportSummary(str(root), scan.n_images, scan.categories, tuple(scan.skipped))
    info = f"{scan.n_images} images" + (f", {len(scan.categories)} categories"
                                         if scan.categories else "")
    return Result({"Data": scan.table}, view=summary, info=info)


class ImportImages(Widget):
    id = "imgflow.import_images"
    name = "Import Images"
    category = "Image Analytics"
    icon = "import_images.svg"
    description = "Import the images of a folder (sub-folders become categories)."
    keywords = ("folder", "directory", "load", "files", "photos", "pictures")
    priority = 10
    outputs = (Output("Data", Table, default=True,
                      doc="One row per image: name, path, size, width, height, category."),)
    settings = (
        Setting("directory", str, "", path=True, destination=True,
                doc="The folder of images, or an object-storage URL (s3://bucket/prefix, "
                    "gs://...; read only from buckets you trust: imgflow servers add s3://bucket)."),
        Setting("recursive", bool, True, doc="Also import images in sub-folders."),
        Setting("recent", list, [], doc="Recently used folders, newest first."),
    )
    panel = "imgflow.widgets.import_images.panel:ImportImagesPanel"

    @classmethod
    def sends_to(cls, settings: dict) -> list[str]:
        # Reading a bucket signs requests with the user's credentials: it asks as a server does.
        directory = (settings.get("directory") or "").strip()
        if storage.is_storage_url(directory) and storage.scheme(directory) not in storage.FREE:
            return [directory]
        return []

    def compute(self, inputs, settings, ctx: Context) -> Result:
        return import_images(settings["directory"], settings["recursive"], ctx)
