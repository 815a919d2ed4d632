"""Real photos embedded by the offline model, once per test session."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from imgflow.api import Context
from imgflow.data import Table


@lru_cache(maxsize=None)
def embedded_folder(folder: Path) -> Table:
    """Import Images + Image Embedding (EfficientNet-Lite0) of a folder, as the widgets do."""
    from imgflow.widgets.image_embedding import ImageEmbedding
    from imgflow.widgets.import_images import ImportImages

    table = ImportImages().compute({}, {"directory": str(folder), "recursive": True},
                                   Context()).outputs["Data"]
    return ImageEmbedding().compute(
        {"Images": table}, {**ImageEmbedding.default_settings(),
                            "embedder": "efficientnet-lite0"}, Context()).outputs["Embeddings"]
