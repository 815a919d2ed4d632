"""What the embedding cache's rows hold and how they are checked.

File stamps (what the stat fast path compares), the checksums every row
carries, the schema and the upgrade of a cache written before checksums.
"""
from __future__ import annotations

import os
import sqlite3
import struct
import zlib
from typing import NamedTuple

import numpy as np

SCHEMA_VERSION = 2  # 2: checksums; file stamps with ctime, inode, device; paths as bytes
EMBEDDINGS = """CREATE TABLE IF NOT EXISTS embeddings (
        key TEXT NOT NULL, version TEXT NOT NULL, vector BLOB NOT NULL, checksum INTEGER,
        PRIMARY KEY (key, version)) WITHOUT ROWID"""
FILES = """CREATE TABLE IF NOT EXISTS files (
        path BLOB PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
        ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, device INTEGER NOT NULL,
        key TEXT NOT NULL, checksum INTEGER NOT NULL) WITHOUT ROWID"""
SCHEMA = (EMBEDDINGS, FILES)


class FileStamp(NamedTuple):
    """What the fast path compares: a file is unchanged when all of it is."""
    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, path: str) -> "FileStamp":
        """The stamp of the file at ``path`` (made absolute); raises OSError."""
        st = os.stat(path)
        return cls(os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                   st.st_ino, st.st_dev)

    def row(self) -> tuple:
        """As stored: path as bytes, numbers as SQLite's signed 64 bits."""
        return (os.fsencode(self.path), *(_int64(v) for v in self[1:]))


def _int64(value: int) -> int:
    # inode and device numbers are unsigned 64-bit; SQLite stores signed ones
    return (value + 2**63) % 2**64 - 2**63


def checksum(*parts: bytes | str | int) -> int:
    """A row's checksum: CRC-32 over its fields, each with its length.

    It finds damage (a disk, a crash, a stray write), not forgery: whoever
    can write the cache file can write any checksum.  CRC-32 costs a third
    of blake2b here (4 vs 13 us for a 1280-number vector).
    """
    crc = 0
    for part in parts:
        if isinstance(part, int):
            part = struct.pack("<q", part)
        elif isinstance(part, str):
            part = part.encode("utf-8", "surrogatepass")
        elif not isinstance(part, bytes):  # a damaged row can hold any type
            part = repr(part).encode()
        crc = zlib.crc32(part, zlib.crc32(struct.pack("<I", len(part)), crc))
    return crc


def vector_checksum(key: str, version: str, blob: bytes) -> int:
    return checksum(key, version, blob)


def sound_vector(blob, stored_sum, key: str, version: str) -> np.ndarray | None:
    """The stored vector when it passes its checksum and is finite, else None."""
    if not isinstance(blob, bytes) or len(blob) % 4 \
            or stored_sum != vector_checksum(key, version, blob):
        return None
    vector = np.frombuffer(blob, dtype=np.float32)
    return vector.copy() if np.isfinite(vector).all() else None


def upgrade_from_1(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2, once, whichever process gets here first.

    Stored vectors are kept: each gets the checksum of what it holds now, and
    one that is not finite (already damaged) is dropped, so a large cache is
    not embedded again.  The old file stamps lack ctime and inode, so they
    are dropped: each file is read and hashed once more, then hits by content.
    """
    conn.create_function("imgflow_checksum", 3, _checksum_if_sound, deterministic=True)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] == 1:
            conn.execute("ALTER TABLE embeddings ADD COLUMN checksum INTEGER")
            conn.execute("UPDATE embeddings SET checksum = imgflow_checksum(key, version, vector)")
            conn.execute("DELETE FROM embeddings WHERE checksum IS NULL")
            conn.execute("DROP TABLE files")
            conn.execute(FILES)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _checksum_if_sound(key, version, blob) -> int | None:
    if not (isinstance(key, str) and isinstance(version, str) and isinstance(blob, bytes)):
        return None
    if len(blob) % 4 or not np.isfinite(np.frombuffer(blob, dtype=np.float32)).all():
        return None
    return vector_checksum(key, version, blob)
