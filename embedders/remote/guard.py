"""Connection guard for ``imgflow serve``: slow or greedy clients cannot lock others out.

uvicorn answers 503 to everyone once ``limit_concurrency`` connections are
open, and it never times out a connection whose request headers are still
arriving.  So a few hundred connections that never finish their headers, from
one client, locked every other client out.  This HTTP protocol (uvicorn's h11
one, extended) closes

- a connection whose request headers have not fully arrived ``header_timeout``
  seconds after it opened, or after the first bytes of its next request (or
  of the rest of a body the server already answered) arrived;
- any connection beyond ``per_client`` open ones from the same client address,
  at once, before it can hold anything.

Deadlines for request *bodies* are the application's (app.py, answered 408).
"""

from __future__ import annotations

import collections
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("imgflow.embedders.remote.server")


def guarded_protocol(header_timeout: float, per_client: int) -> type[H11Protocol]:
    """An uvicorn ``http=`` protocol class with these limits (one per server)."""
    open_per_client: collections.Counter = collections.Counter()
    warned: set = set()            # clients told about once per flood, not per socket

    class GuardedH11Protocol(H11Protocol):
        _counted = None            # the client address this connection counts for
        _header_timer = None
        _armed_for = None          # the request cycle current when it was armed

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            host = self.client[0] if self.client else "-"
            if open_per_client[host] >= per_client:
                if host not in warned:
                    warned.add(host)
                    log.warning("%s has %d connections open; closing more", host,
                                per_client)
                transport.abort()
                return
            open_per_client[host] += 1
            self._counted = host
            self._arm_header_timer()

        def connection_lost(self, exc) -> None:
            self._disarm_header_timer()
            if self._counted is not None:
                open_per_client[self._counted] -= 1
                if not open_per_client[self._counted]:
                    del open_per_client[self._counted]
                    warned.discard(self._counted)
                self._counted = None
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            # The first bytes of a kept-alive connection's next request (or
            # more of a body the server already answered) start the deadline;
            # an idle kept-alive connection is left to uvicorn's keep-alive timeout.
            cycle = self.cycle
            if self._header_timer is None and cycle is not None and (
                    cycle.response_complete
                    and self.conn.their_state in (h11.IDLE, h11.SEND_BODY)):
                self._arm_header_timer()
            super().data_received(data)
            if self._header_timer is not None and self.cycle is not self._armed_for:
                self._disarm_header_timer()      # a new request's headers are in

        def _arm_header_timer(self) -> None:
            self._disarm_header_timer()
            self._armed_for = self.cycle
            self._header_timer = self.loop.call_later(header_timeout,
                                                      self._headers_overdue)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_overdue(self) -> None:
            self._header_timer = None
            # No new request (cycle) began since the timer was armed, and the
            # client is still sending headers (IDLE: h11 leaves it once they are
            # complete), or the rest of a body the server already answered.
            if (self.cycle is self._armed_for and not self.transport.is_closing()
                    and self.conn.their_state in (h11.IDLE, h11.SEND_BODY)):
                self.transport.abort()

    return GuardedH11Protocol
