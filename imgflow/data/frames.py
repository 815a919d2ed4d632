"""Table -> pandas DataFrame, for scripts and notebooks (pandas is optional)."""
from __future__ import annotations


def to_pandas(table):
    """Columns in CSV order: non-feature columns, then the features.

    Numeric columns are floats (NaN = missing), categorical ones pandas
    Categoricals in the table's category order, text and images objects
    (None = missing).  Names keep exactly what the table holds.
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("Table.to_pandas needs pandas: pip install pandas") from None
    data = {}
    for column in table.columns:
        if column.kind == "categorical":
            data[column.name] = pd.Categorical(column.data, categories=list(column.categories))
        elif column.kind == "numeric":
            data[column.name] = column.data
        else:
            # object, not pandas' default string type: a file name that is not
            # UTF-8 keeps its surrogates, and opens the file again
            data[column.name] = pd.Series(column.data, dtype=object)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(table)))
    if table.n_features:
        features = pd.DataFrame(table.X, columns=list(table.feature_names), index=frame.index)
        frame = pd.concat([frame, features], axis=1) if table.columns else features
    return frame
