"""``imgflow widgets``, ``imgflow help WIDGET``, ``imgflow examples``: learning in a terminal.

They read the same sources as the canvas's help window and welcome dialog
(``widget_help`` and ``examples``), so the two never disagree.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .example_workflows import CopyError, copy_examples, list_examples
from .registry import Registry
from .widget_help import close_matches, find_widget, page_text, widget_page


def _fail(message: str) -> int:
    print(f"imgflow: error: {message}", file=sys.stderr)
    return 1


def _registry(registry) -> Registry:
    registry = registry or Registry.discover()
    for problem in registry.errors:
        print(f"imgflow: warning: {problem}", file=sys.stderr)
    return registry


def _channels(channels) -> str:
    return ", ".join(f"{c.name} ({getattr(c.type, '__name__', c.type)})" for c in channels) or "-"


def widgets_command(args, registry) -> int:
    for widget in _registry(registry).widgets():
        print(f"{widget.name}  [{widget.id}]")
        print(f"    inputs:  {_channels(widget.inputs)}")
        print(f"    outputs: {_channels(widget.outputs)}")
    return 0


def help_command(args, registry) -> int:
    registry = _registry(registry)
    name = " ".join(args.widget)
    if not name:
        print("imgflow help WIDGET prints a widget's page; the widgets (imgflow widgets):")
        for widget in registry.widgets():
            print(f"  {widget.name}")
        return 0
    widget = find_widget(registry, name)
    if widget is None:
        close = close_matches(registry, name)
        hint = f"did you mean {', '.join(close)}?" if close else "imgflow widgets lists them all"
        return _fail(f"no widget called '{name}' ({hint})")
    sys.stdout.write(page_text(widget_page(widget).markdown))
    return 0


def examples_command(args, registry) -> int:
    if args.copy:
        try:
            copied = copy_examples(Path(args.copy))
        except CopyError as exc:
            return _fail(str(exc))
        for path in copied:
            print(path)
        print(f"copied {len(copied)} example workflows with their images into {args.copy}",
              file=sys.stderr)
        return 0
    examples = list_examples()
    width = max((len(e.name) for e in examples), default=0)
    for example in examples:
        print(f"{example.name:<{width}}  {example.title}")
    return 0


COMMANDS = {"widgets": widgets_command, "help": help_command, "examples": examples_command}
