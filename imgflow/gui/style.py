"""Look of the canvas in one place: sizes, colours, fonts.

Kept apart from the items so the canvas can be re-themed without touching
behaviour, and so tests and items agree on geometry (anchor positions).
"""
from __future__ import annotations

from PyQt5.QtGui import QColor

NODE_RADIUS = 30.0          # the round body of a node
ICON_SIZE = 38.0            # the widget icon drawn inside the body
ANCHOR_RADIUS = 5.5         # the input/output dots on the body's sides
TITLE_WIDTH = 150.0         # titles wrap within this width
LAYER_SPACING = 210.0       # arrange: distance between columns
ROW_SPACING = 130.0         # arrange: distance between nodes in a column

CANVAS_BACKGROUND = QColor("#fbfbfa")
TEXT = QColor("#2b2b2b")
MUTED_TEXT = QColor("#6b6b6b")
SELECTION = QColor("#2f7de1")
LINK = QColor("#5a6470")
LINK_DISABLED = QColor("#b4b9bf")
LINK_NEW = QColor("#2f7de1")
ACCEPT = QColor("#3aa757")
REFUSE = QColor("#d64541")
PROGRESS = QColor("#2f7de1")
WARNING_COLOR = QColor("#e8a317")
ERROR_COLOR = QColor("#d64541")
INFO_COLOR = QColor("#2f7de1")
PENDING_COLOR = QColor("#c0392b")     # changes wait for Apply (same red as the panel's note)
ANNOTATION_TEXT = QColor("#404040")
ARROW = QColor("#c0392b")

# Category tints (light body colour, strong accent); unknown categories get a
# stable colour from the fallback list so one category always looks the same.
CATEGORY_COLORS: dict[str, tuple[str, str]] = {
    "Image Analytics": ("#fde4cf", "#e07a2d"),
    "Data": ("#fff1c2", "#d9a400"),
    "Unsupervised": ("#e3dcf5", "#7a5cc6"),
    "Visualize": ("#ffd9d4", "#d9534f"),
    "Model": ("#d8f0e0", "#3aa757"),
}
_FALLBACK_COLORS = [("#dceaf7", "#3b7dc4"), ("#e0f2f1", "#26a69a"), ("#f3e5f5", "#8e44ad"),
                    ("#eceff1", "#607d8b")]


def category_colors(category: str) -> tuple[QColor, QColor]:
    """(light, accent) colours of a category."""
    pair = CATEGORY_COLORS.get(category)
    if pair is None:
        pair = _FALLBACK_COLORS[sum(map(ord, category)) % len(_FALLBACK_COLORS)]
    return QColor(pair[0]), QColor(pair[1])
