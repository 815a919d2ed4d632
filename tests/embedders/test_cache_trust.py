"""The cache proves what it serves (issue 16): stale stamps, damaged pages, old files."""
from __future__ import annotations

import os
import sqlite3
import time

import numpy as np
import pytest
from PIL import Image

from imgflow.embedders import cache as cache_module
from imgflow.embedders import pipeline
from imgflow.embedders.cache import APPLICATION_ID, EmbeddingCache
from imgflow.embedders.images import read_bytes
from imgflow.embedders.pipeline import embed_images
from tests.embedders.fakes import MeanColourModel

RED, BLUE = (250, 10, 10), (10, 10, 250)


def ppm(path, colour) -> str:
    """Uncompressed: every image of one size has the same number of bytes."""
    Image.new("RGB", (30, 20), colour).save(path, format="PPM")
    return str(path)


@pytest.mark.parametrize("remembered", [True, False], ids=["stamp-remembered", "just-written"])
def test_an_image_rewritten_in_place_with_its_old_mtime_gets_a_fresh_vector(
        tmp_path, monkeypatch, remembered):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    path = ppm(tmp_path / "a.ppm", RED)
    if remembered:  # the file counts as old: its stamp is kept and trusted
        monkeypatch.setattr(cache_module, "RACY_NS", 0)
        time.sleep(0.05)  # past the file system clock's tick
    embed_images([path], MeanColourModel(), cache=cache)
    reads = []
    monkeypatch.setattr(pipeline, "read_bytes", lambda s: reads.append(s) or read_bytes(s))
    embed_images([path], MeanColourModel(), cache=cache)
    assert len(reads) == (0 if remembered else 1)  # the stat fast path was (not) used
    before = os.stat(path)

    ppm(path, BLUE)  # same size; then `touch -r` puts the old mtime back
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    result = embed_images([path], MeanColourModel(), cache=cache)
    np.testing.assert_allclose(result.vectors[0], BLUE, atol=0.5)
    assert result.n_computed == 1 and result.warnings == []


def test_a_file_replaced_by_another_file_misses(tmp_path, monkeypatch):
    """Same size and mtime, other inode (an rsync or a restore from a backup)."""
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    path = ppm(tmp_path / "a.ppm", RED)
    other = ppm(tmp_path / "b.ppm", BLUE)
    embed_images([path], MeanColourModel(), cache=cache)
    stat = os.stat(path)
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(other, path)
    result = embed_images([path], MeanColourModel(), cache=cache)
    np.testing.assert_allclose(result.vectors[0], BLUE, atol=0.5)


def overwrite(path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert data.count(old) == 1
    path.write_bytes(data.replace(old, new))


@pytest.mark.parametrize("bad", [np.float32(3e38), np.float32(np.nan), np.float32(7.0)],
                         ids=["huge", "nan", "plausible"])
def test_damaged_vectors_are_recomputed_and_reported(tmp_path, bad):
    path = tmp_path / "c.sqlite"
    images = [ppm(tmp_path / f"{i}.ppm", colour) for i, colour in enumerate([RED, BLUE])]
    with EmbeddingCache(path) as cache:
        first = embed_images(images, MeanColourModel(), cache=cache)
    good = np.asarray(RED, dtype=np.float32).tobytes()
    damaged = np.array([bad, 10, 10], dtype=np.float32).tobytes()
    overwrite(path, good, damaged)  # bytes of a stored vector changed on disk

    cache = EmbeddingCache(path)
    assert cache.warning is None  # SQLite itself does not notice
    model = MeanColourModel()
    second = embed_images(images, model, cache=cache)
    np.testing.assert_array_equal(second.vectors, first.vectors)
    assert model.calls == [1] and second.n_cached == 1
    assert len(second.warnings) == 1
    assert second.warnings[0].startswith("The embedding cache was damaged")
    assert "1 of its entries failed their check" in second.warnings[0]

    third = embed_images(images, MeanColourModel(), cache=cache)  # repaired
    assert third.n_cached == 2 and third.warnings == []


def vec(seed: int, width: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=width).astype(np.float32)


@pytest.mark.parametrize("seed", range(12))
def test_random_bytes_over_pages_never_serve_a_wrong_vector(tmp_path, seed):
    path = tmp_path / "c.sqlite"
    # short vectors lie in the table's pages, long ones in overflow pages
    stored = {f"k{i}": vec(i, 40 if i % 2 else 1280) for i in range(120)}
    with EmbeddingCache(path) as cache:
        cache.put_many(stored.items(), "v")
    rng = np.random.default_rng(seed)
    page_size = 4096
    pages = path.stat().st_size // page_size
    with open(path, "r+b") as f:
        for page in rng.choice(np.arange(1, pages), size=3, replace=False):
            start = int(rng.integers(0, page_size - 512))
            f.seek(int(page) * page_size + start)
            f.write(rng.bytes(512))

    cache = EmbeddingCache(path)
    found = cache.get_many(list(stored), "v")
    for key, vector in found.items():
        np.testing.assert_array_equal(vector, stored[key])  # never a wrong one
    if len(found) < len(stored):
        assert cache.damaged or cache.warning  # and never silently


def test_non_finite_vectors_are_never_stored(tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    cache.put_many([("nan", np.array([1, np.nan], np.float32)),
                    ("inf", np.array([np.inf, 1], np.float32)),
                    ("ok", np.array([1, 2], np.float32))], "v")
    assert set(cache.get_many(["nan", "inf", "ok"], "v")) == {"ok"}
    assert cache.damaged == 0


def make_schema_1_cache(path) -> None:
    """A cache as imgflow wrote it before checksums (schema 1)."""
    conn = sqlite3.connect(path)
    conn.execute("""CREATE TABLE embeddings (
        key TEXT NOT NULL, version TEXT NOT NULL, vector BLOB NOT NULL,
        PRIMARY KEY (key, version)) WITHOUT ROWID""")
    conn.execute("""CREATE TABLE files (
        path TEXT PRIMARY KEY, size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL, key TEXT NOT NULL) WITHOUT ROWID""")
    conn.executemany("INSERT INTO embeddings VALUES (?, ?, ?)", [
        ("good", "v", vec(1, 8).tobytes()),
        ("nan", "v", np.array([np.nan, 1], np.float32).tobytes()),
        ("odd", "v", b"\x00" * 7)])
    conn.execute("INSERT INTO files VALUES ('/a.jpg', 1, 1, 'good')")
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()


def test_a_cache_from_before_checksums_keeps_its_sound_vectors(tmp_path):
    path = tmp_path / "c.sqlite"
    make_schema_1_cache(path)
    cache = EmbeddingCache(path)
    assert cache.warning is None
    found = cache.get_many(["good", "nan", "odd"], "v")
    assert list(found) == ["good"] and cache.damaged == 0  # broken rows were dropped
    np.testing.assert_array_equal(found["good"], vec(1, 8))
    cache.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == cache_module.SCHEMA_VERSION
    assert conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0  # stamps re-made
    assert conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 1
    assert EmbeddingCache(path).get_many(["good"], "v")  # and reopens as it is


def test_a_damaged_file_stamp_is_a_miss_never_another_files_key(tmp_path):
    path = tmp_path / "c.sqlite"
    stamp = cache_module.FileStamp("/a.jpg", 10, 1, 1, 7, 3)
    with EmbeddingCache(path) as cache:
        cache.remember_files([(stamp, "key-a"), (stamp._replace(path="/b.jpg"), "key-b")])
    conn = sqlite3.connect(path)
    conn.execute("UPDATE files SET key='key-b' WHERE key='key-a'")  # a stray write
    conn.commit()
    conn.close()
    cache = EmbeddingCache(path)
    assert cache.file_keys([stamp, stamp._replace(path="/b.jpg")]) == {"/b.jpg": "key-b"}
    assert cache.damaged == 1


def _open_and_use(path: str, worker: int) -> None:
    cache = EmbeddingCache(path)
    assert cache.warning is None, cache.warning
    assert set(cache.get_many(["good"], "v")) == {"good"}
    cache.put_many([(f"w{worker}", vec(worker, 8))], "v")
    cache.close()


@pytest.mark.timeout(60)
def test_two_processes_upgrading_one_old_cache_at_once(tmp_path):
    import multiprocessing
    path = tmp_path / "c.sqlite"
    make_schema_1_cache(path)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_open_and_use, args=(str(path), w)) for w in (0, 1)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(50)
        assert p.exitcode == 0
    cache = EmbeddingCache(path)
    assert set(cache.get_many(["good", "w0", "w1"], "v")) == {"good", "w0", "w1"}
    assert cache.warning is None and not [p for p in tmp_path.iterdir() if ".broken-" in p.name]
