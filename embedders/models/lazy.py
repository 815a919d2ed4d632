"""LazyModel: a local model that is built only when an image needs it.

Its ``info`` (the cache version included) is known without torch, so
embed_images serves every cached vector first and touches ``lanes``,
``batch_size`` or ``embed`` (which build the network, importing torch) only
when some image is not in the cache.  A fully cached re-run thus never
imports torch.
"""
from __future__ import annotations

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders import models


class LazyModel:
    def __init__(self, model_id: str, device: str | None = None,
                 weights_path: str | None = None):
        self._args = (model_id, device, weights_path)
        self._model = None
        try:
            self.info = models.model_info(model_id, weights_path)
        except OSError:
            # a custom weights file that cannot be read: load_model says why
            self._model = models.load_model(*self._args)
            self.info = self._model.info

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def model(self):
        """The built model (builds it once; raises EmbedderError)."""
        if self._model is None:
            model = models.load_model(*self._args)
            if model.info != self.info:  # e.g. the weights file changed meanwhile
                raise EmbedderError(f"{self.info.name}'s weights changed while it was "
                                    "loading; run again.")
            self._model = model
        return self._model

    @property
    def batch_size(self) -> int:
        return self.model().batch_size

    @property
    def lanes(self) -> int:
        return self.model().lanes

    def lanes_running(self):
        return self.model().lanes_running()

    def embed(self, batch):
        return self.model().embed(batch)

    def __repr__(self) -> str:
        return f"LazyModel({self._args[0]!r}, loaded={self.loaded})"
