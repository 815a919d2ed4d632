"""Writing a Table to a file: CSV, Parquet (with pyarrow) or NumPy's .npy, by extension.

Every export is atomic: it is written to a temporary file beside the target,
then renamed over it, so a failed export leaves an existing file as it was.

CSV text is what Python's ``csv.writer`` made of ``Table.rows()`` before,
with one change for speed: UTF-8, CRLF line ends, fields quoted only when
they hold a comma, a quote or a line break, missing numbers empty, whole
numbers below 1e15 without ``.0``; float64 numbers as ``repr`` (the shortest
text that reads back the same float64); float32 numbers -- embeddings -- with
9 significant digits (``%.9g``, C's FLT_DECIMAL_DIG: always enough to read
back the same float32), formatted in C a whole row at a time.  ``repr`` of
the float64 value of a float32 wrote 17 digits that carried nothing more
and cost 4-7x the time (1,000 x 1,280: 0.9 s against 0.15 s; the benchmark
is benchmarks/vs_orange.py).

One change from that text, for safety: a text cell that starts with ``=``,
``+``, ``-`` or ``@`` gets a leading apostrophe (OWASP's convention for CSV
injection), so a spreadsheet shows it as text instead of running it as a
formula (a file named ``=HYPERLINK(...).jpg`` is someone else's idea).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Callable

import numpy as np

from .text import printable

FORMULA_START = ("=", "+", "-", "@")
_BLOCK_CELLS = 1 << 18  # floats formatted at once: bounds the memory of a big export


class ExportError(Exception):
    """A one-line reason an export could not be written."""


def export_table(table, path: str | os.PathLike) -> None:
    """Write ``table`` to ``path``: .parquet, .npy, else CSV. Raises ExportError, OSError."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        writer = _parquet_writer(table)
    elif suffix == ".npy":
        writer = _npy_writer(table)
    else:
        writer = lambda f: write_csv(table, f)  # noqa: E731
    write_atomically(path, writer)


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Run write(binary file) on a temporary file beside ``path``, then rename it there."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    # os.open with 0o666 leaves the permissions to the umask, as open() would
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the name points at it
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------- CSV

def write_csv(table, f: IO[bytes]) -> None:
    header = [_text_field(printable(name)) for name in table.header()]
    f.write(_line(header).encode("utf-8"))
    columns = [_column_fields(c) for c in table.columns]
    n, width = table.X.shape
    step = max(1, _BLOCK_CELLS // max(1, width))
    for start in range(0, n, step):
        stop = min(n, start + step)
        numbers = _float_rows(table.X[start:stop]) if width else None
        lines = []
        for i in range(start, stop):
            fields = [column[i] for column in columns]
            if numbers is not None:
                fields.append(numbers[i - start])
            lines.append(_line(fields))
        f.write("".join(lines).encode("utf-8"))


def _line(fields: list[str]) -> str:
    # csv.writer quotes a row's only field when it is empty, so the row is not a blank line
    if len(fields) == 1 and fields[0] == "":
        return '""\r\n'
    return ",".join(fields) + "\r\n"


def _column_fields(column) -> list[str]:
    if column.kind == "numeric":
        return _float_rows(column.data.reshape(-1, 1))
    return ["" if v is None else _text_field(printable(v)) for v in column.data]


def _text_field(text: str) -> str:
    if text.startswith(FORMULA_START):
        text = "'" + text
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


class _Raw(str):
    """A cell's text that repr() leaves as it is, to sit in a list of floats."""

    def __repr__(self) -> str:
        return str.__str__(self)


_EMPTY = _Raw("")


def _float_rows(block: np.ndarray) -> list[str]:
    """Each row of a 2-d float block as comma-separated text (see the module's doc)."""
    if block.dtype == np.float32:
        return _float32_rows(block)
    return _float64_rows(block)


def _float32_rows(block: np.ndarray) -> list[str]:
    """%.9g of every number, a row per C-level format; NaN empty, -0 as 0."""
    values = block + np.float32(0.0)          # -0.0 + 0.0 is 0.0, written "0"
    row_format = ",".join(["%.9g"] * values.shape[1])
    rows = [row_format % tuple(row) for row in values.tolist()]
    for i in np.flatnonzero(np.isnan(values).any(axis=1)):
        rows[i] = ",".join("" if cell == "nan" else cell for cell in rows[i].split(","))
    return rows


def _float64_rows(block: np.ndarray) -> list[str]:
    """Each row of a 2-d float block as comma-separated text, as _format_float
    writes each number: "" for NaN, whole numbers below 1e15 as integers,
    the rest as Python's repr of the float64 value."""
    values = np.asarray(block, dtype=np.float64) + 0.0  # -0.0 + 0.0 is 0.0, written "0"
    missing = np.isnan(values)
    whole = ~missing & (values == np.trunc(values)) & (np.abs(values) < 1e15) & (values != 0)
    if missing.any() or whole.any():
        # the rare cells repr() must not write: text that repr() leaves as it is
        cells = values.astype(object)
        cells[missing] = _EMPTY
        memo: dict[int, _Raw] = {}
        cells[whole] = [memo.get(v) or memo.setdefault(v, _Raw(v))
                        for v in values[whole].astype(np.int64).tolist()]
        rows = cells.tolist()
    else:
        rows = values.tolist()
    if not rows:
        return []
    # repr() formats the floats in C: "[[a, b], [c, d]]"
    text = repr(rows)
    # zeros (common: ReLU features) are written "0", as whole numbers are;
    # "0.0" is only ever a whole field, and twice catches runs of them
    for _ in range(2):
        text = text.replace(", 0.0,", ", 0,")
    text = text.replace("[0.0,", "[0,").replace(", 0.0]", ", 0]").replace("[0.0]", "[0]")
    return text[2:-2].replace(", ", ",").split("],[")


# ---------------------------------------------------------------- Parquet and .npy

def _parquet_writer(table) -> Callable[[IO[bytes]], None]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError("writing .parquet needs pyarrow: pip install 'imgflow[parquet]' "
                          "(or export to .csv or .npy)") from None
    arrays, names = [], []
    for column in table.columns:
        names.append(printable(column.name))
        if column.kind == "numeric":
            arrays.append(pa.array(column.data, type=pa.float64()))
        else:
            texts = pa.array([None if v is None else printable(v) for v in column.data],
                             type=pa.string())
            arrays.append(texts.dictionary_encode() if column.kind == "categorical" else texts)
    for j, name in enumerate(table.feature_names):
        names.append(printable(name))
        arrays.append(pa.array(table.X[:, j]))
    data = pa.Table.from_arrays(arrays, names=names) if arrays else pa.table({})
    return lambda f: pq.write_table(data, f)


def numeric_matrix(table) -> np.ndarray:
    """The numeric columns (non-feature ones first, as in CSV) as one float matrix."""
    numeric = [c.data for c in table.columns if c.kind == "numeric"]
    if not numeric:
        return table.X
    dtype = np.result_type(table.X.dtype, np.float64)
    return np.hstack([np.column_stack(numeric).astype(dtype), table.X.astype(dtype)])


def _npy_writer(table) -> Callable[[IO[bytes]], None]:
    matrix = numeric_matrix(table)
    if matrix.shape[1] == 0 and table.columns:
        raise ExportError("the table has no numeric columns to write as .npy "
                          "(export to .csv or .parquet)")
    return lambda f: np.save(f, matrix, allow_pickle=False)
