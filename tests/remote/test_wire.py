"""The wire format, the batcher and server helpers, without a running server."""
from __future__ import annotations

import asyncio
import io
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.remote import server, wire
from imgflow.embedders.remote.batcher import Batcher

from .conftest import ROOT, random_images


@pytest.mark.parametrize("encoding", ["png", "raw"])
def test_images_round_trip_exactly(encoding):
    batch = random_images(3, seed=1, size=(20, 30))
    header, payload = wire.unpack_frame(wire.encode_images(batch, encoding))
    enc, lengths = wire.parse_images_header(header, len(payload))
    assert enc == encoding and header["shape"] == [20, 30, 3]
    decoded = [wire.decode_image(b, enc, (20, 30))
               for b in wire.split_payload(payload, lengths)]
    np.testing.assert_array_equal(np.stack(decoded), batch)


def test_wrong_size_and_undecodable_images():
    png = wire.encode_png(random_images(1, size=(10, 12))[0])
    with pytest.raises(wire.WrongImageSize, match="10x12.*20x30"):
        wire.decode_image(png, "png", (20, 30))
    with pytest.raises(wire.WrongImageSize, match="1800 bytes"):
        wire.decode_image(b"x" * 10, "raw", (20, 30))
    with pytest.raises(ValueError, match="cannot decode"):
        wire.decode_image(b"not an image at all", "png", (20, 30))
    with pytest.raises(ValueError, match="cannot decode"):  # truncated PNG
        wire.decode_image(wire.encode_png(random_images(1, size=(20, 30))[0])[:80],
                          "png", (20, 30))
    grey = io.BytesIO()
    Image.new("L", (30, 20)).save(grey, format="PNG")
    with pytest.raises(ValueError, match="mode is L"):
        wire.decode_image(grey.getvalue(), "png", (20, 30))
    jpeg = io.BytesIO()
    Image.new("RGB", (30, 20)).save(jpeg, format="JPEG")
    with pytest.raises(ValueError, match="cannot decode"):  # only PNG is accepted
        wire.decode_image(jpeg.getvalue(), "png", (20, 30))


@pytest.mark.parametrize("body, message", [
    (b"IMF", "too short"),
    (b"XXXX\x00\x00\x00\x02{}", "magic"),
    (b"IMF1\x00\x00\x10\x00{}", "out of range"),
    (b"IMF1\x00\x00\x00\x03{x}", "not valid JSON"),
    (b"IMF1\x00\x00\x00\x02[]", "JSON object"),
])
def test_malformed_frames(body, message):
    with pytest.raises(wire.WireError, match=message):
        wire.unpack_frame(body)


@pytest.mark.parametrize("header, message", [
    ({"encoding": "jpeg", "lengths": []}, "encoding"),
    ({"encoding": "png", "lengths": [1, -1]}, "non-negative"),
    ({"encoding": "png", "lengths": "12"}, "non-negative"),
    ({"encoding": "png", "lengths": [5]}, "add up"),
])
def test_malformed_request_headers(header, message):
    with pytest.raises(wire.WireError, match=message):
        wire.parse_images_header(header, 4)


def test_embeddings_round_trip():
    vectors = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    vectors[1] = np.nan
    body = wire.encode_embeddings(vectors, {1: "cannot decode image"},
                                  model="m", version="v1")
    header, decoded, errors = wire.decode_embeddings(body)
    assert header["version"] == "v1" and errors == {1: "cannot decode image"}
    np.testing.assert_array_equal(decoded, vectors)
    with pytest.raises(wire.WireError):
        wire.decode_embeddings(body[:-4])


def test_no_pickle_in_the_protocol():
    for path in (ROOT / "embedders" / "remote").glob("*.py"):
        text = path.read_text()
        assert "import pickle" not in text and "pickle." not in text, path


def test_client_import_is_light():
    code = ("import sys, imgflow.embedders.remote.client; "
            "heavy = [m for m in ('torch', 'starlette', 'uvicorn') if m in sys.modules]; "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


class FakeModel:
    class info:
        id, width, input_size = "fake", 2, (1, 1)

    def __init__(self):
        self.calls = []

    def embed(self, batch):
        self.calls.append(len(batch))
        return batch.reshape(len(batch), -1)[:, :2].astype(np.float32)


def test_batcher_merges_concurrent_requests_and_keeps_order():
    model = FakeModel()

    async def scenario():
        batcher = Batcher(model, max_batch=8, max_wait=0.05)
        batcher.start()
        try:
            requests = [np.full((2, 1, 1, 3), i, np.uint8) for i in range(7)]
            return await asyncio.gather(*(batcher.embed(r) for r in requests))
        finally:
            await batcher.stop()

    results = asyncio.run(scenario())
    for i, out in enumerate(results):
        np.testing.assert_array_equal(out, np.full((2, 2), i, np.float32))
    # 14 images in batches of at most 8, whole requests only
    assert model.calls == [8, 6]


def test_batcher_reports_model_failure_to_every_request():
    class Broken(FakeModel):
        def embed(self, batch):
            raise RuntimeError("out of memory")

    async def scenario():
        batcher = Batcher(Broken(), max_batch=8, max_wait=0.01)
        batcher.start()
        try:
            return await asyncio.gather(
                *(batcher.embed(np.zeros((1, 1, 1, 3), np.uint8)) for _ in range(3)),
                return_exceptions=True)
        finally:
            await batcher.stop()

    results = asyncio.run(scenario())
    assert all(isinstance(r, RuntimeError) for r in results)


def test_loopback_detection():
    assert server.is_loopback("127.0.0.1") and server.is_loopback("::1")
    assert server.is_loopback("localhost") and server.is_loopback("127.1.2.3")
    assert not server.is_loopback("0.0.0.0") and not server.is_loopback("::")
    assert not server.is_loopback("192.168.1.5") and not server.is_loopback("gpu-box")


def test_warns_without_token_on_other_addresses(monkeypatch, caplog):
    def stop(*args):
        raise EmbedderError("stopped before loading")
    monkeypatch.setattr(server, "_load_models", stop)
    with caplog.at_level(logging.WARNING, logger="imgflow.embedders.remote.server"):
        with pytest.raises(EmbedderError, match="stopped"):
            server.serve(["squeezenet"], host="0.0.0.0", port=0)
    assert "without --token-file" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="imgflow.embedders.remote.server"):
        with pytest.raises(EmbedderError):
            server.serve(["squeezenet"], host="127.0.0.1", port=0)
    assert "without --token-file" not in caplog.text


def test_token_file_errors(tmp_path: Path):
    with pytest.raises(EmbedderError, match="Cannot read the token file"):
        server.read_token(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(EmbedderError, match="must hold one token"):
        server.read_token(empty)
    good = tmp_path / "good"
    good.write_text("abc123\n")
    assert server.read_token(good) == "abc123"
