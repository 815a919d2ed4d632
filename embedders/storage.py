"""Images in object storage: ``s3://``, ``gs://`` and other fsspec URLs.

fsspec (and the package of each protocol: s3fs, gcsfs, adlfs...) is imported
only when such a URL is read, so nothing here costs anything otherwise.
Storage options (endpoints, keys, ``anon``) are never taken from the caller:
a filesystem is made from the URL alone, and fsspec and the cloud libraries
find the user's own configuration (environment, ``~/.aws``, fsspec's config).

Which locations may be read is the application's decision, not this
package's: :func:`set_policy` installs a check that can refuse a URL (the app
refuses buckets the user does not trust).  http(s) URLs are not handled here
(see urls.py), and ``file://`` URLs are plain local paths (:func:`local_path`).

Failures raise :class:`StorageError` with a short reason a user can read.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any, Callable, Iterator
from urllib.parse import unquote, urlsplit

HEADER_BLOCK = 64 * 1024     # bytes fetched per read while Pillow parses a header
FREE = frozenset({"memory"})    # in this process only: never asked about
LOCAL = frozenset({"file", "local"})
# fsspec protocols that wrap another filesystem or a local file given in options:
# they name nothing by their URL alone, so they are not read at all
WRAPPERS = frozenset({"zip", "tar", "libarchive", "reference", "simplecache", "filecache",
                      "blockcache", "cached", "dir", "data"})
EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}    # imgflow's extras
# what to name when fsspec itself is missing (its registry, which knows the rest, is too)
PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs",
            "abfs": "adlfs", "abfss": "adlfs", "adl": "adlfs"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)(://|::)")   # ::, fsspec's chained URLs


class StorageError(Exception):
    """A URL that cannot be read; str(e) is a short human reason."""


_policy: Callable[[str], str | None] = lambda url: None


def set_policy(refusal: Callable[[str], str | None]) -> None:
    """``refusal(url)`` says why a URL may not be read (None: it may); asked before each read."""
    global _policy
    _policy = refusal


def scheme(source: str) -> str | None:
    """The URL's scheme in lower case (``s3``), or None for a plain path."""
    match = _SCHEME.match(source) if isinstance(source, str) and "://" in source else None
    return match.group(1).lower() if match else None


def is_storage_url(source: str) -> bool:
    """An fsspec URL read here: any scheme but http(s) and file."""
    return scheme(source) not in (None, "http", "https", *LOCAL)


def location(url: str) -> str:
    """``scheme://bucket``: what trust is given to; ValueError with a one-line reason."""
    parts = urlsplit(url.strip())
    protocol = parts.scheme.lower()
    if protocol in ("", "http", "https", *LOCAL):
        raise ValueError(f"{url!r} is not an object-storage URL")
    if not _known(protocol):
        raise ValueError(f"{url!r} is not an http:// or https:// address, nor a storage URL "
                         "fsspec knows (s3://, gs://, …)")
    if "@" in parts.netloc:
        raise ValueError(f"{url!r} holds a user name or key; credentials in a URL are never "
                         "used (your own configuration is)")
    return f"{protocol}://{parts.netloc}"


def _known(protocol: str) -> bool:
    """Whether fsspec has this protocol (any, when fsspec is not installed: reading says
    what to install)."""
    try:
        from fsspec.registry import known_implementations, registry
    except ImportError:
        return True
    return protocol in known_implementations or protocol in registry


def local_path(url: str) -> str:
    """The path of a ``file://`` (or fsspec ``local://``) URL; ValueError for another host."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"{url!r} names another computer ({parts.netloc})")
    return unquote(parts.path)


def check(url: str) -> None:
    """StorageError unless the URL may be read: supported, and allowed by the policy."""
    protocol = scheme(url)
    if protocol in WRAPPERS or "::" in url:
        raise StorageError(f"{protocol}:// URLs are not supported; give the files' own URL")
    try:
        location(url)
    except ValueError as exc:
        raise StorageError(str(exc)) from None
    try:
        refusal = _policy(url)
    except Exception:        # an unreadable settings file allows nothing
        refusal = f"refused: {location(url)} could not be checked against your settings"
    if refusal:
        raise StorageError(refusal)


def install_hint(protocol: str, package: str) -> str:
    """What to install for a protocol: imgflow's extra where it has one, else the package."""
    extra = EXTRAS.get(protocol)
    if extra is None:
        return f"pip install {package}" if package.startswith("fsspec") else \
            f"pip install fsspec {package}"
    return f'pip install "imgflow[{extra}]" (or pip install {package})'


def filesystem(url: str):
    """(fsspec filesystem, path within it) for a checked URL; StorageError when unusable."""
    check(url)
    protocol = scheme(url)
    try:
        from fsspec.core import url_to_fs
        from fsspec.registry import known_implementations
    except ImportError:
        needed = " ".join(["fsspec", *filter(None, [PACKAGES.get(protocol)])])
        raise StorageError(f"{protocol}:// URLs need fsspec: "
                           f"{install_hint(protocol, needed)}") from None
    package = known_implementations.get(protocol, {}).get("class", "").split(".")[0]
    try:
        return url_to_fs(url)
    except ImportError:
        raise StorageError(f"{protocol}:// URLs need {package or 'a package'}: "
                           f"{install_hint(protocol, package)}") from None
    except ValueError as exc:
        if "not known" in str(exc).lower():
            raise StorageError(f"{protocol}:// is not a storage protocol fsspec knows") from None
        raise StorageError(f"cannot use {url} ({exc})") from None
    except Exception as exc:     # a bad configuration, missing credentials...
        raise StorageError(reason(exc)) from None


def reason(exc: BaseException) -> str:
    """A short reason for a failure of fsspec or a cloud library."""
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "no permission"
    text = str(exc).strip().splitlines()
    return text[0][:200] if text and text[0] else type(exc).__name__


def walk(url: str, recursive: bool) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """(path under url as parts, fsspec info) of every file under a folder-like URL."""
    fs, root = filesystem(url)
    try:
        fs.invalidate_cache(root)    # a listing kept from an earlier scan would miss changes
        if not fs.isdir(root):
            raise StorageError("file not found" if not fs.exists(root) else "not a folder")
        found = fs.find(root, maxdepth=None if recursive else 1, withdirs=False, detail=True)
    except StorageError:
        raise
    except Exception as exc:
        raise StorageError(reason(exc)) from None
    prefix = root.rstrip("/") + "/"
    for path, info in found.items():
        if path.startswith(prefix) and info.get("type", "file") == "file":
            yield tuple(path[len(prefix):].split("/")), info


def child(url: str, parts: tuple[str, ...]) -> str:
    """The URL of a file under a folder-like URL, spelled as the folder was."""
    return url.rstrip("/") + "/" + "/".join(parts)


def read_bytes(url: str, max_bytes: int) -> bytes:
    """The whole object; StorageError when missing, too large or unreadable."""
    fs, path = filesystem(url)
    try:
        # one ranged GET: no size looked up first (a cached listing could be stale), and
        # never more than one byte past the limit downloaded
        data = fs.cat_file(path, start=0, end=max_bytes + 1)
    except IsADirectoryError:
        raise StorageError("not a file (a folder)") from None
    except Exception as exc:
        raise StorageError(reason(exc)) from None
    if len(data) > max_bytes:
        raise StorageError("file too large")
    return data


def open_header(url: str, size: int | None = None):
    """A seekable file that fetches HEADER_BLOCK bytes at a time: Pillow reads a header
    without the rest of the object being downloaded.  A size known from a listing
    spares the request that would ask for it (where the filesystem takes one)."""
    fs, path = filesystem(url)
    try:
        if size is not None and size >= 0:
            try:
                return fs.open(path, "rb", block_size=HEADER_BLOCK, size=size)
            except TypeError:    # this filesystem's files take no size
                pass
        return fs.open(path, "rb", block_size=HEADER_BLOCK)
    except IsADirectoryError:
        raise StorageError("not a file (a folder)") from None
    except Exception as exc:
        raise StorageError(reason(exc)) from None


# The keys fsspec filesystems use for a fingerprint that changes with the contents
_FINGERPRINTS = ("ETag", "etag", "md5Hash", "crc32c", "generation", "content_md5",
                 "checksum", "version_id", "VersionId")
_TIMES = ("LastModified", "mtime", "updated", "last_modified", "created")


def stamp(url: str) -> tuple[int, int, int] | None:
    """(size, modification time in ns, fingerprint) from the object's listing, or None.

    None when the filesystem gives no content fingerprint (an ETag, an MD5,
    a generation): then the object's bytes are hashed each time instead, as a
    size and a time alone could miss a rewrite.
    """
    fs, path = filesystem(url)
    try:
        fs.invalidate_cache(path)    # the object as it is now, not as an old listing saw it
        info = fs.info(path)
    except Exception:
        return None
    fingerprint = next((str(info[k]) for k in _FINGERPRINTS if info.get(k)), None)
    if fingerprint is None or not isinstance(info.get("size"), int):
        return None
    when = next((info[k] for k in _TIMES if info.get(k)), 0)
    if isinstance(when, datetime):
        when = when.timestamp()
    try:
        mtime_ns = int(float(when) * 1e9)
    except (TypeError, ValueError):
        mtime_ns = 0
    digest = int.from_bytes(hashlib.blake2b(fingerprint.encode(), digest_size=8).digest(), "big")
    return info["size"], mtime_ns, digest
