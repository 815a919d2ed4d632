"""Reading tables from files: what ``imgflow run --export`` writes, and other tables.

The formats hold values but not what imgflow knows about columns: CSV
has only names and text, a .npy file only numbers.  So an export writes,
beside ``out.csv``, a small ``out.csv.columns.json`` naming each column's
kind (numeric, categorical with its categories in order, text, image), role
(feature, meta, class) and the feature names.  The data file stays exactly
what spreadsheets and scripts read (no renamed headers); with the
description beside it a table comes back as it left, and without it (a
file from elsewhere, or moved alone) kinds are guessed: numeric columns
become features; the rest image paths, categories (few distinct values) or
text.  Everything about the formats is in this module, writing the
description included (``write_description``), so reader and writer agree.

Reading streams: CSV and Parquet in blocks of rows into one growing matrix
(enlarged in place), .npy through a memory map, so a million rows need
about one copy of the numbers in memory.  Nothing is ever executed: .npy
is loaded with ``allow_pickle=False``, the description is plain JSON.
"""
from __future__ import annotations

import csv
import json
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .table import Column, Table

DESCRIPTION_SUFFIX = ".columns.json"
DESCRIPTION_FORMAT = "imgflow-columns"
FORMULA_START = ("=", "+", "-", "@")      # a CSV export protects these with a leading '
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp")
MAX_CATEGORIES = 50
WIDE = 100                                 # guessed features this many or more: float32
BLOCK_CELLS = 1 << 20                      # values converted at once while reading


class ReadError(Exception):
    """A one-line reason a file could not be read."""


@dataclass(frozen=True)
class Spec:
    """What a column is: kind and role ('feature' for the feature matrix)."""
    name: str
    kind: str = "numeric"
    role: str = "feature"
    categories: tuple[str, ...] | None = None
    guess: bool = False        # a text column whose kind is guessed once it is read


# ---------------------------------------------------------------- the description
def description_path(path) -> Path:
    return Path(f"{os.fspath(path)}{DESCRIPTION_SUFFIX}")


def describe(table: Table, numeric_only: bool = False) -> dict:
    """The description of ``table`` as written to a file (.npy: numeric columns only)."""
    from .text import printable
    columns = [c for c in table.columns if c.kind == "numeric" or not numeric_only]
    specs = [{"name": printable(c.name), "kind": c.kind, "role": c.role,
              **({"categories": [printable(v) for v in c.categories]}
                 if c.kind == "categorical" else {})} for c in columns]
    specs += [{"name": printable(n), "kind": "numeric", "role": "feature"}
              for n in table.feature_names]
    return {"format": DESCRIPTION_FORMAT, "version": 1, "rows": len(table),
            "feature_type": "float32" if table.X.dtype == np.float32 else "float64",
            "columns": specs}


def write_description(table: Table, path) -> None:
    """Write the description beside an exported ``path`` (call after writing the file)."""
    description = describe(table, numeric_only=Path(path).suffix.lower() == ".npy")
    target = description_path(path)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(description, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, target)


def read_description(path, warnings: list[str]) -> tuple[list[Spec], int, type] | None:
    """(specs, rows, feature dtype) from the description beside ``path``, or None (with a warning if bad)."""
    where = description_path(path)
    if not where.exists():
        return None
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
        if data.get("format") != DESCRIPTION_FORMAT or data.get("version") != 1:
            raise ValueError("not an imgflow column description")
        specs = [Spec(str(c["name"]), c["kind"], c["role"],
                      tuple(map(str, c["categories"])) if c["kind"] == "categorical" else None)
                 for c in data["columns"]]
        if any(s.kind not in ("numeric", "categorical", "text", "image")
               or s.role not in ("feature", "meta", "class")
               or (s.role == "feature" and s.kind != "numeric") for s in specs):
            raise ValueError("unknown kind or role")
        dtype = np.float32 if data.get("feature_type") == "float32" else np.float64
        return specs, int(data["rows"]), dtype
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        warnings.append(f"{where.name} was not used ({exc}); column kinds were guessed.")
        return None


def _matching_specs(path, names: list[str], warnings: list[str]):
    """(specs, rows, feature dtype) of a description that fits the file, else (None, -1, None)."""
    found = read_description(path, warnings)
    if found is None:
        return None, -1, None
    if [s.name for s in found[0]] != names:
        warnings.append(f"{description_path(path).name} describes other columns than the file's "
                        "(was the file changed?); column kinds were guessed.")
        return None, -1, None
    return found


# ---------------------------------------------------------------- reading
def read_table(path, progress: Callable[[float], None] = lambda f: None,
               check: Callable[[], None] = lambda: None) -> tuple[Table, list[str]]:
    """The table in ``path`` (.csv/.tsv/.txt, .parquet, .npy) and warnings. Raises ReadError."""
    path = Path(path)
    suffix = path.suffix.lower()
    warnings: list[str] = []
    try:
        if suffix == ".npy":
            table = _read_npy(path, warnings)
        elif suffix == ".parquet":
            table = _read_parquet(path, warnings, progress, check)
        else:
            table = _read_csv(path, warnings, progress, check)
    except FileNotFoundError:
        raise ReadError(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise ReadError(f"{path} is a folder, not a file.") from None
    except PermissionError:
        raise ReadError(f"{path} cannot be read (permission denied).") from None
    except UnicodeDecodeError:
        raise ReadError(f"{path.name} is not UTF-8 text; is it a table?") from None
    except (OSError, ValueError, csv.Error) as exc:
        raise ReadError(f"{path.name} cannot be read: {exc}") from None
    return table, warnings


def _read_npy(path: Path, warnings: list[str]) -> Table:
    matrix = np.load(path, mmap_mode="r", allow_pickle=False)
    if matrix.dtype.kind not in "fiub" or matrix.ndim not in (1, 2):
        raise ReadError(f"{path.name} holds a {matrix.ndim}-d array of {matrix.dtype}; "
                        "a table needs a 1-d or 2-d array of numbers.")
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    width = matrix.shape[1]
    specs, _rows, dtype = _matching_specs(path, _npy_names(path, width), warnings)
    if specs is None:
        specs = [Spec(f"x{j + 1}") for j in range(width)]
    if dtype is None:      # one copy, in the file's precision (float32 embeddings stay float32)
        dtype = np.float32 if matrix.dtype == np.float32 else np.float64
    return _assemble(specs, _numeric_block(matrix, dtype, specs))


def _npy_names(path: Path, width: int) -> list[str]:
    """The column names the description gives (a .npy file has none of its own)."""
    found = read_description(path, [])
    if found and len(found[0]) == width:
        return [s.name for s in found[0]]
    return [f"x{j + 1}" for j in range(width)]


def _numeric_block(matrix: np.ndarray, dtype, specs: list[Spec]) -> dict:
    """Features as one matrix, numeric non-feature columns as vectors (copied from ``matrix``)."""
    features = [j for j, s in enumerate(specs) if s.role == "feature"]
    out = {"X": np.empty((matrix.shape[0], len(features)), dtype=dtype)}
    step = max(1, BLOCK_CELLS // max(1, matrix.shape[1]))
    for start in range(0, matrix.shape[0], step):
        out["X"][start:start + step] = matrix[start:start + step][:, features]
    for j, s in enumerate(specs):
        if s.role != "feature":
            out[s.name] = np.asarray(matrix[:, j], dtype=np.float64)
    return out


def _read_csv(path: Path, warnings: list[str], progress, check) -> Table:
    size = max(1, path.stat().st_size)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise ReadError(f"{path.name} is empty.")
        specs, rows, dtype = _matching_specs(path, header, warnings)
        builder = _Builder(header, specs, dtype=dtype)
        block = max(16, BLOCK_CELLS // max(1, len(header)))
        chunk: list[list[str]] = []
        for row in reader:
            if not row:
                continue
            chunk.append(row)
            if len(chunk) >= block:
                builder.add(chunk)
                chunk = []
                progress(min(0.99, f.buffer.tell() / size))
                check()
        builder.add(chunk)
    table = builder.table()
    for j, count in sorted(builder.bad.items()):
        warnings.append(f"'{header[j]}': {count:,} value(s) that are not numbers were read "
                        "as missing.")
    if rows >= 0 and rows != len(table):
        warnings.append(f"The description says {rows:,} rows; the file has {len(table):,}.")
    return table


def _read_parquet(path: Path, warnings: list[str], progress, check) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ReadError("Reading .parquet needs pyarrow: pip install 'imgflow[parquet]'") from None
    file = pq.ParquetFile(path)
    names = list(file.schema_arrow.names)
    specs, _rows, dtype = _matching_specs(path, names, warnings)
    if specs is None:
        specs = [_parquet_spec(field) for field in file.schema_arrow]
    builder = _Builder(names, specs, dtype=dtype)     # None: float32 if the file's are
    total = max(1, file.metadata.num_rows)
    for batch in file.iter_batches(batch_size=max(16, BLOCK_CELLS // max(1, len(names)))):
        builder.add_columns([batch.column(j) for j in range(len(names))])
        progress(min(0.99, builder.n / total))
        check()
    return builder.table()


def _parquet_spec(field) -> Spec:
    import pyarrow as pa
    t = field.type
    if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_boolean(t):
        return Spec(field.name)
    if pa.types.is_dictionary(t):
        return Spec(field.name, "categorical", "meta", guess=True)
    return Spec(field.name, "text", "meta", guess=True)


class _Builder:
    """Columns filled block by block; numbers go into one matrix grown in place."""

    def __init__(self, names: list[str], specs: list[Spec] | None, dtype):
        self.names, self.specs, self.dtype = names, specs, dtype
        self.n = 0
        self.X: np.ndarray | None = None
        self.numeric_meta: dict[int, list[np.ndarray]] = {}
        self.texts: dict[int, list] = {}
        self.bad: dict[int, int] = {}          # per column: cells that were no number
        self.features: list[int] | None = None

    def _decide(self, chunk: list[list[str]]) -> None:
        """Guess kinds from the first block: a column of numbers (or empty) is a feature."""
        specs = []
        for j, name in enumerate(self.names):
            values = [r[j] if j < len(r) else "" for r in chunk]
            specs.append(Spec(name) if _all_numbers(values)
                         else Spec(name, "text", "meta", guess=True))
        self.specs = specs

    def _layout(self):
        if self.features is None:
            self.features = [j for j, s in enumerate(self.specs) if s.role == "feature"]

    def add(self, chunk: list[list[str]]) -> None:
        if self.specs is None:
            if not chunk:
                self.specs = [Spec(n, "text", "meta", guess=True) for n in self.names]
            else:
                self._decide(chunk)
        self._layout()
        if self.dtype is None:
            # wide tables of numbers are embeddings, which imgflow keeps in float32
            self.dtype = np.float32 if len(self.features) >= WIDE else np.float64
        if not chunk:
            return
        width = len(self.names)
        if any(len(r) != width for r in chunk):        # short rows: missing values at the end
            chunk = [(r + [""] * (width - len(r)))[:width] for r in chunk]
        numeric = [j for j, s in enumerate(self.specs) if s.kind == "numeric"]
        values = _to_numbers(chunk, numeric, self.bad) if numeric else None
        col = {j: k for k, j in enumerate(numeric)}
        self._append_features(values[:, [col[j] for j in self.features]] if self.features
                              else np.empty((len(chunk), 0)))
        for j, s in enumerate(self.specs):
            if s.role == "feature":
                continue
            if s.kind == "numeric":
                self.numeric_meta.setdefault(j, []).append(values[:, col[j]].astype(np.float64))
            else:
                self.texts.setdefault(j, []).extend(_text(r[j]) for r in chunk)
        self.n += len(chunk)

    def add_columns(self, arrays) -> None:
        """A Parquet batch: one pyarrow array per column."""
        self._layout()
        rows = len(arrays[0]) if arrays else 0
        if self.dtype is None:
            single = self.features and all(str(arrays[j].type) == "float" for j in self.features)
            self.dtype = np.float32 if single else np.float64
        block = np.empty((rows, len(self.features)), dtype=self.dtype)
        for k, j in enumerate(self.features):
            block[:, k] = _arrow_numbers(arrays[j])
        self._append_features(block)
        for j, s in enumerate(self.specs):
            if s.role == "feature":
                continue
            if s.kind == "numeric":
                self.numeric_meta.setdefault(j, []).append(_arrow_numbers(arrays[j]))
            else:
                array = arrays[j]
                if _is_dictionary(array):
                    array = array.dictionary_decode()
                self.texts.setdefault(j, []).extend(
                    None if v is None else str(v) for v in array.to_pylist())
        self.n += rows

    def _append_features(self, block: np.ndarray) -> None:
        if self.X is None:
            self.X = np.empty((max(len(block), 1024), block.shape[1]), dtype=self.dtype)
        needed = self.n + len(block)
        if needed > len(self.X):
            # in place where the allocator can (a big array is remapped, not copied)
            self.X.resize((max(needed, int(len(self.X) * 1.5)), self.X.shape[1]), refcheck=False)
        self.X[self.n:needed] = block

    def table(self) -> Table:
        self._layout()
        if self.X is None:
            X = np.empty((self.n, len(self.features)), dtype=self.dtype or np.float64)
        else:
            X, self.X = self.X, None
            if len(X) != self.n:
                X.resize((self.n, X.shape[1]), refcheck=False)    # gives back the spare rows
        columns = {}
        for j, s in enumerate(self.specs):
            if s.role == "feature":
                continue
            if s.kind == "numeric":
                parts = self.numeric_meta.get(j, [])
                columns[s.name] = np.concatenate(parts) if parts else np.empty(0)
            else:
                columns[s.name] = self.texts.get(j, [])
        return _assemble(self.specs, {"X": X, **columns})


def _arrow_numbers(array) -> np.ndarray:
    """A pyarrow array as float64, nulls as NaN."""
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)


def _is_dictionary(array) -> bool:
    import pyarrow as pa
    return pa.types.is_dictionary(array.type)


def _assemble(specs: list[Spec], data: dict) -> Table:
    columns = []
    for s in specs:
        if s.role == "feature":
            continue
        values = data[s.name]
        if s.kind == "numeric":
            columns.append(Column.numeric(s.name, values, role=s.role))
            continue
        kind = _guess_text_kind(values) if s.guess and s.kind == "text" else s.kind
        if kind == "categorical":
            columns.append(Column.categorical(s.name, values, role=s.role, categories=(
                s.categories if s.categories is not None else _natural_sorted(values))))
        else:
            columns.append(Column.text(s.name, values, role=s.role, kind=kind))
    names = tuple(s.name for s in specs if s.role == "feature")
    return Table(data["X"], names, tuple(columns))


def _guess_text_kind(values: list) -> str:
    present = [v for v in values if v is not None]
    if present and all(v.lower().endswith(IMAGE_SUFFIXES) for v in present):
        return "image"
    distinct = set(present)
    if present and len(distinct) <= MAX_CATEGORIES and len(distinct) <= len(present) / 2:
        return "categorical"
    return "text"


def _natural_sorted(values) -> list[str]:
    """C2 before C10: categories in the order people number them."""
    import re
    key = lambda v: [(0, int(t), "") if t.isdigit() else (1, 0, t)    # noqa: E731
                     for t in re.split(r"(\d+)", v)]
    return sorted({v for v in values if v is not None}, key=key)


def _text(v: str):
    if v == "":
        return None
    if v[:1] == "'" and v[1:2] in FORMULA_START:
        return v[1:]         # the export's protection against spreadsheet formulas
    return v


def _all_numbers(values: list[str]) -> bool:
    try:
        [float(v) for v in values if v != ""]
    except ValueError:
        return False
    return True


def _to_numbers(chunk: list[list[str]], numeric: list[int], bad: dict) -> np.ndarray:
    """The ``numeric`` columns of the rows as float64 (empty: NaN); a cell that is no
    number is NaN and counted in ``bad`` (per column).  Python's float() on each
    cell: several times faster than numpy's conversion of an array of str objects."""
    nan = float("nan")
    if len(numeric) == 1:
        cells = [r[numeric[0]] for r in chunk]
    else:
        take = operator.itemgetter(*numeric)
        cells = [v for r in chunk for v in take(r)]
    try:
        flat = [float(v) if v else nan for v in cells]
    except ValueError:
        flat = []
        for i, v in enumerate(cells):
            try:
                flat.append(float(v) if v else nan)
            except ValueError:
                flat.append(nan)
                column = numeric[i % len(numeric)]
                bad[column] = bad.get(column, 0) + 1
    return np.array(flat, dtype=np.float64).reshape(len(chunk), len(numeric))
