"""Turn image files into vectors, without Qt or the canvas.

Importing this package (and images, models, cache, pipeline) does not import
torch; torch is loaded by models.load_model when a model is needed.
"""
from imgflow.embedders.cache import EmbeddingCache, content_key
from imgflow.embedders.errors import EmbedderError, EmbeddingCancelled
from imgflow.embedders.images import SUPPORTED_EXTENSIONS, ImageSkipped
from imgflow.embedders.models import DEFAULT_MODEL, MODELS, ModelInfo, load_model
from imgflow.embedders.pipeline import EmbeddingResult, embed_images

__all__ = [
    "EmbeddingCache", "content_key", "EmbedderError", "EmbeddingCancelled",
    "SUPPORTED_EXTENSIONS", "ImageSkipped", "DEFAULT_MODEL", "MODELS",
    "ModelInfo", "load_model", "EmbeddingResult", "embed_images",
]
