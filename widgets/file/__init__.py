"""File: a table from a file — what ``imgflow run --export`` wrote, or any CSV.

So that embeddings computed elsewhere (on a cluster, by a script) continue
on the canvas.  The formats, and how column kinds survive them, are in
``imgflow.data.reading``.  The widget reads the one file its setting names
(as Import Images reads its folder) and never executes anything in it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imgflow.api import Context, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Table, printable
from imgflow.data.reading import ReadError, read_table

FILE_FILTER = "Tables (*.csv *.tsv *.txt *.parquet *.npy);;All files (*)"


@dataclass(frozen=True)
class FileSummary:
    name: str
    rows: int
    features: int
    columns: tuple[str, ...]      # "name (kind)" of the other columns

    def describe(self) -> str:
        text = f"{self.rows:,} rows, {self.features:,} feature columns"
        if self.columns:
            text += "; " + ", ".join(self.columns[:8]) + (", …" if len(self.columns) > 8 else "")
        return text


def resolve_file(path: str, workflow_dir: Path | None) -> Path:
    if not path.strip():
        raise WidgetError("No file chosen: choose a table (.csv, .parquet or .npy).")
    resolved = Path(path).expanduser()
    if not resolved.is_absolute() and workflow_dir is not None:
        resolved = workflow_dir / resolved
    return resolved


def load(path: str, ctx: Context) -> Result:
    resolved = resolve_file(path, ctx.workflow_dir)
    try:
        table, warnings = read_table(resolved, ctx.progress, ctx.check)
    except ReadError as exc:
        raise WidgetError(str(exc)) from None
    for warning in warnings:
        ctx.warning(warning)
    columns = tuple(f"{printable(c.name)} ({c.kind})" for c in table.columns)
    summary = FileSummary(printable(resolved.name), len(table), table.n_features, columns)
    return Result({"Data": table}, view=summary, info=summary.describe())


class File(Widget):
    id = "imgflow.file"
    name = "File"
    category = "Data"
    icon = "file.svg"
    description = "Read a table from a file: CSV (as exported, or any), Parquet or .npy."
    keywords = ("file", "csv", "parquet", "npy", "load", "open", "table", "read", "embeddings")
    priority = 5
    outputs = (Output("Data", Table, default=True, doc="The table in the file."),)
    settings = (
        Setting("path", str, "", path=True, doc="The file to read (.csv, .tsv, .parquet, .npy)."),
    )
    panel = "imgflow.widgets.file.panel:FilePanel"

    def compute(self, inputs, settings, ctx: Context) -> Result:
        return load(settings["path"], ctx)
