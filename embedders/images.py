"""The one image-loading module shared by import, viewer and embedding.

Everything that can go wrong with a single image ends as ImageSkipped with a
short reason a user can read; nothing else escapes, so a batch never fails
because of one bad file.
"""
from __future__ import annotations

import io
import os
import stat
import struct

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from imgflow.embedders import storage

SUPPORTED_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp",
    ".ppm", ".pgm", ".pbm", ".pnm",
})

# Pillow's own default; we refuse instead of warning so a crafted file cannot
# make us allocate gigabytes.
MAX_PIXELS = 89_478_485
MAX_FILE_BYTES = 256 * 1024 * 1024
URL_CONNECT_TIMEOUT = 5.0
URL_READ_TIMEOUT = 20.0
URL_TOTAL_TIMEOUT = 60.0  # a watchdog cuts a server that drips bytes off here

# EXIF orientations that turn the image by 90 degrees (width and height swap)
_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION = 0x0112
_WHITE = (255, 255, 255)


class ImageSkipped(Exception):
    """An image that cannot be used; str(e) is a short human reason."""


def is_url(source: str) -> bool:
    return isinstance(source, str) and source[:8].lower().startswith(
        ("http://", "https://"))


# ---------------------------------------------------------------- reading


def read_bytes(source: str) -> bytes:
    """The file's bytes, from a local path, an http(s) URL or an fsspec URL (s3://...)."""
    if is_url(source):
        return _read_url(source)
    if storage.is_storage_url(source):
        return _read_storage(source)
    return _read_local(_local(source))


def _local(source: str) -> str:
    """A file:// URL as the local path it names; other sources as they are."""
    if storage.scheme(source) not in storage.LOCAL:
        return source
    try:
        return storage.local_path(source)
    except ValueError as e:
        raise ImageSkipped(f"refused: {e}") from None


def _read_storage(url: str) -> bytes:
    try:
        data = storage.read_bytes(url, MAX_FILE_BYTES)
    except storage.StorageError as e:
        raise ImageSkipped(str(e)) from None
    if not data:
        raise ImageSkipped("file is empty")
    return data


def _regular_file_size(path: str) -> int:
    """Size of a regular file; refuses FIFOs and devices, which could block."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ImageSkipped("file not found") from None
    except PermissionError:
        raise ImageSkipped("no permission") from None
    except (OSError, ValueError) as e:
        raise ImageSkipped(f"cannot read file ({_os_reason(e)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageSkipped("not a file (a folder)")
    if not stat.S_ISREG(st.st_mode):
        raise ImageSkipped("not a regular file")
    if st.st_size == 0:
        raise ImageSkipped("file is empty")
    if st.st_size > MAX_FILE_BYTES:
        raise ImageSkipped("file too large")
    return st.st_size


def _read_local(path: str) -> bytes:
    _regular_file_size(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ImageSkipped("file not found") from None
    except PermissionError:
        raise ImageSkipped("no permission") from None
    except OSError as e:
        raise ImageSkipped(f"cannot read file ({_os_reason(e)})") from None
    if not data:
        raise ImageSkipped("file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ImageSkipped("file too large")
    return data


def _os_reason(e: BaseException) -> str:
    return getattr(e, "strerror", None) or type(e).__name__


def _read_url(url: str) -> bytes:
    # urls.py holds the deadline watchdog and the address checks
    from imgflow.embedders import urls
    try:
        data = urls.download(url, max_bytes=MAX_FILE_BYTES,
                             connect_timeout=URL_CONNECT_TIMEOUT,
                             read_timeout=URL_READ_TIMEOUT,
                             total_timeout=URL_TOTAL_TIMEOUT)
    except urls.DownloadFailed as e:
        raise ImageSkipped(str(e)) from None
    if not data:
        raise ImageSkipped("file is empty")
    return data


# ---------------------------------------------------------------- decoding


def _open(fp) -> Image.Image:
    """Image.open that maps every failure to ImageSkipped (header only)."""
    try:
        image = Image.open(fp)
    except UnidentifiedImageError:
        raise ImageSkipped("not an image file") from None
    except Image.DecompressionBombError:
        raise ImageSkipped("image too large (decompression bomb)") from None
    except FileNotFoundError:
        raise ImageSkipped("file not found") from None
    except PermissionError:
        raise ImageSkipped("no permission") from None
    except (OSError, SyntaxError, ValueError, EOFError, TypeError) as e:
        raise ImageSkipped(_decode_reason(e)) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise ImageSkipped("image too large (decompression bomb)")
    if width == 0 or height == 0:
        image.close()
        raise ImageSkipped("image has no pixels")
    return image


def _decode_reason(e: BaseException) -> str:
    text = str(e).lower()
    if "truncat" in text or isinstance(e, EOFError):
        return "truncated file"
    if "decompression bomb" in text:
        return "image too large (decompression bomb)"
    return "corrupt or unsupported image"


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # broken EXIF must not cost the image
        return 1


def read_size(source: str, size: int | None = None) -> tuple[int, int]:
    """(width, height) as displayed, read from the header only.

    ``size``: the file's size in bytes when a listing gave it (spares a request
    to object storage)."""
    if is_url(source):
        fp = io.BytesIO(read_bytes(source))
    elif storage.is_storage_url(source):
        fp = _open_storage_header(source, size)
    else:
        fp = _local(source)
        _regular_file_size(fp)
    try:
        image = _open_remote_safe(fp) if storage.is_storage_url(source) else _open(fp)
        try:
            width, height = image.size
            if _header_orientation(image) in _SWAPPING_ORIENTATIONS:
                width, height = height, width
            return width, height
        finally:
            image.close()
    finally:
        if not isinstance(fp, str):
            fp.close()


def _open_remote_safe(fp) -> Image.Image:
    """_open on a file whose reads go over the network: a lost connection or an
    expired credential skips the image too, with the storage library's reason."""
    try:
        return _open(fp)
    except ImageSkipped:
        raise
    except Exception as e:
        raise ImageSkipped(f"cannot read ({storage.reason(e)})") from None


def _header_orientation(image: Image.Image) -> int:
    # Pillow looks for a PNG's EXIF after the pixels by decoding them all: a
    # header-only read takes only an EXIF chunk that comes before the pixels.
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    return _orientation(image)


def _open_storage_header(url: str, size: int | None):
    """The object as a file that downloads only the blocks Pillow reads."""
    if size == 0:
        raise ImageSkipped("file is empty")
    try:
        fp = storage.open_header(url, size)
    except storage.StorageError as e:
        raise ImageSkipped(str(e)) from None
    if getattr(fp, "size", None) == 0:
        fp.close()
        raise ImageSkipped("file is empty")
    return fp


def open_rgb(data: bytes, target: tuple[int, int] | None = None) -> Image.Image:
    """Decode bytes to an upright RGB image.

    With a target (width, height), JPEGs are decoded by Pillow's draft mode at
    the smallest 1/2, 1/4 or 1/8 scale that still covers the target on both
    sides: several times faster for photos that will be shrunk anyway.
    """
    if not data:
        raise ImageSkipped("file is empty")
    image = _open(io.BytesIO(data))
    orientation = _orientation(image)
    if target is not None and image.format == "JPEG":
        if orientation in _SWAPPING_ORIENTATIONS:
            target = (target[1], target[0])
        image.draft("RGB", (max(1, target[0]), max(1, target[1])))
    try:
        image.load()  # first frame only for GIF and other animations
        if orientation != 1:
            image = ImageOps.exif_transpose(image)
        return to_rgb(image)
    except ImageSkipped:
        raise
    except Image.DecompressionBombError:
        raise ImageSkipped("image too large (decompression bomb)") from None
    except MemoryError:
        raise ImageSkipped("image too large for memory") from None
    except (OSError, SyntaxError, ValueError, EOFError, TypeError,
            IndexError, KeyError, struct.error) as e:
        raise ImageSkipped(_decode_reason(e)) from None


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB; transparency is laid over white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        return _high_depth_grey_to_rgb(image)
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    elif mode == "P":
        return image.convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return _over_white(image.convert("RGBA"))
    return image.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV


def _over_white(rgba: Image.Image) -> Image.Image:
    background = Image.new("RGB", rgba.size, _WHITE)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _high_depth_grey_to_rgb(image: Image.Image) -> Image.Image:
    # Pillow's convert("L") clips 16-bit values at 255, which turns most
    # 16-bit images white; scale the full range down instead.
    values = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        peak = 1.0 if values.max(initial=0.0) <= 1.0 else 255.0
    else:
        peak = 65535.0 if values.max(initial=0.0) > 255 else 255.0
    grey = np.clip(values * (255.0 / peak) + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(grey).convert("RGB")


def load_thumbnail(source: str, max_side: int) -> Image.Image:
    """An RGB image fitting max_side x max_side, aspect ratio kept."""
    image = open_rgb(read_bytes(source), target=(max_side, max_side))
    try:
        image.thumbnail((max_side, max_side), Image.Resampling.BICUBIC,
                        reducing_gap=2.0)
    except (OSError, ValueError) as e:
        raise ImageSkipped(_decode_reason(e)) from None
    return image
