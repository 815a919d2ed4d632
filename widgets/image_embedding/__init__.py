"""Image Embedding: a vector of numbers for every image, from a deep network.

The output is the input table with the vector's columns (n0, n1, ...) added
as features, for the embedded rows only, in input order; images that cannot
be read go to "Skipped Images" with the reason.  Vectors are cached on disk
by file content and model, so an unchanged folder re-embeds at once and a
folder with one new image embeds just that one.  A model that cannot be had
(no weights, no server) is an error that names the offline models: another
model is never used in its place.  Besides the listed models, 'timm:NAME' runs
any model timm knows, with timm's downloaded weights or a state dict named by
the weights_file setting (read safely; the run's summary names the file).
With dask_scheduler set, a local model runs on that Dask cluster instead:
its workers read the images that miss the cache and embed them.
"""
from __future__ import annotations


from imgflow.api import Context, Input, Output, Result, Setting, Widget, WidgetError
from imgflow.data import Table
from imgflow.embedders.models import TIMM_PREFIX

from imgflow.widgets.common.images import image_column

from .cluster import cluster_model, scheduler_address
from .run import (EmbeddingSummary, embed_table, file_stamp, output_tables, server_urls,
                  skipped_warning, token_file_warning, trusted_tokens, weights_path)


class EmbedderChoices(tuple):
    """The listed embedders, and 'timm:NAME' for any model timm knows.

    The name is checked against timm's list when the model loads (that needs
    torch, which a setting's validation must not import).
    """

    def __contains__(self, value) -> bool:
        if tuple.__contains__(self, value):
            return True
        from imgflow.embedders.models import is_timm
        return is_timm(value)


EMBEDDERS = EmbedderChoices(("inception-v3", "squeezenet", "efficientnet-lite0",
                             "efficientnet-lite1", "efficientnet-lite2", "remote"))


def embedder_choices() -> list[tuple[str, str, str]]:
    """(id, name, description) of each embedder, for the panel (no torch import)."""
    from imgflow.embedders.models import MODELS, OFFLINE_DEFAULT

    out = []
    for model_id in EMBEDDERS[:-1]:
        info = MODELS.get(model_id)
        if info is not None:
            mark = ("" if info.needs_network else
                    " (offline, recommended)" if model_id == OFFLINE_DEFAULT else " (offline)")
            out.append((model_id, info.name + mark, info.description))
    out.append((TIMM_PREFIX, "Other timm model…",
                "Any model timm knows, by name (ConvNeXt, RegNet, ViT, ...); weights from "
                "timm's download or a file."))
    out.append(("remote", "Remote server",
                "Embed on an 'imgflow serve' server (for example one with a GPU)."))
    return out


class ImageEmbedding(Widget):
    id = "imgflow.image_embedding"
    name = "Image Embedding"
    category = "Image Analytics"
    icon = "image_embedding.svg"
    description = "Turn images into vectors of numbers with a deep network (cached on disk)."
    keywords = ("embed", "vector", "features", "deep", "network", "inception", "neural")
    priority = 20
    inputs = (Input("Images", Table, default=True, doc="A table with an image column."),)
    outputs = (
        Output("Embeddings", Table, default=True,
               doc="The embedded rows, with the vector as feature columns n0, n1, ..."),
        Output("Skipped Images", Table, doc="Rows whose image could not be embedded, "
                                            "with a 'reason' column."),
    )
    settings = (
        Setting("image_column", str, "", doc="The column of images ('' = the first)."),
        Setting("embedder", str, "inception-v3", choices=EMBEDDERS,
                doc="The network: one listed, or timm:NAME for any model timm knows."),
        Setting("weights_file", str, "", path=True,
                doc="A state dict (torch.save) to load into a timm:NAME model instead of "
                    "timm's downloaded weights."),
        Setting("server_url", str, "", destination=True,
                doc="Server address(es) of 'imgflow serve', separated by commas (remote); "
                    "used only when you trust them (imgflow servers add URL)."),
        Setting("remote_model", str, "inception-v3", doc="The model the server runs (remote)."),
        Setting("dask_scheduler", str, "", destination=True,
                doc="A Dask scheduler's address (tcp://host:8786): the model runs on its "
                    "workers, which read the images ('' = here); used only when you trust it "
                    "(imgflow servers add tcp://host:8786)."),
    )
    panel = "imgflow.widgets.image_embedding.panel:ImageEmbeddingPanel"
    apply_control = True

    @classmethod
    def sends_to(cls, settings: dict) -> list[str]:
        if settings.get("embedder") != "remote":
            scheduler = (settings.get("dask_scheduler") or "").strip()
            return [scheduler_address(scheduler)] if scheduler else []
        return server_urls(settings.get("server_url") or "")

    @classmethod
    def load_warnings(cls, saved: dict) -> list[str]:
        # Older files named a token file; a workflow is someone else's, so it is never read.
        return token_file_warning(saved)

    def __init__(self):
        # The engine keeps one instance per node and runs one compute on it at
        # a time: a loaded model stays here so a re-run does not load it again.
        self._models: dict[str, object] = {}

    def local_model(self, model_id: str, weights_file: str | None = None):
        """The model, built (torch imported) only once an image misses the cache."""
        from imgflow.embedders.errors import EmbedderError
        from imgflow.embedders.models.lazy import LazyModel

        # a changed weights file is another model (same path, new content too)
        key = (model_id, weights_file, file_stamp(weights_file))
        if key not in self._models:
            self._models.clear()            # one network in memory at a time
            try:
                self._models[key] = LazyModel(model_id, weights_path=weights_file)
            except EmbedderError as exc:
                raise WidgetError(str(exc)) from None
        return self._models[key]

    def remote_model(self, settings: dict, ctx: Context):
        """A client for the servers; made per run (cheap), closed by the caller."""
        from imgflow.embedders.errors import EmbedderError
        try:
            from imgflow.embedders.remote.client import RemoteModel
        except ImportError as exc:
            raise WidgetError(f"Remote embedding is not available here ({exc}); "
                              "choose an offline model.") from None
        urls = server_urls(settings["server_url"])
        if not urls:
            raise WidgetError("No server address: enter the address of an 'imgflow serve' "
                              "server, or choose an offline model.")
        tokens = trusted_tokens(urls)     # WidgetError for a server the user did not trust
        try:
            # the addresses as checked, not as the file spells them
            return RemoteModel(list(tokens), settings["remote_model"], tokens,
                               is_cancelled=lambda: ctx.cancelled)
        except EmbedderError as exc:
            raise WidgetError(str(exc)) from None

    def compute(self, inputs, settings, ctx: Context) -> Result:
        table: Table = inputs["Images"]
        column = image_column(table, settings["image_column"], ctx)
        remote = settings["embedder"] == "remote"
        cluster = not remote and bool(settings["dask_scheduler"].strip())
        if remote and settings["dask_scheduler"].strip():
            ctx.warning("The Dask scheduler is not used with a remote server, which embeds "
                        "the images itself.")
        weights = weights_path(settings, ctx.workflow_dir)
        model = (self.remote_model(settings, ctx) if remote else
                 cluster_model(settings["dask_scheduler"], settings["embedder"], weights)
                 if cluster else self.local_model(settings["embedder"], weights))
        try:
            if settings["weights_file"] and not settings["embedder"].startswith(TIMM_PREFIX):
                ctx.warning(f"The weights file is for timm models only; {model.info.name} "
                            "uses its own weights.")
            ctx.check()
            vectors, skipped, result = embed_table(table, column, model, ctx)
        finally:
            if remote or cluster:
                model.close()
        embedded, rejected = output_tables(table, vectors, skipped)
        if skipped:
            ctx.warning(skipped_warning(table, column, skipped))
        name = model.info.name + (f" on the Dask cluster {model.address}" if cluster else "")
        summary = EmbeddingSummary(name, len(table), result.n_cached,
                                   result.n_computed,
                                   tuple((str(column.data[i]), r) for i, r in sorted(skipped.items())))
        info = (f"{len(table) - len(skipped)} of {len(table)} images embedded by "
                f"{name}: {result.n_cached} from the cache, "
                f"{result.n_computed} computed" + (f", {len(skipped)} skipped" if skipped else ""))
        return Result({"Embeddings": embedded, "Skipped Images": rejected}, view=summary, info=info)
