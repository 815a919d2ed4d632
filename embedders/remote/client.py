"""RemoteModel: embed with models that run on ``imgflow serve`` servers.

A RemoteModel has the same duck type as a local model (``.info`` and
``.embed(uint8 batch) -> float32``), so :func:`imgflow.embedders.pipeline.embed_images`
does the decoding, caching (keyed by the servers' identity: their addresses
and the model version they report, never a local model's version), ordering
and skipping for it exactly as for local models::

    model = RemoteModel(["http://gpu1:8750", "http://gpu1:8751"], "inception-v3",
                        token=token, is_cancelled=worker.is_cancelled)
    result = embed_images(paths, model, cache=cache)

``embed`` splits its batch into requests of ``images_per_request`` images and
sends up to ``concurrency`` of them at once, spread over the servers.  Failed
requests are retried (connection errors, timeouts, 5xx, and 503/429 after
their Retry-After) on any usable server; 4xx input errors are not retried.
Imports neither torch nor starlette.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
import weakref
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

import numpy as np
import requests

from imgflow.embedders.errors import EmbedderError, EmbeddingCancelled
from imgflow.embedders.models import MODELS, is_timm
from imgflow.embedders.remote import replies, wire
from imgflow.embedders.remote.servers import Endpoint, ServerPool

log = logging.getLogger("imgflow.embedders.remote.client")

RETRY_STATUSES = {429, 503}
MAX_RETRY_AFTER = 60.0


class _Unreachable(Exception):
    """A connection failure, timeout or 5xx: try again, maybe elsewhere."""


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url:
        raise EmbedderError("An embedding server address is empty")
    if "://" not in url:
        url = "http://" + url
    if url.endswith("/v1"):
        url = url[:-3]
    return url


def _offline_models() -> str:
    return ", ".join(i.name for i in MODELS.values() if not i.needs_network)


def _server_message(resp: requests.Response) -> tuple[str, str]:
    try:
        err = resp.json()["error"]
        return str(err.get("code", "")), str(err.get("message", ""))
    except (ValueError, KeyError, TypeError):
        return "", (resp.text[:200].strip() or resp.reason or "")


def _retry_after(resp: requests.Response, default: float) -> float:
    try:
        return min(max(float(resp.headers.get("Retry-After", "")), 0.0),
                   MAX_RETRY_AFTER)
    except ValueError:
        return default


def server_identity(urls: list[str], model_id: str, version: str) -> str:
    """The cache's version key for vectors from these servers.

    Never a local model's version: a server (perhaps a hostile one) that
    reports the local version string still cannot put vectors where a local
    run would find them.
    """
    return f"server {','.join(sorted(urls))} {model_id} {version}"


class RemoteModel:
    def __init__(self, urls: str | list[str], model_id: str,
                 token: str | None | dict[str, str | None] = None,
                 *, images_per_request: int = 16, concurrency: int | None = None,
                 encoding: str = "png", timeout: float = 120.0,
                 connect_timeout: float = 5.0, max_attempts: int = 5,
                 max_wait: float = 300.0, cooldown: float = 5.0,
                 is_cancelled=None):
        urls = [urls] if isinstance(urls, str) else list(urls)
        if not urls:
            raise EmbedderError("Give at least one embedding server address")
        if model_id not in MODELS and not is_timm(model_id):
            raise EmbedderError(f"Unknown model '{model_id}'; known models: "
                                f"{', '.join(MODELS)}, or timm:NAME")
        if encoding not in wire.ENCODINGS:
            raise ValueError(f"encoding must be one of {wire.ENCODINGS}")
        self.urls = list(dict.fromkeys(normalize_url(u) for u in urls))
        if isinstance(token, dict):     # one token per server
            token = {normalize_url(u): t for u, t in token.items()}
        self.model_id = model_id
        self.encoding = encoding
        self.timeout = (connect_timeout, timeout)
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.is_cancelled = is_cancelled
        self.concurrency = concurrency or 4 * len(self.urls)
        self.stats = {"requests": 0, "retries": 0, "busy": 0, "failovers": 0}
        self._stats_lock = threading.Lock()
        self._cancel = threading.Event()
        self._pool = ServerPool(self.urls, token, pool_size=self.concurrency,
                                cooldown=cooldown)
        # a timm model's info comes from the first server that describes it
        self._local = MODELS.get(model_id)
        self.info = self._local
        self._version = None
        self._max_images = images_per_request
        try:
            self._connect()
        except BaseException:
            self._pool.close()
            raise
        self.server_version = self._version     # as the server reports it
        self.info = dataclasses.replace(
            self._local, version=server_identity(self.urls, model_id, self._version))
        self.device = "remote " + ", ".join(self.urls)
        self.images_per_request = max(1, min(images_per_request, self._max_images))
        # the batch size at which embed() keeps every connection busy
        self.batch_size = self.images_per_request * self.concurrency
        self._executor = ThreadPoolExecutor(self.concurrency,
                                            thread_name_prefix="remote-embed")
        self._finalizer = weakref.finalize(self, _close, self._executor, self._pool)

    # -- connecting ----------------------------------------------------------

    def _describe(self, ep: Endpoint) -> None:
        """Check that ``ep`` offers the model in a matching version.

        Raises _Unreachable, or EmbedderError for a problem retrying can't fix.
        """
        try:
            resp = ep.session.get(f"{ep.url}/v1/models", timeout=self.timeout,
                                  stream=True)
            replies.read_bounded(resp, replies.MAX_LISTING_BYTES, ep.url,
                                 "the model list")
        except requests.RequestException as exc:
            raise _Unreachable(_reason(exc)) from None
        if resp.status_code >= 500 or resp.status_code == 429:
            raise _Unreachable(f"HTTP {resp.status_code}")
        if resp.status_code != 200:
            self._raise_for_status(ep, resp)
        try:
            listing = resp.json()
            offered = {m["id"]: m for m in listing["models"]}
            limits = listing.get("limits", {})
        except (ValueError, KeyError, TypeError):
            raise EmbedderError(f"{ep.url} does not answer like an imgflow "
                                f"embedding server") from None
        entry = offered.get(self.model_id)
        if entry is None:
            raise EmbedderError(
                f"The embedding server at {ep.url} does not offer model "
                f"'{self.model_id}'; it offers: {', '.join(offered) or 'nothing'}. "
                f"Start it with --model {self.model_id}, or choose one of those.")
        local = self._local
        if local is None:
            try:
                local = self._local = wire.info_from_entry(entry)
            except wire.WireError as exc:
                raise EmbedderError(f"The embedding server at {ep.url}: {exc}") from None
        if (entry.get("width") != local.width
                or tuple(entry.get("input_size", ())) != tuple(local.input_size)):
            raise EmbedderError(
                f"Model version mismatch: the server at {ep.url} runs "
                f"{self.model_id} version {entry.get('version')} (width "
                f"{entry.get('width')}, input {entry.get('input_size')}), but this "
                f"imgflow expects width {local.width}, input "
                f"{list(local.input_size)}. Use the same imgflow version on both.")
        version = str(entry.get("version"))
        if self._version is not None and version != self._version:
            raise EmbedderError(
                f"Model version mismatch: the server at {ep.url} runs "
                f"{self.model_id} version {version}, but this embedding started "
                f"with version {self._version}. All servers must run the same "
                f"version.")
        self._version = version
        if isinstance(limits.get("max_images"), int):
            self._max_images = min(self._max_images, limits["max_images"])
        if isinstance(limits.get("max_body_bytes"), int):
            h, w = local.input_size
            per_image = int(h * w * 3 * 1.01) + 1024   # PNG of noise is a bit larger
            fits = (limits["max_body_bytes"] - 4096) // per_image
            self._max_images = max(1, min(self._max_images, fits))

    def _connect(self) -> None:
        failures = []
        for ep in self._pool.endpoints:
            try:
                self._describe(ep)
            except _Unreachable as exc:
                failures.append(f"{ep.url} ({exc})")
                self._pool.mark_down(ep, str(exc))
        if len(failures) == len(self.urls):
            where = "; ".join(failures)
            raise EmbedderError(
                f"Cannot reach the embedding server at {where}. Check that "
                f"'imgflow serve' runs there and the address is right, or choose "
                f"an offline model ({_offline_models()}).")

    def _raise_for_status(self, ep: Endpoint, resp: requests.Response):
        code, message = _server_message(resp)
        if resp.status_code == 401:
            if code == "token_required":
                raise EmbedderError(
                    f"The embedding server at {ep.url} requires an access token "
                    f"(401): add it to your servers with: imgflow servers add "
                    f"{ep.url} --token-file FILE (the server's --token-file).")
            raise EmbedderError(
                f"The embedding server at {ep.url} rejected the access token "
                f"(401): check that the token in your servers matches the "
                f"server's --token-file (imgflow servers add {ep.url} --token-file FILE).")
        if resp.status_code == 404 and code == "model_not_offered":
            raise EmbedderError(f"The embedding server at {ep.url}: {message}")
        raise EmbedderError(f"The embedding server at {ep.url} refused the request "
                            f"(HTTP {resp.status_code}): {message}")

    # -- embedding ------------------------------------------------------------

    def cancel(self) -> None:
        """Make running and later embed() calls raise EmbeddingCancelled."""
        self._cancel.set()

    def _check(self, abort: threading.Event) -> None:
        if self._cancel.is_set() or (self.is_cancelled and self.is_cancelled()):
            self._cancel.set()
            raise EmbeddingCancelled()
        if abort.is_set():
            raise EmbeddingCancelled()

    def _sleep(self, seconds: float, abort: threading.Event) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self._check(abort)
            self._cancel.wait(min(left, 0.1))
        self._check(abort)

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1

    def embed_with_errors(self, batch: np.ndarray) -> tuple[np.ndarray, dict[int, str]]:
        """Embed uint8 (B, H, W, 3) images: (float32 (B, width), {i: error}).

        Rows of images the server could not use are NaN and listed in the dict.
        Raises EmbedderError when the servers cannot be reached (after
        retries) or refuse the request, EmbeddingCancelled when cancelled.
        """
        batch = np.asarray(batch)
        h, w = self.info.input_size
        if batch.dtype != np.uint8 or batch.shape[1:] != (h, w, 3):
            raise ValueError(f"expected uint8 images of shape (B, {h}, {w}, 3), "
                             f"got {batch.dtype} {batch.shape}")
        if len(batch) == 0:
            return np.zeros((0, self.info.width), np.float32), {}
        step = self.images_per_request
        abort = threading.Event()
        chunks = [batch[i:i + step] for i in range(0, len(batch), step)]
        futures = [self._executor.submit(self._embed_chunk, c, abort) for c in chunks]
        try:
            # poll, so that cancelling does not wait for requests in flight
            while not all(f.done() for f in futures):
                self._check(abort)
                wait(futures, timeout=0.1, return_when=FIRST_EXCEPTION)
                failed = [f for f in futures if f.done() and f.exception()]
                if failed:
                    raise failed[0].exception()
            parts = [f.result() for f in futures]
        except BaseException:
            abort.set()
            for f in futures:
                f.cancel()
            raise
        vectors = np.concatenate([v for v, _ in parts])
        errors = {}
        for k, (_, errs) in enumerate(parts):
            errors.update({k * step + i: msg for i, msg in errs.items()})
        return vectors, errors

    def embed(self, batch: np.ndarray) -> np.ndarray:
        """float32 (B, width) for uint8 (B, H, W, 3); the Model duck type."""
        vectors, errors = self.embed_with_errors(batch)
        if errors:
            i, msg = next(iter(sorted(errors.items())))
            raise EmbedderError(f"The embedding server could not embed "
                                f"{len(errors)} of {len(batch)} images "
                                f"(image {i}: {msg})")
        return vectors

    def _embed_chunk(self, chunk: np.ndarray, abort: threading.Event):
        body = wire.encode_images(chunk, self.encoding)
        headers = {"Content-Type": wire.IMAGES_TYPE}
        path = f"/v1/models/{self.model_id}/embed"
        deadline = time.monotonic() + self.max_wait
        failures, last = 0, "no attempt made"
        while True:
            self._check(abort)
            ep, wait = self._pool.acquire()
            if ep is None:
                if wait < 0:
                    raise EmbedderError("No usable embedding server is left: " + "; ".join(
                        f"{e.url}: {e.disabled}" for e in self._pool.endpoints))
                if time.monotonic() + wait > deadline:
                    self._give_up(len(chunk), last)
                self._sleep(max(wait, 0.01), abort)
                continue
            try:
                if ep.needs_check:
                    self._describe(ep)
                self._count("requests")
                resp = ep.session.post(ep.url + path, data=body, headers=headers,
                                       timeout=self.timeout, stream=True)
                replies.read_bounded(resp, replies.embed_reply_limit(
                    resp.status_code, len(chunk), self.info.width), ep.url,
                    f"{len(chunk)} images")
                if resp.status_code >= 500 and resp.status_code != 503:
                    _, message = _server_message(resp)
                    raise _Unreachable(f"HTTP {resp.status_code} {message}".strip())
            except (_Unreachable, requests.RequestException) as exc:
                reason = str(exc) if isinstance(exc, _Unreachable) else _reason(exc)
                last = f"{ep.url}: {reason}"
                self._pool.mark_down(ep, reason)
                failures += 1
                self._count("retries")
                if failures >= self.max_attempts:
                    self._give_up(len(chunk), last)
                if self._pool.others_ready(ep):
                    self._count("failovers")
                else:
                    self._sleep(_backoff(failures), abort)
                continue
            except EmbedderError as exc:
                if len(self._pool.endpoints) == 1:
                    raise
                self._pool.disable(ep, str(exc))
                last = str(exc)
                continue
            finally:
                self._pool.release(ep)
            if resp.status_code in RETRY_STATUSES:
                pause = _retry_after(resp, _backoff(1))
                self._count("busy")
                self._pool.mark_busy(ep, pause)
                last = f"{ep.url}: busy (HTTP {resp.status_code})"
                continue
            if resp.status_code != 200:
                self._raise_for_status(ep, resp)
            try:
                header, vectors, errors = wire.decode_embeddings(resp.content)
            except wire.WireError as exc:
                raise EmbedderError(f"The embedding server at {ep.url} sent a "
                                    f"malformed reply: {exc}") from None
            if vectors.shape != (len(chunk), self.info.width):
                raise EmbedderError(f"The embedding server at {ep.url} returned "
                                    f"{vectors.shape} vectors for {len(chunk)} images")
            if str(header.get("version")) != self._version:
                self._pool.disable(ep, "it now runs model version "
                                   f"{header.get('version')}, not {self._version}")
                continue
            self._pool.mark_ok(ep)
            return vectors, errors

    def _give_up(self, n: int, last: str):
        raise EmbedderError(
            f"The embedding server(s) at {', '.join(self.urls)} stopped "
            f"answering; {n} images could not be embedded. Last error: {last}. "
            f"Embeddings computed so far are kept in the cache: run again to "
            f"continue, or choose an offline model ({_offline_models()}).")

    def close(self) -> None:
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"RemoteModel({self.urls!r}, {self.model_id!r})"


def _close(executor: ThreadPoolExecutor, pool: ServerPool) -> None:
    executor.shutdown(wait=False, cancel_futures=True)
    pool.close()


def _backoff(failures: int) -> float:
    return min(0.25 * 2 ** (failures - 1), 8.0) * random.uniform(0.75, 1.25)


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "refused" in text.lower():
            return "connection refused"
        if "resolve" in text.lower() or "name or service" in text.lower():
            return "unknown host name"
        return "connection failed"
    return type(exc).__name__
