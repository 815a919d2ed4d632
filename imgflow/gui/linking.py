"""Deciding what dragging a link from one node onto another does.

Plain logic over the workflow model (no Qt), shared by the link gesture (to
highlight nodes and explain refusals) and by the edit commands.  The rules
and their sentences are the model's (``workflow.links``); this only picks
channels.  Like Orange, a link into a single-valued input that is already
taken replaces the old link instead of being refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..workflow import Link, Workflow
from ..workflow.links import InputTaken, check_nodes


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
    """What linking source to sink would do, or why it cannot (the model's reason)."""
    refusal = check_nodes(wf, source, sink)
    if refusal is not None:
        return LinkPlan(reason=str(refusal))
    pairs = wf.compatible_channels(source, sink) or [_default_pair(wf, source, sink)]
    plans = [plan_pair(wf, source, sink, pair) for pair in pairs]
    free = [p.channels for p in plans if p.ok and not p.replaces]
    if free:
        return LinkPlan(channels=free[0], ambiguous=_tied(wf, source, sink, free))
    # every fitting input is taken: replace, as Orange does
    return next((p for p in plans if p.ok), plans[0])


def plan_pair(wf: Workflow, source: int, sink: int, pair: tuple[str, str]) -> LinkPlan:
    """Linking these channels: free, replacing the link a single input has, or refused."""
    reason = wf.check_link(source, pair[0], sink, pair[1])
    if isinstance(reason, InputTaken):
        return LinkPlan(channels=pair, replaces=reason.links)
    return LinkPlan(channels=pair, reason=None if reason is None else str(reason))


def _default_pair(wf: Workflow, source: int, sink: int) -> tuple[str, str]:
    """The channels to name when none fit: the default (or first) of each end."""
    src_widget, dst_widget = wf.widget(source), wf.widget(sink)
    out = next((o for o in src_widget.outputs if o.default), src_widget.outputs[0])
    inp = next((i for i in dst_widget.inputs if i.default), dst_widget.inputs[0])
    return out.name, inp.name


def _tied(wf: Workflow, source: int, sink: int, free: list[tuple[str, str]]) -> bool:
    """True when the best two pairs are equally preferred (the user should choose)."""
    if len(free) < 2:
        return False
    src_widget, dst_widget = wf.widget(source), wf.widget(sink)

    def rank(pair):
        return (src_widget.output(pair[0]).default, dst_widget.input(pair[1]).default)
    return rank(free[0]) == rank(free[1])
