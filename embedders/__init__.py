"""Turn image files into vectors, without Qt or the canvas.

Importing this package (and images, models, cache, pipeline) does not import
torch; torch is loaded by models.load_model when a model is needed.
"""
from embedders.cache import EmbeddingCache, content_key
from embedders.errors import EmbedderError, EmbeddingCancelled
from embedders.images import SUPPORTED_EXTENSIONS, ImageSkipped
from embedders.models import DEFAULT_MODEL, MODELS, ModelInfo, load_model
from embedders.pipeline import EmbeddingResult, embed_images

__all__ = [
    "EmbeddingCache", "content_key", "EmbedderError", "EmbeddingCancelled",
    "SUPPORTED_EXTENSIONS", "ImageSkipped", "DEFAULT_MODEL", "MODELS",
    "ModelInfo", "load_model", "EmbeddingResult", "embed_images",
]
