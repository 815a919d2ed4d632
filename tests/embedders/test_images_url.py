"""images.py over http(s): a local server on 127.0.0.1 in a thread."""
from __future__ import annotations

import http.server
import io
import socket
import threading
import time

import pytest
from PIL import Image

from imgflow.embedders import images, urls
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


def _drip(every: float):
    """A server that sends one byte every ``every`` seconds (for 30 s at most)."""
    def action(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        end = time.monotonic() + 30
        try:
            while time.monotonic() < end:
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(every)
        except OSError:
            pass                     # the client hung up
    return action


def _redirect(location: str):
    def action(handler):
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
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
        "/drip.png": _drip(0.5),
        "/moved.png": _redirect("/ok.png"),
        "/loop.png": _redirect("/loop.png"),
        "/to-file.png": _redirect("file:///etc/passwd"),
    }
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local(server, monkeypatch):
    """The test server's address. It is on loopback, which URL images may
    reach only when the user allows private addresses: these tests do."""
    monkeypatch.setenv("IMGFLOW_ALLOW_PRIVATE_URLS", "1")
    return server


def test_is_url():
    assert is_url("http://x/a.jpg") and is_url("HTTPS://x/a.jpg")
    assert not is_url("/tmp/a.jpg") and not is_url("ftp://x/a.jpg") and not is_url("http.jpg")


def test_url_image_loads(local):
    image = open_rgb(read_bytes(local + "/ok.png"))
    assert image.size == (40, 30) and image.getpixel((1, 1)) == (10, 200, 30)
    assert read_size(local + "/wide.png") == (300, 100)
    assert load_thumbnail(local + "/wide.png", 30).size == (30, 10)


@pytest.mark.parametrize("path,reason", [
    ("/missing.png", "file not found (HTTP 404)"),
    ("/broken", "download failed (HTTP 500)"),
    ("/empty.png", "file is empty"),
])
def test_url_failures(local, path, reason):
    with pytest.raises(ImageSkipped) as info:
        read_bytes(local + path)
    assert str(info.value) == reason


def test_url_not_an_image(local):
    with pytest.raises(ImageSkipped, match="not an image file"):
        open_rgb(read_bytes(local + "/text.jpg"))


def test_url_size_limit(local, monkeypatch):
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 50)
    with pytest.raises(ImageSkipped, match="file too large"):
        read_bytes(local + "/ok.png")


@pytest.mark.timeout(10)
def test_url_stalling_server_times_out(local, monkeypatch):
    monkeypatch.setattr(images, "URL_READ_TIMEOUT", 0.3)
    start = time.monotonic()
    with pytest.raises(ImageSkipped, match="timed out"):
        read_bytes(local + "/stall.png")
    assert time.monotonic() - start < 2.5


def test_url_nobody_listening(monkeypatch):
    monkeypatch.setenv("IMGFLOW_ALLOW_PRIVATE_URLS", "1")
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ImageSkipped, match="cannot download"):
        read_bytes(f"http://127.0.0.1:{port}/a.png")


# -- deadline, redirects and addresses (issue 16) --------------------------------

@pytest.mark.timeout(20)
def test_a_dripping_server_is_cut_off_at_the_overall_deadline(local, monkeypatch):
    # one byte every 0.5 s never trips the 20 s read timeout, only the deadline
    monkeypatch.setattr(images, "URL_TOTAL_TIMEOUT", 1.5)
    start = time.monotonic()
    with pytest.raises(ImageSkipped, match="download timed out"):
        read_bytes(local + "/drip.png")
    assert 1.4 < time.monotonic() - start < 2.5


def test_redirects_are_followed_and_bounded(local):
    assert open_rgb(read_bytes(local + "/moved.png")).size == (40, 30)
    with pytest.raises(ImageSkipped, match="too many redirects"):
        read_bytes(local + "/loop.png")
    with pytest.raises(ImageSkipped, match="not an http"):
        read_bytes(local + "/to-file.png")


@pytest.fixture
def secret():
    """An internal service on 127.0.0.1 that URL images must not reach."""
    hits = []

    class Secret(_Handler):
        routes = {"/admin": lambda h: (hits.append(h.path), _send(_png())(h))}

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Secret)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/admin", hits
    httpd.shutdown()
    httpd.server_close()


def test_loopback_addresses_are_refused_unless_allowed(secret, monkeypatch):
    url, hits = secret
    monkeypatch.delenv(urls.ALLOW_PRIVATE_ENV, raising=False)
    with pytest.raises(ImageSkipped) as info:
        read_bytes(url)
    assert str(info.value) == ("refused: 127.0.0.1 is a private or local address "
                               "(allow private addresses in Preferences → Network, "
                               "or set IMGFLOW_ALLOW_PRIVATE_URLS=1)")
    assert hits == []
    monkeypatch.setenv(urls.ALLOW_PRIVATE_ENV, "1")
    assert open_rgb(read_bytes(url)).size == (40, 30) and hits == ["/admin"]


def test_each_redirect_is_checked_again(server, secret, monkeypatch):
    url, hits = secret
    _Handler.routes["/to-secret.png"] = _redirect(url)
    # the user allowed the first address only (the switch is asked at each hop)
    answers = iter([True, False])
    monkeypatch.setattr(urls, "private_urls_allowed", lambda: next(answers))
    with pytest.raises(ImageSkipped, match="refused: 127.0.0.1 is a private"):
        read_bytes(server + "/to-secret.png")
    assert hits == []
    monkeypatch.setattr(urls, "private_urls_allowed", lambda: True)
    assert open_rgb(read_bytes(server + "/to-secret.png")).size == (40, 30)
    assert hits == ["/admin"]


@pytest.mark.parametrize("address,public", [
    ("8.8.8.8", True), ("2a00:1450:4007:80b::200e", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False),
    ("192.168.1.10", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("224.0.0.1", False), ("::1", False), ("fe80::1", False),
    ("fd00::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
])
def test_which_addresses_count_as_public(address, public):
    import ipaddress
    assert urls.is_public(ipaddress.ip_address(address)) is public


def test_the_users_own_setting_allows_private_addresses(secret, monkeypatch):
    """The switch the user flips in Preferences → Network (their settings file, never a workflow's)."""
    import imgflow.widgets  # noqa: F401  (connects the loaders to the user's settings)
    from imgflow import user_settings
    url, hits = secret
    monkeypatch.delenv(urls.ALLOW_PRIVATE_ENV, raising=False)
    with pytest.raises(ImageSkipped, match="refused: 127.0.0.1"):
        read_bytes(url)
    user_settings.allow_private_urls(True)
    assert open_rgb(read_bytes(url)).size == (40, 30) and hits == ["/admin"]
    user_settings.allow_private_urls(False)
    with pytest.raises(ImageSkipped, match="refused: 127.0.0.1"):
        read_bytes(url)
    assert hits == ["/admin"]
