"""Edit-menu operations on the shown canvas: clipboard, delete, arrange, rename, add."""
from __future__ import annotations

from PyQt5.QtCore import QPointF, Qt
from PyQt5.QtWidgets import QApplication, QGraphicsTextItem

from . import style
from .arrange import layered_positions
from .clipboard import fragment, from_mime, to_mime
from .trust_prompt import confirm_servers

PASTE_STEP = 30.0


class CanvasOps:
    def __init__(self, window):
        self.window = window

    @property
    def scene(self):
        return self.window.scene

    @property
    def document(self):
        return self.window.document

    def _editing_text(self) -> bool:
        """A title or note is being edited: keys belong to the text, not the canvas."""
        item = self.scene.focusItem()
        return isinstance(item, QGraphicsTextItem) and bool(
            item.textInteractionFlags() & Qt.TextEditorInteraction)

    # -- clipboard ------------------------------------------------------------
    def copy(self) -> bool:
        nodes, notes = self.scene.selected_nodes(), self.scene.selected_annotations()
        if not nodes and not notes:
            return False
        part = fragment(self.document.workflow, nodes, notes)
        QApplication.clipboard().setMimeData(to_mime(part))
        return True

    def cut(self) -> None:
        if self.copy():
            self.document.remove(self.scene.selected_nodes(), (), self.scene.selected_annotations())

    def paste(self) -> None:
        part = from_mime(QApplication.clipboard().mimeData(), self.document.workflow.registry)
        if part is None or not (part.nodes or part.annotations):
            self.window.statusBar().showMessage("The clipboard holds no widgets.", 4000)
            return
        confirm_servers(self.window, part)      # pasted text may come from anyone
        self._insert(part, "Paste")

    def duplicate(self) -> None:
        nodes = self.scene.selected_nodes()
        if nodes:
            self._insert(fragment(self.document.workflow, nodes,
                                  self.scene.selected_annotations()), "Duplicate")

    def _insert(self, part, text: str) -> None:
        offset = self._free_offset(part)
        command = self.document.insert_fragment(part, offset, text)
        self.scene.clearSelection()
        self.scene.select_nodes([n.id for n in command.nodes])

    def _free_offset(self, part) -> tuple[float, float]:
        """Shift pasted nodes down-right until none sits on an existing node."""
        taken = [n.position for n in self.document.workflow.nodes.values()]
        step = 1
        while True:
            dx = dy = PASTE_STEP * step
            if not any(abs(x + dx - tx) < 5 and abs(y + dy - ty) < 5
                       for x, y in (n.position for n in part.nodes.values()) for tx, ty in taken):
                return dx, dy
            step += 1

    # -- selection ------------------------------------------------------------
    def delete(self) -> None:
        if not self._editing_text():
            self.scene.delete_selected()

    def select_all(self) -> None:
        if not self._editing_text():
            self.scene.select_all()

    def rename(self) -> None:
        nodes = self.scene.selected_nodes()
        if len(nodes) == 1:
            self.scene.node_items[nodes[0].id].title.start_edit()

    # -- layout and adding ------------------------------------------------------
    def arrange(self) -> None:
        wf = self.document.workflow
        if not wf.nodes:
            return
        left = min(n.position[0] for n in wf.nodes.values())
        middle = sum(n.position[1] for n in wf.nodes.values()) / len(wf.nodes)
        positions = layered_positions(wf, (left, middle))
        self.document.move({i: (wf.nodes[i].position, p) for i, p in positions.items()})
        self.window.view.show_contents()

    def quick_add(self) -> None:
        self.scene.quick_add(self._cursor_or_centre())

    def add_widget(self, widget) -> None:
        """Add from the toolbox (double-click / Enter): near the centre, not on another node."""
        pos = self.window.view.free_position()
        x, y = pos.x(), pos.y()
        taken = [n.position for n in self.document.workflow.nodes.values()]
        while any(abs(x - tx) < 2 * style.NODE_RADIUS and abs(y - ty) < 2 * style.NODE_RADIUS
                   for tx, ty in taken):
            x += style.LAYER_SPACING * 0.6
        node = self.document.add_node(widget.id, (x, y))
        self.scene.select_nodes([node.id])

    def _cursor_or_centre(self) -> QPointF:
        view = self.window.view
        local = view.viewport().mapFromGlobal(view.cursor().pos())
        if view.viewport().rect().contains(local):
            return view.mapToScene(local)
        return view.free_position()
