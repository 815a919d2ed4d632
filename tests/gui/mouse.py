"""Mouse gestures on the canvas as a person makes them: real QMouseEvents on the viewport."""
from __future__ import annotations

from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent
from PyQt5.QtWidgets import QApplication


def _send(view, kind, scene_pos, button, buttons, modifiers=Qt.NoModifier) -> None:
    local = view.mapFromScene(QPointF(scene_pos))
    viewport = view.viewport()
    event = QMouseEvent(kind, QPointF(local), QPointF(viewport.mapToGlobal(local)),
                        button, buttons, modifiers)
    QApplication.sendEvent(viewport, event)


def press(view, pos, modifiers=Qt.NoModifier):
    _send(view, QEvent.MouseButtonPress, pos, Qt.LeftButton, Qt.LeftButton, modifiers)


def move(view, pos):
    _send(view, QEvent.MouseMove, pos, Qt.NoButton, Qt.LeftButton)


def release(view, pos):
    _send(view, QEvent.MouseButtonRelease, pos, Qt.LeftButton, Qt.NoButton)


def double_click(view, pos):
    press(view, pos)
    release(view, pos)
    _send(view, QEvent.MouseButtonDblClick, pos, Qt.LeftButton, Qt.LeftButton)
    release(view, pos)


def drag(view, start, end, steps: int = 5):
    """Press at start, move there in steps, release at end (positions in scene coordinates)."""
    start, end = QPointF(start), QPointF(end)
    press(view, start)
    for i in range(1, steps + 1):
        move(view, start + (end - start) * (i / steps))
    release(view, end)


def anchor(window, node, kind: str) -> QPointF:
    return window.scene.node_items[node.id].anchor_pos(kind)


def centre(window, node) -> QPointF:
    return window.scene.node_items[node.id].scenePos()


def toolbox_index(toolbox, name):
    """The model index of a widget shown in the toolbox."""
    proxy = toolbox.proxy
    for row in range(proxy.rowCount()):
        category = proxy.index(row, 0)
        for r in range(proxy.rowCount(category)):
            index = proxy.index(r, 0, category)
            if index.data() == name:
                return proxy.mapToSource(index)
    raise AssertionError(f"{name} is not shown")


def drop_on_canvas(view, mime, pos: QPoint):
    """Drop toolbox drag data on the canvas at a viewport position."""
    enter = QDragEnterEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(pos), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(view.viewport(), drop)
    return drop
