"""On-disk cache of embeddings: SQLite, keyed by file content and model version.

A renamed or moved file hits (same bytes, same key); an edited file misses.
A second table remembers a file's stamp (path, size, mtime, ctime, inode,
device) -> content key, so a cached run of unchanged files need not read or
hash them again.  ctime cannot be set back by a user (``touch -r`` and
``os.utime`` restore only mtime), so a file rewritten in place always misses.

The cache proves what it serves: every row carries a checksum of its
contents, and a row that fails it, or a vector that is not finite, is a miss
(the image is embedded afresh) counted in ``damaged``.  Paths are stored as
their bytes (``os.fsencode``), so file names that are not valid UTF-8 work.

The cache never takes the application down: a corrupt or foreign file is set
aside (renamed) and a new one is made, with `warning` saying so; a busy or
unwritable database just means no caching for that call.
"""
from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from imgflow.embedders.cache_rows import (SCHEMA, SCHEMA_VERSION, FileStamp, checksum,
                                         sound_vector, upgrade_from_1, vector_checksum)

log = logging.getLogger(__name__)

ENV_CACHE_DIR = "IMGFLOW_CACHE_DIR"
FILE_NAME = "embeddings.sqlite"
APPLICATION_ID = 0x696D6766  # "imgf": tells our files from other SQLite files
_CHUNK = 500  # keys per query, well under SQLite's bound-variable limit
_BUSY_TIMEOUT_S = 30.0
# A file changed this recently may change again within the same tick of the
# file system's clock and keep its ctime (ext4: a jiffy; FAT: 2 s), so its
# stamp is not remembered: it is read and hashed again next time.
RACY_NS = 2_000_000_000


def content_key(data: bytes) -> str:
    """Hash of a file's bytes: the cache key of its embeddings."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def default_path() -> Path:
    folder = os.environ.get(ENV_CACHE_DIR)
    if not folder:
        import platformdirs
        folder = platformdirs.user_cache_dir("imgflow", appauthor=False)
    return Path(folder) / FILE_NAME


def _is_corruption(error: sqlite3.Error) -> bool:
    # OperationalError covers "database is locked" and I/O trouble, which are
    # passing states; other DatabaseErrors mean the file itself is bad.
    return isinstance(error, sqlite3.DatabaseError) and not isinstance(
        error, sqlite3.OperationalError)


class _Foreign(Exception):
    """The file is a valid SQLite database, but not ours."""


class EmbeddingCache:
    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_path()
        self.warning: str | None = None
        self.damaged = 0  # rows that failed their checksum or held non-finite numbers
        self._lock = threading.RLock()  # one connection, shared by threads
        self._conn = self._open_or_rebuild()

    # ------------------------------------------------------------ opening

    def _open_or_rebuild(self) -> sqlite3.Connection | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect()
        except (sqlite3.DatabaseError, _Foreign) as e:
            if isinstance(e, sqlite3.OperationalError):
                return self._unusable(e)
            return self._rebuild(f"{e}")
        except OSError as e:
            return self._unusable(e)

    def _unusable(self, error: Exception) -> None:
        self.warning = f"The embedding cache {self.path} cannot be used ({error}); working without it."
        log.warning(self.warning)
        return None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S,
                               isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # fails on a non-database
            conn.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, faster
            self._check_or_create(conn)
            return conn
        except BaseException:
            conn.close()
            raise

    def _check_or_create(self, conn: sqlite3.Connection) -> None:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id == 0 and not tables:
            self._create(conn)
            return
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID or version not in (1, SCHEMA_VERSION):
            raise _Foreign("not an imgflow embedding cache "
                           f"(application id {app_id}, schema {version})")
        if not {"embeddings", "files"} <= tables:
            raise _Foreign("the cache tables are missing")
        if version == 1:
            upgrade_from_1(conn)

    @staticmethod
    def _create(conn: sqlite3.Connection) -> None:
        # IMMEDIATE: two processes creating the file at once take turns
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _rebuild(self, reason: str) -> sqlite3.Connection | None:
        """Move the bad file (and its WAL files) aside and start afresh."""
        if self._conn_or_none() is not None:
            self._conn.close()
            self._conn = None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.broken-{stamp}-{os.getpid()}")
        try:
            for suffix in ("", "-wal", "-shm"):
                part = Path(f"{self.path}{suffix}")
                if part.exists():
                    os.replace(part, f"{aside}{suffix}")
            conn = self._connect()
        except (OSError, sqlite3.Error, _Foreign) as e:
            return self._unusable(e)
        self.warning = (f"The embedding cache was unreadable ({reason}); it was "
                        f"moved to {aside.name} and a new, empty cache was made.")
        log.warning(self.warning)
        return conn

    def _conn_or_none(self) -> sqlite3.Connection | None:
        return getattr(self, "_conn", None)

    # ------------------------------------------------------------ access

    def _run(self, work, default):
        """Run work(conn) under the lock; corruption rebuilds, busy skips."""
        with self._lock:
            if self._conn is None:
                return default
            try:
                return work(self._conn)
            except sqlite3.Error as e:
                self._rollback_quietly()
                if _is_corruption(e):
                    self._conn = self._rebuild(str(e))
                else:
                    log.warning("embedding cache not used this time: %s", e)
                return default

    def _rollback_quietly(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def get_many(self, keys: Sequence[str], model_version: str) -> dict[str, np.ndarray]:
        """{key: vector} of the sound stored vectors; damaged rows are misses."""
        keys = list(dict.fromkeys(keys))

        def work(conn):
            rows = _select_in(conn, "SELECT key, vector, checksum FROM embeddings "
                                    "WHERE version=? AND key IN ({marks})", (model_version,), keys)
            found = {}
            for key, blob, stored_sum in rows:
                vector = sound_vector(blob, stored_sum, key, model_version)
                if vector is None:
                    self._damage()
                else:
                    found[key] = vector
            return found
        return self._run(work, {})

    def put_many(self, items: Iterable[tuple[str, np.ndarray]], model_version: str) -> None:
        """Store vectors; a vector with NaN or infinity is never stored."""
        rows = []
        for key, vector in items:
            vector = np.asarray(vector, dtype=np.float32)
            if np.isfinite(vector).all():
                blob = vector.tobytes()
                rows.append((key, model_version, blob,
                             vector_checksum(key, model_version, blob)))
        if rows:
            self._write("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)

    def file_keys(self, stamps: Sequence[FileStamp]) -> dict[str, str]:
        """{path: content key} for files whose stamp is unchanged."""
        wanted = {stamp.row()[0]: stamp for stamp in stamps}

        def work(conn):
            rows = _select_in(conn, "SELECT path, size, mtime_ns, ctime_ns, inode, device, "
                                    "key, checksum FROM files WHERE path IN ({marks})",
                              (), list(wanted))
            known = {}
            for *stored, key, stored_sum in rows:
                if not isinstance(key, str) or stored_sum != checksum(*stored, key):
                    self._damage()
                    continue
                stamp = wanted.get(stored[0])
                if stamp is not None and tuple(stored) == stamp.row():
                    known[stamp.path] = key
            return known
        return self._run(work, {})

    def remember_files(self, entries: Iterable[tuple[FileStamp, str]]) -> None:
        """Store (stamp, content key) for later file_keys.

        Stamps of files changed within RACY_NS are left out (see RACY_NS).
        """
        recent = time.time_ns() - RACY_NS
        rows = [(*row, key, checksum(*row, key))
                for row, key in ((stamp.row(), key) for stamp, key in entries
                                 if stamp.ctime_ns < recent)]
        if rows:
            self._write("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def _damage(self) -> None:
        self.damaged += 1
        if self.damaged == 1:  # embed_images reports it to the user (cache_warnings)
            log.info("the embedding cache %s holds damaged entries; they are "
                     "not used", self.path)

    def _write(self, statement: str, rows: list) -> None:
        def work(conn):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(statement, rows)
            conn.execute("COMMIT")
        self._run(work, None)

    # ------------------------------------------------------------ upkeep

    def count(self) -> int:
        return self._run(
            lambda conn: conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0], 0)

    def size_bytes(self) -> int:
        """Bytes on disk, including the write-ahead log."""
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(f"{self.path}{suffix}")
            except OSError:
                pass
        return total

    def clear(self) -> None:
        def work(conn):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM embeddings")
            conn.execute("DELETE FROM files")
            conn.execute("COMMIT")
            # give the space back; fine to skip when another process is busy
            try:
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError:
                pass
        self._run(work, None)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> "EmbeddingCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _select_in(conn: sqlite3.Connection, sql: str, params: tuple, values: Sequence[str]):
    """Rows of ``sql`` whose ``IN ({marks})`` takes ``values``, in chunks SQLite accepts."""
    for start in range(0, len(values), _CHUNK):
        chunk = values[start:start + _CHUNK]
        yield from conn.execute(sql.format(marks=",".join("?" * len(chunk))), (*params, *chunk))
