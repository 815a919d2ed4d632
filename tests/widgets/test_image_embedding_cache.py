"""Image Embedding over a damaged cache: the node warns and Distances never sees bad numbers."""
import sqlite3

import numpy as np
import pytest

from imgflow.api import Context
from imgflow.embedders.cache import FILE_NAME
from imgflow.widgets.distances import Distances
from tests.support.images import make_image_tree
from tests.widgets.test_image_embedding import embed, image_table


@pytest.fixture(scope="module")
def widget():
    from imgflow.widgets.image_embedding import ImageEmbedding
    return ImageEmbedding()


def distances(table):
    return Distances().compute({"Data": table}, Distances.default_settings(),
                               Context()).outputs["Distances"]


def test_a_damaged_cache_is_recomputed_and_the_node_says_so(widget, tmp_path, monkeypatch):
    monkeypatch.setenv("IMGFLOW_CACHE_DIR", str(tmp_path / "cache"))
    table = image_table(make_image_tree(tmp_path / "img", per_kind=1, size=(64, 48)))
    first, ctx = embed(widget, table)
    assert ctx.warnings == []
    before = distances(first.outputs["Embeddings"])

    path = tmp_path / "cache" / FILE_NAME
    conn = sqlite3.connect(path)
    blobs = [row[0] for row in conn.execute("SELECT vector FROM embeddings")]
    conn.close()
    data = path.read_bytes()
    for blob, bad in zip(blobs, (3e38, np.nan)):  # two vectors get garbage in the middle
        # 16 bytes that lie on one page (an overflow page holds a vector's rest)
        piece = next(p for p in (blob[i:i + 16] for i in range(400, 4000, 16))
                     if data.count(p) == 1)
        data = data.replace(piece, np.full(4, bad, np.float32).tobytes())
    path.write_bytes(data)

    again, ctx = embed(widget, table)
    assert (again.view.n_cached, again.view.n_computed) == (len(table) - 2, 2)
    assert any(w.startswith("The embedding cache was damaged") for w in ctx.warnings)
    X = again.outputs["Embeddings"].X
    assert np.isfinite(X).all() and np.abs(X).max() < 1e3
    np.testing.assert_allclose(X, first.outputs["Embeddings"].X, atol=1e-4)
    after = distances(again.outputs["Embeddings"])
    assert np.isfinite(after.condensed).all()
    np.testing.assert_allclose(after.condensed, before.condensed, atol=1e-4)
