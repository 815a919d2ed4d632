"""images.py over http(s): a local server on 127.0.0.1 in a thread."""
from __future__ import annotations

import http.server
import io
import socket
import threading
import time

import pytest
from PIL import Image

from imgflow.embedders import images
from imgflow.embedders.images import ImageSkipped, is_url, load_thumbnail, open_rgb, read_bytes, read_size


def _png(colour=(10, 200, 30), size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        action = self.routes.get(self.path)
        if action is None:
            self.send_error(404)
            return
        action(self)

    def log_message(self, *args):  # keep test output clean
        pass


def _send(body: bytes, status: int = 200):
    def action(handler):
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return action


def _stall(seconds: float):
    def action(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"\x89PNG")
        handler.wfile.flush()
        time.sleep(seconds)
    return action


@pytest.fixture(scope="module")
def server():
    _Handler.routes = {
        "/ok.png": _send(_png()),
        "/wide.png": _send(_png(size=(300, 100))),
        "/text.jpg": _send(b"<html>not an image</html>"),
        "/broken": _send(b"", status=500),
        "/empty.png": _send(b""),
        "/stall.png": _stall(3.0),
    }
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_is_url():
    assert is_url("http://x/a.jpg") and is_url("HTTPS://x/a.jpg")
    assert not is_url("/tmp/a.jpg") and not is_url("ftp://x/a.jpg") and not is_url("http.jpg")


def test_url_image_loads(server):
    image = open_rgb(read_bytes(server + "/ok.png"))
    assert image.size == (40, 30) and image.getpixel((1, 1)) == (10, 200, 30)
    assert read_size(server + "/wide.png") == (300, 100)
    assert load_thumbnail(server + "/wide.png", 30).size == (30, 10)


@pytest.mark.parametrize("path,reason", [
    ("/missing.png", "file not found (HTTP 404)"),
    ("/broken", "download failed (HTTP 500)"),
    ("/empty.png", "file is empty"),
])
def test_url_failures(server, path, reason):
    with pytest.raises(ImageSkipped) as info:
        read_bytes(server + path)
    assert str(info.value) == reason


def test_url_not_an_image(server):
    with pytest.raises(ImageSkipped, match="not an image file"):
        open_rgb(read_bytes(server + "/text.jpg"))


def test_url_size_limit(server, monkeypatch):
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 50)
    with pytest.raises(ImageSkipped, match="file too large"):
        read_bytes(server + "/ok.png")


@pytest.mark.timeout(10)
def test_url_stalling_server_times_out(server, monkeypatch):
    monkeypatch.setattr(images, "URL_READ_TIMEOUT", 0.3)
    start = time.monotonic()
    with pytest.raises(ImageSkipped, match="timed out"):
        read_bytes(server + "/stall.png")
    assert time.monotonic() - start < 2.5


def test_url_nobody_listening():
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ImageSkipped, match="cannot download"):
        read_bytes(f"http://127.0.0.1:{port}/a.png")
