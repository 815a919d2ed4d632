"""Bounded reading of a server's replies: a faulty or hostile server cannot
make the client hold gigabytes.

A reply is requested with ``stream=True`` and read here in chunks, up to what
the request can justify: an embedding reply holds ``n x width`` float32
values and a small header, a model list or an error a few kilobytes.  A
larger reply is refused as soon as its Content-Length, or the bytes read so
far, pass the limit; the connection is then closed, not drained.
"""

from __future__ import annotations

import requests

from imgflow.embedders.errors import EmbedderError

CHUNK = 64 << 10
MAX_LISTING_BYTES = 1 << 20      # GET /v1/models
MAX_ERROR_BYTES = 64 << 10       # any reply that is not 200
HEADER_ROOM = 64 << 10           # the JSON header of an embedding reply
ERROR_ROOM = 1 << 10             # ... and per image, its error message


def embed_reply_limit(status: int, n_images: int, width: int) -> int:
    """The most bytes a reply to an embed request of ``n_images`` may have."""
    if status != 200:
        return MAX_ERROR_BYTES
    return n_images * (width * 4 + ERROR_ROOM) + HEADER_ROOM


def read_bounded(resp: requests.Response, limit: int, url: str, what: str) -> None:
    """Read a streamed ``resp``'s body (then ``resp.content`` and ``.json()``
    work as usual), or raise EmbedderError when it is larger than ``limit``.

    Connection failures while reading raise requests' own exceptions.
    """
    declared = resp.headers.get("Content-Length", "")
    size = int(declared) if declared.strip().isdigit() else None
    if size is None or size <= limit:
        data = bytearray()
        try:
            for chunk in resp.iter_content(CHUNK):
                data += chunk
                if len(data) > limit:
                    break
            else:
                resp._content = bytes(data)   # what requests itself would fill
                return
        except BaseException:
            resp.close()
            raise
    resp.close()                              # the rest is never read
    told = f"{size} bytes" if size is not None else f"more than {limit} bytes"
    raise EmbedderError(
        f"The embedding server at {url} sent a reply of {told} for {what}, "
        f"more than it can hold (at most {limit} bytes); refused it without "
        f"reading it all. The server is faulty or not an imgflow server.")
