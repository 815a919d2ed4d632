"""Inception v3: torchvision's network, weights from a file, the hub cache or
a download; a clear error, never a random network, when there are none."""
from __future__ import annotations

import urllib.error

import numpy as np
import pytest
import torch

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.models import load_model
from imgflow.embedders.models import inception
from tests.embedders.fakes import photo_like


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    """A randomly initialised torchvision Inception v3, saved as torchvision
    saves its weights (aux classifier and fc included)."""
    from torchvision.models import inception_v3
    torch.manual_seed(0)
    net = inception_v3(weights=None, aux_logits=True, init_weights=False)
    path = tmp_path_factory.mktemp("weights") / "inception_random.pth"
    torch.save(net.state_dict(), path)
    return path


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """An empty torch hub folder, and a download that fails as offline."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    attempts = []

    def no_network(url, *args, **kwargs):
        attempts.append(url)
        raise urllib.error.URLError("network is unreachable")
    import torchvision.models._api as api
    monkeypatch.setattr(api, "load_state_dict_from_url", no_network)
    return attempts


def test_weights_file_gives_torchvisions_outputs(random_weights):
    from torchvision.models import inception_v3
    model = load_model("inception-v3", device="cpu", weights_path=str(random_weights))
    reference = inception_v3(weights=None, aux_logits=True, init_weights=False,
                             transform_input=True)
    reference.load_state_dict(torch.load(random_weights, weights_only=True))
    reference.fc = torch.nn.Identity()
    reference.eval()

    rng = np.random.default_rng(0)
    batch = np.stack([model.info.prepare(photo_like(rng, (500, 375))) for _ in range(2)])
    ours = model.embed(batch)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = (torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255 - mean) / std
    with torch.no_grad():
        expected = reference(x).numpy()
    assert ours.shape == (2, 2048)
    assert np.all(ours >= 0) and ours.std() > 0  # pooled ReLU features
    # random weights without trained batch-norm statistics blow values up to
    # ~1e9, so compare relative to the output's scale
    assert np.abs(ours - expected).max() <= 1e-5 * np.abs(expected).max()


def test_torchvision_preprocessing(random_weights):
    """Resize the shorter side to 342, centre-crop 299, like torchvision."""
    from torchvision.models import Inception_V3_Weights
    model_info = load_model("inception-v3", weights_path=str(random_weights)).info
    image = photo_like(np.random.default_rng(2), (600, 400))
    ours = model_info.prepare(image).astype(np.float32) / 255
    theirs = Inception_V3_Weights.IMAGENET1K_V1.transforms(antialias=True)
    theirs.mean, theirs.std = [0, 0, 0], [1, 1, 1]
    expected = theirs(image).permute(1, 2, 0).numpy()
    assert ours.shape == expected.shape == (299, 299, 3)
    assert np.abs(ours - expected).mean() < 0.01  # sub-pixel rounding only


def test_environment_variable_and_version(random_weights, monkeypatch, offline_hub):
    monkeypatch.setenv(inception.ENV_WEIGHTS, str(random_weights))
    model = load_model("inception-v3")
    assert model.info.version.startswith("inception-v3/") and "+w" in model.info.version
    assert not offline_hub  # nothing downloaded


def test_hub_cache_is_used_without_download(random_weights, offline_hub):
    inception.expected_file().parent.mkdir(parents=True)
    inception.expected_file().write_bytes(random_weights.read_bytes())
    model = load_model("inception-v3")
    assert model.info.width == 2048 and "+w" not in model.info.version
    assert not offline_hub


@pytest.mark.timeout(20)
def test_missing_weights_message(offline_hub):
    with pytest.raises(EmbedderError) as info:
        load_model("inception-v3")
    message = str(info.value)
    assert offline_hub == [inception.weights_enum().url]  # torchvision's download was tried
    assert "inception_v3_google-0cc3c7bd.pth" in message
    assert str(inception.expected_file().parent) in message
    assert "IMGFLOW_INCEPTION_WEIGHTS" in message
    assert "EfficientNet-Lite0 or SqueezeNet" in message and "offline" in message


def test_bad_weights_files(tmp_path, offline_hub):
    with pytest.raises(EmbedderError, match="does not exist"):
        load_model("inception-v3", weights_path=str(tmp_path / "nope.pth"))
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(EmbedderError, match="Cannot read"):
        load_model("inception-v3", weights_path=str(junk))
    other = tmp_path / "other.pth"
    torch.save(torch.nn.Linear(2, 2).state_dict(), other)
    with pytest.raises(EmbedderError, match="not an Inception v3"):
        load_model("inception-v3", weights_path=str(other))
