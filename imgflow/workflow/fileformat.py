"""Workflow files: JSON with a format name and version, never pickle.

Saving is atomic (temp file + rename); saving through a symbolic link
writes the file it points to, and the file keeps its permissions.  Loading
checks everything and fails with a ``WorkflowFileError`` that names the
problem and where it is; a number that is not finite (``NaN``, ``1e999``)
is refused wherever it is, since it could never be saved back.  A node
whose widget is not installed is kept as a placeholder and written back
unchanged.  Path settings inside the file's folder are stored relative to it,
with the absolute path as a fallback.  A file name that is not valid UTF-8
(a str with lone surrogates, as ``os.fsdecode`` makes it) is written as JSON
escapes (``"latin1-\\udce9.jpg"``), which read back to the same name.
"""
from __future__ import annotations

import json
import math
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from ..api import SettingError
from ..registry import Registry
from .links import LinkError, check_link, check_structure
from .model import Annotation, Link, Node, Workflow

FORMAT_NAME = "imgflow-workflow"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64


class WorkflowFileError(ValueError):
    """A workflow file that cannot be read; the message says what and where."""


# -- writing -----------------------------------------------------------------

def dumps(wf: Workflow, path: str | os.PathLike | None = None) -> str:
    """The file's text; ``path`` is where it will live (for relative paths)."""
    folder = Path(path).resolve().parent if path else None
    doc = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "title": wf.title,
        "description": wf.description,
        "nodes": [_node_to_json(wf, n, folder) for n in wf.nodes.values()],
        "links": [{"id": l.id, "source": l.source, "source_channel": l.source_channel,
                   "sink": l.sink, "sink_channel": l.sink_channel, "enabled": l.enabled}
                  for l in wf.links.values()],
        "annotations": [{"id": a.id, "kind": a.kind, "geometry": list(a.geometry),
                         "text": a.text, "style": a.style} for a in wf.annotations.values()],
    }
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


# Only inside JSON strings (file names), where a \\u escape means the same
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _node_to_json(wf: Workflow, node: Node, folder: Path | None) -> dict:
    if node.is_placeholder:
        raw = dict(node.placeholder)
        raw.update(id=node.id, title=node.title, position=list(node.position))
        return raw
    widget = wf.widget(node)
    settings = {}
    for name, value in node.settings.items():
        spec = next((s for s in widget.settings if s.name == name), None)
        if spec is not None and spec.path:
            value = ([_path_to_json(v, folder) for v in value] if isinstance(value, list)
                     else _path_to_json(value, folder))
        settings[name] = value
    saved = {"id": node.id, "widget": node.widget_id, "title": node.title,
             "position": list(node.position), "settings_version": widget.settings_version,
             "settings": settings, "panel": node.panel_state}
    if not node.auto_apply:      # written only when off: files stay as they were
        saved["auto_apply"] = False
    return saved


def _path_to_json(value, folder: Path | None):
    # Only absolute paths are made relative: not URLs, not what is relative already.
    if not isinstance(value, str) or not os.path.isabs(value) or folder is None:
        return value
    absolute = Path(value).resolve()
    try:
        relative = absolute.relative_to(folder)
    except ValueError:
        return str(absolute)
    return {"relative": relative.as_posix() or ".", "absolute": str(absolute)}


def save(wf: Workflow, path: str | os.PathLike) -> None:
    """Write atomically: a crash mid-save leaves the old file whole.

    A symbolic link stays a link: the file it points to is written.  An
    existing file keeps its permissions; a new one gets the usual ones
    (0666 less the umask), like any file the user makes.
    """
    path = Path(os.path.realpath(path))
    text = dumps(wf, path).encode("utf-8")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- reading -----------------------------------------------------------------

def load(path: str | os.PathLike, registry: Registry) -> Workflow:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise WorkflowFileError(f"{path.name}: the file is {size // 2**20} MB; a workflow "
                                    f"file is at most {MAX_FILE_BYTES // 2**20} MB")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise WorkflowFileError(f"{path.name}: not a text file (is it really a workflow?)") from None
    except OSError as exc:
        raise WorkflowFileError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    try:
        return loads(text, registry, path)
    except WorkflowFileError as exc:
        raise WorkflowFileError(f"{path.name}: {exc}") from None


def loads(text: str, registry: Registry, path: str | os.PathLike | None = None) -> Workflow:
    folder = Path(path).resolve().parent if path else None
    doc = _parse_json(text)
    reader = _Reader(registry, folder)
    return reader.workflow(doc)


def _parse_json(text: str) -> Any:
    if len(text) > MAX_FILE_BYTES:
        raise WorkflowFileError("the file is too large for a workflow")
    try:
        doc = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise WorkflowFileError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: "
                                f"{exc.msg})") from None
    except RecursionError:
        raise WorkflowFileError("the JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. integers with more digits than Python allows
        raise WorkflowFileError(f"not a valid workflow: {exc}") from None
    _check_depth(doc, "", 0)
    return doc


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in a workflow file")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a workflow file")
    return value


def _check_depth(value: Any, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise WorkflowFileError(f"{where or 'the file'}: nested too deeply")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_depth(v, f"{where}.{k}" if where else k, depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_depth(v, f"{where}[{i}]", depth + 1)


class _Reader:
    def __init__(self, registry: Registry, folder: Path | None):
        self.registry = registry
        self.folder = folder

    def workflow(self, doc: Any) -> Workflow:
        if not isinstance(doc, dict):
            raise WorkflowFileError("not a workflow: the file holds no JSON object")
        if doc.get("format") != FORMAT_NAME:
            raise WorkflowFileError(f"not an imgflow workflow (format is {doc.get('format')!r}, "
                                    f"expected {FORMAT_NAME!r})")
        version = _field(doc, "version", int, "the file")
        if version > FORMAT_VERSION:
            raise WorkflowFileError(f"written by a newer imgflow (file format {version}; this "
                                    f"version reads up to {FORMAT_VERSION})")
        wf = Workflow(self.registry, _opt(doc, "title", str, "", "the file"),
                      _opt(doc, "description", str, "", "the file"))
        for i, raw in enumerate(_field(doc, "nodes", list, "the file")):
            node = self.node(raw, f"nodes[{i}]")
            if node.id in wf.nodes:
                raise WorkflowFileError(f"nodes[{i}]: id {node.id} is used twice")
            wf.insert_node(node)
            widget = self.registry.get(node.widget_id)
            if widget is not None:
                saved = raw.get("settings")
                wf.load_warnings += [f"'{node.title}': {w}" for w in
                                     widget.load_warnings(saved if isinstance(saved, dict) else {})]
        for i, raw in enumerate(_opt(doc, "links", list, [], "the file")):
            wf.insert_link(self.link(wf, raw, f"links[{i}]"))
        for i, raw in enumerate(_opt(doc, "annotations", list, [], "the file")):
            annotation = self.annotation(raw, f"annotations[{i}]")
            if annotation.id in wf.annotations:
                raise WorkflowFileError(f"annotations[{i}]: id {annotation.id} is used twice")
            wf.insert_annotation(annotation)
        return wf

    def node(self, raw: Any, where: str) -> Node:
        if not isinstance(raw, dict):
            raise WorkflowFileError(f"{where}: a node must be an object")
        node_id = _field(raw, "id", int, where)
        widget_id = _field(raw, "widget", str, where)
        title = _field(raw, "title", str, where)
        where = f"{where} ('{title}')"
        position = _position(_field(raw, "position", list, where), where)
        widget = self.registry.get(widget_id)
        if widget is None:
            return Node(node_id, widget_id, title, position, placeholder=raw)
        saved = _opt(raw, "settings", dict, {}, where)
        version = _opt(raw, "settings_version", int, widget.settings_version, where)
        if version < widget.settings_version:
            saved = widget.migrate_settings(dict(saved), version)
        settings = widget.default_settings()
        for spec in widget.settings:
            if spec.name not in saved:
                continue
            value = saved[spec.name]
            if spec.path:
                here = f"{where}: setting '{spec.name}'"
                value = ([self.path_from_json(v, here) for v in value] if isinstance(value, list)
                         else self.path_from_json(value, here))
            try:
                settings[spec.name] = spec.validate(value)
            except SettingError as exc:
                raise WorkflowFileError(f"{where}: setting '{spec.name}' {exc}") from None
        panel = _opt(raw, "panel", dict, {}, where)
        auto_apply = _opt(raw, "auto_apply", bool, True, where)
        return Node(node_id, widget_id, title, position, settings, panel,
                    auto_apply=auto_apply)

    def path_from_json(self, value: Any, where: str) -> Any:
        if not isinstance(value, dict):
            return value
        relative = _field(value, "relative", str, where)
        absolute = _opt(value, "absolute", str, "", where)
        if self.folder is not None:
            candidate = (self.folder / relative).resolve()
            if candidate.exists() or not absolute or not Path(absolute).exists():
                return str(candidate)
        return absolute or relative

    def link(self, wf: Workflow, raw: Any, where: str) -> Link:
        if not isinstance(raw, dict):
            raise WorkflowFileError(f"{where}: a link must be an object")
        link = Link(_field(raw, "id", int, where), _field(raw, "source", int, where),
                    _field(raw, "source_channel", str, where), _field(raw, "sink", int, where),
                    _field(raw, "sink_channel", str, where),
                    _opt(raw, "enabled", bool, True, where))
        for end in ("source", "sink"):
            if getattr(link, end) not in wf.nodes:
                raise WorkflowFileError(f"{where}: {end} node {getattr(link, end)} does not exist")
        if link.id in wf.links:
            raise WorkflowFileError(f"{where}: id {link.id} is used twice")
        if wf.nodes[link.source].is_placeholder or wf.nodes[link.sink].is_placeholder:
            # Channels of a widget that is not installed cannot be checked; cycles can.
            reason = check_structure(wf, link.source, link.sink)
        else:
            reason = check_link(wf, link.source, link.source_channel, link.sink, link.sink_channel)
        if reason:
            raise WorkflowFileError(f"{where}: {reason}")
        return link

    def annotation(self, raw: Any, where: str) -> Annotation:
        if not isinstance(raw, dict):
            raise WorkflowFileError(f"{where}: an annotation must be an object")
        kind = _field(raw, "kind", str, where)
        if kind not in ("text", "arrow"):
            raise WorkflowFileError(f"{where}: kind must be 'text' or 'arrow', not {kind!r}")
        geometry = _field(raw, "geometry", list, where)
        if len(geometry) != 4 or not all(_is_finite_number(v) for v in geometry):
            raise WorkflowFileError(f"{where}: geometry must be four numbers")
        return Annotation(_field(raw, "id", int, where), kind, tuple(float(v) for v in geometry),
                          _opt(raw, "text", str, "", where), _opt(raw, "style", dict, {}, where))


_KIND_NAMES = {int: "a whole number", str: "text", list: "a list", dict: "an object",
               bool: "true or false"}


def _field(obj: dict, name: str, kind: type, where: str):
    if name not in obj:
        raise WorkflowFileError(f"{where}: missing '{name}'")
    value = obj[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise WorkflowFileError(f"{where}: '{name}' must be {_KIND_NAMES[kind]}, "
                                f"not {json.dumps(value)[:40]}")
    return value


def _opt(obj: dict, name: str, kind: type, default, where: str):
    return _field(obj, name, kind, where) if name in obj else default


def _is_finite_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) \
        and abs(v) < 1e12


def _position(value: list, where: str) -> tuple[float, float]:
    if len(value) != 2 or not all(_is_finite_number(v) for v in value):
        raise WorkflowFileError(f"{where}: 'position' must be two numbers")
    return float(value[0]), float(value[1])
