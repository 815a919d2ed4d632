"""embed_images: files in, vectors out, in batches.

Images are read, hashed and decoded in threads that overlap the model
(Pillow and torch both release the GIL): on a CPU each of several lanes
loads a batch and embeds it; with a GPU or a server, loading threads feed
the one model call in flight. Every image is looked up in the cache
first (by file stamp, else by content), and the model is asked for anything
only when some image misses: a LazyModel then builds its network, so a fully
cached run never imports torch. Only misses are decoded and embedded.

A model that reads the images itself (one with ``embed_sources``: a Dask
cluster, see dask_cluster) is given the paths of the misses instead, and its
results are booked and cached as each of its tasks finishes.
"""
from __future__ import annotations

import os
from collections import deque
from contextlib import nullcontext
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from imgflow.embedders.cache import EmbeddingCache, FileStamp, content_key
from imgflow.embedders import storage
from imgflow.embedders.errors import EmbedderError, EmbeddingCancelled
from imgflow.embedders.images import ImageSkipped, is_url, open_rgb, read_bytes

_POLL_S = 0.05  # how often a wait for a worker looks at is_cancelled
_DEFAULT_BATCH = 16
_READ_CHUNK = 32  # files read, hashed and looked up together before the model starts
_KEEP_BYTES = 256 << 20  # bytes of uncached files kept from that pass for decoding
_STAT_THREADS = 16  # objects in storage whose stamps are asked for at once


@dataclass
class EmbeddingResult:
    vectors: np.ndarray  # float32 (n, width), input order; skipped rows NaN
    skipped: dict[int, str] = field(default_factory=dict)  # index -> reason
    n_cached: int = 0
    n_computed: int = 0
    warnings: list[str] = field(default_factory=list)  # e.g. the cache was damaged
    # content key of each image read (its cache key); None where none was read
    keys: list[str | None] = field(default_factory=list)


@dataclass
class _Loaded:
    """What a worker made of one source."""
    index: int
    key: str | None = None
    pixels: np.ndarray | None = None  # prepared uint8, when not cached
    vector: np.ndarray | None = None  # when the cache had it
    reason: str | None = None  # when skipped
    cancelled: bool = False  # the worker saw is_cancelled() and did nothing
    stat: FileStamp | None = None
    data: bytes | None = None  # the file's bytes, kept from take_cached_by_content


def decode_workers() -> int:
    """Loading threads beside a model that runs one batch at a time.

    A GPU or a server leaves the CPU to decoding; beyond 4 threads the
    model, not decoding, is what limits.
    """
    return max(1, min(4, os.cpu_count() or 1))


def _file_stat(source: str) -> FileStamp | None:
    if is_url(source):
        return None
    if storage.is_storage_url(source):
        return _object_stat(source)
    try:
        return FileStamp.of(source)
    except (OSError, ValueError):
        return None  # the loader gives the reason


def _object_stat(url: str) -> FileStamp | None:
    """An object's stamp from its listing (size, time, ETag or checksum), so a cached run
    need not download it; None (hash the bytes) when there is no fingerprint or no access."""
    try:
        found = storage.stamp(url)
    except storage.StorageError:
        return None  # the loader gives the reason
    if found is None:
        return None
    size, mtime_ns, fingerprint = found
    # The fingerprint stands where a file has its inode: any rewrite changes it, so there
    # is no clock tick to wait out (ctime 0: the stamp is remembered at once).
    return FileStamp(url, size, mtime_ns, 0, fingerprint, 0)


def _file_stats(sources: Sequence[str], indices: list[int]) -> dict[int, FileStamp | None]:
    """The stamps of these sources; objects in storage are asked a few at a time, as
    each answer waits on the network."""
    remote = [i for i in indices if storage.is_storage_url(sources[i])]
    stats = {i: _file_stat(sources[i]) for i in set(indices) - set(remote)}
    if remote:
        with ThreadPoolExecutor(max_workers=_STAT_THREADS, thread_name_prefix="embed-stat") as pool:
            stats.update(zip(remote, pool.map(_file_stat, [sources[i] for i in remote])))
    return {i: stats[i] for i in indices}


class _Run:
    """State of one embed_images call."""

    def __init__(self, sources, model, cache, progress, is_cancelled, batch_size):
        self.sources = list(sources)
        self.model = model
        self.info = model.info
        self.cache = cache
        self.progress = progress
        self.is_cancelled = is_cancelled or (lambda: False)
        self.wanted_batch = batch_size
        n = len(self.sources)
        self.result = EmbeddingResult(
            vectors=np.full((n, self.info.width), np.nan, dtype=np.float32), keys=[None] * n)
        # the model reads the images itself (a cluster): the misses go to it unread
        self.reads_itself = callable(getattr(model, "embed_sources", None))
        self.done = 0
        self.new_files: list[tuple[FileStamp, str]] = []
        self.read_first: dict[int, _Loaded] = {}  # misses read by take_cached_by_content
        self.stats: dict[int, FileStamp | None] = {}  # taken by take_cached_by_stat
        self.kept_bytes = 0

    def start_model(self) -> None:
        """Ask the model how to run it: a LazyModel builds its network here,
        once some image is known to miss the cache."""
        self.batch_size = max(1, int(self.wanted_batch or getattr(self.model, "batch_size", None)
                                     or _DEFAULT_BATCH))
        self.lanes = max(1, int(getattr(self.model, "lanes", 1) or 1))

    # -------------------------------------------------------- cache first

    def take_cached_by_stat(self) -> list[int]:
        """Fill rows of unchanged, already embedded files; return the rest."""
        indices = list(range(len(self.sources)))
        if self.cache is None or not indices:
            return indices
        stats = self.stats = _file_stats(self.sources, indices)
        known = self.cache.file_keys([s for s in stats.values() if s is not None])
        keys = {i: known.get(s.path) for i, s in stats.items() if s is not None}
        found = self.cache.get_many([k for k in keys.values() if k], self.info.version)
        rest = []
        for i in indices:
            vector = found.get(keys.get(i))
            if vector is not None and vector.shape == (self.info.width,):
                self.result.vectors[i] = vector
                self.result.keys[i] = keys[i]
                self.result.n_cached += 1
            else:
                rest.append(i)
        self.done = self.result.n_cached
        return rest

    def take_cached_by_content(self, todo: list[int]) -> list[int]:
        """Read and hash the files the stamps did not vouch for (new, moved or
        changed ones) and fill the rows the cache has; return those it lacks.

        Every image is thus looked up before the model is asked for anything.
        The bytes of misses are kept (up to _KEEP_BYTES) for decoding, so a
        cold run reads and hashes each file once.
        """
        if not todo:
            return todo
        chunks = [todo[i:i + _READ_CHUNK] for i in range(0, len(todo), _READ_CHUNK)]
        workers = decode_workers()
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embed-read")
        pending: deque[Future] = deque()
        upcoming = iter(chunks)
        rest = []
        try:
            while True:
                for chunk in upcoming:
                    pending.append(pool.submit(self.read_chunk, chunk))
                    if len(pending) >= 2 * workers:
                        break
                if not pending:
                    break
                for item in self.wait(pending.popleft()):
                    if item.reason is None and item.vector is None:
                        if not rest:  # a miss: a lazy model starts building meanwhile
                            getattr(self.model, "start_loading", lambda: None)()
                        rest.append(item.index)
                        self.keep_for_decoding(item)
                    else:
                        self.accept(item)
                self.report()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return rest

    def read_chunk(self, chunk: list[int]) -> list[_Loaded]:
        """Runs in a worker thread: stamp, bytes, key and cached vector of each file."""
        items = []
        for index in chunk:
            item = _Loaded(index)
            if self.is_cancelled():
                item.cancelled = True
                return [item]
            try:
                item.stat = _file_stat(self.sources[index])
                item.data = read_bytes(self.sources[index])
                item.key = content_key(item.data)
            except ImageSkipped as e:
                item.reason = str(e)
            except Exception as e:  # an odd file must not take the run down
                item.reason = f"cannot read image ({type(e).__name__}: {e})"
            items.append(item)
        if self.cache is not None:
            found = self.cache.get_many([i.key for i in items if i.key], self.info.version)
            for item in items:
                vector = found.get(item.key)
                if vector is not None and vector.shape == (self.info.width,):
                    item.vector, item.data = vector, None
        return items

    def keep_for_decoding(self, item: _Loaded) -> None:
        if item.data is not None and self.kept_bytes + len(item.data) > _KEEP_BYTES:
            item.data = None  # load() reads the file again
        self.kept_bytes += len(item.data or b"")
        self.read_first[item.index] = item

    # -------------------------------------------------------- loading

    def load(self, index: int) -> _Loaded:
        """Runs in a worker thread; never raises."""
        item = _Loaded(index)
        if self.is_cancelled():
            item.cancelled = True
            return item
        source = self.sources[index]
        try:
            first = self.read_first.pop(index, None)
            if first is not None and first.data is not None:
                item.stat, item.key, data = first.stat, first.key, first.data
            else:  # read again: the key must be that of the bytes decoded
                item.stat = _file_stat(source)
                data = read_bytes(source)
                item.key = content_key(data)
            image = open_rgb(data, target=self.info.decode_target)
            item.pixels = self.info.prepare(image)
        except ImageSkipped as e:
            item.reason = str(e)
        except Exception as e:  # a bug or odd file must not take the batch down
            item.reason = f"cannot read image ({type(e).__name__}: {e})"
        return item

    def wait(self, future: Future) -> _Loaded:
        while True:
            self.check_cancelled()
            try:
                return future.result(timeout=_POLL_S)
            except FutureTimeout:
                continue

    def check_cancelled(self) -> None:
        if self.is_cancelled():
            raise EmbeddingCancelled()

    # -------------------------------------------------------- main loop

    def run(self) -> EmbeddingResult:
        self.report()
        todo = self.take_cached_by_stat()
        self.report()
        if todo and self.reads_itself:
            # The cluster reads the misses where they are. Reading them here as well,
            # only to hash them, would pull every new image over the network twice
            # (a million images: the 100 GB the cluster is there to spare); a file
            # cached under another path is embedded again instead.
            self._run_elsewhere(todo)
            self.report()
            return self.result
        todo = self.take_cached_by_content(todo)
        if todo:
            self.start_model()
            if self.lanes > 1:
                self._run_lanes(todo)
            else:
                self._run_pipelined(todo)
        self.report()
        return self.result

    def _run_elsewhere(self, todo: list[int]) -> None:
        """The model reads and embeds the misses itself (a cluster's workers):
        each of its finished tasks is booked and cached as it arrives."""
        tasks = self.model.embed_sources([self.sources[i] for i in todo], self.is_cancelled)
        try:
            for positions, part in tasks:
                self.book_elsewhere([todo[p] for p in positions], part)
        finally:
            tasks.close()  # a generator: cancels the tasks not yet done

    def book_elsewhere(self, rows: list[int], part: EmbeddingResult) -> None:
        """Book what the model made of these rows: vectors, keys, skip reasons."""
        vectors = np.asarray(part.vectors, dtype=np.float32)
        if vectors.shape != (len(rows), self.info.width) or len(part.keys) != len(rows):
            raise EmbedderError(f"{self.info.name} returned vectors of shape {vectors.shape}, "
                                f"expected {(len(rows), self.info.width)}.")
        batch, kept = [], []
        for j, row in enumerate(rows):
            if j in part.skipped or part.keys[j] is None:
                self.result.skipped[row] = part.skipped.get(j, "not read")
                self.done += 1
                continue
            key = part.keys[j]
            # the stamp was taken (take_cached_by_stat) before the worker read the file:
            # a file changed since has another stamp, which this entry never matches
            stat = self.stats.get(row)
            if stat is not None:
                self.new_files.append((stat, key))
            self.result.keys[row] = key
            batch.append(_Loaded(row, key=key))
            kept.append(j)
        if batch:
            self.embed(batch, vectors[kept])
        else:
            self.report()

    def _run_pipelined(self, todo: list[int]) -> None:
        """One model call at a time (a GPU, a server): worker threads load
        the next batches while this thread runs the model."""
        workers = decode_workers()
        # keep the next batch decoding while the model works on this one
        window = 2 * self.batch_size + workers
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embed-load")
        pending: deque[Future] = deque()
        upcoming = iter(todo)
        batch: list[_Loaded] = []
        try:
            while True:
                self.check_cancelled()
                for index in upcoming:
                    pending.append(pool.submit(self.load, index))
                    if len(pending) >= window:
                        break
                if not pending:
                    break
                item = self.wait(pending.popleft())
                if self.accept(item):
                    batch.append(item)
                if len(batch) >= self.batch_size or (not pending and batch):
                    self.embed(batch, self._run_model(self.stack(batch)))
                    batch = []
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _run_lanes(self, todo: list[int]) -> None:
        """Several model calls at once (a CPU): each lane loads a batch, then
        embeds it, in one thread.

        With a lane per core, each core runs one thread: while one lane
        decodes, the others run the model. On 2 cores this beat one decoding
        thread beside two model lanes (SqueezeNet, medians of 3: 133 -> 153
        images/s): that third thread took turns on a core, and its caches,
        with a model lane.
        """
        chunks = iter(self.even_chunks(todo))
        running = getattr(self.model, "lanes_running", None) or nullcontext
        pool = ThreadPoolExecutor(max_workers=self.lanes, thread_name_prefix="embed-lane")
        pending: deque[Future] = deque()
        try:
            # lane threads start inside running(), so they take its torch threads
            with running():
                while True:
                    # one chunk queued beyond the lanes, so no lane idles
                    # while this thread books a finished one
                    for chunk in chunks:
                        pending.append(pool.submit(self._load_and_embed, chunk))
                        if len(pending) > self.lanes:
                            break
                    if not pending:
                        break
                    items, vectors = self.wait(pending.popleft())
                    batch = [item for item in items if self.accept(item)]
                    if batch:
                        self.embed(batch, vectors)
                    else:
                        self.report()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def even_chunks(self, todo: list[int]) -> list[list[int]]:
        """Batches of at most batch_size, as many as a multiple of the lanes
        and even in size, so the lanes finish together: a last batch alone
        would run on one lane's threads while the other cores idle."""
        if not todo:
            return []
        count = -(-len(todo) // self.batch_size)
        count = -(-count // self.lanes) * self.lanes
        return [[int(i) for i in chunk] for chunk in np.array_split(todo, count) if len(chunk)]

    def _load_and_embed(self, chunk: list[int]) -> tuple[list[_Loaded], np.ndarray | None]:
        """Runs in a lane: (loaded items, vectors of those with pixels)."""
        items = [self.load(index) for index in chunk]
        batch = [item for item in items if item.pixels is not None]
        if not batch or any(item.cancelled for item in items):
            return items, None
        return items, self._run_model(self.stack(batch))

    @staticmethod
    def stack(batch: list[_Loaded]) -> np.ndarray:
        return np.stack([item.pixels for item in batch])

    def accept(self, item: _Loaded) -> bool:
        """Book a loaded item; True when it still needs the model."""
        if item.stat is not None and item.key is not None:
            self.new_files.append((item.stat, item.key))
        if item.key is not None:
            self.result.keys[item.index] = item.key
        if item.cancelled:
            raise EmbeddingCancelled()
        if item.reason is not None:
            self.result.skipped[item.index] = item.reason
            self.done += 1
            return False
        if item.vector is not None:
            self.result.vectors[item.index] = item.vector
            self.result.n_cached += 1
            self.done += 1
            return False
        return True

    def embed(self, batch: list[_Loaded], vectors: np.ndarray) -> None:
        """Book a batch's vectors and write them to the cache."""
        for item, vector in zip(batch, vectors):
            self.result.vectors[item.index] = vector
        self.result.n_computed += len(batch)
        self.done += len(batch)
        if self.cache is not None:
            self.cache.put_many(((item.key, vector) for item, vector in zip(batch, vectors)),
                                self.info.version)
            self.cache.remember_files(self.new_files)
            self.new_files = []
        self.report()

    def _run_model(self, pixels: np.ndarray) -> np.ndarray:
        self.check_cancelled()
        try:
            vectors = self.model.embed(pixels)
        except (EmbedderError, EmbeddingCancelled):
            raise
        except Exception as e:  # remote or custom models: show, don't crash
            raise EmbedderError(f"{self.info.name} failed: {e}") from e
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(pixels), self.info.width):
            raise EmbedderError(
                f"{self.info.name} returned vectors of shape {vectors.shape}, "
                f"expected {(len(pixels), self.info.width)}.")
        return vectors

    def report(self) -> None:
        if self.progress is not None:
            self.progress(self.done, len(self.sources))


def embed_images(sources: Sequence[str], model, cache: EmbeddingCache | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 is_cancelled: Callable[[], bool] | None = None,
                 batch_size: int | None = None) -> EmbeddingResult:
    """Embed images by `model` (anything with .info and .embed, local or remote).

    Raises EmbeddingCancelled once is_cancelled() is True, EmbedderError when
    the model fails. Unreadable images do not raise: they are in `skipped`.
    """
    run = _Run(sources, model, cache, progress, is_cancelled, batch_size)
    damaged_before = cache.damaged if cache is not None else 0
    warning_before = cache.warning if cache is not None else None
    result = run.run()
    if cache is not None:
        if run.new_files:
            cache.remember_files(run.new_files)  # files found cached by content
        result.warnings.extend(cache_warnings(cache, damaged_before, warning_before))
    return result


def cache_warnings(cache: EmbeddingCache, damaged_before: int,
                   warning_before: str | None) -> list[str]:
    """What went wrong with the cache during a run, for the user."""
    warnings = []
    damaged = cache.damaged - damaged_before
    if damaged:
        warnings.append(f"The embedding cache was damaged ({cache.path}): {damaged} of its "
                        "entries failed their check and were not used; those images were "
                        "read and embedded afresh.")
    if cache.warning and cache.warning != warning_before:
        warnings.append(cache.warning)  # set aside or unusable during the run
    return warnings
