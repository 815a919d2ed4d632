"""`imgflow serve` against slow and hostile clients: real server, real sockets.

Every socket stays on the loopback interface.  The attacker of the connection
flood connects *from* 127.0.0.2 (still this machine's loopback) so that it is a
different client than the normal request from 127.0.0.1, as it would be on a
network.
"""
from __future__ import annotations

import select
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from imgflow.embedders.remote import wire

from .conftest import MODEL, ServerProcess, random_images, wait_until

TIMEOUT = 30
EMBED = f"/v1/models/{MODEL}/embed"


@pytest.fixture(scope="module")
def _servers():
    """Both servers of this module, started at once so their start-ups overlap."""
    procs = {
        # default limits except --max-concurrent 2: the counts (33 slow
        # bodies for 32 places) scaled down to 3 for 2
        "plain": ServerProcess("--max-concurrent", "2"),
        # short deadlines and a small per-client cap, to see them act
        "strict": ServerProcess("--max-concurrent", "2", "--header-timeout", "1",
                                "--read-timeout", "1", "--body-timeout", "2.5",
                                "--max-connections-per-client", "8"),
    }
    try:
        yield {name: p.wait_ready().url for name, p in procs.items()}
    finally:
        for p in procs.values():
            p.stop()


@pytest.fixture
def plain(_servers):
    return _servers["plain"]


@pytest.fixture
def strict(_servers):
    return _servers["strict"]


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def connect(url: str, source: str | None = None) -> socket.socket:
    sock = socket.create_connection(address(url), timeout=5,
                                    source_address=(source, 0) if source else None)
    sock.setblocking(True)
    return sock


def embed_head(length: int) -> bytes:
    return (f"POST {EMBED} HTTP/1.1\r\nHost: test\r\n"
            f"Content-Type: {wire.IMAGES_TYPE}\r\nContent-Length: {length}\r\n\r\n"
            ).encode()


def normal_request(url: str) -> requests.Response:
    return requests.post(url + EMBED, data=wire.encode_images(random_images(1)),
                         headers={"Content-Type": wire.IMAGES_TYPE}, timeout=TIMEOUT)


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closes ``sock`` within ``within`` seconds."""
    sock.settimeout(within)
    try:
        return sock.recv(65536) == b""  # an answer (e.g. 408) is not a close
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def read_reply(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return data


class Drippers:
    """Connections that send an embed request's body one byte at a time."""

    def __init__(self, url: str, n: int, every: float, length: int = 100_000):
        self.socks = [connect(url) for _ in range(n)]
        for s in self.socks:
            s.sendall(embed_head(length))
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, daemon=True)

    def _drip(self):
        end = time.monotonic() + 60          # bounded even if a test forgets
        while not self._stop.wait(self.every) and time.monotonic() < end:
            for s in self.socks:
                try:
                    s.send(b"x")
                except OSError:
                    pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        for s in self.socks:
            s.close()


# -- the faults, reproduced --------------------------------------------

@pytest.mark.timeout(60)
def test_slow_bodies_do_not_make_normal_requests_busy(plain):
    url = plain
    with Drippers(url, n=3, every=0.5):
        time.sleep(1.2)                      # every dripper is mid-body
        resp = normal_request(url)
        assert resp.status_code == 200, resp.text
        health = requests.get(url + "/v1/health", timeout=TIMEOUT).json()
        assert health["in_flight"] == 0      # a body still arriving is not in progress


@pytest.mark.timeout(90)
def test_a_flood_of_unfinished_headers_does_not_lock_out_others(plain):
    url = plain
    try:
        flood = [connect(url, source="127.0.0.2") for _ in range(1030)]
    except OSError as exc:
        pytest.skip(f"cannot connect from 127.0.0.2: {exc}")
    try:
        for s in flood:
            s.sendall(b"POST /v1/models/squeezenet/em")   # headers never end
        time.sleep(1.0)                      # the server has accepted them
        resp = normal_request(url)
        assert resp.status_code == 200, resp.text
        # the server closed all but its per-client allowance (64) at once
        closed = sum(closed_by_server(s, 0.01) for s in flood)
        assert closed >= 1030 - 64
    finally:
        for s in flood:
            s.close()


@pytest.mark.parametrize("header", [
    b"[" * 100_000 + b"]" * 100_000,                               # too deep
    b'{"encoding": "png", "lengths": [' + b"9" * 5000 + b"]}",     # too long a number
    b'{"encoding": "png", "lengths": [1, 2}',                      # not JSON
    b'{"encoding": "png", "lengths": "\xff\xfe"}',                 # not UTF-8
])
def test_json_the_server_cannot_parse_is_a_400(plain, header):
    body = wire.MAGIC + len(header).to_bytes(4, "big") + header
    resp = requests.post(plain + EMBED, data=body, timeout=TIMEOUT,
                         headers={"Content-Type": wire.IMAGES_TYPE})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "bad_request"


# -- the deadlines and the cap at work ------------------------------------------

@pytest.mark.timeout(30)
def test_a_body_that_drips_past_the_body_deadline_gets_408(strict):
    url = strict                  # --body-timeout 2.5, --read-timeout 1
    with Drippers(url, n=1, every=0.3) as drip:
        start = time.monotonic()
        reply = read_reply(drip.socks[0], timeout=10)
        elapsed = time.monotonic() - start
    assert reply.startswith(b"HTTP/1.1 408 ")
    assert b"body_timeout" in reply and b"connection: close" in reply.lower()
    assert 2.0 < elapsed < 5.0


@pytest.mark.timeout(30)
def test_a_body_that_stops_gets_408_after_the_read_deadline(strict):
    url = strict
    with connect(url) as sock:
        sock.sendall(embed_head(1000) + b"IMF1")
        start = time.monotonic()
        reply = read_reply(sock, timeout=10)
        elapsed = time.monotonic() - start
    assert reply.startswith(b"HTTP/1.1 408 ") and b"read_timeout" in reply
    assert 0.8 < elapsed < 3.0


@pytest.mark.timeout(30)
def test_unfinished_headers_are_closed_after_the_header_deadline(strict):
    url = strict                  # --header-timeout 1
    with connect(url) as silent, connect(url) as partial, connect(url) as kept:
        partial.sendall(b"GET /v1/hea")
        # a kept-alive connection gets the same deadline for its next request
        kept.sendall(b"GET /v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
        kept.settimeout(5)
        answer = b""
        while not answer.endswith(b"}"):           # the whole JSON reply
            answer += kept.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 ")
        kept.sendall(b"GET /v1/hea")
        start = time.monotonic()
        assert all(closed_by_server(s, 4) for s in (silent, partial, kept))
        assert time.monotonic() - start < 3


@pytest.mark.timeout(30)
def test_connections_beyond_the_per_client_cap_are_closed_at_once(strict):
    url = strict                  # --max-connections-per-client 8
    socks = [connect(url) for _ in range(12)]
    try:
        time.sleep(0.3)                      # well before the header deadline (1 s)
        readable, _, _ = select.select(socks, [], [], 0)
        closed = [s in readable and closed_by_server(s, 0) for s in socks]
        assert sum(closed) == 4 and not any(closed[:8])
    finally:
        for s in socks:
            s.close()
    # the closed connections freed their places for new ones
    assert wait_until(lambda: normal_request(url).status_code == 200, timeout=5)
