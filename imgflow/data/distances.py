"""Distances: a symmetric N x N matrix between the rows (or columns) of a table.

Stored in condensed form (the upper triangle, as scipy's ``pdist`` gives it):
at N = 20,000 the full float64 matrix would take 3.2 GB, the condensed 1.6 GB.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .table import Table


def squareform(x, checks=True):
    # scipy.spatial costs half a second to import: only pay for it when used.
    from scipy.spatial.distance import squareform as _squareform
    return _squareform(x, checks=checks)


@dataclass(frozen=True, eq=False)
class Distances:
    condensed: np.ndarray          # length n * (n - 1) / 2; float64 (float32 from float32 data)
    n: int
    table: Table | None = None     # the table whose rows (axis="rows") are measured
    axis: str = "rows"             # "rows" or "columns"
    labels: tuple[str, ...] = ()   # names of the measured columns when axis="columns"
    metric: str = ""

    def __post_init__(self):
        expected = self.n * (self.n - 1) // 2
        if self.condensed.shape != (expected,):
            raise ValueError(f"a condensed matrix for {self.n} items has {expected} values, "
                             f"not {self.condensed.shape}")
        if self.axis not in ("rows", "columns"):
            raise ValueError("axis is 'rows' or 'columns'")
        if self.axis == "rows" and self.table is not None and len(self.table) != self.n:
            raise ValueError("the table must have one row per item")

    def __len__(self) -> int:
        return self.n

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, **kwargs) -> "Distances":
        matrix = np.asarray(matrix, dtype=float)
        return cls(squareform(matrix, checks=False), matrix.shape[0], **kwargs)

    def matrix(self) -> np.ndarray:
        """The full square matrix (allocates n * n values: only for small n)."""
        return squareform(self.condensed)

    def nbytes(self) -> int:
        return self.condensed.nbytes
