"""Which embedding servers may receive the user's images, and with which token.

A workflow file is written by someone else: it may name a server, but images
go there only when the user trusts that server -- an entry in their own
settings (``imgflow servers add URL``, or Allow in the canvas) -- or named it
themselves for one run (``imgflow run --set``).  Tokens come only from the
user's entry; a token file named in a workflow is never read.

Trust is per origin: scheme, host and port (``http://gpu-box:8750``), as a
browser's is; the path behind it does not matter.

Object storage is trusted the same way, per bucket (``s3://bucket``): reading
it signs requests with the user's own cloud credentials, so a bucket named by
a workflow file is read only once the user trusts it (the same list, the same
``imgflow servers add``), or named it themselves (the panel, ``--set``).
``memory://`` lives in this process and needs no trust.

A Dask scheduler (``tcp://host:8786``) is trusted the same way, per origin: work
sent there carries the image paths, and its workers read the images.
"""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from . import user_settings
from .embedders import storage

DEFAULT_PORTS = {"http": 80, "https": 443}
SCHEDULER_PORTS = {"tcp": 8786, "tls": 8786}    # Dask schedulers (Image Embedding)

_run_lock = threading.Lock()
_allowed_for_run: Counter[str] = Counter()


@dataclass(frozen=True)
class TrustedServer:
    url: str                    # the origin, http://host:port
    token: str | None = None

    @property
    def token_state(self) -> str:
        """What may be shown of the token: never the token itself."""
        return "token set" if self.token else "no token"


def origin(url: str) -> str:
    """``scheme://host:port`` of a server address; ValueError with a one-line reason."""
    text = url.strip()
    if not text:
        raise ValueError("an empty server address")
    if "://" not in text:
        text = "http://" + text          # as the client reads a bare host:port
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r} is not a server address ({exc})") from None
    scheme = parts.scheme.lower()
    ports = {**DEFAULT_PORTS, **SCHEDULER_PORTS}
    if scheme not in ports:
        raise ValueError(f"{url!r} is not an http:// or https:// address "
                         "(nor a tcp:// Dask scheduler)")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"{url!r} names no host")
    if ":" in host:
        host = f"[{host}]"               # IPv6
    return f"{scheme}://{host}:{port or ports[scheme]}"


def is_storage(url: str) -> bool:
    """An object-storage URL (``s3://bucket/...``), trusted per bucket, not a server
    (nor a Dask scheduler: ``tcp://`` is no storage)."""
    text = url.strip()
    return storage.scheme(text) not in SCHEDULER_PORTS and storage.is_storage_url(text)


def location(url: str) -> str:
    """What trust is given to: a server's origin or a bucket's ``scheme://bucket``."""
    return storage.location(url) if is_storage(url) else origin(url)


def canonical(url: str) -> str:
    """The address rebuilt from its checked origin and path: what the client is given.

    No user info, query or fragment survive, so the client cannot read the
    text differently from the check (``http://a\\@b/`` and the like).
    """
    text = url.strip() if "://" in url else "http://" + url.strip()
    path = urlsplit(text).path.rstrip("/")
    return origin(url) + path


# -- the user's entries -------------------------------------------------------

def _entries(doc: dict) -> list[dict]:
    """The file's server entries, each address as its origin (a hand-edited one too)."""
    servers = doc.get("servers")
    entries = []
    for entry in servers if isinstance(servers, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            try:
                entries.append({**entry, "url": location(entry["url"])})
            except ValueError:
                continue                 # not an address: never matches anything
    return entries


def trusted_servers() -> list[TrustedServer]:
    """The user's trusted servers; raises user_settings.UserSettingsError."""
    out = []
    for entry in _entries(user_settings.read()):
        token = entry.get("token")
        out.append(TrustedServer(entry["url"], token if isinstance(token, str) and token else None))
    return out


def find(url: str) -> TrustedServer | None:
    """The user's entry for this address's origin (or bucket), if they trust it."""
    wanted = location(url)
    return next((s for s in trusted_servers() if s.url == wanted), None)


def add(url: str, token: str | None = None) -> TrustedServer:
    """Trust a server or a bucket (again); a given token replaces the stored one, None keeps it."""
    url = location(url)

    def change(doc):
        entries = _entries(doc)
        entry = next((e for e in entries if e["url"] == url), None)
        if entry is None:
            entry = {"url": url}
            entries.append(entry)
        if token is not None:
            if token:
                entry["token"] = token
            else:
                entry.pop("token", None)
        doc["servers"] = entries
        return TrustedServer(url, entry.get("token") or None)
    return user_settings.update(change)


def set_token(url: str, token: str | None) -> TrustedServer:
    """Store (or with None/'' forget) the token of a trusted server."""
    return add(url, token or "")


def remove(url: str) -> bool:
    """Stop trusting a server or bucket (its token goes too); False when it was not trusted."""
    url = location(url)

    def change(doc):
        entries = _entries(doc)
        kept = [e for e in entries if e["url"] != url]
        doc["servers"] = kept
        return len(kept) != len(entries)
    return user_settings.update(change)


# -- asking -----------------------------------------------------------------

def is_trusted(url: str) -> bool:
    """True when the user trusts this server address, for good or for this run."""
    try:
        key = origin(url)
    except ValueError:
        return False
    return _trusted(key)


def storage_trusted(url: str) -> bool:
    """True when the user trusts this object-storage URL's bucket (memory:// always)."""
    if storage.scheme(url.strip()) in storage.FREE:
        return True
    try:
        key = storage.location(url)
    except ValueError:
        return False
    return _trusted(key)


def storage_refusal(url: str) -> str | None:
    """Why the loaders may not read this object-storage URL (None: they may).

    Raises user_settings.UserSettingsError when the settings cannot be read."""
    if storage_trusted(url):
        return None
    try:
        where = storage.location(url)
    except ValueError as exc:
        return f"refused: {exc}"
    return f"refused: {where} is not trusted (imgflow servers add {where})"


def _trusted(key: str) -> bool:
    with _run_lock:
        if _allowed_for_run[key]:
            return True
    return find(key) is not None


def token_for(url: str) -> str | None:
    entry = find(url)
    return entry.token if entry is not None else None


def untrusted_message(url: str) -> str:
    """One line: why nothing is sent there, and how the user can allow it."""
    if is_storage(url):
        try:
            shown = storage.location(url)
        except ValueError as exc:
            return f"The storage address is not valid: {exc}."
        return (f"This workflow reads images from {shown} with your own cloud credentials, "
                f"and you have not trusted it; to allow it, run: imgflow servers add {shown} "
                f"(or choose the folder yourself: in the widget, or with --set)")
    try:
        shown = origin(url)
    except ValueError as exc:
        return f"The server address is not valid: {exc}."
    if shown.split(":", 1)[0] in SCHEDULER_PORTS:
        return (f"This workflow would send your image paths to the Dask scheduler {shown} "
                f"(its workers read the images), which is not one of your trusted servers; "
                f"to allow it, run: imgflow servers add {shown}")
    return (f"This workflow would send your images to {shown}, which is not one of your "
            f"trusted embedding servers; to allow it, run: imgflow servers add {shown}")


@contextmanager
def allowed_for_this_run(urls: Iterable[str]) -> Iterator[None]:
    """Trust addresses the user gave themselves (``imgflow run --set``) while the block runs."""
    keys = []
    for url in urls:
        try:
            keys.append(location(url))
        except ValueError:
            continue                     # the widget reports a bad address itself
    with _run_lock:
        _allowed_for_run.update(keys)
    try:
        yield
    finally:
        with _run_lock:
            _allowed_for_run.subtract(keys)
            for key in [k for k, n in _allowed_for_run.items() if n <= 0]:
                del _allowed_for_run[key]


def untrusted_in(workflow) -> dict[str, list[int]]:
    """{origin: [node ids]} of servers (and buckets) the workflow's nodes would send data
    to (or read with the user's credentials), untrusted."""
    found: dict[str, list[int]] = {}
    for node in workflow.nodes.values():
        widget = workflow.widget(node)
        if widget is None:
            continue
        for url in widget.sends_to(node.settings):
            if not (storage_trusted(url) if is_storage(url) else is_trusted(url)):
                try:
                    key = location(url)
                except ValueError:
                    continue
                found.setdefault(key, []).append(node.id)
    return found
