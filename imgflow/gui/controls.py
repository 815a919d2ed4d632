"""Setting-bound controls: one line binds a Qt control to one of a widget's settings.

    controls.spin(box, self, "k", label="Neighbours:")

A control takes its type, range, choices and doc (as tooltip) from the widget's
declared ``Setting``, so it cannot drift from the declaration.  A change by the
user becomes ``panel.set_settings(undo, name=value)`` (one undo step in the
canvas); when the node's settings change (undo, a load, another control) the
panel's ``show_settings`` refreshes every bound control without it writing back.

Options common to all controls:
  label    text shown with the control (beside it; a check box's own text; a radio box's title)
  undo     the undo step's text, or a function of the new value giving it (default: the label)
  also     more settings changed in the same step: a dict, or a function of the new value
  tooltip  instead of the Setting's doc

``parent`` is a QWidget that has a layout, or a QLayout (a QFormLayout gets a
row), or None to place the control yourself.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (QAbstractSpinBox, QButtonGroup, QCheckBox, QComboBox,
                             QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox,
                             QHBoxLayout, QLabel, QLayout, QLineEdit, QPushButton,
                             QRadioButton, QSlider, QSpinBox, QWidget)

Changes = dict[str, Any] | Callable[[Any], dict[str, Any]] | None
UndoText = str | Callable[[Any], str] | None

SPIN_LIMIT = 2 ** 31 - 1        # QSpinBox's own limit, for settings declared without a range


class Binding:
    """One control bound to one setting: writes the user's edits, shows the node's value."""

    def __init__(self, panel, name: str, show: Callable[[Any], None], undo: UndoText = None,
                 also: Changes = None, busy: Callable[[], bool] = lambda: False):
        self.panel, self.name, self.show = panel, name, show
        self.undo, self.also, self.busy = undo, also, busy
        self._showing = False
        panel.bindings.append(self)
        self.refresh()

    def refresh(self) -> None:
        """Show the setting's value (unless the user is mid-gesture, say dragging a slider)."""
        if self.busy():
            return
        self._showing = True
        try:
            self.show(self.panel.settings[self.name])
        finally:
            self._showing = False

    def write(self, value: Any) -> None:
        """The user changed the control: change the setting (and those ``also`` names)."""
        if self._showing:
            return              # our own refresh, not the user
        also = self.also(value) if callable(self.also) else (self.also or {})
        undo = self.undo(value) if callable(self.undo) else (self.undo or "")
        self.panel.set_settings(undo, **{self.name: value, **also})
        self.refresh()          # shows the value the node holds, had the change been refused


def check(parent, panel, name: str, label: str | None = None, **options) -> QCheckBox:
    """A check box for a bool setting."""
    setting = _declared(panel, name, bool)
    box = QCheckBox(label if label is not None else setting.name, _owner(parent, panel))
    _describe(box, setting, options)
    binding = _bind(panel, name, box.setChecked, label, options)
    box.toggled.connect(binding.write)
    _place(parent, box)
    return box


def spin(parent, panel, name: str, label: str | None = None, step: float | None = None,
         decimals: int = 3, special: str = "", suffix: str = "", **options) -> QAbstractSpinBox:
    """A spin box: QSpinBox for an int setting, QDoubleSpinBox for a float one.

    ``special`` is the text shown at the minimum (say "automatic" for 0).  Typing
    changes the setting when Enter is pressed or the box loses focus.
    """
    setting = _declared(panel, name, (int, float))
    if setting.type is int:
        box = QSpinBox(_owner(parent, panel))
        low, high = -SPIN_LIMIT, SPIN_LIMIT
    else:
        box = QDoubleSpinBox(_owner(parent, panel), decimals=decimals)
        low, high = -1e12, 1e12
    cast = int if setting.type is int else float
    box.setRange(cast(low if setting.minimum is None else setting.minimum),
                 cast(high if setting.maximum is None else setting.maximum))
    if step is not None:
        box.setSingleStep(step)
    box.setSpecialValueText(special)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)
    _describe(box, setting, options)
    binding = _bind(panel, name, box.setValue, label, options)
    box.valueChanged.connect(binding.write)
    _place(parent, box, label)
    return box


def slider(parent, panel, name: str, label: str | None = None, step: int = 1,
           page_step: int | None = None, **options) -> QSlider:
    """A horizontal slider for an int setting with a range; a drag is one change, on release."""
    setting = _declared(panel, name, int)
    if setting.minimum is None or setting.maximum is None:
        raise ValueError(f"a slider needs a range: setting {name!r} declares none")
    box = QSlider(Qt.Horizontal, _owner(parent, panel))
    box.setRange(int(setting.minimum), int(setting.maximum))
    box.setSingleStep(step)
    box.setPageStep(page_step or max(step, (box.maximum() - box.minimum()) // 10))
    _describe(box, setting, options)
    binding = _bind(panel, name, box.setValue, label, options, busy=box.isSliderDown)
    box.valueChanged.connect(lambda v: None if box.isSliderDown() else binding.write(v))
    box.sliderReleased.connect(lambda: binding.write(box.value()))
    _place(parent, box, label)
    return box


def combo(parent, panel, name: str, label: str | None = None, labels: dict | None = None,
          choices=None, tips: dict | None = None, **options) -> QComboBox:
    """A combo box of the setting's choices (or ``choices``; ``set_choices`` changes them later).

    ``labels`` maps a value to the text shown, ``tips`` to its tooltip.  A value
    not among the items is left for the panel to show (a column the data lacks).
    """
    setting = _declared(panel, name)
    box = QComboBox(_owner(parent, panel))
    _describe(box, setting, options)
    set_choices(box, setting.choices if choices is None else choices, labels, tips)

    def show(value):
        index = box.findData(value)
        if index >= 0:
            box.setCurrentIndex(index)

    binding = _bind(panel, name, show, label, options)
    box.activated.connect(lambda i: binding.write(box.itemData(i)))
    box.binding = binding
    _place(parent, box, label)
    return box


def set_choices(box: QComboBox, values, labels: dict | None = None,
                tips: dict | None = None) -> None:
    """Fill a combo with these values (kept as item data), then show its setting's value again."""
    values, labels, tips = list(values), labels or {}, tips or {}
    if [box.itemData(i) for i in range(box.count())] != values or \
            [box.itemText(i) for i in range(box.count())] != [labels.get(v, str(v)) for v in values]:
        box.clear()
        for value in values:
            box.addItem(labels.get(value, str(value)), value)
            if value in tips:
                box.setItemData(box.count() - 1, tips[value], Qt.ToolTipRole)
    binding = getattr(box, "binding", None)
    if binding is not None:
        binding.refresh()


def radio(parent, panel, name: str, label: str | None = None, labels: dict | None = None,
          tips: dict | None = None, horizontal: bool = False, **options) -> QWidget:
    """Radio buttons for the setting's choices, in a box (a QGroupBox titled ``label``).

    The box's layout is a QGridLayout with the buttons in column 0 (row 0 when
    ``horizontal``), so a panel can put a control beside a button.  The box has
    ``group`` (the QButtonGroup) and ``buttons`` (value -> QRadioButton).
    """
    setting = _declared(panel, name)
    owner = _owner(parent, panel)
    box = QGroupBox(label, owner) if label else QWidget(owner)
    grid = QGridLayout(box)
    if not label:
        grid.setContentsMargins(0, 0, 0, 0)
    labels, tips = labels or {}, tips or {}
    box.group, box.buttons = QButtonGroup(box), {}
    for i, value in enumerate(setting.choices):
        button = QRadioButton(labels.get(value, str(value)), box)
        if value in tips:
            button.setToolTip(tips[value])
        box.group.addButton(button, i)
        box.buttons[value] = button
        grid.addWidget(button, *((0, i) if horizontal else (i, 0)))
    _describe(box, setting, options)
    binding = _bind(panel, name, lambda v: box.buttons[v].setChecked(True), label, options)
    box.group.buttonClicked.connect(lambda b: binding.write(setting.choices[box.group.id(b)]))
    _place(parent, box)
    return box


def text(parent, panel, name: str, label: str | None = None, placeholder: str = "",
         strip: bool = True, **options) -> QLineEdit:
    """A line edit for a str setting, applied when editing finishes (Enter or focus out)."""
    setting = _declared(panel, name, str)
    edit = QLineEdit(_owner(parent, panel), placeholderText=placeholder)
    _describe(edit, setting, options)
    _bind_line_edit(edit, panel, name, label, options, strip)
    _place(parent, edit, label)
    return edit


def _bind_line_edit(edit: QLineEdit, panel, name: str, label, options: dict,
                    strip: bool = True) -> Binding:
    """Text is written when editing finishes; what a person is typing is never overwritten."""
    binding = _bind(panel, name, edit.setText, label, options,
                    busy=lambda: edit.hasFocus() and edit.isModified())

    def finished():
        edit.setModified(False)
        binding.write(edit.text().strip() if strip else edit.text())

    edit.editingFinished.connect(finished)
    return binding


class PathChooser(QWidget):
    """A line edit for a path and a "Browse…" button (``edit``, ``button``)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.button = QPushButton("Browse…", self)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)


def path(parent, panel, name: str, mode: str = "open", label: str | None = None,
         caption: str = "", filter: str = "", placeholder: str = "", **options) -> PathChooser:
    """A path setting: typed (applied when editing finishes) or chosen with "Browse…".

    ``mode``: "directory", "open" (an existing file) or "save".
    """
    if mode not in ("directory", "open", "save"):
        raise ValueError(f"path mode must be directory, open or save, not {mode!r}")
    setting = _declared(panel, name, str)
    chooser = PathChooser(_owner(parent, panel))
    chooser.edit.setPlaceholderText(placeholder)
    _describe(chooser.edit, setting, options)
    chooser.button.setToolTip(chooser.edit.toolTip())
    binding = _bind_line_edit(chooser.edit, panel, name, label, options)

    def browse():
        start = panel.settings[name] or os.path.expanduser("~")
        title = caption or (label or name).rstrip(":")
        if mode == "directory":
            chosen = QFileDialog.getExistingDirectory(chooser, title, start)
        elif mode == "open":
            chosen, _ = QFileDialog.getOpenFileName(chooser, title, start, filter)
        else:
            chosen, _ = QFileDialog.getSaveFileName(chooser, title, start, filter)
        if chosen:
            binding.write(chosen)

    chooser.button.clicked.connect(browse)
    _place(parent, chooser, label)
    return chooser


# -- helpers -------------------------------------------------------------------------------
def _declared(panel, name: str, types=None):
    setting = panel.setting(name)
    if types is not None and setting.type not in (types if isinstance(types, tuple) else (types,)):
        raise TypeError(f"setting {name!r} is a {setting.type.__name__}: not for this control")
    return setting


def _describe(widget: QWidget, setting, options: dict) -> None:
    tooltip = options.get("tooltip")
    widget.setToolTip(setting.doc if tooltip is None else tooltip)


COMMON_OPTIONS = {"undo", "also", "tooltip"}


def _bind(panel, name: str, show, label, options: dict, busy=None) -> Binding:
    unknown = set(options) - COMMON_OPTIONS
    if unknown:
        raise TypeError(f"unknown control option(s): {', '.join(sorted(unknown))}")
    undo = options.get("undo")
    if undo is None and label:
        undo = label.rstrip(":…").strip()
    kwargs = {"busy": busy} if busy is not None else {}
    return Binding(panel, name, show, undo, options.get("also"), **kwargs)


def _owner(parent, panel) -> QWidget:
    if isinstance(parent, QWidget):
        return parent
    owner = parent.parentWidget() if isinstance(parent, QLayout) else None
    return owner or panel


def _place(parent, widget: QWidget, label: str | None = None) -> None:
    """Add the control (with a QLabel for ``label``) to the parent's layout."""
    layout = parent.layout() if isinstance(parent, QWidget) else parent
    if layout is None:
        if parent is not None:
            raise ValueError("controls need a parent with a layout, a layout, or None")
        return
    if isinstance(layout, QFormLayout):
        layout.addRow(label, widget) if label else layout.addRow(widget)
    elif not label:
        layout.addWidget(widget)
    elif isinstance(layout, QGridLayout):
        row = layout.rowCount()
        layout.addWidget(QLabel(label, widget.parentWidget()), row, 0)
        layout.addWidget(widget, row, 1)
    elif isinstance(layout, QHBoxLayout):
        layout.addWidget(QLabel(label, widget.parentWidget()))
        layout.addWidget(widget)
    else:
        row = QHBoxLayout()
        row.addWidget(QLabel(label, widget.parentWidget()))
        row.addWidget(widget, 1)
        layout.addLayout(row)
