"""Networks built with torch alone are the ones timm and torchvision build, number for number."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from imgflow.embedders.models.efficientnet_lite_net import efficientnet_lite
from imgflow.embedders.models.fold import fold_batch_norms


def randomised(net: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Trained-looking norms: random statistics, so folding has work to do."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in net.state_dict().items():
            if tensor.is_floating_point():
                values = torch.rand(tensor.shape, generator=generator)
                tensor.copy_(values + 0.5 if name.endswith("running_var") else values * 0.2 - 0.1)
    return net.eval()


@pytest.mark.parametrize("name", ["tf_efficientnet_lite0", "tf_efficientnet_lite1",
                                  "tf_efficientnet_lite2"])
def test_same_layers_and_same_numbers_as_timm(name):
    timm = pytest.importorskip("timm")
    theirs = randomised(timm.create_model(name, pretrained=False, num_classes=0), 0)
    ours = efficientnet_lite(name).eval()
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
        [(k, v.shape) for k, v in theirs.state_dict().items()]
    ours.load_state_dict(theirs.state_dict())
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(1)) * 4 - 2
    for folded in (False, True):
        if folded:
            assert fold_batch_norms(ours) == fold_batch_norms(theirs) > 0
        with torch.inference_mode():
            for layout in (torch.contiguous_format, torch.channels_last):
                a = ours.to(memory_format=layout)(x.to(memory_format=layout))
                b = theirs.to(memory_format=layout)(x.to(memory_format=layout))
                np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_loading_lite0_does_not_import_timm():
    import subprocess
    import sys
    probe = ("import sys, imgflow.embedders; imgflow.embedders.load_model('efficientnet-lite0'); "
             "imgflow.embedders.load_model('squeezenet'); "
             "print('timm' in sys.modules, 'torchvision' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=300).stdout.split()
    assert out == ["False", "False"]


def test_squeezenet_without_torchvision_gives_the_same_vectors(squeezenet):
    """The network once built from torchvision's squeezenet1_1 (kept here to compare)."""
    from torch import nn
    from torchvision.models import squeezenet1_1

    from imgflow.embedders.models import squeezenet as ours
    net = squeezenet1_1(weights=None)
    net.features[0].padding = (1, 1)
    for layer in net.features:
        if isinstance(layer, nn.MaxPool2d):
            layer.ceil_mode = False
    final = nn.Linear(512, 1000)
    net.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), final)
    weights = ours.ndf_weights()
    ours._set_conv(net.features[0], *weights["conv1"])
    fires = [m for m in net.features if m.__class__.__name__ == "Fire"]
    for name, fire in zip(ours._FIRES, fires, strict=True):
        for attribute, part in (("squeeze", "squeeze1x1"), ("expand1x1", "expand1x1"),
                                ("expand3x3", "expand3x3")):
            ours._set_conv(getattr(fire, attribute), *weights[f"{name}/{part}"])
    ours._set_conv(final, *weights["conv10"])
    net = net.eval().to(memory_format=torch.channels_last)
    batch = np.random.default_rng(4).integers(0, 256, (3, 227, 227, 3), dtype=np.uint8)
    x = torch.from_numpy(batch).permute(0, 3, 1, 2).float()
    x = (x - torch.tensor(squeezenet.info.mean).view(1, 3, 1, 1)).contiguous(
        memory_format=torch.channels_last)
    with torch.inference_mode():
        expected = net(x).numpy()
    np.testing.assert_array_equal(squeezenet.embed(batch), expected)
