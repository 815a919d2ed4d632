"""Helpers shared by several widgets, their computations and panels (Qt is imported
only by the modules that need it)."""
