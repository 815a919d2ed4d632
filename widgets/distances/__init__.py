"""Distances: the distance between every two rows (or columns) of a table.

Measured on the feature columns (for images: the embedding vectors).
Missing values are replaced by their column's mean (Jaccard: by 0, "absent"),
and the widget warns how many rows and columns had any; a column with no
values at all is left out.  Before allocating, the memory the matrix needs
(and a clustering of it after) is compared with what the machine has, and a
matrix that would not fit is refused with both figures.
"""
from __future__ import annotations

from imgflow.api import Context, Input, Output, Result, Setting, Widget
from imgflow.data import Distances as DistanceMatrix
from imgflow.data import Table

from imgflow.widgets.common.distance_matrix import METRICS, NORMALIZABLE, compute_distances


class Distances(Widget):
    id = "imgflow.distances"
    name = "Distances"
    category = "Unsupervised"
    icon = "distances.svg"
    description = ("Distances between rows (or columns) of the data. "
                   "Missing values are replaced by column means (Jaccard: by 0).")
    keywords = ("distance", "metric", "cosine", "euclidean", "similarity", "dissimilarity")
    priority = 10
    inputs = (Input("Data", Table, default=True, doc="Rows to measure (their features)."),)
    outputs = (Output("Distances", DistanceMatrix, default=True,
                      doc="The distance between every two rows (or columns)."),)
    settings = (
        Setting("metric", str, "cosine", choices=tuple(METRICS), doc="How distance is measured."),
        Setting("normalize", bool, True,
                doc="Scale each column to mean 0 and variance 1 first (Euclidean, Manhattan)."),
        Setting("axis", str, "rows", choices=("rows", "columns"),
                doc="Measure between rows or between columns."),
    )
    panel = "imgflow.widgets.distances.panel:DistancesPanel"

    def compute(self, inputs, settings, ctx: Context) -> Result:
        return compute_distances(inputs["Data"], settings["metric"], settings["normalize"],
                                 settings["axis"], ctx)
