"""Tests of the widgets: headless computation and their windows."""
