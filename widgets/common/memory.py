"""How much memory the machine has, how to allocate a big array, and the
message that refuses a computation that would not fit.

A user of the anchor application crashed their machine by asking for the
distances between 100,000 rows (40 GB); widgets that allocate in proportion
to their input (Distances, Hierarchical Clustering) refuse before allocating.
"""
from __future__ import annotations

import mmap

import numpy as np
import psutil

OWN_MAPPING_BYTES = 64 * 1024 * 1024  # arrays this big get their own mapping (see empty_large)


def empty_large(size: int, dtype=np.float64) -> np.ndarray:
    """An uninitialised 1-d array; a big one in a private anonymous mapping.

    numpy advises the kernel to back its allocations of 4 MB and more with
    transparent huge pages.  Where THP defrag is "madvise" (a common default)
    a page fault in such a region may first compact memory, and on a machine
    whose memory is fragmented writing a fresh 1.6 GB matrix took 1.5-4.7 s
    instead of 0.8 s.  A mapping of our own gets no such advice.  It is
    unmapped when the array (its only user) is dropped.
    """
    dtype = np.dtype(dtype)
    nbytes = size * dtype.itemsize
    private = getattr(mmap, "MAP_PRIVATE", None)         # not on Windows
    if nbytes < OWN_MAPPING_BYTES or private is None:
        return np.empty(size, dtype)
    mapping = mmap.mmap(-1, nbytes, flags=private | mmap.MAP_ANONYMOUS)
    return np.frombuffer(mapping, dtype=dtype, count=size)


def available_bytes() -> int | None:
    """Memory the system can give without swapping, or None when unknown
    (a sandbox without /proc, say: then nothing is refused)."""
    try:
        return int(psutil.virtual_memory().available)
    except (OSError, RuntimeError):
        return None


def format_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def too_big_message(what: str, needed: int, available: int, advice: str) -> str:
    return (f"{what} needs {format_bytes(needed)} of memory, but only "
            f"{format_bytes(available)} is available. {advice}")


# -- a distance matrix: its size and precision --------------------------------------
WORK_BLOCK_BYTES = 128 * 1024 * 1024  # one block of products being turned into distances


def condensed_dtype(data_dtype) -> np.dtype:
    """The distances keep the data's precision: float32 data (embeddings) gives
    float32 distances (their products are float32 anyway), all else float64."""
    return np.dtype(np.float32 if np.dtype(data_dtype) == np.float32 else np.float64)


def condensed_bytes(n: int, itemsize: int = 8) -> int:
    """Bytes of the condensed matrix of n items (float64 unless told)."""
    return itemsize * (n * (n - 1) // 2)
