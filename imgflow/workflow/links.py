"""Which links may be made, and why not.

An output fits an input when its type is the input's type or a subclass of
it; a link may not close a cycle; a single-valued input takes one link.
Refusals are sentences a person understands.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Workflow


class LinkError(ValueError):
    """A link that cannot be made; the message says why."""


def _type_name(t: type) -> str:
    return getattr(t, "__name__", str(t))


def check_link(wf: "Workflow", source: int, source_channel: str, sink: int,
               sink_channel: str) -> str | None:
    src, dst = wf.node(source), wf.node(sink)
    if source == sink:
        return "A widget cannot be linked to itself."
    src_widget, dst_widget = wf.widget(src), wf.widget(dst)
    if src_widget is None or dst_widget is None:
        missing = src if src_widget is None else dst
        return f"'{missing.title}' is not installed, so it cannot be linked."
    try:
        out = src_widget.output(source_channel)
    except KeyError:
        return f"'{src.title}' has no output called '{source_channel}'."
    try:
        inp = dst_widget.input(sink_channel)
    except KeyError:
        return f"'{dst.title}' has no input called '{sink_channel}'."
    if not issubclass(out.type, inp.type):
        return (f"'{src.title}' sends {_type_name(out.type)} on '{out.name}', but "
                f"'{dst.title}' takes {_type_name(inp.type)} on '{inp.name}'.")
    if source in wf.downstream(sink):
        return f"Linking '{src.title}' to '{dst.title}' would make a cycle."
    for link in wf.links.values():
        if (link.source, link.source_channel, link.sink, link.sink_channel) == \
                (source, source_channel, sink, sink_channel):
            return f"'{src.title}' is already linked to '{dst.title}' this way."
        if not inp.multiple and link.sink == sink and link.sink_channel == sink_channel:
            return (f"'{dst.title}' takes one link on '{inp.name}', and it already has "
                    f"one from '{wf.node(link.source).title}'.")
    return None


def compatible_channels(wf: "Workflow", source: int, sink: int) -> list[tuple[str, str]]:
    """(output, input) pairs whose types fit, default channels first."""
    src_widget, dst_widget = wf.widget(source), wf.widget(sink)
    if src_widget is None or dst_widget is None or source == sink:
        return []
    pairs = [(o, i) for o in src_widget.outputs for i in dst_widget.inputs
             if issubclass(o.type, i.type)]
    # Prefer default channels, then the most specific type match.
    pairs.sort(key=lambda p: (not p[0].default, not p[1].default, p[1].type is object))
    return [(o.name, i.name) for o, i in pairs]


def default_channels(wf: "Workflow", source: int, sink: int) -> tuple[str, str] | None:
    """The pair to link without asking, or None when nothing fits.

    Free inputs are preferred over ones already taken; among those, the
    default-flagged channels win.
    """
    candidates = [p for p in compatible_channels(wf, source, sink)
                  if check_link(wf, source, p[0], sink, p[1]) is None]
    return candidates[0] if candidates else None
