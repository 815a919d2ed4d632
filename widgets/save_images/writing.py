"""Writing image files safely: names fit for every OS, never a half-written file,
never an overwrite unless asked.

A file is written under a temporary name in its folder and then renamed into
place, so a crash or a full disk leaves the old file (or none), never half of
a new one.  Without overwriting, the rename is a hard link, which fails if the
name was taken meanwhile (where links are not supported, a rename after a
check).
"""
from __future__ import annotations

import errno
import io
import os
import re
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

UNASSIGNED = "unassigned"
MAX_NAME = 120
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
FORMATS = {"png": ("PNG", ".png"), "jpeg": ("JPEG", ".jpg")}
JPEG_QUALITY = 92


def safe_name(value: str | None) -> str:
    """A folder name for a group value that Windows, macOS and Linux all accept."""
    if value is None or not str(value).strip():
        return UNASSIGNED
    name = _UNSAFE.sub("_", str(value).strip()).rstrip(" .")
    if not name or set(name) == {"."}:
        return "_"
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    return name[:MAX_NAME]


def encode(source_bytes: bytes, fmt: str, max_size: int) -> tuple[bytes, str | None]:
    """The bytes to write and the extension they call for (None: the source's own).

    ``original`` with no resizing needed copies the bytes unchanged; resizing
    an original re-encodes it in its own format.
    """
    if fmt == "original" and max_size == 0:
        return source_bytes, None
    image = Image.open(io.BytesIO(source_bytes))
    own_format = image.format
    if fmt == "original" and max(image.size) <= max_size:
        return source_bytes, None
    image = ImageOps.exif_transpose(image)
    if max_size and max(image.size) > max_size:
        image.thumbnail((max_size, max_size), Image.Resampling.LANCZOS)
    pil_format, extension = FORMATS.get(fmt, (own_format, None))
    if pil_format == "JPEG":
        from imgflow.embedders.images import to_rgb
        image = to_rgb(image)
    elif image.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    out = io.BytesIO()
    options = {"quality": JPEG_QUALITY} if pil_format == "JPEG" else {}
    image.save(out, pil_format, **options)
    return out.getvalue(), extension


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _write_temporary(folder: Path, name: str, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _place_without_overwriting(tmp: str, target: Path) -> None:
    try:
        os.link(tmp, target)      # fails, atomically, when the name is taken
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV,
                             errno.EMLINK, errno.ENOSYS):
            raise
        if target.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        os.rename(tmp, target)
        return
    os.unlink(tmp)


def candidates(stem: str, extension: str):
    """name.ext, name-1.ext, name-2.ext, ..."""
    yield f"{stem}{extension}"
    i = 1
    while True:
        yield f"{stem}-{i}{extension}"
        i += 1


def save_bytes(folder: Path, stem: str, extension: str, data: bytes, replace: bool,
               taken: set[Path]) -> tuple[Path, bool]:
    """(where the data now is, whether it was written now).

    ``taken`` holds the paths this run has written already: they are never
    replaced, so two images of one name in one run both survive.  Without
    ``replace``, an existing file with the same bytes is the image saved
    (nothing written); one with other bytes makes the next free name be used.
    """
    for name in candidates(stem, extension):
        target = folder / name
        if target in taken:
            if _same_bytes(target, data):
                return target, False
            continue
        exists = target.exists() or target.is_symlink()
        if exists and _same_bytes(target, data):
            taken.add(target)
            return target, False
        if replace or not exists:
            if target.is_dir():
                continue
            tmp = _write_temporary(folder, name, data)
            try:
                if replace:
                    os.replace(tmp, target)
                else:
                    _place_without_overwriting(tmp, target)
            except FileExistsError:
                os.unlink(tmp)
                continue              # taken meanwhile: try the next name
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
            taken.add(target)
            return target, True
    raise AssertionError("unreachable")
