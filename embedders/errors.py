"""Exceptions raised by the embedders package."""


class EmbedderError(Exception):
    """A failure the user can act on.

    The message is shown to the user as is, so it says what is missing and
    what to do about it.
    """


class EmbeddingCancelled(Exception):
    """Raised by embed_images when its is_cancelled callback turned True."""
