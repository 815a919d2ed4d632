"""Dynamic batching: images from concurrent requests share one model call.

Each request submits its (already decoded) images; a single batcher task per
model takes whatever is queued, waits up to ``max_wait`` seconds for more
while the batch is smaller than ``max_batch``, and runs the model in its own
worker thread, off the event loop.  While the model runs, new requests queue
up, so under load the next batch is ready the moment the model is free.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

log = logging.getLogger("imgflow.embedders.remote.server")


class Batcher:
    def __init__(self, model, *, max_batch: int = 64, max_wait: float = 0.005):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.model = model
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._items: collections.deque = collections.deque()
        self._queued = 0
        self._event: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._executor = ThreadPoolExecutor(
            1, thread_name_prefix=f"embed-{model.info.id}")
        self.batches = 0
        self.images = 0

    @property
    def queued(self) -> int:
        return self._queued

    def start(self) -> None:
        self._event = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"batcher-{self.model.info.id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for _, fut in self._items:
            if not fut.done():
                fut.set_exception(RuntimeError("server is shutting down"))
        self._items.clear()
        self._executor.shutdown(wait=True)

    async def embed(self, images: np.ndarray) -> np.ndarray:
        """Embed uint8 (n, H, W, 3) images; returns float32 (n, width)."""
        if len(images) == 0:
            return np.zeros((0, self.model.info.width), np.float32)
        fut = asyncio.get_running_loop().create_future()
        self._items.append((images, fut))
        self._queued += len(images)
        self._event.set()
        return await fut

    def _take(self) -> list:
        taken, n = [], 0
        while self._items:
            size = len(self._items[0][0])
            if taken and n + size > self.max_batch:
                break
            taken.append(self._items.popleft())
            n += size
        self._queued -= n
        return taken

    async def _gather(self) -> None:
        """Wait until something is queued, then briefly for a fuller batch."""
        while not self._items:
            self._event.clear()
            await self._event.wait()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        while self._queued < self.max_batch:
            left = deadline - loop.time()
            if left <= 0:
                break
            self._event.clear()
            try:
                await asyncio.wait_for(self._event.wait(), left)
            except asyncio.TimeoutError:
                break

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._gather()
            taken = [(imgs, fut) for imgs, fut in self._take()
                     if not fut.cancelled()]
            if not taken:
                continue
            batch = np.concatenate([imgs for imgs, _ in taken])
            t0 = time.perf_counter()
            try:
                out = await loop.run_in_executor(
                    self._executor, self.model.embed, batch)
                out = np.asarray(out, dtype=np.float32)
                if out.shape != (len(batch), self.model.info.width):
                    raise RuntimeError(f"model returned shape {out.shape}")
            except Exception as exc:  # noqa: BLE001 -- reported to each request
                log.exception("model %s failed on a batch of %d",
                              self.model.info.id, len(batch))
                for _, fut in taken:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self.batches += 1
            self.images += len(batch)
            log.debug("batch of %d images (%d requests) in %.1f ms", len(batch),
                      len(taken), 1000 * (time.perf_counter() - t0))
            pos = 0
            for imgs, fut in taken:
                if not fut.done():
                    fut.set_result(out[pos:pos + len(imgs)])
                pos += len(imgs)
