"""The server's endpoints, auth and limits, spoken to over real HTTP."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import requests

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.remote import wire
from imgflow.embedders.remote.client import RemoteModel

from .conftest import MODEL, TOKEN, random_images, wait_until

AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMEOUT = 30


def post_images(url, body, headers=AUTH, model=MODEL, **kwargs):
    headers = {"Content-Type": wire.IMAGES_TYPE, **headers}
    return requests.post(f"{url}/v1/models/{model}/embed", data=body,
                         headers=headers, timeout=TIMEOUT, **kwargs)


def error_of(resp) -> tuple[str, str]:
    err = resp.json()["error"]
    return err["code"], err["message"]


def test_health_and_model_listing(servers):
    url = servers["main"].url
    health = requests.get(f"{url}/v1/health", timeout=TIMEOUT).json()
    assert health["status"] == "ok" and health["models"] == [MODEL]
    listing = requests.get(f"{url}/v1/models", headers=AUTH, timeout=TIMEOUT).json()
    (entry,) = listing["models"]
    assert entry == {"id": MODEL, "name": "SqueezeNet 1.1", "width": 1000,
                     "input_size": [227, 227], "version": entry["version"]}
    assert listing["limits"]["max_images"] == 8
    assert listing["limits"]["max_body_bytes"] == 2 << 20


def test_missing_or_wrong_token_is_refused(servers):
    url = servers["main"].url
    resp = requests.get(f"{url}/v1/models", timeout=TIMEOUT)
    assert resp.status_code == 401 and error_of(resp)[0] == "token_required"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    resp = post_images(url, wire.encode_images(random_images(1)),
                       headers={"Authorization": "Bearer wrong"})
    assert resp.status_code == 401 and error_of(resp)[0] == "token_invalid"
    with pytest.raises(EmbedderError, match=r"requires an access token \(401\)"):
        RemoteModel(url, MODEL)
    with pytest.raises(EmbedderError, match=r"rejected the access token \(401\)"):
        RemoteModel(url, MODEL, token="wrong")


@pytest.mark.parametrize("encoding", ["png", "raw"])
def test_remote_vectors_equal_local_ones(servers, local_model, encoding):
    images = random_images(20, seed=3)
    with RemoteModel(servers["main"].url, MODEL, token=TOKEN,
                     encoding=encoding) as model:
        assert model.server_version == local_model.info.version
        assert model.images_per_request == 8        # the server's limit
        remote = model.embed(images)
    assert remote.dtype == np.float32 and remote.shape == (20, 1000)
    np.testing.assert_allclose(remote, local_model.embed(images), rtol=1e-5, atol=1e-5)


def test_body_size_limit(servers):
    url = servers["main"].url
    big = b"x" * (3 << 20)
    resp = post_images(url, big)
    assert resp.status_code == 413
    code, message = error_of(resp)
    assert code == "body_too_large" and str(2 << 20) in message
    # without Content-Length (chunked), the server counts as it reads
    resp = post_images(url, (big[i:i + 65536] for i in range(0, len(big), 65536)))
    assert resp.status_code == 413 and error_of(resp)[0] == "body_too_large"


def test_images_per_request_limit(servers):
    resp = post_images(servers["main"].url, wire.encode_images(random_images(9)))
    assert resp.status_code == 413
    code, message = error_of(resp)
    assert code == "too_many_images" and "at most 8" in message


@pytest.mark.parametrize("encoding", ["png", "raw"])
def test_wrong_image_size_is_refused(servers, encoding):
    body = wire.encode_images(random_images(2, size=(100, 120)), encoding)
    resp = post_images(servers["main"].url, body)
    assert resp.status_code == 422
    code, message = error_of(resp)
    assert code == "wrong_image_size" and "227x227" in message


def test_wrong_size_batch_is_not_sent(servers):
    with RemoteModel(servers["main"].url, MODEL, token=TOKEN) as model:
        with pytest.raises(ValueError, match="227, 227"):
            model.embed(random_images(2, size=(100, 100)))
        assert model.stats["requests"] == 0


def test_undecodable_image_gets_its_own_error(servers, local_model):
    images = random_images(3, seed=5)
    blobs = [wire.encode_png(images[0]), b"\x89PNG garbage", wire.encode_png(images[2])]
    body = wire.pack_frame({"encoding": "png", "shape": [227, 227, 3],
                            "lengths": [len(b) for b in blobs]}, blobs)
    resp = post_images(servers["main"].url, body)
    assert resp.status_code == 200
    header, vectors, errors = wire.decode_embeddings(resp.content)
    assert list(errors) == [1] and "cannot decode image" in errors[1]
    assert np.isnan(vectors[1]).all()
    expected = local_model.embed(images[[0, 2]])
    np.testing.assert_allclose(vectors[[0, 2]], expected, rtol=1e-5, atol=1e-5)


def test_malformed_requests(servers):
    url = servers["main"].url
    resp = post_images(url, b"IMF1garbage")
    assert resp.status_code == 400 and error_of(resp)[0] == "bad_request"
    resp = requests.post(f"{url}/v1/models/{MODEL}/embed", data=b"{}", timeout=TIMEOUT,
                         headers={**AUTH, "Content-Type": "application/json"})
    assert resp.status_code == 415
    resp = post_images(url, wire.encode_images(random_images(1)), model="resnet-9000")
    assert resp.status_code == 404
    code, message = error_of(resp)
    assert code == "model_not_offered" and MODEL in message


def test_model_not_offered_and_version_mismatch(servers, monkeypatch):
    url = servers["main"].url
    with pytest.raises(EmbedderError, match="does not offer model 'efficientnet-lite0'"):
        RemoteModel(url, "efficientnet-lite0", token=TOKEN)
    import dataclasses
    from imgflow.embedders.remote import client
    changed = dict(client.MODELS)
    changed[MODEL] = dataclasses.replace(changed[MODEL], width=4096)
    monkeypatch.setattr(client, "MODELS", changed)
    with pytest.raises(EmbedderError, match="version mismatch.*width 1000.*4096"):
        RemoteModel(url, MODEL, token=TOKEN)


def test_busy_server_answers_503_with_retry_after(servers):
    url = servers["slow"].url            # 1 s per batch, one request at a time
    body = wire.encode_images(random_images(1))
    first = {}
    thread = threading.Thread(target=lambda: first.update(r=post_images(url, body, {})))
    thread.start()
    try:
        assert wait_until(lambda: requests.get(f"{url}/v1/health", timeout=TIMEOUT)
                          .json()["in_flight"] == 1)
        resp = post_images(url, body, {})
        assert resp.status_code == 503
        assert resp.headers["Retry-After"] == "1"
        assert error_of(resp)[0] == "busy"
    finally:
        thread.join(TIMEOUT)
    assert first["r"].status_code == 200


def test_one_log_line_per_request_without_image_data(servers):
    srv = servers["main"]
    post_images(srv.url, wire.encode_images(random_images(4, seed=9)))
    assert wait_until(lambda: any(
        "POST /v1/models/squeezenet/embed 200 images=4" in line for line in srv.lines))
    assert any("401 images=- error=token_" in line for line in srv.lines)
    assert all(len(line) < 400 for line in srv.lines)
