"""Deciding what dragging a link from one node onto another does.

Plain logic over the workflow model (no Qt), shared by the link gesture (to
highlight nodes and explain refusals) and by the edit commands.  Like Orange,
a link into a single-valued input that is already taken replaces the old
link instead of being refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..workflow import Link, Workflow


@dataclass
class LinkPlan:
    channels: tuple[str, str] | None = None     # (output, input) to link
    replaces: list[Link] = field(default_factory=list)
    reason: str | None = None                   # why it cannot be made
    ambiguous: bool = False                     # several pairs fit equally well

    @property
    def ok(self) -> bool:
        return self.reason is None and self.channels is not None


def plan_link(wf: Workflow, source: int, sink: int) -> LinkPlan:
    """What linking source to sink would do, or why it cannot."""
    src, dst = wf.node(source), wf.node(sink)
    src_widget, dst_widget = wf.widget(src), wf.widget(dst)
    if source == sink:
        return LinkPlan(reason="A widget cannot be linked to itself.")
    if src_widget is None or dst_widget is None:
        missing = src if src_widget is None else dst
        return LinkPlan(reason=f"'{missing.title}' is not installed, so it cannot be linked.")
    if not src_widget.outputs:
        return LinkPlan(reason=f"'{src.title}' has no outputs.")
    if not dst_widget.inputs:
        return LinkPlan(reason=f"'{dst.title}' takes no inputs.")
    pairs = wf.compatible_channels(source, sink)
    if not pairs:
        return LinkPlan(reason=_type_mismatch(wf, source, sink))
    if source in wf.downstream(sink):
        return LinkPlan(reason=f"Linking '{src.title}' to '{dst.title}' would make a cycle.")
    free = [p for p in pairs if wf.check_link(source, p[0], sink, p[1]) is None]
    if free:
        return LinkPlan(channels=free[0], ambiguous=_tied(wf, source, sink, free))
    for out, inp in pairs:       # every fitting input is taken: replace, as Orange does
        taken = _occupying(wf, source, out, sink, inp)
        if taken is not None:
            return LinkPlan(channels=(out, inp), replaces=taken)
    return LinkPlan(reason=f"'{src.title}' is already linked to '{dst.title}'.")


def _type_mismatch(wf: Workflow, source: int, sink: int) -> str:
    src_widget, dst_widget = wf.widget(source), wf.widget(sink)
    out = next((o for o in src_widget.outputs if o.default), src_widget.outputs[0])
    inp = next((i for i in dst_widget.inputs if i.default), dst_widget.inputs[0])
    return wf.check_link(source, out.name, sink, inp.name) or "These widgets do not fit."


def _occupying(wf: Workflow, source: int, out: str, sink: int, inp: str) -> list[Link] | None:
    """The links to drop so that out -> inp fits, or None if that is not the obstacle."""
    existing = [l for l in wf.links.values() if l.sink == sink and l.sink_channel == inp]
    if any(l.source == source and l.source_channel == out for l in existing):
        return None
    if wf.widget(sink).input(inp).multiple or not existing:
        return None
    return existing


def _tied(wf: Workflow, source: int, sink: int, free: list[tuple[str, str]]) -> bool:
    """True when the best two pairs are equally preferred (the user should choose)."""
    if len(free) < 2:
        return False
    src_widget, dst_widget = wf.widget(source), wf.widget(sink)

    def rank(pair):
        return (src_widget.output(pair[0]).default, dst_widget.input(pair[1]).default)
    return rank(free[0]) == rank(free[1])

