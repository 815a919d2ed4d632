"""The Python API: run a workflow file from a script or a notebook.

    import imgflow
    wf = imgflow.load("examples/image-clustering.imgflow")
    wf.set("Import Images", directory="photos")        # validated like --set
    out = wf.run()                                      # blocks; progress=True prints it
    table = out["Hierarchical Clustering"]["Data"]      # an imgflow Table

The same engine, checks and one-line reasons as ``imgflow run``
(imgflow.headless): an unknown node, setting or output, a bad value or a
failed node raise ``imgflow.WorkflowError``.  Values given to ``set`` are
the script author's own choice, as ``--set`` values are the user's: a
server address set here may be sent images for this run, one named only by
the file may not (see trusted_servers).
"""
from __future__ import annotations

import io
import os
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterator

from . import trusted_servers
from .api import SettingError
from .engine import Engine, Status
from .headless import (ProgressPrinter, WorkflowError, chosen_destinations, find_node, is_url,
                       finish_run, setting_of)
from .registry import Registry
from .workflow import Workflow, WorkflowFileError
from .workflow import load as load_file

__all__ = ["load", "ScriptedWorkflow", "Outputs", "WorkflowError"]


def load(path: str | os.PathLike, registry: Registry | None = None) -> "ScriptedWorkflow":
    """Open a workflow file; its load warnings are given as Python warnings."""
    registry = registry or Registry.discover()
    for problem in registry.errors:
        warnings.warn(problem, stacklevel=2)
    try:
        wf = load_file(path, registry)
    except WorkflowFileError as exc:
        raise WorkflowError(str(exc)) from None
    for warning in wf.load_warnings:
        warnings.warn(warning, stacklevel=2)
    return ScriptedWorkflow(wf, path)


class ScriptedWorkflow:
    """A loaded workflow: change settings with ``set``, compute with ``run``."""

    def __init__(self, workflow: Workflow, path: str | os.PathLike):
        self.workflow = workflow
        self.path = Path(path)
        self._chosen: list[tuple[int, str]] = []   # (node id, setting) the script set

    @property
    def titles(self) -> list[str]:
        return [node.title for node in self.workflow.nodes.values()]

    def settings(self, title: str) -> dict[str, Any]:
        """A copy of a node's settings."""
        return dict(find_node(self.workflow, title).settings)

    def set(self, title: str, **settings: Any) -> "ScriptedWorkflow":
        """Change settings of the node titled ``title``; returns self.

        Paths are taken relative to the current folder, as ``--set`` does.
        """
        for name, value in settings.items():
            node, spec = setting_of(self.workflow, title, name)
            if spec.path and isinstance(value, (str, os.PathLike)) and str(value) \
                    and not is_url(str(value)):
                value = str(Path(value).expanduser().resolve())
            try:
                self.workflow.set_settings(node, {spec.name: value})
            except SettingError as exc:
                raise WorkflowError(f"{title}.{name}: {exc}") from None
            self._chosen.append((node.id, spec.name))
        return self

    def run(self, timeout: float | None = None, progress: bool = False) -> "Outputs":
        """Compute every node (blocking) and return their outputs.

        ``progress=True`` prints each node's progress on stderr as ``imgflow run`` does.
        """
        stream = sys.stderr if progress else io.StringIO()
        # a fresh engine per run, as `imgflow run`, made inside the trust of this run
        with trusted_servers.allowed_for_this_run(self._destinations()):
            engine = Engine(self.workflow, workflow_path=self.path)
            engine.subscribe(ProgressPrinter(self.workflow, stream))
            try:
                finish_run(self.workflow, engine, [], stream, timeout)
                return Outputs(self.workflow, {
                    node.id: (dict(engine.outputs(node.id)), list(engine.state(node.id).warnings))
                    for node in self.workflow.nodes.values()})
            finally:
                engine.shutdown()

    def _destinations(self) -> list[str]:
        urls = []
        for node_id, name in self._chosen:
            node = self.workflow.nodes.get(node_id)
            if node is not None:
                urls += chosen_destinations(self.workflow, node, self.workflow.widget(node)
                                            .setting(name))
        return urls

    def __repr__(self) -> str:
        return f"<imgflow workflow {self.path.name}: {', '.join(self.titles)}>"


class Outputs(Mapping):
    """``out[title][output name]``: what each node gave (None for an output it did not give).

    ``out.warnings[title]`` lists a node's warnings (skipped images, say).
    """

    def __init__(self, workflow: Workflow, by_node: dict[int, tuple[dict, list[str]]]):
        self._workflow = workflow
        self._by_node = by_node
        self.warnings = {workflow.nodes[i].title: w for i, (_, w) in by_node.items() if w}

    def __getitem__(self, title: str) -> "NodeOutputs":
        if not isinstance(title, str):
            raise WorkflowError(f"a node is named by its title, not {title!r}")
        node = find_node(self._workflow, title)
        widget = self._workflow.widget(node)
        names = [o.name for o in widget.outputs] if widget is not None else []
        return NodeOutputs(node.title, names, self._by_node[node.id][0])

    def __iter__(self) -> Iterator[str]:
        return (node.title for node in self._workflow.nodes.values())

    def __contains__(self, title) -> bool:
        return title in list(self)

    def __len__(self) -> int:
        return len(self._workflow.nodes)


class NodeOutputs(Mapping):
    def __init__(self, title: str, names: list[str], values: dict):
        self._title, self._names, self._values = title, names, values

    def __getitem__(self, name: str):
        if name not in self._names:
            listed = ", ".join(f"'{n}'" for n in self._names) or "none"
            raise WorkflowError(f"'{self._title}' has no output '{name}' (outputs: {listed})")
        return self._values.get(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __contains__(self, name) -> bool:
        return name in self._names

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"<outputs of '{self._title}': {', '.join(self._names)}>"
