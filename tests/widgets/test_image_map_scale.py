"""Image Map with 20,000 points: thumbnails only for the points in view, at most a cap."""
from __future__ import annotations

import numpy as np
import pytest

from imgflow.data import Column, Table

ROWS = 20_000


@pytest.fixture
def big_map(qtbot, tmp_path):
    """20,000 rows (16 images, each in many rows; 4 kinds) -> Image Map (PCA), window open."""
    from tests.support.images import make_image_tree
    from tests.support.panels import panel_fed_with

    paths = make_image_tree(tmp_path / "images", per_kind=4, size=(48, 36))
    rng = np.random.default_rng(2)
    kinds = rng.integers(0, 4, ROWS)
    X = np.eye(4, 16)[kinds] * 3 + rng.normal(0, 1, (ROWS, 16))
    table = Table(X.astype(np.float32), [f"f{i}" for i in range(16)], (
        Column.image("image", [str(paths[i % len(paths)]) for i in range(ROWS)]),
        Column.categorical("kind", [f"k{k}" for k in kinds], role="meta")))

    panel, engine, node = panel_fed_with(qtbot, table, "imgflow.image_map", {"method": "pca"},
                                         timeout=60000)
    yield panel, node
    engine.shutdown()


def in_view(panel, rows) -> np.ndarray:
    rect = panel.plot.box.viewRect()
    x, y = panel._view.xy[rows, 0], panel._view.xy[rows, 1]
    # a thumbnail may be centred a little outside, its image still showing
    px, py = panel.plot.box.viewPixelSize()
    margin_x, margin_y = panel.plot.layer.size * px, panel.plot.layer.size * py
    return ((x >= rect.left() - margin_x) & (x <= rect.right() + margin_x)
            & (y >= rect.top() - margin_y) & (y <= rect.bottom() + margin_y))


def test_thumbnails_stay_under_the_cap_and_follow_the_zoom(qtbot, big_map):
    from imgflow.widgets.image_map.plot import MAX_THUMBNAILS

    panel, node = big_map
    layer = panel.plot.layer
    assert len(panel._view.xy) == ROWS
    panel.plot.grab()                                    # paint now
    whole = layer.shown.copy()
    assert 0 < len(whole) <= MAX_THUMBNAILS < ROWS
    # zoomed in on a small patch: other points are drawn, all of them in view
    centre = np.median(panel._view.xy, axis=0)
    span = np.ptp(panel._view.xy, axis=0) / 40
    panel.plot.box.setRange(xRange=(centre[0] - span[0], centre[0] + span[0]),
                            yRange=(centre[1] - span[1], centre[1] + span[1]), padding=0)
    panel.plot.grab()
    zoomed = layer.shown.copy()
    assert 0 < len(zoomed) <= MAX_THUMBNAILS
    assert set(zoomed) != set(whole) and in_view(panel, zoomed).all()
    assert not in_view(panel, np.arange(ROWS)).all()     # the zoom did leave points out


def test_colouring_many_points_shares_one_brush_per_kind(qtbot, big_map):
    """pyqtgraph draws a symbol per distinct brush: 20,000 brushes would take seconds."""
    panel, node = big_map
    panel.set_settings("Colour by", color_by="kind")
    qtbot.waitUntil(lambda: len(panel.plot.brushes) == ROWS, timeout=20000)
    assert len({id(b) for b in panel.plot.brushes}) == 4
    assert "k0" in panel.legend.text()
