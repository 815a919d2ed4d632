"""The image loader on fsspec URLs (memory://, as s3:// and gs:// are read): bytes,
header-only sizes, the usual skip reasons, the application's refusal, what to install."""
from __future__ import annotations

import io
import uuid

import numpy as np
import pytest
from PIL import Image

fsspec = pytest.importorskip("fsspec")
from fsspec.implementations.memory import MemoryFile  # noqa: E402

from imgflow.embedders import images, storage  # noqa: E402
from imgflow.embedders.images import ImageSkipped, load_thumbnail, read_bytes, read_size  # noqa: E402


@pytest.fixture
def mem():
    """A fresh folder in fsspec's memory filesystem: (filesystem, its URL)."""
    fs = fsspec.filesystem("memory")
    root = f"/t-{uuid.uuid4().hex[:8]}"
    yield fs, f"memory://{root.lstrip('/')}"
    for key in [k for k in fs.store if k.startswith(root + "/")]:
        del fs.store[key]


@pytest.fixture(autouse=True)
def policy_kept():
    """The loader alone, as a library user has it (every URL may be read); the
    application's policy, when installed, is put back after the test."""
    before = storage._policy
    storage.set_policy(lambda url: None)
    yield
    storage.set_policy(before)


def png(size=(40, 30), noise=False) -> bytes:
    if noise:
        rng = np.random.default_rng(0)
        image = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    else:
        image = Image.new("RGB", size, (200, 10, 10))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def put(fs, url: str, data: bytes) -> str:
    fs.pipe(url, data)
    return url


def test_bytes_and_thumbnails_come_from_the_url(mem):
    fs, base = mem
    url = put(fs, f"{base}/red.png", png((40, 30)))
    assert read_bytes(url) == fs.cat(url)
    thumb = load_thumbnail(url, 20)
    assert thumb.size == (20, 15) and thumb.getpixel((5, 5)) == (200, 10, 10)


def test_the_size_is_read_from_the_header_not_the_whole_object(mem, monkeypatch):
    fs, base = mem
    data = png((1500, 1500), noise=True)      # several MB that the header does not need
    url = put(fs, f"{base}/big.png", data)
    read = []
    original = MemoryFile.read

    def counting(self, *args):
        out = original(self, *args)
        read.append(len(out))
        return out
    monkeypatch.setattr(MemoryFile, "read", counting)
    assert read_size(url) == (1500, 1500)
    assert 0 < sum(read) < 64 * 1024 < len(data)
    read.clear()
    with fs.open(url, "rb") as f:              # the count sees a whole read as whole
        f.read()
    assert sum(read) >= len(data)


@pytest.mark.parametrize("content", [b"", b"plain text, not pixels", png()[:60],
                                     png()[:-20]])
def test_bad_objects_are_skipped_with_the_reasons_of_local_files(mem, tmp_path, content):
    fs, base = mem
    url = put(fs, f"{base}/bad.png", content)
    local = tmp_path / "bad.png"
    local.write_bytes(content)
    for read in (read_size, lambda s: load_thumbnail(s, 16)):
        try:
            expected = read(str(local))
        except ImageSkipped as exc:
            with pytest.raises(ImageSkipped) as got:
                read(url)
            assert str(got.value) == str(exc)
        else:
            got = read(url)
            assert got == expected if read is read_size else got.size == expected.size


def test_missing_large_and_folder_objects(mem, monkeypatch):
    fs, base = mem
    with pytest.raises(ImageSkipped, match="file not found"):
        read_bytes(f"{base}/nothing.png")
    with pytest.raises(ImageSkipped, match="file not found"):
        read_size(f"{base}/nothing.png")
    url = put(fs, f"{base}/sub/a.png", png())
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 10)
    with pytest.raises(ImageSkipped, match="file too large"):
        read_bytes(url)


def test_the_applications_policy_refuses_before_anything_is_read(mem, monkeypatch):
    fs, base = mem
    url = put(fs, f"{base}/a.png", png())
    asked = []
    storage.set_policy(lambda u: asked.append(u) or "refused: not trusted (say so)")
    import fsspec.core
    monkeypatch.setattr(fsspec.core, "url_to_fs", lambda u: pytest.fail("reached fsspec"))
    for read in (read_bytes, read_size):
        with pytest.raises(ImageSkipped, match=r"refused: not trusted \(say so\)"):
            read(url)
    assert asked
    storage.set_policy(lambda u: 1 / 0)        # a broken check allows nothing
    monkeypatch.undo()
    with pytest.raises(ImageSkipped, match="refused"):
        read_bytes(url)


@pytest.mark.parametrize("url, reason", [
    ("s3://key:secret@bucket/a.jpg", "credentials in a URL are never used"),
    ("zip://a.jpg", "not supported"),
    ("simplecache::s3://bucket/a.jpg", "not supported"),
    ("gopher://host/a.jpg", "fsspec knows"),
])
def test_urls_that_would_take_options_or_other_files_are_refused(url, reason):
    with pytest.raises(ImageSkipped, match=reason):
        read_bytes(url)


def test_a_missing_protocol_package_says_what_to_install(monkeypatch):
    from fsspec.registry import known_implementations
    monkeypatch.setitem(known_implementations, "fakecloud",
                        {"class": "imgflow_no_such_package.FS", "err": "Install it"})
    with pytest.raises(ImageSkipped, match="pip install fsspec imgflow_no_such_package"):
        read_bytes("fakecloud://bucket/a.jpg")
    import importlib
    loaded = importlib.import_module("fsspec.registry")._registry   # s3fs imported already
    monkeypatch.delitem(loaded, "s3", raising=False)
    monkeypatch.setitem(known_implementations, "s3",
                        {"class": "imgflow_no_such_s3fs.S3FileSystem", "err": "Install s3fs"})
    with pytest.raises(ImageSkipped, match=r'pip install "imgflow\[s3\]"'):
        read_size("s3://bucket/a.jpg")


def test_without_fsspec_the_message_names_it(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    with pytest.raises(ImageSkipped, match=r'need fsspec: pip install "imgflow\[gcs\]" '
                                           r'\(or pip install fsspec gcsfs\)'):
        read_bytes("gs://bucket/a.jpg")


def test_file_urls_are_local_paths_with_their_checks(tmp_path):
    path = tmp_path / "a b.png"
    path.write_bytes(png())
    assert read_size(path.as_uri()) == (40, 30)
    assert read_bytes(path.as_uri()) == path.read_bytes()
    with pytest.raises(ImageSkipped, match="another computer"):
        read_bytes("file://server/share/a.png")
    with pytest.raises(ImageSkipped, match="not a file"):
        read_bytes(tmp_path.as_uri())


def test_an_object_without_a_fingerprint_has_no_stamp_one_with_an_etag_has(mem, monkeypatch):
    fs, base = mem
    url = put(fs, f"{base}/a.png", png())
    assert storage.stamp(url) is None          # memory: size and time only, so hash the bytes
    info = {"name": url, "size": 10, "type": "file", "ETag": '"abc"',
            "LastModified": 1_700_000_000}
    monkeypatch.setattr(type(fs), "info", lambda self, path, **kw: dict(info))
    first = storage.stamp(url)
    assert first[:2] == (10, 1_700_000_000 * 10**9)
    info["ETag"] = '"abd"'                     # rewritten: same size, same second
    assert storage.stamp(url) != first
