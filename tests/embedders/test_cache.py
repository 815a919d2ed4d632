"""EmbeddingCache: keys, versions, bad files, two processes at once."""
from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time

import numpy as np
import pytest

from imgflow.embedders.cache import EmbeddingCache, FileStamp, content_key, default_path


def vec(seed: int, width: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=width).astype(np.float32)


def test_content_key():
    assert content_key(b"abc") == content_key(b"abc")
    assert content_key(b"abc") != content_key(b"abd")
    assert len(content_key(b"")) >= 32


def test_put_get_by_key_and_version(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    cache.put_many([("k1", vec(1)), ("k2", vec(2))], "model/1")
    found = cache.get_many(["k1", "k2", "k3"], "model/1")
    assert set(found) == {"k1", "k2"}
    np.testing.assert_array_equal(found["k1"], vec(1))
    assert found["k2"].dtype == np.float32
    assert cache.get_many(["k1"], "model/2") == {}  # other version: a miss
    assert cache.count() == 2 and cache.warning is None


def test_many_keys_and_persistence(tmp_path):
    path = tmp_path / "c.sqlite"
    with EmbeddingCache(path) as cache:
        cache.put_many(((f"k{i}", vec(i, 3)) for i in range(1500)), "v")
    reopened = EmbeddingCache(path)
    found = reopened.get_many([f"k{i}" for i in range(1500)], "v")
    assert len(found) == 1500
    np.testing.assert_array_equal(found["k1234"], vec(1234, 3))


def stamp(path, size=10, mtime=111, ctime=111, inode=7, device=3):
    return FileStamp(path, size, mtime, ctime, inode, device)


def test_file_keys_follow_size_mtime_ctime_inode_and_device(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    names = ["/a.jpg", "/size.jpg", "/mtime.jpg", "/ctime.jpg", "/inode.jpg", "/device.jpg"]
    cache.remember_files([(stamp(name), f"key{name}") for name in names])
    known = cache.file_keys([stamp("/a.jpg"), stamp("/size.jpg", size=11),
                             stamp("/mtime.jpg", mtime=112), stamp("/ctime.jpg", ctime=112),
                             stamp("/inode.jpg", inode=8), stamp("/device.jpg", device=4),
                             stamp("/unknown.jpg")])
    assert known == {"/a.jpg": "key/a.jpg"}  # any other difference is a changed file


def test_file_stamps_take_any_inode_and_any_file_name(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    odd = os.fsdecode(b"/photos/latin1-\xe9.jpg")  # not UTF-8: a lone surrogate
    big = stamp(odd, inode=2**64 - 5, device=2**63 + 1)  # unsigned 64-bit numbers
    cache.remember_files([(big, "k-odd"), (stamp("/photos/latin1-\xe9.jpg"), "k-e")])
    assert cache.file_keys([big, stamp("/photos/latin1-\xe9.jpg")]) == {
        odd: "k-odd", "/photos/latin1-\xe9.jpg": "k-e"}
    assert cache.file_keys([big._replace(inode=2**64 - 4)]) == {}
    assert cache.warning is None


def test_files_changed_just_now_are_not_remembered(tmp_path):
    """Their ctime could stay the same through a rewrite within the same clock tick."""
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    now = time.time_ns()
    cache.remember_files([(stamp("/old.jpg", ctime=now - 3 * 10**9), "k1"),
                          (stamp("/new.jpg", ctime=now - 10**8), "k2")])
    assert cache.file_keys([stamp("/old.jpg", ctime=now - 3 * 10**9),
                            stamp("/new.jpg", ctime=now - 10**8)]) == {"/old.jpg": "k1"}


def test_size_and_clear(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    empty = cache.size_bytes()
    cache.put_many(((f"k{i}", vec(i, 1000)) for i in range(200)), "v")
    assert cache.size_bytes() > empty + 200 * 4000
    cache.clear()
    assert cache.count() == 0 and cache.get_many(["k1"], "v") == {}
    assert cache.size_bytes() < 200 * 4000


def test_default_location_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGFLOW_CACHE_DIR", str(tmp_path / "here"))
    assert default_path() == tmp_path / "here" / "embeddings.sqlite"
    cache = EmbeddingCache()
    assert cache.path == tmp_path / "here" / "embeddings.sqlite" and cache.path.exists()


def test_corrupt_file_is_set_aside(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"garbage, not SQLite" * 100)
    cache = EmbeddingCache(path)
    assert cache.warning and "moved" in cache.warning
    aside = [p for p in tmp_path.iterdir() if ".broken-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"garbage")
    cache.put_many([("k", vec(0))], "v")
    assert set(cache.get_many(["k"], "v")) == {"k"}


def test_foreign_database_is_set_aside(tmp_path):
    path = tmp_path / "c.sqlite"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE songs (title TEXT)")
    other.execute("INSERT INTO songs VALUES ('x')")
    other.commit()
    other.close()
    cache = EmbeddingCache(path)
    assert cache.warning and "not an imgflow embedding cache" in cache.warning
    assert cache.count() == 0
    kept = sqlite3.connect(next(p for p in tmp_path.iterdir() if ".broken-" in p.name))
    assert kept.execute("SELECT title FROM songs").fetchall() == [("x",)]


def test_corruption_found_later_is_recovered(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = EmbeddingCache(path)
    cache.put_many(((f"k{i}", vec(i, 500)) for i in range(300)), "v")
    cache.close()
    with open(path, "r+b") as f:  # keep the header page, smash the data pages
        f.seek(4096)
        f.write(b"\xff" * 200_000)
    cache = EmbeddingCache(path)
    assert cache.get_many([f"k{i}" for i in range(300)], "v") == {}  # no exception
    assert cache.warning and "moved" in cache.warning
    cache.put_many([("new", vec(1))], "v")
    assert set(cache.get_many(["new"], "v")) == {"new"}


def test_unwritable_location_means_no_cache_not_a_crash(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = EmbeddingCache(blocker / "sub" / "c.sqlite")  # parent is a file
    assert cache.warning
    cache.put_many([("k", vec(0))], "v")
    assert cache.get_many(["k"], "v") == {} and cache.count() == 0


def _writer(path: str, worker: int, n: int) -> None:
    cache = EmbeddingCache(path)
    for start in range(0, n, 10):
        cache.put_many(((f"w{worker}-{i}", vec(i, 64)) for i in range(start, start + 10)), "v")
        cache.remember_files([(FileStamp(f"/w{worker}/{start}.jpg", 1, 1, 1, 1, 1),
                               f"w{worker}-{start}")])
        cache.get_many([f"w{1 - worker}-{start}"], "v")
    cache.close()


@pytest.mark.timeout(60)
def test_two_processes_at_once(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_writer, args=(path, w, 300)) for w in (0, 1)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(50)
        assert p.exitcode == 0
    cache = EmbeddingCache(path)
    assert cache.warning is None
    assert cache.count() == 600
    found = cache.get_many([f"w{w}-{i}" for w in (0, 1) for i in range(300)], "v")
    np.testing.assert_array_equal(found["w1-299"], vec(299, 64))
    check = sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"
