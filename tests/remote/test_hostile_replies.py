"""The client against a hostile server whose replies are far too large.

The server is a small http.server on 127.0.0.1 in a thread: it lists the model
like an imgflow server, then answers an embed request with gigabytes.
"""
from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.models import MODELS
from imgflow.embedders.remote import wire
from imgflow.embedders.remote.client import RemoteModel

from .conftest import MODEL, random_images

HUGE = 2 << 30                       # what the hostile server claims to send
SEND_AT_MOST = 512 << 20             # what it will send before giving up
CHUNK = b"\0" * (1 << 20)


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "declared"                # or "undeclared", "error"
    sent = 0

    def do_GET(self):  # noqa: N802
        info = MODELS[MODEL]
        body = json.dumps({"protocol": 1, "models": [{
            "id": MODEL, "name": info.name, "width": info.width,
            "input_size": list(info.input_size), "version": "evil-1"}],
            "limits": {"max_images": 8}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        mode = type(self).mode
        self.send_response(500 if mode == "error" else 200)
        self.send_header("Content-Type", wire.EMBEDDINGS_TYPE)
        if mode == "undeclared":     # no length: the body ends when the server closes
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(HUGE))
        self.end_headers()
        end = time.monotonic() + 20
        try:
            while type(self).sent < SEND_AT_MOST and time.monotonic() < end:
                self.wfile.write(CHUNK)
                type(self).sent += len(CHUNK)
        except OSError:
            pass                     # the client hung up: what we want
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Hostile.sent = 0
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["declared", "undeclared", "error"])
def test_an_oversized_reply_is_refused_without_reading_it(hostile, mode):
    Hostile.mode = mode
    with RemoteModel(hostile, MODEL, images_per_request=4, max_attempts=1) as model:
        start = time.monotonic()
        with pytest.raises(EmbedderError) as info:
            model.embed(random_images(4))
        elapsed = time.monotonic() - start
    message = str(info.value)
    assert hostile in message and "for 4 images" in message
    assert "refused it without reading it all" in message
    # 4 images x 1000 floats is 16 KB: the client stopped near that, not at 2 GB
    time.sleep(0.2)
    assert Hostile.sent < 32 << 20, f"the server could send {Hostile.sent} bytes"
    assert elapsed < 10
