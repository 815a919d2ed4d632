"""Finding widgets: the core never imports a widget by name.

Widgets are discovered through the ``imgflow.widgets`` entry-point group, so
a third party can ship more of them in its own package.  Tests build a
registry from classes directly.
"""
from __future__ import annotations

from importlib.metadata import entry_points
from typing import Iterable

from .api import Widget

ENTRY_POINT_GROUP = "imgflow.widgets"


class Registry:
    def __init__(self, widgets: Iterable[type[Widget]] = ()):
        self._widgets: dict[str, type[Widget]] = {}
        self.errors: list[str] = []     # plugins that failed to load, said plainly
        for cls in widgets:
            self.register(cls)

    @classmethod
    def discover(cls) -> "Registry":
        registry = cls()
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            try:
                widget = ep.load()
            except Exception as exc:  # a broken plug-in must not stop the app
                registry.errors.append(f"widget {ep.name!r} ({ep.value}) failed to load: {exc}")
                continue
            if not (isinstance(widget, type) and issubclass(widget, Widget) and widget.id):
                registry.errors.append(f"{ep.value} is not an imgflow widget")
                continue
            registry.register(widget)
        return registry

    def register(self, widget: type[Widget]) -> None:
        if widget.id in self._widgets and self._widgets[widget.id] is not widget:
            raise ValueError(f"two widgets share the id {widget.id!r}")
        self._widgets[widget.id] = widget

    def get(self, widget_id: str) -> type[Widget] | None:
        return self._widgets.get(widget_id)

    def __contains__(self, widget_id: str) -> bool:
        return widget_id in self._widgets

    def __iter__(self):
        return iter(self.widgets())

    def widgets(self) -> list[type[Widget]]:
        return sorted(self._widgets.values(), key=lambda w: (w.category, w.priority, w.name))

    def categories(self) -> dict[str, list[type[Widget]]]:
        out: dict[str, list[type[Widget]]] = {}
        for w in self.widgets():
            out.setdefault(w.category, []).append(w)
        return out

    def by_name(self, name: str) -> type[Widget] | None:
        return next((w for w in self._widgets.values() if w.name == name), None)
