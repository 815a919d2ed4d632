"""Where icons live: ``icons/`` in a checkout, ``imgflow/icons`` in an installed wheel."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def icon_dirs() -> tuple[Path, ...]:
    dirs = []
    try:
        from importlib.resources import files
        dirs.append(Path(str(files("imgflow.icons"))))
    except (ImportError, ModuleNotFoundError, TypeError):
        pass
    dirs.append(Path(__file__).resolve().parent.parent / "icons")   # a source checkout
    return tuple(d for d in dirs if d.is_dir())


def icon_path(name: str) -> Path | None:
    """The file of an icon (e.g. "distances.svg"), or None when there is none."""
    if not name:
        return None
    for folder in icon_dirs():
        path = folder / name
        if path.is_file():
            return path
    return None
