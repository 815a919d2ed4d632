"""Running a workflow file without a screen: what ``imgflow run`` does."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

from . import trusted_servers
from .api import SettingError
from .data import Table
from .data.export import ExportError
from .data.reading import write_description
from .engine import Engine, Status
from .registry import Registry
from .workflow import Workflow, load


class WorkflowError(Exception):
    """A one-line reason why a headless run failed (``imgflow.WorkflowError``)."""


RunError = WorkflowError  # the CLI's name for it


@dataclass(frozen=True)
class SettingOverride:
    title: str
    setting: str
    text: str

    @classmethod
    def parse(cls, spec: str) -> "SettingOverride":
        left, sep, value = spec.partition("=")
        title, dot, name = left.rpartition(".")
        if not sep or not dot or not title or not name:
            raise RunError(f"--set {spec!r}: expected \"NODE TITLE.setting=value\"")
        return cls(title.strip(), name.strip(), value)


@dataclass(frozen=True)
class Export:
    title: str
    output: str
    path: Path

    @classmethod
    def parse(cls, spec: str) -> "Export":
        left, sep, path = spec.partition("=")
        title, colon, output = left.rpartition(":")
        if not sep or not colon or not title or not output or not path:
            raise RunError(f"--export {spec!r}: expected \"NODE TITLE:Output name=out.csv\"")
        return cls(title.strip(), output.strip(), Path(path))


def find_node(wf: Workflow, title: str):
    node = wf.node_by_title(title)
    if node is None:
        titles = ", ".join(f"'{n.title}'" for n in wf.nodes.values())
        raise RunError(f"no node titled '{title}' (the workflow has {titles})")
    return node


def setting_of(wf: Workflow, title: str, name: str):
    """(node, setting spec) for "TITLE.name"; RunError naming what is wrong."""
    node = find_node(wf, title)
    widget = wf.widget(node)
    if widget is None:
        raise RunError(f"'{node.title}': its widget ({node.widget_id}) is not installed")
    try:
        return node, widget.setting(name)
    except KeyError as exc:
        raise RunError(exc.args[0]) from None


def apply_override(wf: Workflow, override: SettingOverride) -> None:
    node, spec = setting_of(wf, override.title, override.setting)
    text = override.text
    if spec.path and text and not is_url(text):
        text = str(Path(text).expanduser().resolve())   # relative to where the user stands
    try:
        wf.set_settings(node, {spec.name: spec.parse(text)})
    except SettingError as exc:
        raise RunError(f"--set {override.title}.{override.setting}: {exc}") from None


def is_url(text: str) -> bool:
    """A URL (s3://bucket/x, https://...) where a path setting takes one: kept as typed."""
    return "://" in text and not os.path.exists(text)


def user_destinations(wf: Workflow, overrides: list[SettingOverride]) -> list[str]:
    """Addresses data goes to because the user named them with --set (their choice, this run).

    Only what the --set value itself adds counts: setting a node's embedder to
    "remote" does not make the server named in the file the user's choice.
    """
    urls: list[str] = []
    for override in overrides:
        node, spec = setting_of(wf, override.title, override.setting)
        urls += chosen_destinations(wf, node, spec)
    return urls


def chosen_destinations(wf: Workflow, node, spec) -> list[str]:
    """The addresses the node sends to only because of this setting's value."""
    if not spec.destination:
        return []
    widget = wf.widget(node)
    without = widget.sends_to({**node.settings, spec.name: spec.default})
    return [u for u in widget.sends_to(node.settings) if u not in without]


def check_export(wf: Workflow, export: Export) -> None:
    node = find_node(wf, export.title)
    widget = wf.widget(node)
    if widget is None:
        raise RunError(f"'{node.title}': its widget ({node.widget_id}) is not installed")
    if export.output not in [o.name for o in widget.outputs]:
        names = ", ".join(f"'{o.name}'" for o in widget.outputs) or "none"
        raise RunError(f"'{node.title}' has no output '{export.output}' (outputs: {names})")


class ProgressPrinter:
    """Prints which node is working and how far it is, at most a few times a second.

    Percentages are shown only for work that has taken a while: a node that
    is done in a blink just says "done".
    """
    QUIET_SECONDS = 0.5

    def __init__(self, wf: Workflow, stream: TextIO):
        self.wf, self.stream = wf, stream
        self.tty = stream.isatty()
        self._last: dict[int, tuple[str, int]] = {}
        self._last_time = 0.0
        self._started: dict[int, float] = {}

    def __call__(self, node_id: int, state) -> None:
        if node_id not in self.wf.nodes:
            return
        if state.status == Status.RUNNING:
            started = self._started.setdefault(node_id, time.monotonic())
            if time.monotonic() - started < self.QUIET_SECONDS:
                return
        else:
            self._started.pop(node_id, None)
        percent = int((state.progress or 0) * 100)
        key = (state.status, percent // (1 if self.tty else 10))
        if self._last.get(node_id) == key:
            return
        now = time.monotonic()
        if state.status == Status.RUNNING and percent not in (0, 100) and now - self._last_time < 0.2:
            return
        self._last[node_id], self._last_time = key, now
        title = self.wf.nodes[node_id].title
        if state.status == Status.RUNNING:
            line = f"{title}: {percent}%"
        elif state.status in (Status.DONE, Status.WARNING):
            line = f"{title}: done" + ("".join(f"\n  warning: {w}" for w in state.warnings))
        elif state.status == Status.ERROR:
            line = f"{title}: error: {state.message}"
        else:
            return
        print(line, file=self.stream, flush=True)


def run_workflow(path: str | Path, registry: Registry, overrides: list[SettingOverride] = (),
                 exports: list[Export] = (), stream: TextIO | None = None,
                 timeout: float | None = None,
                 on_engine: Callable[[Engine], None] | None = None) -> Workflow:
    """Load, apply --set values, run everything, write the exports. Raises RunError."""
    stream = stream or sys.stderr
    wf = load(path, registry)
    for warning in wf.load_warnings:
        print(f"warning: {warning}", file=stream, flush=True)
    for override in overrides:
        apply_override(wf, override)
    for export in exports:
        check_export(wf, export)
    with trusted_servers.allowed_for_this_run(user_destinations(wf, overrides)):
        return _run(wf, path, exports, stream, timeout, on_engine)


def _run(wf: Workflow, path, exports: list[Export], stream: TextIO, timeout: float | None,
         on_engine: Callable[[Engine], None] | None) -> Workflow:
    engine = Engine(wf, workflow_path=path)
    engine.subscribe(ProgressPrinter(wf, stream))
    if on_engine is not None:
        on_engine(engine)
    try:
        finish_run(wf, engine, exports, stream, timeout)
    finally:
        engine.shutdown()
    return wf


def finish_run(wf: Workflow, engine: Engine, exports: list[Export], stream: TextIO,
            timeout: float | None) -> None:
    """Wait for the run, fail with the failed nodes' reasons, write the exports."""
    if not engine.run_until_idle(timeout):
        raise RunError(f"the workflow did not finish within {timeout:g} s")
    failed = [(n.title, engine.state(n.id).message) for n in wf.nodes.values()
              if engine.state(n.id).status == Status.ERROR]
    if failed:
        raise RunError("; ".join(f"{t}: {m}" for t, m in failed))
    for export in exports:
        write_export(wf, engine, export, stream)


def write_export(wf: Workflow, engine: Engine, export: Export, stream: TextIO | None = None) -> None:
    """Write an output to the export's file (format by extension, atomically).

    An output that is empty gives a header-only file (no file at all would
    break the script that reads it); one the node gave nothing for, an empty
    table, with a warning.
    """
    node = find_node(wf, export.title)
    value = engine.outputs(node.id).get(export.output)
    if value is None:
        state = engine.state(node.id)
        why = f" ({state.message})" if state.message else ""
        print(f"warning: '{export.title}' produced nothing on '{export.output}'{why}; "
              f"{export.path} holds an empty table", file=stream or sys.stderr, flush=True)
        value = Table.from_columns([])
    if not isinstance(value, Table):
        raise RunError(f"'{export.title}:{export.output}' is not a table; only tables can be "
                       "exported")
    try:
        value.export(export.path)
        # column kinds beside the file, so that File reads the table back as it was
        write_description(value, export.path)
    except ExportError as exc:
        raise RunError(f"cannot write {export.path}: {exc}") from None
    except OSError as exc:
        raise RunError(f"cannot write {export.path}: {exc.strerror or exc}") from None
