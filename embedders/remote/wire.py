"""The wire format of the embedding protocol (see docs/remote.md).

A message (request or response body) is one *frame*::

    4 bytes   magic b"IMF1"
    4 bytes   header length N, unsigned big-endian
    N bytes   header: a UTF-8 JSON object
    rest      payload

Request (``application/x-imgflow-images``), header
``{"encoding": "png" | "raw", "shape": [h, w, 3], "lengths": [n0, n1, ...]}``;
the payload is the images one after another, image i being ``lengths[i]``
bytes: a PNG file (8-bit RGB) or raw ``h*w*3`` uint8 bytes in row-major RGB order.

Response (``application/x-imgflow-embeddings``), header
``{"model": id, "version": v, "width": w, "count": n, "dtype": "<f4",
"errors": {"3": "message", ...}}``; the payload is ``count x width``
little-endian float32 values, row i for image i (a row of NaN where
``errors`` has an entry for i).

Only numpy and Pillow are used; nothing is ever unpickled.
"""

from __future__ import annotations

import io
import json
import struct

import numpy as np
from PIL import Image

MAGIC = b"IMF1"
IMAGES_TYPE = "application/x-imgflow-images"
EMBEDDINGS_TYPE = "application/x-imgflow-embeddings"
ENCODINGS = ("png", "raw")
MAX_HEADER_BYTES = 1 << 20
_PREFIX = struct.Struct(">4sI")


class WireError(ValueError):
    """A malformed frame (the server answers 400)."""


class WrongImageSize(ValueError):
    """An image whose size is not the model's input size (the server answers 422)."""


# -- frames ---------------------------------------------------------------

def pack_frame(header: dict, payload: bytes | list[bytes] = b"") -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    parts = payload if isinstance(payload, list) else [payload]
    return b"".join([_PREFIX.pack(MAGIC, len(head)), head, *parts])


def unpack_frame(body: bytes) -> tuple[dict, memoryview]:
    if len(body) < _PREFIX.size:
        raise WireError("body too short for an imgflow frame")
    magic, n = _PREFIX.unpack_from(body)
    if magic != MAGIC:
        raise WireError("not an imgflow frame (bad magic bytes)")
    if n > MAX_HEADER_BYTES or _PREFIX.size + n > len(body):
        raise WireError("frame header length is out of range")
    try:
        header = json.loads(bytes(body[_PREFIX.size:_PREFIX.size + n]))
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad JSON and numbers too long to convert;
        # RecursionError, arrays nested too deep: all the client's fault (400)
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise WireError(f"frame header is not valid JSON: {reason}") from None
    if not isinstance(header, dict):
        raise WireError("frame header must be a JSON object")
    return header, memoryview(body)[_PREFIX.size + n:]


# -- requests (client side) ------------------------------------------------

def encode_png(image: np.ndarray, compress_level: int = 1) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image, "RGB").save(buf, format="PNG",
                                       compress_level=compress_level)
    return buf.getvalue()


def encode_images(batch: np.ndarray, encoding: str = "png") -> bytes:
    """Frame a uint8 batch of shape (B, H, W, 3) as a request body."""
    batch = np.asarray(batch)
    if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[-1] != 3:
        raise ValueError(f"expected a uint8 (B, H, W, 3) batch, got "
                         f"{batch.dtype} {batch.shape}")
    if encoding == "png":
        blobs = [encode_png(img) for img in batch]
    elif encoding == "raw":
        blobs = [np.ascontiguousarray(img).tobytes() for img in batch]
    else:
        raise ValueError(f"unknown encoding {encoding!r}")
    header = {"encoding": encoding, "shape": list(batch.shape[1:]),
              "lengths": [len(b) for b in blobs]}
    return pack_frame(header, blobs)


# -- requests (server side) ------------------------------------------------

def parse_images_header(header: dict, payload_len: int) -> tuple[str, list[int]]:
    """Validate a request header; return (encoding, lengths)."""
    encoding = header.get("encoding")
    if encoding not in ENCODINGS:
        raise WireError(f"'encoding' must be one of {', '.join(ENCODINGS)}")
    lengths = header.get("lengths")
    if (not isinstance(lengths, list)
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                       for n in lengths)):
        raise WireError("'lengths' must be a list of non-negative integers")
    if sum(lengths) != payload_len:
        raise WireError(f"'lengths' add up to {sum(lengths)} bytes but the "
                        f"payload has {payload_len}")
    return encoding, lengths


def split_payload(payload: memoryview, lengths: list[int]) -> list[bytes]:
    out, pos = [], 0
    for n in lengths:
        out.append(bytes(payload[pos:pos + n]))
        pos += n
    return out


def decode_image(blob: bytes, encoding: str, size: tuple[int, int]) -> np.ndarray:
    """Decode one image to uint8 (H, W, 3).

    ``size`` is the model's (height, width).  Raises WrongImageSize for an
    image of any other size (the whole request is refused) and ValueError for
    an image that cannot be decoded (reported for that image only).
    """
    h, w = size
    if encoding == "raw":
        if len(blob) != h * w * 3:
            raise WrongImageSize(
                f"raw image has {len(blob)} bytes; the model takes {h}x{w} RGB "
                f"images ({h * w * 3} bytes)")
        return np.frombuffer(blob, dtype=np.uint8).reshape(h, w, 3)
    try:
        img = Image.open(io.BytesIO(blob), formats=["PNG"])
    except Exception as exc:  # noqa: BLE001 -- any decoder failure is per-image
        raise ValueError(f"cannot decode image: {exc}") from None
    if img.size != (w, h):
        raise WrongImageSize(
            f"image is {img.size[1]}x{img.size[0]} (height x width); the model "
            f"takes {h}x{w} images, as produced by ModelInfo.prepare")
    if img.mode != "RGB":
        raise ValueError(f"image mode is {img.mode}; expected 8-bit RGB")
    try:
        img.load()
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"cannot decode image: {exc}") from None
    return np.asarray(img, dtype=np.uint8)


# -- responses -------------------------------------------------------------

def encode_embeddings(vectors: np.ndarray, errors: dict[int, str], *,
                      model: str, version: str) -> bytes:
    vectors = np.ascontiguousarray(vectors, dtype="<f4")
    header = {"model": model, "version": version, "width": int(vectors.shape[1]),
              "count": int(vectors.shape[0]), "dtype": "<f4",
              "errors": {str(i): msg for i, msg in errors.items()}}
    return pack_frame(header, vectors.tobytes())


def decode_embeddings(body: bytes) -> tuple[dict, np.ndarray, dict[int, str]]:
    """Return (header, float32 (count, width) vectors, {index: error})."""
    header, payload = unpack_frame(body)
    try:
        count, width = int(header["count"]), int(header["width"])
        errors = {int(k): str(v) for k, v in header.get("errors", {}).items()}
    except (KeyError, TypeError, ValueError, AttributeError):
        raise WireError("response header lacks count/width/errors") from None
    if header.get("dtype", "<f4") != "<f4" or len(payload) != count * width * 4:
        raise WireError("response payload does not match its header")
    vectors = np.frombuffer(payload, dtype="<f4").reshape(count, width)
    return header, vectors.astype(np.float32), errors


# -- how a timm model fits images (in GET /v1/models) ----------------------

def preprocess_entry(info) -> dict:
    """What a client needs to prepare images for a model it does not know itself."""
    return {"resize": info.resize, "crop_fraction": float(info.crop_fraction),
            "resample": info.resample, "mean": [float(m) for m in info.mean],
            "std": [float(s) for s in info.std]}


def info_from_entry(entry: dict):
    """A ModelInfo from a server's listing entry with "preprocess"; WireError if malformed."""
    from imgflow.embedders.models.info import ModelInfo

    try:
        pre = entry["preprocess"]
        height, width = (int(v) for v in entry["input_size"])
        info = ModelInfo(
            id=str(entry["id"]), name=str(entry.get("name") or entry["id"]),
            width=int(entry["width"]), input_size=(height, width), needs_network=True,
            version=str(entry["version"]), description="served by an imgflow server",
            resize=str(pre["resize"]), crop_fraction=float(pre["crop_fraction"]),
            resample=str(pre["resample"]),
            mean=tuple(float(m) for m in pre["mean"]), std=tuple(float(s) for s in pre["std"]))
    except (KeyError, TypeError, ValueError):
        raise WireError("the server's model entry lacks how to prepare images") from None
    # the values come from the network: only what prepare() and embed() can use
    if not (info.resize in ("crop", "stretch") and info.resample in ("bilinear", "bicubic", "lanczos")
            and 0.1 <= info.crop_fraction <= 1.0 and len(info.mean) == len(info.std) == 3
            and min(info.std) > 0 and 8 <= min(info.input_size) and max(info.input_size) <= 2048
            and 0 < info.width <= 1 << 16):
        raise WireError("the server's model entry has preprocessing this imgflow cannot use")
    return info
