"""Fixtures for the embedders tests: models loaded once, photos to embed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.embedders.fakes import photo_like

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="session")
def squeezenet():
    from imgflow.embedders.models import load_model
    return load_model("squeezenet", device="cpu")


@pytest.fixture(scope="session")
def efficientnet():
    from imgflow.embedders.models import load_model
    return load_model("efficientnet-lite0", device="cpu")


@pytest.fixture(scope="session")
def real_photo(tmp_path_factory) -> Path:
    """A real photo from ../shared/data when there, else a generated one."""
    if SHARED.is_dir():
        for path in sorted(SHARED.rglob("*.jpg")):
            return path
    path = tmp_path_factory.mktemp("photo") / "generated.jpg"
    photo_like(np.random.default_rng(3)).save(path, quality=90)
    return path


@pytest.fixture
def rgb_file(tmp_path):
    """Factory: save an RGB array or image to tmp_path/name, return the path."""
    def make(name: str, image, **save_args) -> str:
        if isinstance(image, np.ndarray):
            image = Image.fromarray(image)
        path = tmp_path / name
        image.save(path, **save_args)
        return str(path)
    return make


@pytest.fixture(autouse=True)
def _no_user_weights(monkeypatch):
    # tests decide themselves where Inception weights come from
    monkeypatch.delenv("IMGFLOW_INCEPTION_WEIGHTS", raising=False)
