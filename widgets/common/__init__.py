"""Helpers shared by several widget panels (Qt is imported only by the modules that need it)."""
