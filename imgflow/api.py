"""The widget API: what a widget declares and how its work is called.

A widget is a class with a declaration (id, name, typed inputs and outputs,
settings with defaults and a version) and a ``compute`` method: a plain
function of (inputs, settings, context) that runs without Qt, reports
progress, and can be cancelled.  Its Qt panel, if any, is named by a
"module:Class" string and imported only when a window is opened.

How the engine calls compute (the rule widget authors can rely on):
- one widget object per node, kept between runs, so it may keep caches
  (a loaded network, the last tree) in plain attributes;
- never two computes at once on one object: when a new input cancels a run,
  the next run starts only after the cancelled compute has returned.  A
  widget needs no locks, and what a cancelled run finished computing (and
  cached) is there for the next;
- compute runs on a worker thread, never the GUI's; it must not touch Qt.
"""
from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar


class WidgetError(Exception):
    """A failure with a message fit to show on the node as it is."""


class Cancelled(Exception):
    """Raised inside compute when the run was cancelled."""


class SettingError(ValueError):
    """A setting value of the wrong type or out of range."""


@dataclass(frozen=True)
class Input:
    name: str
    type: type
    multiple: bool = False      # several links may arrive (values come as a list, in link order)
    default: bool = False       # preferred channel when several fit
    optional: bool = False      # compute runs even without it
    doc: str = ""


@dataclass(frozen=True)
class Output:
    name: str
    type: type
    default: bool = False
    doc: str = ""


_TYPE_NAMES = {bool: "true or false", int: "a whole number", float: "a number",
               str: "text", list: "a list", dict: "an object"}


@dataclass(frozen=True)
class Setting:
    """A typed, JSON-serialisable setting.

    ``path=True`` marks a file-system path (a str, or a list of them): it is
    saved relative to the workflow file when it lies inside the file's folder.  ``view_only=True``
    marks a setting that changes only what the panel shows (a sort order, a
    thumbnail size): changing it does not re-run the widget or what it feeds.
    ``destination=True`` marks a setting that names where compute sends data
    (a server address): a value the user gives on the command line counts as
    their choice to send data there, which a value in a workflow file never does.
    """
    name: str
    type: type
    default: Any
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    path: bool = False
    view_only: bool = False
    destination: bool = False
    doc: str = ""

    def validate(self, value: Any) -> Any:
        """The value in canonical form, or SettingError saying what is wrong."""
        value = self._coerce(value)
        if self.choices and value not in self.choices:
            options = ", ".join(str(c) for c in self.choices)
            raise SettingError(f"must be one of {options}, not {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise SettingError(f"must be at least {self.minimum}, not {value}")
        if self.maximum is not None and value > self.maximum:
            raise SettingError(f"must be at most {self.maximum}, not {value}")
        return value

    def _coerce(self, value: Any) -> Any:
        t = self.type
        ok = (isinstance(value, t) and not (t is int and isinstance(value, bool))
              or (t is float and isinstance(value, int) and not isinstance(value, bool)))
        if not ok:
            raise SettingError(f"expected {_TYPE_NAMES.get(t, t.__name__)}, "
                               f"got {json.dumps(value)[:60]}")
        if t is float:
            try:
                value = float(value)
            except OverflowError:  # a whole number of 400 digits, say
                raise SettingError("must be a finite number") from None
            if not math.isfinite(value):
                raise SettingError("must be a finite number")
        if t in (list, dict):
            # Round-trip through JSON: a plain, independent copy.
            value = json.loads(json.dumps(value))
        return value

    def parse(self, text: str) -> Any:
        """A value from text typed by a person (the command line's --set)."""
        t = self.type
        try:
            if t is bool:
                lowered = text.strip().lower()
                if lowered in ("1", "true", "yes", "on"):
                    return self.validate(True)
                if lowered in ("0", "false", "no", "off"):
                    return self.validate(False)
                raise SettingError(f"expected true or false, got {text!r}")
            if t is int:
                return self.validate(int(text))
            if t is float:
                return self.validate(float(text))
            if t in (list, dict):
                return self.validate(json.loads(text))
        except (ValueError, json.JSONDecodeError) as exc:
            if isinstance(exc, SettingError):
                raise
            raise SettingError(f"expected {_TYPE_NAMES[t]}, got {text!r}") from None
        return self.validate(text)


@dataclass
class Result:
    """What compute returns when it has more to say than its outputs.

    ``view`` carries what the panel shows beyond the outputs (for example the
    linkage tree); ``warnings`` and ``info`` are shown on the node.
    """
    outputs: dict[str, Any]
    view: Any = None
    warnings: list[str] = field(default_factory=list)
    info: str = ""


class Context:
    """Handed to compute: progress, cancellation, warnings, where the workflow lies."""

    def __init__(self, on_progress: Callable[[float], None] | None = None,
                 workflow_dir: Path | None = None,
                 input_labels: dict[str, list[str]] | None = None):
        self._cancel = threading.Event()
        self._on_progress = on_progress
        self.workflow_dir = workflow_dir
        self.input_labels = input_labels or {}
        self.warnings: list[str] = []

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        """Raise Cancelled if the run was cancelled; call it between steps."""
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, done: float, total: float | None = None) -> None:
        """Report progress as a fraction, or as ``done`` of ``total``."""
        fraction = done / total if total else done
        if self._on_progress is not None:
            self._on_progress(min(max(float(fraction), 0.0), 1.0))

    def warning(self, message: str) -> None:
        self.warnings.append(message)


class Widget:
    """Base class of widgets: subclasses fill in the declaration."""
    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    category: ClassVar[str] = "Other"
    icon: ClassVar[str] = ""              # file name in the icons folder
    description: ClassVar[str] = ""
    keywords: ClassVar[tuple[str, ...]] = ()
    inputs: ClassVar[tuple[Input, ...]] = ()
    outputs: ClassVar[tuple[Output, ...]] = ()
    settings: ClassVar[tuple[Setting, ...]] = ()
    settings_version: ClassVar[int] = 1
    panel: ClassVar[str | None] = None    # "module:Class" of the Qt panel
    priority: ClassVar[int] = 100         # order within the category in the toolbox
    # A long run: the node gets "Apply automatically" (on by default) and an Apply
    # button; with it off, changes wait for Apply (the engine holds the node).
    apply_control: ClassVar[bool] = False

    @classmethod
    def default_settings(cls) -> dict[str, Any]:
        return {s.name: Setting._coerce(s, s.default) if s.type in (list, dict) else s.default
                for s in cls.settings}

    @classmethod
    def setting(cls, name: str) -> Setting:
        return _named(cls.settings, name, f"{cls.name} has no setting {name!r}", "settings")

    @classmethod
    def input(cls, name: str) -> Input:
        return _named(cls.inputs, name, f"{cls.name} has no input {name!r}", "inputs")

    @classmethod
    def output(cls, name: str) -> Output:
        return _named(cls.outputs, name, f"{cls.name} has no output {name!r}", "outputs")

    @classmethod
    def sends_to(cls, settings: dict[str, Any]) -> list[str]:
        """Addresses outside this computer (URLs) that compute would send data to.

        The core checks them against the user's trusted servers before data
        leaves; a widget that sends nothing anywhere keeps this default.
        """
        return []

    @classmethod
    def load_warnings(cls, saved: dict[str, Any]) -> list[str]:
        """Warnings about settings as saved in a file (before they are read), for the user."""
        return []

    @classmethod
    def migrate_settings(cls, settings: dict[str, Any], version: int) -> dict[str, Any]:
        """Bring settings saved by an older ``settings_version`` up to date."""
        return settings

    def compute(self, inputs: dict[str, Any], settings: dict[str, Any],
                ctx: Context) -> dict[str, Any] | Result:
        """The outputs by name (or a Result) from the inputs and settings.

        Called on a worker thread, one call at a time per object (see the
        module's docstring); call ``ctx.check()`` between steps so that a new
        input can stop a run early, and raise WidgetError with a sentence for
        a failure the user should read.
        """
        raise NotImplementedError


def _named(items, name: str, missing: str, plural: str):
    """The declared item called ``name``, or a KeyError listing the ones there are."""
    for item in items:
        if item.name == name:
            return item
    known = ", ".join(i.name for i in items) or "none"
    raise KeyError(f"{missing} ({plural}: {known})")
