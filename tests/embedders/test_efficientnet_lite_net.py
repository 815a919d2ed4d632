"""The torch-only EfficientNet-Lite is timm's tf_efficientnet_liteN, number for number."""
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
             "print('timm' in sys.modules, 'torchvision' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=300).stdout.split()
    assert out == ["False", "False"]
