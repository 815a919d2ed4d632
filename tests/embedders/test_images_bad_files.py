"""images.py on bad input: every case is an ImageSkipped with a reason, fast."""
from __future__ import annotations

import builtins
import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from imgflow.embedders import images
from imgflow.embedders.images import ImageSkipped, load_thumbnail, open_rgb, read_bytes, read_size


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with no pixel data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))


def skip_reason(source: str, header_intact: bool = False) -> str:
    """The reason the load paths give, checked for every entry point (but
    read_size, which reads only the header, when the header is fine)."""
    reasons = set()
    loads = [lambda: open_rgb(read_bytes(source)), lambda: load_thumbnail(source, 64)]
    if not header_intact:
        loads.append(lambda: read_size(source))
    for load in loads:
        with pytest.raises(ImageSkipped) as info:
            load()
        reasons.add(str(info.value))
    assert len(reasons) == 1, reasons
    return reasons.pop()


@pytest.fixture
def corpus(tmp_path):
    good = np.random.default_rng(1).integers(0, 255, (200, 300, 3), dtype=np.uint8)
    Image.fromarray(good).save(tmp_path / "whole.jpg", quality=90)
    data = (tmp_path / "whole.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(data[: len(data) // 2])
    png = tmp_path / "whole.png"
    Image.fromarray(good).save(png)
    (tmp_path / "truncated.png").write_bytes(png.read_bytes()[:-600])
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("this is not an image\n" * 20)
    (tmp_path / "bomb.png").write_bytes(png_header_only(30000, 30000))
    (tmp_path / "folder.jpg").mkdir()
    return tmp_path


@pytest.mark.parametrize("name,reason", [
    ("truncated.jpg", "truncated file"),
    ("empty.jpg", "file is empty"),
    ("text.jpg", "not an image file"),
    ("missing.jpg", "file not found"),
    ("bomb.png", "image too large (decompression bomb)"),
    ("folder.jpg", "not a file (a folder)"),
])
def test_bad_file_is_skipped_with_reason(corpus, name, reason):
    header_intact = name == "truncated.jpg"
    assert skip_reason(str(corpus / name), header_intact) == reason


def test_truncated_png_is_skipped(corpus):
    # the header is intact, so only decoding finds out
    assert read_size(str(corpus / "truncated.png")) == (300, 200)
    with pytest.raises(ImageSkipped) as info:
        open_rgb(read_bytes(str(corpus / "truncated.png")))
    assert str(info.value) in ("truncated file", "corrupt or unsupported image")


def test_bomb_is_refused_before_decoding(monkeypatch, corpus):
    monkeypatch.setattr(images, "MAX_PIXELS", 100 * 100)
    Image.new("RGB", (200, 200)).save(corpus / "big.png")
    assert skip_reason(str(corpus / "big.png")) == "image too large (decompression bomb)"


def test_no_permission_is_skipped(monkeypatch, corpus):
    """Tests run as root, who may read anything: make open() refuse, as the
    kernel does for other users, and check the reason the user sees."""
    real_open = builtins.open

    def refusing_open(path, *args, **kwargs):
        if str(path).endswith("whole.jpg"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", refusing_open)
    with pytest.raises(ImageSkipped, match="^no permission$"):
        read_bytes(str(corpus / "whole.jpg"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_no_permission_for_real(corpus):
    path = corpus / "whole.jpg"
    path.chmod(0)
    try:
        assert skip_reason(str(path)) == "no permission"
    finally:
        path.chmod(0o644)


@pytest.mark.timeout(10)
def test_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    assert skip_reason(str(fifo)) == "not a regular file"


def test_oversized_file(monkeypatch, corpus):
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ImageSkipped, match="file too large"):
        read_bytes(str(corpus / "whole.jpg"))


def test_good_file_in_corpus_loads(corpus):
    assert open_rgb(read_bytes(str(corpus / "whole.jpg"))).size == (300, 200)
