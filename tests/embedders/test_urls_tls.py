"""URL images over https: a TLS server on 127.0.0.1 with a throw-away certificate."""
from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
import time

import pytest

from imgflow.embedders import images, urls
from imgflow.embedders.images import ImageSkipped, open_rgb, read_bytes

from .test_images_url import _Handler, _drip, _png, _send


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture
def https_server(certificate, monkeypatch):
    cert, key = certificate
    monkeypatch.setenv(urls.ALLOW_PRIVATE_ENV, "1")      # it is on loopback
    monkeypatch.setattr(urls, "_tls", ssl.create_default_context(cafile=str(cert)))

    class Handler(_Handler):
        routes = {"/ok.png": _send(_png()), "/drip.png": _drip(0.5)}

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_https_image_loads_and_checks_the_certificate(https_server, monkeypatch):
    assert open_rgb(read_bytes(https_server + "/ok.png")).size == (40, 30)
    monkeypatch.setattr(urls, "_tls", ssl.create_default_context())  # not trusted
    with pytest.raises(ImageSkipped, match="certificate is not valid"):
        read_bytes(https_server + "/ok.png")


@pytest.mark.timeout(20)
def test_a_dripping_https_server_is_cut_off_at_the_deadline(https_server, monkeypatch):
    monkeypatch.setattr(images, "URL_TOTAL_TIMEOUT", 1.5)
    start = time.monotonic()
    with pytest.raises(ImageSkipped, match="download timed out"):
        read_bytes(https_server + "/drip.png")
    assert 1.4 < time.monotonic() - start < 2.5
