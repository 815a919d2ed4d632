"""imgflow: image analytics by visual programming."""
__version__ = "0.1.0"
