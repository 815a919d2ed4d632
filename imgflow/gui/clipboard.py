"""Copy and paste: a selection travels as JSON in the workflow file format.

Never pickle: pasted text may come from anywhere, and the file loader
already validates every field of it.
"""
from __future__ import annotations

import copy

from PyQt5.QtCore import QMimeData

from ..registry import Registry
from ..workflow import Workflow, WorkflowFileError, dumps, loads

WORKFLOW_MIME = "application/x-imgflow-workflow"


def fragment(wf: Workflow, nodes, annotations=()) -> Workflow:
    """A new workflow holding copies of the nodes, the links among them, and the annotations."""
    part = Workflow(wf.registry)
    ids = {n.id for n in nodes if not n.is_placeholder}
    for node in nodes:
        if node.id in ids:
            part.insert_node(copy.deepcopy(node))
    for link in wf.links.values():
        if link.source in ids and link.sink in ids:
            part.insert_link(copy.copy(link))
    for annotation in annotations:
        part.insert_annotation(copy.deepcopy(annotation))
    return part


def to_mime(part: Workflow) -> QMimeData:
    mime = QMimeData()
    text = dumps(part)
    mime.setData(WORKFLOW_MIME, text.encode("utf-8"))
    mime.setText(text)
    return mime


def from_mime(mime: QMimeData, registry: Registry) -> Workflow | None:
    """The workflow on the clipboard, or None when it holds none (or a broken one)."""
    if mime is None:
        return None
    if mime.hasFormat(WORKFLOW_MIME):
        text = bytes(mime.data(WORKFLOW_MIME)).decode("utf-8", errors="replace")
    elif mime.hasText() and '"imgflow-workflow"' in mime.text():
        text = mime.text()
    else:
        return None
    try:
        return loads(text, registry)
    except WorkflowFileError:
        return None
