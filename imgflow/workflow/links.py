"""Which links may be made, and why not: the one place that says so.

An output fits an input when its type is the input's type or a subclass of
it; a link may not close a cycle; a single-valued input takes one link.
Each refusal is a LinkError subclass whose message is a sentence a person
understands, so the canvas, the dialogs and the file reader show the same
reason and can tell the kinds apart (the canvas replaces a taken input).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from ..api import Input, Output, Widget
    from .model import Link, Workflow


class LinkError(ValueError):
    """A link that cannot be made; the message says why."""


class SelfLink(LinkError):
    """Source and sink are the same node."""


class NotInstalled(LinkError):
    """An end's widget is not installed (a placeholder node)."""


class NoSuchChannel(LinkError):
    """The source has no such output (or none), or the sink no such input (or none)."""


class IncompatibleTypes(LinkError):
    """The output's type is not the input's type or a subclass of it."""


class WouldCycle(LinkError):
    """The sink already feeds the source (through enabled or disabled links)."""


class DuplicateLink(LinkError):
    """The very same link exists."""


class InputTaken(LinkError):
    """A single-valued input would get a second link; ``links`` are the ones it has."""

    def __init__(self, message: str, links: Iterable["Link"] = ()):
        super().__init__(message)
        self.links = list(links)


def _type_name(t: type) -> str:
    return getattr(t, "__name__", str(t))


def fits(output: "Output", input: "Input") -> bool:
    """The output's values may go into the input: its type or a subclass of it."""
    return issubclass(output.type, input.type)


def widgets_fit(source: type["Widget"], sink: type["Widget"]) -> bool:
    """Some output of the source widget fits some input of the sink widget."""
    return any(fits(o, i) for o in source.outputs for i in sink.inputs)


def check_structure(wf: "Workflow", source: int, sink: int) -> LinkError | None:
    """Self-links and cycles, refused whatever the widgets (even ones not installed)."""
    if source == sink:
        return SelfLink("A widget cannot be linked to itself.")
    if source in wf.downstream(sink, all_links=True):
        # Disabled links count: enabling one must never close a cycle.
        src, dst = wf.node(source), wf.node(sink)
        return WouldCycle(f"Linking '{src.title}' to '{dst.title}' would make a cycle.")
    return None


def check_nodes(wf: "Workflow", source: int, sink: int) -> LinkError | None:
    """Why no link at all may go from source to sink, or None."""
    reason = check_structure(wf, source, sink)
    if reason is not None:
        return reason
    src, dst = wf.node(source), wf.node(sink)
    src_widget, dst_widget = wf.widget(src), wf.widget(dst)
    if src_widget is None or dst_widget is None:
        missing = src if src_widget is None else dst
        return NotInstalled(f"'{missing.title}' is not installed, so it cannot be linked.")
    if not src_widget.outputs:
        return NoSuchChannel(f"'{src.title}' has no outputs.")
    if not dst_widget.inputs:
        return NoSuchChannel(f"'{dst.title}' takes no inputs.")
    return None


def check_link(wf: "Workflow", source: int, source_channel: str, sink: int,
               sink_channel: str) -> LinkError | None:
    """Why this link cannot be made (a LinkError to show or raise), or None when it can."""
    reason = check_nodes(wf, source, sink)
    if reason is not None:
        return reason
    src, dst = wf.node(source), wf.node(sink)
    try:
        out = wf.widget(src).output(source_channel)
    except KeyError:
        return NoSuchChannel(f"'{src.title}' has no output called '{source_channel}'.")
    try:
        inp = wf.widget(dst).input(sink_channel)
    except KeyError:
        return NoSuchChannel(f"'{dst.title}' has no input called '{sink_channel}'.")
    if not fits(out, inp):
        return IncompatibleTypes(
            f"'{src.title}' sends {_type_name(out.type)} on '{out.name}', but "
            f"'{dst.title}' takes {_type_name(inp.type)} on '{inp.name}'.")
    into = [l for l in wf.links_into(sink) if l.sink_channel == sink_channel]
    if any(l.source == source and l.source_channel == source_channel for l in into):
        return DuplicateLink(f"'{src.title}' is already linked to '{dst.title}' this way.")
    if into and not inp.multiple:
        return InputTaken(f"'{dst.title}' takes one link on '{inp.name}', and it already has "
                          f"one from '{wf.node(into[0].source).title}'.", into)
    return None


def check_pairs(wf: "Workflow", source: int, sink: int,
                pairs: Iterable[tuple[str, str]]) -> LinkError | None:
    """Why these (output, input) pairs cannot be all the links from source to sink.

    The links source -> sink now are replaced by the pairs, and so are links
    from other nodes into a single input a pair takes; two pairs into one
    single input are refused.
    """
    pairs = list(pairs)
    dst = wf.node(sink)
    for out, inp in pairs:
        reason = check_link(wf, source, out, sink, inp)
        if reason is not None and not isinstance(reason, (DuplicateLink, InputTaken)):
            return reason
    inputs = [inp for _, inp in pairs]
    for inp in inputs:
        if inputs.count(inp) > 1 and not wf.widget(dst).input(inp).multiple:
            return InputTaken(f"'{inp}' takes one link; choose one output for it.")
    return None


def replaced_links(wf: "Workflow", source: int, source_channel: str, sink: int,
                   sink_channel: str) -> list["Link"]:
    """The links a new link would push out of a taken single input (none when free)."""
    reason = check_link(wf, source, source_channel, sink, sink_channel)
    return reason.links if isinstance(reason, InputTaken) else []


def compatible_channels(wf: "Workflow", source: int, sink: int) -> list[tuple[str, str]]:
    """(output, input) pairs whose types fit, default channels first."""
    src_widget, dst_widget = wf.widget(source), wf.widget(sink)
    if src_widget is None or dst_widget is None or source == sink:
        return []
    pairs = [(o, i) for o in src_widget.outputs for i in dst_widget.inputs
             if fits(o, i)]
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


def insert_channels(wf: "Workflow", link: "Link", widget: type["Widget"]
                    ) -> tuple[tuple[str, str], tuple[str, str]] | LinkError:
    """The channels to rewire ``link`` through a new node of ``widget``, or why it cannot be.

    The new node takes what the link's source sends (on the link's output) and
    feeds the link's input; default channels are preferred.  Returns
    ((input of the new node), (output of the new node)) as (source output, new input),
    (new output, sink input), or the LinkError that says why not.
    """
    src, dst = wf.node(link.source), wf.node(link.sink)
    src_widget, dst_widget = wf.widget(src), wf.widget(dst)
    if src_widget is None or dst_widget is None:
        missing = src if src_widget is None else dst
        return NotInstalled(f"'{missing.title}' is not installed, so it cannot be linked.")
    out, inp = src_widget.output(link.source_channel), dst_widget.input(link.sink_channel)
    takes = sorted((i for i in widget.inputs if fits(out, i)), key=lambda i: not i.default)
    gives = sorted((o for o in widget.outputs if fits(o, inp)), key=lambda o: not o.default)
    if not takes:
        return IncompatibleTypes(f"{widget.name} takes nothing like the {_type_name(out.type)} "
                                 f"that '{src.title}' sends on '{out.name}'.")
    if not gives:
        return IncompatibleTypes(f"{widget.name} sends nothing that '{dst.title}' takes on "
                                 f"'{inp.name}' ({_type_name(inp.type)}).")
    return (out.name, takes[0].name), (gives[0].name, inp.name)
