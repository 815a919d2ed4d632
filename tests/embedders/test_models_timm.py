"""Any timm model by name: timm's network and preprocessing, weights from a file or timm's
download, one clear line when neither can be had. No test needs a network."""
from __future__ import annotations

import numpy as np
import pytest
import timm
import torch
from PIL import Image

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.images import open_rgb, read_bytes
from imgflow.embedders.models import load_model, timm_models
from tests.embedders.fakes import photo_like


def random_weights(tmp_path, name="resnet18", seed=0, filename=None):
    """A state dict of random weights (with the classifier), as torch.save writes it."""
    torch.manual_seed(seed)
    path = tmp_path / (filename or f"{name}-{seed}.pth")
    torch.save(timm.create_model(name, pretrained=False).state_dict(), path)
    return path


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return random_weights(tmp_path_factory.mktemp("weights"))


@pytest.fixture(scope="module")
def resnet(weights):
    return load_model("timm:resnet18", device="cpu", weights_path=str(weights))


def test_info_comes_from_the_pretrained_config(resnet):
    config = timm.data.resolve_data_config({}, model=timm.create_model("resnet18"))
    info = resnet.info
    assert info.id == "timm:resnet18" and info.width == 512
    assert info.name == "timm resnet18 (resnet18-0.pth)"   # which file gave the vectors
    assert info.input_size == tuple(config["input_size"][1:])
    assert info.crop_fraction == pytest.approx(config["crop_pct"])
    assert info.resample == config["interpolation"]
    np.testing.assert_allclose(info.mean, np.array(config["mean"]) * 255)
    np.testing.assert_allclose(info.std, np.array(config["std"]) * 255)


def test_vectors_are_timms_pooled_features_of_its_own_transform(resnet, weights, real_photo):
    """Our preprocessing and network against timm's eval transform and forward_features."""
    net = timm.create_model("resnet18", pretrained=False)
    net.load_state_dict(torch.load(weights, weights_only=True))
    net.eval()
    transform = timm.data.create_transform(**timm.data.resolve_data_config({}, model=net))
    images = [Image.open(real_photo).convert("RGB"), photo_like(np.random.default_rng(2))]
    with torch.no_grad():
        x = torch.stack([transform(image) for image in images])
        expected = net.forward_head(net.forward_features(x), pre_logits=True).numpy()
    ours = resnet.embed(np.stack([
        resnet.info.prepare(open_rgb(read_bytes(str(real_photo)), resnet.info.decode_target)),
        resnet.info.prepare(images[1])]))
    assert ours.shape == expected.shape == (2, 512)
    # one resampling pass instead of torchvision's two: nearly, not exactly, the same pixels
    cosine = (ours * expected).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(expected, axis=1)
    assert cosine.min() > 0.99


def test_cache_version_holds_the_name_and_the_files_content(resnet, weights, tmp_path):
    same = tmp_path / "copy.pth"
    same.write_bytes(weights.read_bytes())
    other = random_weights(tmp_path, seed=1)
    assert "resnet18" in resnet.info.version
    copy = load_model("timm:resnet18", device="cpu", weights_path=str(same))
    assert copy.info.version == resnet.info.version        # the content counts, not the path
    different = load_model("timm:resnet18", device="cpu", weights_path=str(other))
    assert different.info.version != resnet.info.version


def test_names_timm_does_not_list_are_refused():
    for name in ("timm:resnet1", "timm:hf-hub:someone/model", "timm:resnet18.no_such_tag"):
        with pytest.raises(EmbedderError, match="timm has no model named") as error:
            load_model(name, device="cpu")
        assert "EfficientNet-Lite0" in str(error.value)   # the offline models are named


def test_no_network_and_no_file_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(timm_models, "_cached_hub_file", lambda name: None)
    monkeypatch.setattr(timm_models, "_hub_reachable", lambda: False)
    with pytest.raises(EmbedderError) as error:
        load_model("timm:resnet18", device="cpu")
    message = str(error.value)
    assert "\n" not in message and "no network" in message and "weights file" in message
    assert "EfficientNet-Lite0" in message and "SqueezeNet" in message


def test_a_failing_download_is_one_clear_line(monkeypatch):
    def refuse(*args, pretrained=False, **kwargs):
        if pretrained:
            raise OSError("Connection reset by peer\nand a long trace")
        return real_create(*args, **kwargs)

    real_create = timm.create_model
    monkeypatch.setattr(timm_models, "_cached_hub_file", lambda name: None)
    monkeypatch.setattr(timm_models, "_hub_reachable", lambda: True)
    monkeypatch.setattr(timm, "create_model", refuse)
    with pytest.raises(EmbedderError) as error:
        load_model("timm:resnet18", device="cpu")
    assert "\n" not in str(error.value) and "Connection reset by peer" in str(error.value)


def test_weights_in_timms_cache_load_without_the_network(monkeypatch, weights, resnet):
    def no_network():
        raise AssertionError("the network was asked for")

    monkeypatch.setattr(timm_models, "_cached_hub_file", lambda name: str(weights))
    monkeypatch.setattr(timm_models, "_hub_reachable", no_network)
    model = load_model("timm:resnet18", device="cpu")
    batch = np.stack([photo_like(np.random.default_rng(4)).resize((224, 224))]).astype(np.uint8)
    np.testing.assert_allclose(model.embed(batch), resnet.embed(batch), rtol=1e-5, atol=1e-5)
    assert "a1_in1k" in model.info.version and "file" not in model.info.version


def test_files_that_do_not_fit_or_run_code_are_refused(tmp_path):
    wrong = random_weights(tmp_path, name="resnet34")
    with pytest.raises(EmbedderError, match="does not fit timm's resnet18"):
        load_model("timm:resnet18", device="cpu", weights_path=str(wrong))
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a state dict")
    with pytest.raises(EmbedderError, match="Cannot read the weights file"):
        load_model("timm:resnet18", device="cpu", weights_path=str(garbage))
    # a pickle that would run code when loaded without weights_only
    evil = tmp_path / "evil.pth"
    torch.save({"conv1.weight": Runs(tmp_path / "ran")}, evil)
    with pytest.raises(EmbedderError, match="Cannot read the weights file"):
        load_model("timm:resnet18", device="cpu", weights_path=str(evil))
    assert not (tmp_path / "ran").exists()
    with pytest.raises(EmbedderError, match="does not exist"):
        load_model("timm:resnet18", device="cpu", weights_path=str(tmp_path / "none.pth"))


class Runs:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        import os
        return os.system, (f"touch '{self.path}'",)
