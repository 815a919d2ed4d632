"""Data Table: shows tables (one tab per input) and outputs the selected rows.

The selection is saved as row positions of one input, as half-open ranges:
``[{"input": 1, "rows": [[0, 5], [9, 10]]}]`` (the same data arriving again
in the same order, as Import Images gives it, selects the same rows).  The
sort is saved as ``[column name, "ascending" | "descending"]``; it orders the
view only, the output keeps the input's order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgflow.api import Context, Input, Output, Result, Setting, Widget
from imgflow.data import Table


@dataclass(frozen=True)
class TableSummary:
    label: str
    rows: int
    features: int
    metas: int
    classes: tuple[str, ...]
    missing: int

    def describe(self) -> str:
        parts = [f"{self.rows:,} rows", f"{self.features:,} feature columns",
                 f"{self.metas:,} meta columns"]
        if self.classes:
            parts.append("class: " + ", ".join(self.classes))
        parts.append(f"{self.missing:,} missing values" if self.missing else "no missing values")
        return "; ".join(parts)


def summarize(table: Table, label: str) -> TableSummary:
    return TableSummary(label, len(table), table.n_features,
                        sum(c.role == "meta" for c in table.columns),
                        tuple(c.name for c in table.columns if c.role == "class"),
                        table.missing_count())


def parse_selection(selection: list) -> tuple[int, list[tuple[int, int]]]:
    """(input index, row ranges) from the setting; (0, []) when it is empty or malformed."""
    if not selection or not isinstance(selection[0], dict):
        return 0, []
    entry = selection[0]
    index = entry.get("input", 0)
    ranges = []
    for pair in entry.get("rows", []):
        if (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
                and 0 <= pair[0] < pair[1]):
            ranges.append((pair[0], pair[1]))
    return (index if isinstance(index, int) and not isinstance(index, bool) else 0), ranges


def selection_setting(input_index: int, rows) -> list:
    """The setting for these row positions of one input (ranges of consecutive rows)."""
    rows = np.unique(np.asarray(list(rows), dtype=np.int64))
    if not len(rows):
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [len(rows)]])
    ranges = [[int(rows[a]), int(rows[b - 1]) + 1] for a, b in zip(starts, stops)]
    return [{"input": int(input_index), "rows": ranges}]


def selected_rows(selection: list, n_rows: int) -> np.ndarray:
    """Row positions the setting selects in a table of n_rows (those past its end dropped)."""
    _, ranges = parse_selection(selection)
    mask = np.zeros(n_rows, dtype=bool)
    for start, stop in ranges:
        mask[start:min(stop, n_rows)] = True
    return np.flatnonzero(mask)


def show_tables(tables: list[Table], labels: list[str], settings: dict,
                summarize=summarize) -> Result:
    labels = list(labels) + [f"Data {i + 1}" for i in range(len(labels), len(tables))]
    summaries = tuple(summarize(t, label) for t, label in zip(tables, labels))
    index, _ = parse_selection(settings["selection"])
    selected = None
    if 0 <= index < len(tables):
        rows = selected_rows(settings["selection"], len(tables[index]))
        if len(rows):
            selected = tables[index].subset(rows)
    info = summaries[0].describe() if len(summaries) == 1 else f"{len(summaries)} tables"
    return Result({"Selected Data": selected}, view=summaries, info=info)


class DataTable(Widget):
    id = "imgflow.data_table"
    name = "Data Table"
    category = "Data"
    icon = "data_table.svg"
    description = "Show data in a spreadsheet, sort it and select rows."
    keywords = ("spreadsheet", "rows", "columns", "view", "inspect")
    priority = 20
    inputs = (Input("Data", Table, multiple=True, default=True,
                    doc="Tables to show, one tab each."),)
    outputs = (Output("Selected Data", Table, default=True, doc="The selected rows."),)
    settings = (
        Setting("selection", list, [],
                doc="Selected rows: [{'input': i, 'rows': [[start, stop], ...]}]."),
        Setting("sort", list, [], view_only=True,
                doc="[column name, 'ascending' or 'descending'], or [] for none."),
        Setting("show_thumbnails", bool, True, view_only=True,
                doc="Show a small picture in the cells of image columns."),
    )
    panel = "imgflow.widgets.data_table.panel:DataTablePanel"

    def __init__(self):
        self._summaries: dict[tuple[int, str], tuple[Table, TableSummary]] = {}

    def compute(self, inputs, settings, ctx: Context) -> Result:
        return show_tables(inputs["Data"], ctx.input_labels.get("Data", []), settings,
                           self._summarize)

    def _summarize(self, table: Table, label: str) -> TableSummary:
        """Summaries of the tables seen last (a new selection need not count missing values)."""
        key = (id(table), label)
        cached = self._summaries.get(key)
        if cached is None or cached[0] is not table:
            if len(self._summaries) > 16:
                self._summaries.clear()
            cached = self._summaries[key] = (table, summarize(table, label))
        return cached[1]
