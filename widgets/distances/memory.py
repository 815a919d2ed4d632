"""How much memory a distance matrix needs, and in what precision.

What the machine has, and how a big matrix is allocated, is shared with
other widgets: see ``imgflow.widgets.common.memory``.
"""
from __future__ import annotations

import numpy as np

from imgflow.widgets.common.metrics import WORK_BLOCK_BYTES  # noqa: F401  (sized here too)


def condensed_dtype(data_dtype) -> np.dtype:
    """The distances keep the data's precision: float32 data (embeddings) gives
    float32 distances (their products are float32 anyway), all else float64."""
    return np.dtype(np.float32 if np.dtype(data_dtype) == np.float32 else np.float64)


def condensed_bytes(n: int, itemsize: int = 8) -> int:
    """Bytes of the condensed matrix of n items (float64 unless told)."""
    return itemsize * (n * (n - 1) // 2)
