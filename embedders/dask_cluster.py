"""Embedding on a Dask cluster: the workers read the images where they are and embed them.

ClusterModel is a model for embed_images that reads the images itself: the
pipeline looks every image up in the local cache first and gives it only the
paths of the misses. These are split into tasks of a few hundred paths; a
worker reads its task's images (shared folders or URLs), embeds them with the
model, loaded once per worker process, and returns the vectors, the content
keys (the cache keys of the bytes it read) and skip reasons. A worker that dies
loses nothing: Dask runs its task again on another.

dask and distributed are imported only here, and only when a cluster is used:
``pip install "imgflow[dask]"`` installs them (on the workers, with imgflow).
"""
from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
import time
from typing import Callable, Iterator, Sequence

from imgflow.embedders import urls
from imgflow.embedders.errors import EmbedderError, EmbeddingCancelled
from imgflow.embedders.models import load_model, model_info
from imgflow.embedders.pipeline import EmbeddingResult, embed_images

CONNECT_TIMEOUT_S = 10.0
MAX_TASK = 250      # paths per task: a worker's progress step, and what a lost worker redoes
MIN_TASK = 8        # fewer make the scheduling cost more than the work
_POLL_S = 0.05      # how often a wait for tasks looks at is_cancelled
INSTALL = 'pip install "imgflow[dask]"'


def _distributed():
    try:
        import distributed
    except ImportError:
        raise EmbedderError("Embedding on a Dask cluster needs Dask's distributed package: "
                            f"{INSTALL}") from None
    return distributed


def task_size(n_images: int, n_threads: int) -> int:
    """Paths per task: four tasks or more per worker thread, so that the threads end
    close together (a thread slowed by other work takes fewer), between MIN_TASK and
    MAX_TASK."""
    return max(MIN_TASK, min(MAX_TASK, math.ceil(n_images / max(1, 4 * n_threads))))


# ------------------------------------------------------------------ on a worker

_worker_models: dict[tuple, object] = {}
_worker_lock = threading.Lock()


class _OneLane:
    """A worker's model as each task sees it: Dask's threads are the parallelism, so a
    task runs one batch at a time (the pipeline's decoding threads feed it)."""
    lanes = 1

    def __init__(self, model):
        self.model = model
        self.info = model.info
        self.batch_size = model.batch_size

    def embed(self, batch):
        return self.model.embed(batch)


def _torch_threads() -> int:
    """Threads a task's model may use: Dask's nanny sets OMP_NUM_THREADS=1 so that its
    threads alone divide the cores; a worker started with another value keeps it."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "1")))
    except ValueError:
        return 1


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3      # glibc's mallopt parameters
_MMAP_THRESHOLD_MAX = 32 << 20          # glibc's largest (64-bit)


def _keep_big_blocks() -> None:
    """Let glibc keep a layer's output in the heap again, as it does by default.

    Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which trims
    the heap at every large free and also stops glibc from raising its mmap
    threshold: every block over 128 KiB is then fresh memory from the kernel,
    page faults and all. SqueezeNet on 384 images took 10-11 s of worker CPU
    (2.5-3 s of it in the kernel) against 6-7 s in a plain process; with the
    thresholds glibc's own rule would reach (mmap 32 MiB, trim twice that),
    7 s (0.1-0.2 s in the kernel).
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)
        libc.mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD_MAX)
    except (OSError, AttributeError):    # not glibc: nothing to undo
        pass


def worker_model(model_id: str, weights_path: str | None) -> _OneLane:
    """The model, loaded once per worker process (and kept for the next tasks)."""
    try:
        stat = os.stat(weights_path) if weights_path else None
    except OSError:
        stat = None
    key = (model_id, weights_path, stat and (stat.st_size, stat.st_mtime_ns))
    with _worker_lock:          # tasks on other threads wait for the one load
        model = _worker_models.get(key)
        if model is None:
            _worker_models.clear()          # one network in memory at a time
            _keep_big_blocks()
            loaded = load_model(model_id, weights_path=weights_path)
            import torch
            torch.set_num_threads(_torch_threads())   # load_model took every core
            model = _worker_models[key] = _OneLane(loaded)
    return model


def worker_info(model_id: str, weights_path: str | None):
    """Runs on a worker: the model's info (a timm model's is known only once it is built)."""
    return worker_model(model_id, weights_path).info


def embed_task(model_id: str, weights_path: str | None, version: str,
               sources: Sequence[str], allow_private_urls: bool) -> EmbeddingResult:
    """Runs on a worker: read and embed these images; vectors, content keys, skip reasons."""
    # the user's choice on the machine that asked, not the worker's
    urls.set_user_policy(lambda: allow_private_urls)
    model = worker_model(model_id, weights_path)
    if model.info.version != version:   # its vectors would be cached under another model's name
        raise EmbedderError(f"The Dask workers' {model.info.name} is not the one here "
                            f"({model.info.version}, here {version}): install the same imgflow "
                            "and weights on the workers.")
    return embed_images(list(sources), model)


# ------------------------------------------------------------------ here

class ClusterModel:
    """A model for embed_images that runs on the Dask cluster at ``address``.

    Connects on first use (a fully cached run never does) and raises
    EmbedderError with one line when the scheduler cannot be reached.
    """

    def __init__(self, address: str, model_id: str, weights_path: str | None = None, *,
                 connect_timeout: float | None = None, task_size: int | None = None,
                 allow_private_urls: bool | None = None):
        _distributed()                       # a clear message before anything else
        self.address = address
        self.model_id, self.weights_path = model_id, weights_path
        self.connect_timeout = connect_timeout or CONNECT_TIMEOUT_S
        self.task_size = task_size
        self.allow_private_urls = (urls.private_urls_allowed() if allow_private_urls is None
                                   else allow_private_urls)
        self._client = None
        try:
            self.info = model_info(model_id, weights_path)
        except (OSError, EmbedderError):
            # a timm model, or weights not readable here: the workers build it and say
            self.info = self._wait(self.client().submit(worker_info, model_id, weights_path,
                                                        pure=False))

    def client(self):
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self):
        distributed = _distributed()
        where = f"the Dask scheduler at {self.address}"
        try:
            client = distributed.Client(self.address, timeout=self.connect_timeout,
                                        set_as_default=False)
        except Exception as exc:             # noqa: BLE001 - refused, timed out, bad address
            raise EmbedderError(f"Cannot reach {where} within {self.connect_timeout:g} s "
                                f"({_one_line(exc)}); is it running (dask scheduler)?") from None
        try:
            client.wait_for_workers(1, timeout=self.connect_timeout)
        except Exception:                    # noqa: BLE001 - dask's TimeoutError
            client.close()
            raise EmbedderError(f"{where[0].upper()}{where[1:]} has no workers: start some "
                                f"(dask worker {self.address})") from None
        return client

    def embed_sources(self, sources: Sequence[str], is_cancelled: Callable[[], bool]
                      ) -> Iterator[tuple[range, EmbeddingResult]]:
        """(positions in ``sources``, their EmbeddingResult) of each task as it finishes.

        Raises EmbeddingCancelled once is_cancelled() is True; the tasks not done are
        cancelled then, and when the caller stops early.
        """
        client = self.client()
        distributed = _distributed()
        threads = sum(client.nthreads().values())
        size = self.task_size or task_size(len(sources), threads)
        futures = {}
        for start in range(0, len(sources), size):
            chunk = list(sources[start:start + size])
            future = client.submit(embed_task, self.model_id, self.weights_path,
                                   self.info.version, chunk, self.allow_private_urls,
                                   pure=False)       # files change: never reuse a result
            futures[future] = range(start, start + len(chunk))
        waiting = distributed.as_completed(list(futures), loop=client.loop)
        try:
            while not waiting.is_empty():
                if is_cancelled():
                    raise EmbeddingCancelled()
                ready = waiting.next_batch(block=False)
                if not ready:
                    time.sleep(_POLL_S)
                for future in ready:
                    part = self._wait(future)
                    yield futures.pop(future), part
                    future.release()
        finally:
            if futures:
                client.cancel(list(futures))

    def _wait(self, future):
        """A task's result; its failure as one EmbedderError line."""
        try:
            return future.result()
        except (EmbedderError, EmbeddingCancelled):
            raise
        except Exception as exc:             # noqa: BLE001 - KilledWorker, lost scheduler, ...
            if type(exc).__name__ == "KilledWorker":
                raise EmbedderError("Dask workers died each time they ran a task of "
                                    f"{self.info.name if hasattr(self, 'info') else 'the model'} "
                                    "(out of memory?); see the workers' logs.") from None
            raise EmbedderError(f"The Dask cluster at {self.address} failed: "
                                f"{_one_line(exc)}") from None

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            try:
                client.close(timeout=self.connect_timeout)
            except Exception:                # noqa: BLE001 - the scheduler went away
                pass

    def __enter__(self) -> "ClusterModel":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
