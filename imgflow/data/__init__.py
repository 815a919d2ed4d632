"""Values that travel on links."""
from .table import Column, Table, new_row_ids
from .distances import Distances
from .text import printable

__all__ = ["Column", "Table", "Distances", "new_row_ids", "printable"]
