"""`imgflow serve --model timm:NAME --weights FILE`, and a client that learns the model from it."""
from __future__ import annotations

import numpy as np
import pytest

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.remote import wire
from imgflow.embedders.remote.client import RemoteModel
from imgflow.embedders.remote.server import _load_models

from .conftest import ServerProcess, random_images


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    import timm
    import torch
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("timm") / "r18.pth"
    torch.save(timm.create_model("resnet18", pretrained=False).state_dict(), path)
    return path


def test_a_served_timm_model_gives_the_local_vectors(weights):
    from imgflow.embedders.models import load_model
    local = load_model("timm:resnet18", device="cpu", weights_path=str(weights))
    server = ServerProcess("--model", "timm:resnet18", "--weights", str(weights)).wait_ready()
    try:
        with RemoteModel(server.url, "timm:resnet18") as remote:
            assert remote.info.width == 512 and remote.info.input_size == (224, 224)
            # fitted as the server's model says, and cached apart by the file's content
            assert remote.info.crop_fraction == local.info.crop_fraction
            assert remote.info.mean == pytest.approx(local.info.mean)
            assert remote.info.version == local.info.version
            images = random_images(3, seed=1, size=(224, 224))
            vectors, errors = remote.embed_with_errors(images)
        assert not errors
        np.testing.assert_allclose(vectors, local.embed(images), rtol=1e-4, atol=1e-4)
    finally:
        server.stop()


def test_weights_need_exactly_one_timm_model(weights):
    with pytest.raises(EmbedderError, match="exactly one --model timm:NAME"):
        _load_models(["squeezenet"], "cpu", str(weights))


def test_a_malformed_preprocess_entry_is_refused():
    entry = {"id": "timm:x", "width": 8, "input_size": [224, 224], "version": "v",
             "preprocess": {"resize": "crop", "crop_fraction": 0.9, "resample": "bicubic",
                            "mean": [0, 0, 0], "std": [0, 1, 1]}}
    with pytest.raises(wire.WireError, match="cannot use"):
        wire.info_from_entry(entry)
    del entry["preprocess"]
    with pytest.raises(wire.WireError, match="lacks"):
        wire.info_from_entry(entry)
