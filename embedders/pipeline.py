"""embed_images: files in, vectors out, in batches.

Worker threads read, hash and decode images while the calling thread runs
the model on the previous batch (Pillow and torch both release the GIL).
Only cache misses are decoded and embedded.
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

from embedders.cache import EmbeddingCache, content_key
from embedders.errors import EmbedderError, EmbeddingCancelled
from embedders.images import ImageSkipped, is_url, open_rgb, read_bytes

_POLL_S = 0.05  # how often a wait for a worker looks at is_cancelled
_DEFAULT_BATCH = 16


@dataclass
class EmbeddingResult:
    vectors: np.ndarray  # float32 (n, width), input order; skipped rows NaN
    skipped: dict[int, str] = field(default_factory=dict)  # index -> reason
    n_cached: int = 0
    n_computed: int = 0


@dataclass
class _Loaded:
    """What a worker made of one source."""
    index: int
    key: str | None = None
    pixels: np.ndarray | None = None  # prepared uint8, when not cached
    vector: np.ndarray | None = None  # when the cache had it
    reason: str | None = None  # when skipped
    cancelled: bool = False  # the worker saw is_cancelled() and did nothing
    stat: tuple[str, int, int] | None = None  # (path, size, mtime_ns)


def decode_workers(lanes: int = 1) -> int:
    """Decoding threads beside `lanes` model threads that each fill a core.

    Decoding is a tenth or less of the model's cost, so one thread keeps up
    with two lanes; a second one only took cores from the model (2 cores:
    EfficientNet-Lite0 end to end 52 -> 58 images/s).
    """
    return max(1, min(4, (os.cpu_count() or 1) - lanes + 1))


def _file_stat(source: str) -> tuple[str, int, int] | None:
    if is_url(source):
        return None
    try:
        st = os.stat(source)
    except (OSError, ValueError):
        return None  # the loader gives the reason
    return os.path.abspath(source), st.st_size, st.st_mtime_ns


class _Run:
    """State of one embed_images call."""

    def __init__(self, sources, model, cache, progress, is_cancelled, batch_size):
        self.sources = list(sources)
        self.model = model
        self.info = model.info
        self.cache = cache
        self.progress = progress
        self.is_cancelled = is_cancelled or (lambda: False)
        self.batch_size = max(1, int(batch_size or getattr(model, "batch_size", None)
                                     or _DEFAULT_BATCH))
        n = len(self.sources)
        self.result = EmbeddingResult(
            vectors=np.full((n, self.info.width), np.nan, dtype=np.float32))
        self.lanes = max(1, int(getattr(model, "lanes", 1) or 1))
        self.done = 0
        self.new_files: list[tuple[str, int, int, str]] = []

    # -------------------------------------------------------- cache first

    def take_cached_by_stat(self) -> list[int]:
        """Fill rows of unchanged, already embedded files; return the rest."""
        indices = list(range(len(self.sources)))
        if self.cache is None or not indices:
            return indices
        stats = {i: _file_stat(self.sources[i]) for i in indices}
        known = self.cache.file_keys([s for s in stats.values() if s is not None])
        keys = {i: known.get(s[0]) for i, s in stats.items() if s is not None}
        found = self.cache.get_many([k for k in keys.values() if k], self.info.version)
        rest = []
        for i in indices:
            vector = found.get(keys.get(i))
            if vector is not None and vector.shape == (self.info.width,):
                self.result.vectors[i] = vector
                self.result.n_cached += 1
            else:
                rest.append(i)
        self.done = self.result.n_cached
        return rest

    # -------------------------------------------------------- loading

    def load(self, index: int) -> _Loaded:
        """Runs in a worker thread; never raises."""
        item = _Loaded(index)
        if self.is_cancelled():
            item.cancelled = True
            return item
        source = self.sources[index]
        try:
            item.stat = _file_stat(source)
            data = read_bytes(source)
            item.key = content_key(data)
            if self.cache is not None:
                item.vector = self.cache.get_many([item.key], self.info.version).get(item.key)
                if item.vector is not None and item.vector.shape == (self.info.width,):
                    return item
                item.vector = None
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

    def run(self, workers: int) -> EmbeddingResult:
        self.report()
        todo = self.take_cached_by_stat()
        self.report()
        lanes = self.lanes
        # keep the next batches decoding while the model works on these
        window = (lanes + 1) * self.batch_size + workers
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embed-load")
        model_pool = (ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="embed-model")
                      if lanes > 1 else None)
        # a model with lanes runs that many batches at once, each on fewer
        # threads: on a CPU that beats one batch spread over all cores
        running = getattr(self.model, "lanes_running", None)
        scope = running() if model_pool is not None and running else nullcontext()
        try:
            with scope:
                self._loop(pool, model_pool, todo, window, lanes)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            if model_pool is not None:
                model_pool.shutdown(wait=False, cancel_futures=True)
        self.report()
        return self.result

    def _loop(self, pool, model_pool, todo, window, lanes) -> None:
        pending: deque[Future] = deque()
        in_model: deque[tuple[list[_Loaded], Future]] = deque()
        upcoming = iter(todo)
        batch: list[_Loaded] = []
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
                if model_pool is None:
                    self.embed(batch, self._run_model(self.stack(batch)))
                else:
                    # one batch queued beyond the lanes, so no lane idles
                    # while this thread collects the next one
                    in_model.append((batch, model_pool.submit(
                        self._run_model, self.stack(batch))))
                    while len(in_model) > lanes:
                        self.embed(*self.finish(in_model.popleft()))
                batch = []
        while in_model:
            self.embed(*self.finish(in_model.popleft()))

    def finish(self, entry):
        batch, future = entry
        return batch, self.wait(future)

    @staticmethod
    def stack(batch: list[_Loaded]) -> np.ndarray:
        return np.stack([item.pixels for item in batch])

    def accept(self, item: _Loaded) -> bool:
        """Book a loaded item; True when it still needs the model."""
        if item.stat is not None and item.key is not None:
            self.new_files.append((*item.stat, item.key))
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
    result = run.run(decode_workers(run.lanes))
    if cache is not None and run.new_files:
        cache.remember_files(run.new_files)  # files found cached by content
    return result
