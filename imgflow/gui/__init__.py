"""The Qt side: canvas, main window, widget panels. Imported only when a GUI runs."""
