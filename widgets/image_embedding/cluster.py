"""Image Embedding on a Dask cluster: the scheduler's address, its trust, the model.

Work sent to a scheduler carries the image paths, and its workers read the
images, so a scheduler is trusted as an embedding server is: only when the
user trusts it in their own settings, typed it in the panel or named it with
``--set`` (imgflow.trusted_servers). dask is imported only when one is used.
"""
from __future__ import annotations

from imgflow.api import WidgetError

SCHEMES = ("tcp://", "tls://")


def scheduler_address(text: str) -> str:
    """The address as Dask reads it: a bare host[:port] is tcp://.

    Not checked here: sends_to lists what a file says, even when it is wrong.
    """
    text = text.strip()
    return text if "://" in text else f"tcp://{text}"


def checked_scheduler(text: str) -> str:
    """tcp://host:port of a scheduler the user trusts; WidgetError saying why not."""
    from imgflow import trusted_servers

    from .run import trusted_tokens

    address = scheduler_address(text)
    try:
        checked = trusted_servers.origin(address)
        path = trusted_servers.canonical(address)[len(checked):]
    except ValueError as exc:
        raise WidgetError(f"The Dask scheduler address is not valid: {exc}.") from None
    if not checked.startswith(SCHEMES) or path:
        raise WidgetError(f"{text.strip()!r} is not a Dask scheduler address "
                          "(tcp://host:8786).")
    trusted_tokens([checked])         # WidgetError for a scheduler the user did not trust
    return checked


def cluster_model(text: str, model_id: str, weights_file: str | None):
    """A model that runs on the trusted scheduler's workers; closed by the caller."""
    from imgflow.embedders.errors import EmbedderError

    address = checked_scheduler(text)
    try:
        from imgflow.embedders.dask_cluster import ClusterModel
        return ClusterModel(address, model_id, weights_file)
    except EmbedderError as exc:     # no distributed, or a timm model no worker could build
        raise WidgetError(str(exc)) from None
