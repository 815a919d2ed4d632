"""Batch norms folded into convolutions: the same numbers, for every model."""
from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from imgflow.embedders.models.fold import fold_batch_norms


def _norms(net: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm2d) for m in net.modules())


def _with_random_statistics(net: nn.Module, seed: int) -> nn.Module:
    """Norms that really scale and shift: fresh ones are nearly identities."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=generator))
                m.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                m.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(n, generator=generator) * 0.1)
    return net.eval()


def _inception():
    from imgflow.embedders.models import inception
    return inception.architecture()


def _efficientnet():
    import timm
    return timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0)


@pytest.mark.parametrize("make, size", [(_inception, 299), (_efficientnet, 224)],
                         ids=["inception-v3", "efficientnet-lite0"])
def test_folding_keeps_each_networks_output(make, size):
    net = _with_random_statistics(make(), seed=1)
    folded = copy.deepcopy(net)
    count = fold_batch_norms(folded)
    assert count == _norms(net) > 0 and _norms(folded) == 0  # every norm folded
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        expected, got = net(x), folded(x)
    assert expected.abs().max() > 0.1
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_a_norm_that_does_not_follow_a_conv_stays():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.BatchNorm2d(4))
    assert fold_batch_norms(net.eval()) == 0 and _norms(net) == 1


def test_loaded_models_have_their_norms_folded(efficientnet):
    assert _norms(efficientnet.network) == 0
