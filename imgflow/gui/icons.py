"""Finding and drawing icons: widget icons, category icons, the app icon.

Icons are SVG files in the ``icons`` folder (installed as ``imgflow.icons``).
A widget without its own icon shows its category's icon, and a category
without one shows a generic icon, so a missing file never leaves a hole.
Nodes paint SVGs through QSvgRenderer so they stay crisp at any zoom.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from PyQt5.QtCore import QRectF
from PyQt5.QtGui import QIcon, QPainter
from PyQt5.QtSvg import QSvgRenderer

GENERIC = "category-other.svg"


@lru_cache(maxsize=1)
def icons_dir() -> Path:
    # An installed wheel has imgflow/icons/ (package data); a source checkout has icons/
    # beside imgflow/.  (importlib.resources hands a folder without __init__.py over as a
    # MultiplexedPath, whose str() is no path: the installed icons were never found.)
    imgflow_dir = Path(__file__).resolve().parents[1]
    for folder in (imgflow_dir / "icons", imgflow_dir.parent / "icons"):
        if folder.is_dir():
            return folder
    return imgflow_dir / "icons"


def category_slug(category: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-") or "other"


def category_icon_path(category: str) -> Path:
    path = icons_dir() / f"category-{category_slug(category)}.svg"
    return path if path.is_file() else icons_dir() / GENERIC


def widget_icon_path(widget) -> Path:
    """The widget's own icon file, else its category's."""
    if widget is not None:
        names = [widget.icon] if widget.icon else []
        if widget.id:
            names.append(widget.id.rpartition(".")[2] + ".svg")
        for name in names:
            path = icons_dir() / name
            if path.is_file():
                return path
        return category_icon_path(widget.category)
    return icons_dir() / GENERIC


@lru_cache(maxsize=None)
def _icon(path: str) -> QIcon:
    return QIcon(path)


def widget_icon(widget) -> QIcon:
    return _icon(str(widget_icon_path(widget)))


def category_icon(category: str) -> QIcon:
    return _icon(str(category_icon_path(category)))


def app_icon() -> QIcon:
    return _icon(str(icons_dir() / "imgflow.svg"))


@lru_cache(maxsize=None)
def _renderer(path: str) -> QSvgRenderer | None:
    renderer = QSvgRenderer(path)
    return renderer if renderer.isValid() else None


def paint_icon(painter: QPainter, path: Path, rect: QRectF) -> None:
    """Draw an icon file into rect: vector when it is SVG, else the pixmap."""
    renderer = _renderer(str(path)) if path.suffix == ".svg" else None
    if renderer is not None:
        renderer.render(painter, rect)
    else:
        _icon(str(path)).paint(painter, rect.toAlignedRect())
