"""LazyModel: a local model that is built only when an image needs it.

Its ``info`` (the cache version included) is known without torch, so
embed_images serves every cached vector first and touches ``lanes``,
``batch_size`` or ``embed`` (which build the network, importing torch) only
when some image is not in the cache.  A fully cached re-run thus never
imports torch.
"""
from __future__ import annotations

import threading

from imgflow.embedders.errors import EmbedderError
from imgflow.embedders import models


class LazyModel:
    def __init__(self, model_id: str, device: str | None = None,
                 weights_path: str | None = None):
        self._args = (model_id, device, weights_path)
        self._model = None
        self._lock = threading.Lock()         # guards _loader
        self._build_lock = threading.Lock()   # one build at a time; model() waits on it
        self._loader: threading.Thread | None = None
        self._error: BaseException | None = None  # from a background build
        try:
            self.info = models.model_info(model_id, weights_path)
        except (OSError, EmbedderError):
            # a weights file that cannot be read, or a model model_info does not
            # know (one load_model makes by name, say): load_model decides, at once
            self._model = models.load_model(*self._args)
            self.info = self._model.info

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def start_loading(self) -> None:
        """Build the model in a background thread (embed_images calls this at
        the first cache miss, so importing torch overlaps the reading of the
        other files); model() waits for it."""
        with self._lock:
            if self._model is not None or self._loader is not None:
                return
            self._loader = threading.Thread(target=self._load_in_background, daemon=True,
                                            name="imgflow-model-load")
            self._loader.start()

    def _load_in_background(self) -> None:
        try:
            self._build(keep_error=True)
        except BaseException:  # noqa: BLE001 - kept; model() raises it in the caller's thread
            pass
        finally:
            with self._lock:
                self._loader = None

    def model(self):
        """The built model (builds it once, or waits for start_loading's build;
        raises EmbedderError)."""
        return self._build(keep_error=False)

    def _build(self, keep_error: bool):
        with self._build_lock:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._model is None:
                try:
                    model = models.load_model(*self._args)
                except BaseException as exc:
                    if keep_error:
                        self._error = exc
                    raise
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
