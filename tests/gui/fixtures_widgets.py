"""Small widgets for GUI tests: fast, deterministic, with clear channel types."""
from __future__ import annotations

from PyQt5.QtWidgets import QSpinBox, QVBoxLayout

from imgflow.api import Input, Output, Setting, Widget, WidgetError
from imgflow.gui.panel import WidgetPanel
from imgflow.registry import Registry


class Values(list):
    """A list of numbers (the 'table' of these tests)."""


class Matrix:
    """Something no Values input accepts."""


class Numbers(Widget):
    id = "test.numbers"
    name = "Numbers"
    category = "Test Data"
    description = "Makes the numbers 0 .. count-1."
    keywords = ("source", "range")
    outputs = (Output("Data", Values, default=True),)
    settings = (Setting("count", int, 3, minimum=0, maximum=1000),)
    panel = "tests.gui.fixtures_widgets:NumbersPanel"

    def compute(self, inputs, settings, ctx):
        return {"Data": Values(range(settings["count"]))}


class Double(Widget):
    id = "test.double"
    name = "Double"
    category = "Test Transform"
    description = "Doubles every number."
    inputs = (Input("Data", Values, default=True),)
    outputs = (Output("Data", Values, default=True),)

    def compute(self, inputs, settings, ctx):
        return {"Data": Values(2 * v for v in inputs["Data"])}


class Split(Widget):
    id = "test.split"
    name = "Split"
    category = "Test Transform"
    description = "Even and odd numbers, on two equal outputs."
    inputs = (Input("Data", Values),)
    outputs = (Output("Even", Values), Output("Odd", Values))

    def compute(self, inputs, settings, ctx):
        data = inputs["Data"]
        return {"Even": Values(v for v in data if v % 2 == 0),
                "Odd": Values(v for v in data if v % 2)}


class Collect(Widget):
    id = "test.collect"
    name = "Collect"
    category = "Test Transform"
    description = "Takes many inputs."
    inputs = (Input("Data", Values, multiple=True, default=True),)
    outputs = (Output("Total", Values),)

    def compute(self, inputs, settings, ctx):
        return {"Total": Values([sum(sum(v) for v in inputs["Data"])])}


class MakeMatrix(Widget):
    id = "test.matrix"
    name = "Make Matrix"
    category = "Test Data"
    description = "Outputs a matrix, which no Values input takes."
    outputs = (Output("Matrix", Matrix),)

    def compute(self, inputs, settings, ctx):
        return {"Matrix": Matrix()}


class Fail(Widget):
    id = "test.fail"
    name = "Fail"
    category = "Test Transform"
    description = "Always fails."
    inputs = (Input("Data", Values),)
    outputs = (Output("Data", Values),)
    panel = "tests.gui.fixtures_widgets:BrokenPanel"

    def compute(self, inputs, settings, ctx):
        raise WidgetError("This widget always fails.")


class NumbersPanel(WidgetPanel):
    def __init__(self, host, parent=None):
        super().__init__(host, parent)
        self.spin = QSpinBox(maximum=1000)
        self.spin.valueChanged.connect(lambda v: self.set_settings("Set count", count=v))
        QVBoxLayout(self).addWidget(self.spin)
        self.states = []

    def settings_changed(self):
        self.spin.blockSignals(True)
        self.spin.setValue(self.settings["count"])
        self.spin.blockSignals(False)

    def state_changed(self, state):
        self.states.append(state.status)


class BrokenPanel(WidgetPanel):
    def state_changed(self, state):
        raise RuntimeError("panel bug")


ALL = (Numbers, Double, Split, Collect, MakeMatrix, Fail)


def make_registry() -> Registry:
    return Registry(ALL)
