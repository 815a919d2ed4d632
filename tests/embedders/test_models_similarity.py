"""The offline models put images of one kind nearer each other than others."""
from __future__ import annotations

import numpy as np
import pytest

from imgflow.embedders.pipeline import embed_images
from tests.support.images import KINDS, make_image_tree


@pytest.fixture(scope="module")
def kinds_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("kinds")
    paths = make_image_tree(root, per_kind=3)
    labels = [p.parent.name for p in paths]
    return [str(p) for p in paths], np.array(labels)


def cosine_distances(vectors: np.ndarray) -> np.ndarray:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return 1 - unit @ unit.T


@pytest.mark.parametrize("model_fixture", ["squeezenet", "efficientnet"])
def test_same_kind_is_nearer(request, model_fixture, kinds_tree):
    model = request.getfixturevalue(model_fixture)
    paths, labels = kinds_tree
    result = embed_images(paths, model)
    assert not result.skipped
    distances = cosine_distances(result.vectors.astype(np.float64))
    for kind in KINDS:
        same = labels == kind
        inside = distances[np.ix_(same, same)][~np.eye(same.sum(), dtype=bool)]
        outside = distances[np.ix_(same, ~same)]
        # every same-kind pair is closer than every cross-kind pair
        assert inside.max() < outside.min(), kind
