"""File names that are not valid UTF-8, as people and text files see them.

On Linux a file name is bytes.  Python decodes one that is not valid UTF-8
with ``surrogateescape`` (``os.fsdecode(b'latin1-\\xe9.jpg')`` is
``'latin1-\\udce9.jpg'``), and that str opens the file again, so tables,
the pipeline and workflow files keep names exactly that way.  But such a str
cannot be written as UTF-8 (CSV, SQLite, JSON text), and Qt draws the lone
surrogate as a box.

What a person reads (table cells, thumbnails' captions, CSV exports) shows
each byte that is not UTF-8 as ``\\xNN``, as Python and ``ls -b`` do:
``latin1-\\xe9.jpg``.  A CSV export thus stays valid UTF-8 and opens in any
spreadsheet or ``pandas.read_csv``; the one thing it cannot do is name
such a file exactly (a real backslash in a name looks the same).  Workflow
files, which must name files exactly, keep the surrogates as JSON escapes.
"""
from __future__ import annotations

import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with each undecodable byte shown as ``\\xNN`` (valid UTF-8)."""
    if not _LONE_SURROGATE.search(text):
        return text
    return _LONE_SURROGATE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that surrogateescape kept
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"  # a lone surrogate from elsewhere (a JSON escape, say)
