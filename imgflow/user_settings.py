"""The user's own settings: a small JSON file in the user's config folder.

What lives here belongs to the person, never to a workflow file: a shared
workflow can name anything, but only this file says which embedding servers
the user trusts and holds their tokens (see ``trusted_servers``).  The file
is written atomically with mode 0600 in a folder of mode 0700, since it
holds secrets.  ``IMGFLOW_CONFIG_DIR`` moves it (the tests use a temporary
folder, never the real one).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

ENV_CONFIG_DIR = "IMGFLOW_CONFIG_DIR"
FILE_NAME = "settings.json"
FORMAT_NAME = "imgflow-user-settings"
FORMAT_VERSION = 1
MAX_BYTES = 1 << 20
ALLOW_PRIVATE_URLS = "allow_private_urls"   # URL images may come from private/loopback addresses


class UserSettingsError(Exception):
    """The settings file cannot be read or written; the message says why in one line."""


def config_dir() -> Path:
    folder = os.environ.get(ENV_CONFIG_DIR)
    if not folder:
        import platformdirs
        folder = platformdirs.user_config_dir("imgflow", appauthor=False)
    return Path(folder)


def settings_path() -> Path:
    return config_dir() / FILE_NAME


def read() -> dict[str, Any]:
    """The settings as a dict ({} when there is no file yet)."""
    path = settings_path()
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UserSettingsError(f"Cannot read your settings {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise UserSettingsError(f"Your settings file {path} is too large to be imgflow's")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UserSettingsError(f"Your settings file {path} is not valid JSON ({exc}); "
                                f"fix or delete it") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise UserSettingsError(f"{path} is not an imgflow settings file; fix or delete it")
    if not isinstance(doc.get("version"), int) or doc["version"] > FORMAT_VERSION:
        raise UserSettingsError(f"Your settings file {path} was written by a newer imgflow")
    return doc


def write(doc: dict[str, Any]) -> None:
    """Replace the file atomically; only the user may read it (0600)."""
    path = settings_path()
    doc = {"format": FORMAT_NAME, "version": FORMAT_VERSION,
           **{k: v for k, v in doc.items() if k not in ("format", "version")}}
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkstemp makes the file 0600 before a byte of it is written
        fd, tmp = tempfile.mkstemp(prefix=f".{FILE_NAME}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserSettingsError(f"Cannot write your settings in {path.parent}: "
                                f"{exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise UserSettingsError(f"Cannot write your settings {path}: {exc.strerror or exc}") from None


def update(change: Callable[[dict[str, Any]], Any]) -> Any:
    """Read, let ``change`` edit the dict in place, write it back; ``change``'s result."""
    doc = read()
    result = change(doc)
    write(doc)
    return result


def private_urls_allowed() -> bool:
    """Whether the user lets URL images come from their own network (off unless they said so)."""
    try:
        return read().get(ALLOW_PRIVATE_URLS) is True
    except UserSettingsError:
        return False


def allow_private_urls(allowed: bool) -> None:
    update(lambda doc: doc.__setitem__(ALLOW_PRIVATE_URLS, bool(allowed)))
