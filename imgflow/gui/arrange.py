"""Arrange: a simple layered layout, left to right by topological depth."""
from __future__ import annotations

from ..workflow import Workflow
from . import style


def layered_positions(wf: Workflow, origin: tuple[float, float] = (0.0, 0.0)
                      ) -> dict[int, tuple[float, float]]:
    """Each node in the column of its longest path from a source; columns centred
    vertically, nodes in a column kept in their current top-to-bottom order."""
    depth: dict[int, int] = {}
    graph = wf.graph(all_links=True)      # disabled links are drawn too
    for node_id in graph.order:
        depth[node_id] = 1 + max((depth.get(p, 0) for p in graph.parents[node_id]), default=-1)
    columns: dict[int, list[int]] = {}
    for node_id, d in depth.items():
        columns.setdefault(d, []).append(node_id)
    x0, y0 = origin
    positions = {}
    for d, ids in columns.items():
        ids.sort(key=lambda i: (wf.nodes[i].position[1], i))
        top = y0 - (len(ids) - 1) * style.ROW_SPACING / 2
        for row, node_id in enumerate(ids):
            positions[node_id] = (x0 + d * style.LAYER_SPACING, top + row * style.ROW_SPACING)
    return positions
