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
