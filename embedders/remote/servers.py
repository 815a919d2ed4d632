"""The client's set of embedding servers: which one to use next, which are out.

A server that fails (connection refused, timeout, 5xx) is left out for a
cool-down that doubles with each failure in a row (up to ``max_cooldown``);
after it, the server is tried again -- first re-checked with GET /v1/models,
since it may have restarted with another model version.  A busy server (503 or
429) is left out only for its Retry-After.  Among usable servers the one with
the fewest requests in progress is picked, in turn on ties.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import requests
from requests.adapters import HTTPAdapter

log = logging.getLogger("imgflow.embedders.remote.client")


@dataclass(eq=False)
class Endpoint:
    url: str
    session: requests.Session
    in_flight: int = 0
    failures: int = 0
    down_until: float = 0.0
    busy_until: float = 0.0
    needs_check: bool = False
    disabled: str | None = None     # a reason never to use it again
    last_error: str | None = None
    served: int = field(default=0)

    def available_at(self) -> float:
        return max(self.down_until, self.busy_until)


def make_session(pool_size: int, token: str | None) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1),
                          max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "imgflow-remote-client/1"
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


class ServerPool:
    def __init__(self, urls: list[str], token: str | None | dict[str, str | None], *,
                 pool_size: int, cooldown: float = 5.0, max_cooldown: float = 60.0):
        tokens = token if isinstance(token, dict) else dict.fromkeys(urls, token)
        self.endpoints = [Endpoint(u, make_session(pool_size, tokens.get(u))) for u in urls]
        self.cooldown = cooldown
        self.max_cooldown = max_cooldown
        self._lock = threading.Lock()
        self._turn = 0

    def acquire(self) -> tuple[Endpoint | None, float]:
        """The server to use next, or (None, seconds until one may be usable).

        Returns (None, -1) when every server is disabled.
        """
        with self._lock:
            now = time.monotonic()
            alive = [e for e in self.endpoints if e.disabled is None]
            if not alive:
                return None, -1.0
            ready = [e for e in alive if e.available_at() <= now]
            if not ready:
                return None, min(e.available_at() for e in alive) - now
            self._turn += 1
            n = len(self.endpoints)
            best = min(ready, key=lambda e: (
                e.in_flight, (self.endpoints.index(e) - self._turn) % n))
            best.in_flight += 1
            return best, 0.0

    def release(self, endpoint: Endpoint) -> None:
        with self._lock:
            endpoint.in_flight -= 1

    def mark_ok(self, endpoint: Endpoint) -> None:
        with self._lock:
            if endpoint.failures:
                log.info("embedding server %s answers again", endpoint.url)
            endpoint.failures = 0
            endpoint.needs_check = False
            endpoint.served += 1

    def mark_down(self, endpoint: Endpoint, reason: str) -> None:
        with self._lock:
            endpoint.failures += 1
            endpoint.last_error = reason
            endpoint.needs_check = True
            pause = min(self.cooldown * 2 ** (endpoint.failures - 1), self.max_cooldown)
            endpoint.down_until = max(endpoint.down_until, time.monotonic() + pause)
        log.warning("embedding server %s failed (%s); leaving it out for %.1f s",
                    endpoint.url, reason, pause)

    def mark_busy(self, endpoint: Endpoint, seconds: float) -> None:
        with self._lock:
            endpoint.busy_until = max(endpoint.busy_until, time.monotonic() + seconds)

    def disable(self, endpoint: Endpoint, reason: str) -> None:
        with self._lock:
            endpoint.disabled = endpoint.last_error = reason
        log.warning("not using embedding server %s any more: %s", endpoint.url, reason)

    def others_ready(self, endpoint: Endpoint) -> bool:
        now = time.monotonic()
        return any(e is not endpoint and e.disabled is None and e.available_at() <= now
                   for e in self.endpoints)

    def close(self) -> None:
        for e in self.endpoints:
            e.session.close()
