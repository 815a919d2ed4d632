"""Remote embedding: an HTTP server that runs the embedding models, and its client.

- :mod:`imgflow.embedders.remote.wire` -- the binary framing shared by both sides
  (numpy + Pillow only; no pickle).
- :mod:`imgflow.embedders.remote.client` -- :class:`RemoteModel`, a drop-in model for
  :func:`imgflow.embedders.pipeline.embed_images` (imports neither torch nor starlette).
- :mod:`imgflow.embedders.remote.server` -- ``serve()`` and the ``imgflow serve`` options
  (needs the ``server`` extra: starlette and uvicorn).

Nothing is imported here, so importing the package stays cheap.
"""

PROTOCOL_VERSION = 1
API_PREFIX = "/v1"
DEFAULT_PORT = 8750
