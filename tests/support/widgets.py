"""Small widgets for testing the core without the real ones."""
from __future__ import annotations

import threading
import time

import numpy as np

from imgflow.api import Input, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Column, Distances, Table
from imgflow.registry import Registry

# Every compute call is logged here: (widget id, node settings' "tag" or None).
CALLS: list[tuple[str, object]] = []
_calls_lock = threading.Lock()


def _log(widget_id, settings):
    with _calls_lock:
        CALLS.append((widget_id, settings.get("tag")))


class Numbers(Widget):
    """A table of `count` rows: column "value" = start, start + 1, ..."""
    id = "test.numbers"
    name = "Numbers"
    category = "Test"
    outputs = (Output("Data", Table, default=True),)
    settings = (Setting("start", int, 0), Setting("count", int, 3, minimum=0),
                Setting("folder", str, "", path=True), Setting("tag", str, ""))

    def compute(self, inputs, settings, ctx):
        _log(self.id, settings)
        values = np.arange(settings["start"], settings["start"] + settings["count"], dtype=float)
        table = Table(values[:, None], ("value",), (Column.text("label", [f"r{v:g}" for v in values]),))
        return {"Data": table}


class AddOne(Widget):
    """Adds `amount` to the feature "value"; sleeps `delay` seconds (cancellable)."""
    id = "test.add"
    name = "Add"
    category = "Test"
    inputs = (Input("Data", Table, default=True),)
    outputs = (Output("Data", Table, default=True),)
    settings = (Setting("amount", float, 1.0), Setting("delay", float, 0.0), Setting("tag", str, ""))

    def compute(self, inputs, settings, ctx):
        _log(self.id, settings)
        deadline = time.monotonic() + settings["delay"]
        while time.monotonic() < deadline:
            ctx.check()
            time.sleep(0.005)
        table = inputs["Data"]
        return {"Data": Table(table.X + settings["amount"], table.feature_names, table.columns, table.ids)}


class Join(Widget):
    """Two inputs: sums the "value" features of Left and Right."""
    id = "test.join"
    name = "Join"
    category = "Test"
    inputs = (Input("Left", Table, default=True), Input("Right", Table))
    outputs = (Output("Data", Table, default=True),)
    settings = (Setting("tag", str, ""),)

    def compute(self, inputs, settings, ctx):
        _log(self.id, settings)
        left, right = inputs["Left"], inputs["Right"]
        return {"Data": Table(left.X + right.X, left.feature_names, left.columns, left.ids)}


class Collect(Widget):
    """Takes many tables; outputs how many rows arrived, in link order."""
    id = "test.collect"
    name = "Collect"
    category = "Test"
    inputs = (Input("Data", Table, multiple=True, default=True),)
    outputs = (Output("Data", Table),)
    settings = (Setting("tag", str, ""),)

    def compute(self, inputs, settings, ctx):
        _log(self.id, settings)
        tables = inputs["Data"]
        X = np.vstack([t.X for t in tables])
        return Result({"Data": Table(X, ("value",))}, view=[len(t) for t in tables],
                      info=" + ".join(ctx.input_labels["Data"]))


class Fail(Widget):
    """Raises: a WidgetError when `readable`, else a ZeroDivisionError."""
    id = "test.fail"
    name = "Fail"
    category = "Test"
    inputs = (Input("Data", Table),)
    outputs = (Output("Data", Table),)
    settings = (Setting("readable", bool, True),)

    def compute(self, inputs, settings, ctx):
        if settings["readable"]:
            raise WidgetError("The input has no images.")
        return {"Data": 1 / 0}


class Warn(Widget):
    id = "test.warn"
    name = "Warn"
    category = "Test"
    inputs = (Input("Data", Table),)
    outputs = (Output("Data", Table),)

    def compute(self, inputs, settings, ctx):
        ctx.warning("2 rows skipped")
        return {"Data": inputs["Data"]}


class Measure(Widget):
    """Table -> Distances (Euclidean on "value")."""
    id = "test.measure"
    name = "Measure"
    category = "Test"
    inputs = (Input("Data", Table),)
    outputs = (Output("Distances", Distances),)

    def compute(self, inputs, settings, ctx):
        t = inputs["Data"]
        return {"Distances": Distances.from_matrix(np.abs(t.X - t.X.T), table=t)}


class Held(Widget):
    """Outputs its `value` setting; with `hold`, first waits for HELD_GATE, deaf to cancellation
    (like a library call that cannot be interrupted). Records overlapping computes on one object."""
    id = "test.held"
    name = "Held"
    category = "Test"
    inputs = (Input("Data", Table, optional=True),)
    outputs = (Output("Data", Table, default=True),)
    settings = (Setting("value", int, 0), Setting("hold", bool, False), Setting("tag", str, ""))

    def __init__(self):
        self.active = 0             # computes now inside this object

    def compute(self, inputs, settings, ctx):
        _log(self.id, settings)
        with _calls_lock:
            self.active += 1
            if self.active > 1:
                OVERLAPS.append(settings["value"])
        HELD_ENTERED.append(settings["value"])
        try:
            if settings["hold"]:
                HELD_GATE.wait(10)
            ctx.check()
            return {"Data": Table(np.array([[float(settings["value"])]]), ("value",))}
        finally:
            with _calls_lock:
                self.active -= 1


HELD_GATE = threading.Event()
HELD_ENTERED: list[int] = []    # the `value` of each compute, as it starts
OVERLAPS: list[int] = []        # the `value` of computes that started while another ran


def reset_held() -> None:
    """Close the gate and forget what Held recorded (call before a test; open after)."""
    HELD_GATE.clear()
    HELD_ENTERED.clear()
    OVERLAPS.clear()


TEST_WIDGETS = (Numbers, AddOne, Join, Collect, Fail, Warn, Measure, Held)


def make_registry() -> Registry:
    return Registry(TEST_WIDGETS)
