"""Opening a widget's panel in a test as the canvas would."""


def show_panel(qtbot, wf, engine, node):
    """Open the node's panel, show it, and wait until the engine has delivered its data."""
    from imgflow.gui.panel import open_panel
    panel = open_panel(wf, engine, node)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.waitUntil(engine.is_idle)
    return panel


def panel_fed_with(qtbot, table, widget_id: str, settings: dict, timeout: int = 30000):
    """(panel, engine, node): ``table`` fed into a new ``widget_id`` node, its window
    open at 1000 x 700 once the run is done.  The caller shuts the engine down; a test
    may feed another table by setting the source widget's ``table``."""
    from imgflow.api import Output, Widget
    from imgflow.data import Table
    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel
    from imgflow.gui.qtpost import QtPoster
    from imgflow.registry import Registry
    from imgflow.workflow import Workflow

    class TableSource(Widget):
        id, name = "test.table_source", "Table Source"
        outputs = (Output("Data", Table, default=True),)

        def compute(self, inputs, settings, ctx):
            return {"Data": self.table}

    TableSource.table = table
    wf = Workflow(Registry([*Registry.discover().widgets(), TableSource]))
    source = wf.add_node("test.table_source")
    node = wf.add_node(widget_id, settings=settings)
    wf.add_link(source, "Data", node, "Data")
    engine = Engine(wf, post=QtPoster())
    panel = open_panel(wf, engine, node)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.waitUntil(lambda: panel._view is not None and engine.is_idle(), timeout=timeout)
    return panel, engine, node
