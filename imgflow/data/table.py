"""The Table: rows of images or records that travel on links.

A table is a float feature matrix ``X`` (for example 2048 embedding columns)
plus named non-feature columns (image name, path, size, category, ...).
Every row carries a stable id, so that a subset made downstream (a dendrogram
selection, say) can be traced back to the rows it came from.  Tables are
immutable: every operation returns a new table sharing what it can.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .text import printable

ROLES = ("feature", "meta", "class")
KINDS = ("numeric", "categorical", "text", "image")

_id_lock = threading.Lock()
_next_id = 0


def new_row_ids(n: int) -> np.ndarray:
    """A block of fresh row ids, unique within this process."""
    global _next_id
    with _id_lock:
        start, _next_id = _next_id, _next_id + n
    return np.arange(start, start + n, dtype=np.int64)


@dataclass(frozen=True)
class Column:
    """A non-feature column.

    ``data`` is float64 (NaN = missing) for numeric columns and an object
    array of ``str`` (``None`` = missing) for the others.  Categorical columns
    list their ``categories`` in a fixed order.
    """
    name: str
    kind: str
    role: str
    data: np.ndarray
    categories: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")
        if self.role not in ROLES or self.role == "feature":
            raise ValueError(f"a column's role is 'meta' or 'class', not {self.role!r}")

    @classmethod
    def numeric(cls, name: str, values: Iterable, role: str = "meta") -> "Column":
        return cls(name, "numeric", role, np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float))

    @classmethod
    def text(cls, name: str, values: Iterable, role: str = "meta", kind: str = "text") -> "Column":
        return cls(name, kind, role, _object_array(values))

    @classmethod
    def image(cls, name: str, values: Iterable) -> "Column":
        return cls(name, "image", "meta", _object_array(values))

    @classmethod
    def categorical(cls, name: str, values: Iterable, role: str = "class",
                    categories: Sequence[str] | None = None) -> "Column":
        data = _object_array(values)
        if categories is None:
            categories = sorted({v for v in data if v is not None})
        return cls(name, "categorical", role, data, tuple(categories))

    def take(self, indices: np.ndarray) -> "Column":
        return Column(self.name, self.kind, self.role, self.data[indices], self.categories)

    def is_missing(self) -> np.ndarray:
        if self.kind == "numeric":
            return np.isnan(self.data)
        return np.array([v is None for v in self.data], dtype=bool)


def _object_array(values: Iterable) -> np.ndarray:
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = [None if v is None else str(v) for v in values]
    return out


@dataclass(frozen=True)
class Table:
    """Rows with a feature matrix, extra columns and stable row ids."""
    X: np.ndarray
    feature_names: tuple[str, ...]
    columns: tuple[Column, ...] = ()
    ids: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        X = np.asarray(self.X, dtype=np.float32 if self.X.dtype == np.float32 else np.float64)
        if X.ndim != 2:
            raise ValueError("X must be a 2-d matrix")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "feature_names", tuple(self.feature_names))
        object.__setattr__(self, "columns", tuple(self.columns))
        n = X.shape[0]
        if len(self.feature_names) != X.shape[1]:
            raise ValueError(f"{X.shape[1]} feature columns but {len(self.feature_names)} names")
        for col in self.columns:
            if len(col.data) != n:
                raise ValueError(f"column {col.name!r} has {len(col.data)} rows, the table {n}")
        ids = new_row_ids(n) if self.ids is None else np.asarray(self.ids, dtype=np.int64)
        if len(ids) != n:
            raise ValueError("one row id per row is needed")
        object.__setattr__(self, "ids", ids)
        names = list(self.feature_names) + [c.name for c in self.columns]
        if len(set(names)) != len(names):
            dupes = sorted({x for x in names if names.count(x) > 1})
            raise ValueError(f"duplicate column names: {', '.join(dupes)}")

    # -- construction -------------------------------------------------------
    @classmethod
    def from_columns(cls, columns: Sequence[Column], n_rows: int | None = None) -> "Table":
        n = n_rows if n_rows is not None else (len(columns[0].data) if columns else 0)
        return cls(np.empty((n, 0)), (), tuple(columns))

    # -- shape and lookup ---------------------------------------------------
    def __len__(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"no column named {name!r}")

    def has_column(self, name: str) -> bool:
        return any(c.name == name for c in self.columns)

    def columns_of_kind(self, kind: str) -> list[Column]:
        return [c for c in self.columns if c.kind == kind]

    def missing_count(self) -> int:
        return int(np.isnan(self.X).sum()) + sum(int(c.is_missing().sum()) for c in self.columns)

    # -- derived tables -----------------------------------------------------
    def subset(self, rows) -> "Table":
        """Rows by position (indices or boolean mask); ids are kept."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        rows = rows.astype(np.intp, copy=False)
        return Table(self.X[rows], self.feature_names,
                     tuple(c.take(rows) for c in self.columns), self.ids[rows])

    def subset_by_ids(self, ids: Iterable[int]) -> "Table":
        """Rows whose ids are in ``ids``, in this table's order."""
        wanted = np.fromiter(ids, dtype=np.int64)
        return self.subset(np.isin(self.ids, wanted))

    def add_features(self, names: Sequence[str], values: np.ndarray) -> "Table":
        """A table with more feature columns appended (same rows, same ids)."""
        values = np.asarray(values)
        if values.shape != (len(self), len(names)):
            raise ValueError(f"expected a {len(self)}x{len(names)} matrix, got {values.shape}")
        dtype = np.result_type(self.X.dtype, values.dtype) if self.n_features else values.dtype
        X = np.hstack([self.X.astype(dtype, copy=False), values.astype(dtype, copy=False)])
        return Table(X, self.feature_names + tuple(names), self.columns, self.ids)

    def add_column(self, column: Column) -> "Table":
        """A table with one more non-feature column (replacing one of the same name)."""
        kept = tuple(c for c in self.columns if c.name != column.name)
        return Table(self.X, self.feature_names, kept + (column,), self.ids)

    def without_features(self) -> "Table":
        return Table(self.X[:, :0], (), self.columns, self.ids)

    # -- export -------------------------------------------------------------
    def header(self) -> list[str]:
        return [c.name for c in self.columns] + list(self.feature_names)

    def rows(self) -> Iterable[list]:
        """Rows as Python values, non-feature columns first (as in CSV export).

        Text shows bytes of file names that are not UTF-8 as ``\\xNN`` (see
        ``printable``), so the rows can be written as UTF-8.
        """
        for i in range(len(self)):
            row = [_cell(c, i) for c in self.columns]
            row.extend(_format_float(v) for v in self.X[i])
            yield row

    def to_csv(self, path) -> None:
        """Write all columns with a header row, row order kept; UTF-8 always
        (a file name that is not UTF-8 is written as ``latin1-\\xe9.jpg``).
        Atomic: a failed write leaves an existing file as it was."""
        from .export import write_atomically, write_csv
        write_atomically(path, lambda f: write_csv(self, f))

    def export(self, path) -> None:
        """Write to ``path`` as .parquet (needs pyarrow), .npy (numeric columns) or CSV.

        Raises ExportError (a one-line reason) or OSError.
        """
        from .export import export_table
        export_table(self, path)

    def to_numpy(self) -> np.ndarray:
        """The feature matrix (rows x feature_names), as a new array."""
        return np.array(self.X)

    def to_pandas(self):
        """A pandas DataFrame of all columns, as in CSV (needs pandas)."""
        from .frames import to_pandas
        return to_pandas(self)

    def __repr__(self) -> str:
        return (f"Table({len(self)} rows, {self.n_features} features, "
                f"columns={[c.name for c in self.columns]})")


def _cell(col: Column, i: int):
    v = col.data[i]
    if col.kind == "numeric":
        return _format_float(v)
    return "" if v is None else printable(v)


def _format_float(v) -> str:
    v = float(v)
    if np.isnan(v):
        return ""
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)
