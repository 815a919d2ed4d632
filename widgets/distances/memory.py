"""How much memory a distance matrix needs, and how much the machine has.

A user of the anchor application crashed their machine by asking for the
distances between 100,000 rows (40 GB); we refuse before allocating instead.
psutil is not a dependency: /proc/meminfo (Linux) or sysconf is enough.
"""
from __future__ import annotations

import os

WORK_BLOCK_BYTES = 128 * 1024 * 1024  # one block of products being turned into distances


def condensed_bytes(n: int) -> int:
    """Bytes of the condensed float64 matrix of n items."""
    return 8 * (n * (n - 1) // 2)


def available_bytes() -> int | None:
    """Memory the system can give without swapping, or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
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
