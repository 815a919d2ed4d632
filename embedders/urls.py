"""Downloads of http(s) images that a hostile address cannot abuse.

- A real overall deadline: a watchdog thread shuts the socket down when it
  passes, so a server that drips one byte at a time is cut off on time (a check
  between reads could wait for a whole read first).
- Each address is checked before connecting, the first one and every
  redirect's: private, loopback, link-local and other non-public addresses are
  refused unless the user allows them (:func:`private_urls_allowed`), so a URL
  in a shared workflow cannot reach services inside the user's network.  The
  connection goes to the very address that was checked (no second DNS lookup
  that could answer differently).

Failures raise :class:`DownloadFailed` with a short reason a user can read.
Only the standard library is used (http.client, ssl; certifi's CA list when
installed, as requests uses it).
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import threading
from typing import Callable
from urllib.parse import urljoin, urlsplit

ALLOW_PRIVATE_ENV = "IMGFLOW_ALLOW_PRIVATE_URLS"
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_READ_SIZE = 64 * 1024


class DownloadFailed(Exception):
    """A download that did not succeed; str(e) is a short human reason."""


_user_allows: Callable[[], bool] = lambda: False


def set_user_policy(allows: Callable[[], bool]) -> None:
    """Where the user's own choice is kept (the app's user settings, which this
    package knows nothing of): ``allows()`` is asked at each check."""
    global _user_allows
    _user_allows = allows


def private_urls_allowed() -> bool:
    """The user's choice to let URL images come from private addresses: their
    settings (Preferences → Network), or IMGFLOW_ALLOW_PRIVATE_URLS=1 for one run."""
    if os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}:
        return True
    try:
        return bool(_user_allows())
    except Exception:   # an unreadable settings file allows nothing
        return False


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet (not private, loopback,
    link-local, shared, reserved, unspecified or multicast)."""
    if ip.version == 6 and ip.ipv4_mapped is not None:   # ::ffff:127.0.0.1
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def download(url: str, *, max_bytes: int, connect_timeout: float,
             read_timeout: float, total_timeout: float) -> bytes:
    """The body of ``url``, following checked redirects, within ``total_timeout``."""
    watchdog = _Watchdog(total_timeout)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            target = _get(url, watchdog, max_bytes, connect_timeout, read_timeout)
            if not isinstance(target, str):
                return target
            url = target
        raise DownloadFailed("too many redirects")
    except DownloadFailed:
        raise
    except ssl.SSLCertVerificationError:
        raise DownloadFailed("cannot download (the site's certificate is not "
                             "valid)") from None
    except (OSError, http.client.HTTPException, ValueError):
        if watchdog.expired:
            raise DownloadFailed("download timed out") from None
        raise DownloadFailed("cannot download") from None
    finally:
        watchdog.cancel()


def _get(url, watchdog, max_bytes, connect_timeout, read_timeout) -> bytes | str:
    """The body, or the next URL when the answer is a redirect."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise DownloadFailed("refused: not an http(s) address")
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    sock = _connect(_checked_addresses(parts.hostname, port), port, connect_timeout)
    sock.settimeout(read_timeout)
    if https:   # the TLS socket takes the plain one's place: watch it, then shake hands
        sock = _tls_context().wrap_socket(sock, server_hostname=parts.hostname,
                                          do_handshake_on_connect=False)
    watchdog.watch(sock)
    conn_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
    conn = conn_class(parts.hostname, port, timeout=read_timeout)
    conn.sock = sock                 # already connected, to the checked address
    try:
        if https:
            sock.do_handshake()
        path = parts.path or "/"
        conn.request("GET", path + (f"?{parts.query}" if parts.query else ""),
                     headers={"User-Agent": "imgflow", "Accept-Encoding": "identity"})
        response = conn.getresponse()
        if response.status in _REDIRECTS and response.getheader("Location"):
            return urljoin(url, response.getheader("Location"))
        if response.status == 404:
            raise DownloadFailed("file not found (HTTP 404)")
        if response.status >= 400:
            raise DownloadFailed(f"download failed (HTTP {response.status})")
        return _read_body(response, max_bytes, watchdog)
    except socket.timeout:
        raise DownloadFailed("download timed out") from None
    finally:
        conn.close()


def _checked_addresses(host: str, port: int) -> list:
    """The addresses to connect to, refused when not public and not allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise DownloadFailed("cannot download (unknown host)") from None
    addresses = list(dict.fromkeys(
        ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    hidden = [a for a in addresses if not is_public(a)]
    # every address the name has must pass: the connection might reach any
    if hidden and not private_urls_allowed():
        raise DownloadFailed(f"refused: {hidden[0]} is a private or local address "
                             "(allow private addresses in Preferences → Network, "
                             f"or set {ALLOW_PRIVATE_ENV}=1)")
    return addresses


def _connect(addresses: list, port: int, timeout: float) -> socket.socket:
    """A connection to the first of ``addresses`` that answers."""
    error: OSError = OSError("no address")
    for ip in addresses:
        try:
            return socket.create_connection((str(ip), port), timeout)
        except socket.timeout:
            raise DownloadFailed("download timed out") from None
        except OSError as exc:
            error = exc
    raise error


def _read_body(response, max_bytes: int, watchdog: "_Watchdog") -> bytes:
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise DownloadFailed("file too large")
    chunks, total = [], 0
    while chunk := response.read(_READ_SIZE):
        total += len(chunk)
        if total > max_bytes:
            raise DownloadFailed("file too large")
        chunks.append(chunk)
    if watchdog.expired:             # the watchdog's shutdown looks like an end
        raise DownloadFailed("download timed out")
    return b"".join(chunks)


class _Watchdog:
    """Shuts down the socket it watches once ``seconds`` have passed."""

    def __init__(self, seconds: float):
        self.expired = False
        self._sock = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            expired = self.expired
        if expired:
            self._shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            sock = self._sock
        if sock is not None:
            self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        try:
            # the plain socket's shutdown, also under TLS: it wakes a blocked
            # read in the downloading thread at once
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self) -> None:
        self._timer.cancel()


_tls = None


def _tls_context() -> ssl.SSLContext:
    global _tls
    if _tls is None:
        try:
            import certifi
            _tls = ssl.create_default_context(cafile=certifi.where())
        except ImportError:
            _tls = ssl.create_default_context()
    return _tls
