"""The engine: runs widget work headless, in dependency order, off the caller's thread.

When an input or a setting changes, only the nodes downstream recompute, in
topological order, each once per change even through diamonds: a node runs
only when no node before it is still dirty or running.  "Before" and
"downstream" follow enabled links only (the workflow's graph): a disabled link
neither carries data nor makes anything wait or re-run.  Changes arriving in a
burst are coalesced into one pass.  Work runs on worker threads; a result that
went stale while it ran is discarded.  An exception in one widget becomes that
node's error state; the rest of the workflow goes on.

The engine owns run concurrency: a widget object never has two computes at
once.  A new input cancels the old run, but the next run on that object starts
only when the cancelled compute has returned (the node shows "waiting" in the
meantime; no thread blocks on it).  We wait rather than give each run its own
widget object so that what a widget keeps between runs (a loaded network, the
last clustering tree) stays a plain attribute: a cancelled run that still
finishes its expensive step leaves it for the next, and widget authors need no
locks.  Changes made while the cancelled run finishes are coalesced into one
next run.

Apply control: with ``manual_apply`` (the canvas), a node whose widget has
``apply_control`` and whose ``auto_apply`` is off is held: a change to its
settings or inputs does not run it but marks it pending (``NodeState.
pending_apply``; its outputs stay those of its last run, and nothing waits for
it) until ``apply`` or turning ``auto_apply`` back on.  A run already going
when a change arrives finishes (the user asked for it) and the node stays
pending.  Without ``manual_apply`` (headless runs, scripts, tests) every node
applies.

The engine never touches Qt.  Everything except the widget's compute runs on
one thread (the "owner"): results come back through ``post``, which the GUI
maps onto the Qt event loop and which, headless, is a queue drained by
``run_until_idle``.
"""
from __future__ import annotations

import logging
import queue
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..api import Cancelled, Context, Result, WidgetError
from ..data import printable
from ..workflow import Event, EventKind, Workflow
from .state import NodeState, Status

log = logging.getLogger(__name__)

Listener = Callable[[int, NodeState], None]


@dataclass
class _Run:
    token: int
    ctx: Context


class Engine:
    def __init__(self, workflow: Workflow, post: Callable[[Callable[[], None]], None] | None = None,
                 max_workers: int = 4, workflow_path: str | Path | None = None,
                 manual_apply: bool = False):
        self.workflow = workflow
        self.manual_apply = manual_apply
        self.workflow_path = Path(workflow_path) if workflow_path else None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._post = post or self._queue.put
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="imgflow-work")
        self._states: dict[int, NodeState] = {}
        self._instances: dict[int, Any] = {}
        self._dirty: set[int] = set()
        self._pending: set[int] = set()        # held nodes whose changes wait for apply()
        self._running: dict[int, _Run] = {}    # the current run of a node
        self._busy: dict[int, int] = {}        # node -> token of the compute its object runs
        self._tokens = 0
        self._step_posted = False
        self._frozen = False
        self._listeners: list[Listener] = []
        workflow.subscribe(self._on_workflow_event)
        for node_id in workflow.nodes:
            self._mark_dirty(node_id)

    # -- public -------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """Call listener(node_id, state) on the owner thread whenever a node's state changes."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def state(self, node_id: int) -> NodeState:
        return self._states.setdefault(node_id, NodeState())

    def outputs(self, node_id: int) -> dict[str, Any]:
        return self.state(node_id).outputs

    @property
    def frozen(self) -> bool:
        return self._frozen

    def set_frozen(self, frozen: bool) -> None:
        """While frozen, changes are remembered but nothing new starts."""
        self._frozen = frozen
        if not frozen:
            self._schedule()

    def invalidate(self, node_id: int) -> None:
        """Recompute this node (and, after it, what it feeds): the user asked, so even a held node runs."""
        self._run_now(node_id)

    def apply(self, node_id: int) -> bool:
        """Run a node's pending changes (the Apply button); False when none were pending."""
        if node_id not in self._pending:
            return False
        self._run_now(node_id)
        return True

    def _run_now(self, node_id: int) -> None:
        if node_id in self._pending:
            self._pending.discard(node_id)
            self.state(node_id).pending_apply = False
        self._mark_dirty(node_id, held=False)

    def is_pending(self, node_id: int) -> bool:
        return node_id in self._pending

    def _held(self, node_id: int) -> bool:
        """Whether changes to this node wait for Apply."""
        if not self.manual_apply:
            return False
        node = self.workflow.nodes.get(node_id)
        widget = self.workflow.widget(node) if node is not None else None
        return widget is not None and widget.apply_control and not node.auto_apply

    def cancel(self, node_id: int) -> None:
        run = self._running.pop(node_id, None)
        if run is not None:
            run.ctx.cancel()
            self._set_result(node_id, NodeState(status=Status.IDLE, message="Cancelled."))

    def is_idle(self) -> bool:
        return not self._running and not (self._dirty and not self._frozen) and self._queue.empty()

    def run_until_idle(self, timeout: float | None = None) -> bool:
        """Headless: process results until nothing is left to do. False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                while True:
                    self._queue.get_nowait()()
            except queue.Empty:
                pass
            if self.is_idle():
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            try:
                self._queue.get(timeout=0.05)()
            except queue.Empty:
                pass

    def shutdown(self) -> None:
        self.workflow.unsubscribe(self._on_workflow_event)
        for run in self._running.values():
            run.ctx.cancel()
        self._running.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- reacting to edits ----------------------------------------------------
    def _on_workflow_event(self, event: Event) -> None:
        kind, item = event.kind, event.item
        if kind == EventKind.SETTINGS_CHANGED and self._only_view_settings(item, event.changed):
            return
        if kind in (EventKind.NODE_ADDED, EventKind.SETTINGS_CHANGED):
            self._mark_dirty(item.id)
        elif kind == EventKind.NODE_CHANGED and "auto_apply" in event.changed:
            if item.auto_apply:
                self.apply(item.id)      # turned back on: what waited runs now
        elif kind == EventKind.NODE_REMOVED:
            self._pending.discard(item.id)
            run = self._running.pop(item.id, None)
            if run:
                run.ctx.cancel()
            self._dirty.discard(item.id)
            self._states.pop(item.id, None)
            self._instances.pop(item.id, None)   # a node put back (undo) gets a new object,
            self._busy.pop(item.id, None)        # free to start while the old one finishes
        elif kind == EventKind.LINK_CHANGED or (
                kind in (EventKind.LINK_ADDED, EventKind.LINK_REMOVED) and item.enabled):
            # A disabled link added or removed changes no input.
            if item.sink in self.workflow.nodes:
                self._mark_dirty(item.sink)

    def _only_view_settings(self, node, names: tuple[str, ...]) -> bool:
        widget = self.workflow.widget(node)
        return bool(names) and widget is not None and all(
            widget.setting(name).view_only for name in names)

    def _mark_dirty(self, node_id: int, held: bool = True) -> None:
        """The node must run again; a held node (unless ``held`` is False) waits for Apply."""
        if held and node_id not in self._dirty and self._held(node_id):
            self._hold(node_id)
            return
        run = self._running.pop(node_id, None)
        if run is not None:
            run.ctx.cancel()      # a new input cancels the old run
        self._dirty.add(node_id)
        state = self.state(node_id)
        state.status, state.progress = Status.WAITING, None
        self._notify(node_id)
        self._schedule()

    def _hold(self, node_id: int) -> None:
        """A change to a held node: remembered until Apply; a run going on finishes."""
        self._pending.add(node_id)
        state = self.state(node_id)
        if not state.pending_apply:
            state.pending_apply = True
            self._notify(node_id)

    def _schedule(self) -> None:
        if not self._step_posted:
            self._step_posted = True
            self._post(self._step)

    # -- running --------------------------------------------------------------
    def _step(self) -> None:
        self._step_posted = False
        if self._frozen:
            return
        progressed = True
        while progressed:
            progressed = False
            for node_id in self.workflow.topological_order():
                if node_id in self._dirty and self._ready(node_id):
                    progressed = self._start(node_id) or progressed

    def _ready(self, node_id: int) -> bool:
        """No node feeding this one (through enabled links) is still to run or running."""
        return not any(n in self._dirty or n in self._running
                       for n in self.workflow.upstream(node_id))

    def _gather_inputs(self, node_id: int, widget) -> tuple[dict, dict, list[str]]:
        inputs: dict[str, Any] = {}
        labels: dict[str, list[str]] = {}
        missing = []
        links = sorted(self.workflow.links_into(node_id), key=lambda l: l.id)
        for spec in widget.inputs:
            values, names = [], []
            for link in links:
                if link.sink_channel != spec.name or not link.enabled:
                    continue
                value = self.state(link.source).outputs.get(link.source_channel)
                if value is not None:
                    values.append(value)
                    names.append(self.workflow.nodes[link.source].title)
            inputs[spec.name] = values if spec.multiple else (values[-1] if values else None)
            labels[spec.name] = names
            if not values and not spec.optional:
                missing.append(spec.name)
        return inputs, labels, missing

    def _start(self, node_id: int) -> bool:
        """Start a dirty, ready node; False when its widget object is still busy."""
        node = self.workflow.nodes[node_id]
        widget = self.workflow.widget(node)
        if widget is None:
            self._dirty.discard(node_id)
            self._set_result(node_id, NodeState(
                status=Status.ERROR, message=f"The widget '{node.widget_id}' is not installed."))
            return True
        inputs, labels, missing = self._gather_inputs(node_id, widget)
        if missing:
            self._dirty.discard(node_id)
            self._set_result(node_id, NodeState(
                status=Status.IDLE, inputs=inputs, message="Waiting for " + ", ".join(missing) + "."))
            return True
        if node_id in self._busy:
            return False     # a cancelled compute still runs on the object; _finish comes back
        self._dirty.discard(node_id)
        self._tokens += 1
        token = self._tokens
        ctx = Context(on_progress=self._progress_reporter(node_id, token),
                      workflow_dir=self.workflow_path.parent if self.workflow_path else None,
                      input_labels=labels)
        self._running[node_id] = _Run(token, ctx)
        state = self.state(node_id)
        state.status, state.progress, state.message, state.inputs = Status.RUNNING, 0.0, "", inputs
        self._notify(node_id)
        instance = self._instances.get(node_id)
        if instance is None:
            instance = self._instances[node_id] = widget()
        settings = dict(node.settings)
        self._busy[node_id] = token
        self._pool.submit(self._work, node_id, token, instance, inputs, settings, ctx)
        return True

    def _work(self, node_id, token, instance, inputs, settings, ctx: Context) -> None:
        """Runs on a worker thread; hands the outcome back to the owner thread."""
        outcome = _compute(instance, inputs, settings, ctx)
        self._post(lambda: self._finish(node_id, token, outcome))

    def _finish(self, node_id: int, token: int, outcome: NodeState) -> None:
        if self._busy.get(node_id) == token:
            del self._busy[node_id]      # the object is free: a run waiting for it may start
            self._schedule()
        run = self._running.get(node_id)
        if run is None or run.token != token:
            return   # stale: the node was changed, cancelled or removed meanwhile
        del self._running[node_id]
        outcome.inputs = self.state(node_id).inputs
        self._set_result(node_id, outcome)

    def _set_result(self, node_id: int, new: NodeState) -> None:
        """Store a node's new state and mark what it feeds (through enabled links) as dirty."""
        new.pending_apply = node_id in self._pending
        self._states[node_id] = new
        self._notify(node_id)
        for child in sorted(self.workflow.graph().children.get(node_id, ())):
            self._mark_dirty(child)
        self._schedule()

    def _progress_reporter(self, node_id: int, token: int):
        last = [-1.0]

        def report(fraction: float) -> None:
            # Called from the worker: post only visible changes (whole percents).
            if fraction - last[0] >= 0.01 or fraction >= 1.0:
                last[0] = fraction
                self._post(lambda: self._progress(node_id, token, fraction))
        return report

    def _progress(self, node_id: int, token: int, fraction: float) -> None:
        run = self._running.get(node_id)
        if run is not None and run.token == token:
            self.state(node_id).progress = fraction
            self._notify(node_id)

    def _notify(self, node_id: int) -> None:
        state = self.state(node_id)
        for listener in list(self._listeners):
            try:
                listener(node_id, state)
            except Exception:
                log.exception("a listener of node %s failed", node_id)


def _compute(instance, inputs, settings, ctx: Context) -> NodeState:
    """Run one compute; its result, error or cancellation as the node's new state."""
    try:
        result = instance.compute(inputs, settings, ctx)
    except Cancelled:
        return NodeState(status=Status.IDLE, message="Cancelled.")
    except WidgetError as exc:
        return NodeState(status=Status.ERROR, message=printable(str(exc)))
    except Exception as exc:  # one widget's failure must not stop the others
        if ctx.cancelled:
            return NodeState(status=Status.IDLE, message="Cancelled.")
        log.error("widget failed:\n%s", traceback.format_exc())
        return NodeState(status=Status.ERROR, message=printable(f"{type(exc).__name__}: {exc}"))
    result = result if isinstance(result, Result) else Result(dict(result or {}))
    # messages name files; one whose name is not UTF-8 shows its bytes as \xNN
    warnings = [printable(w) for w in ctx.warnings + list(result.warnings)]
    return NodeState(status=Status.WARNING if warnings else Status.DONE, warnings=warnings,
                     info=printable(result.info), outputs=result.outputs, view=result.view,
                     has_run=True)
