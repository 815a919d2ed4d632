"""Workflow files as someone else might send them."""
from __future__ import annotations

import json
from pathlib import Path


def one_node_workflow(tmp_path: Path, widget_id: str, title: str, settings: dict) -> Path:
    """A workflow file (shared.imgflow in tmp_path) of one node with these settings."""
    doc = {"format": "imgflow-workflow", "version": 1, "links": [], "nodes": [
        {"id": 0, "widget": widget_id, "title": title, "position": [0, 0],
         "settings": settings}]}
    path = tmp_path / "shared.imgflow"
    path.write_text(json.dumps(doc))
    return path
