"""images.py: formats, modes and orientation all end as upright RGB."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from imgflow.embedders import images
from imgflow.embedders.images import ImageSkipped, load_thumbnail, open_rgb, read_bytes, read_size


def halves(size=(60, 40)) -> np.ndarray:
    """Left half red, right half blue: shows flips and turns."""
    w, h = size
    array = np.zeros((h, w, 3), np.uint8)
    array[:, : w // 2] = (255, 0, 0)
    array[:, w // 2:] = (0, 0, 255)
    return array


def decode(path, target=None) -> Image.Image:
    return open_rgb(read_bytes(path), target)


@pytest.mark.parametrize("name,fmt", [
    ("a.jpg", "JPEG"), ("a.png", "PNG"), ("a.bmp", "BMP"), ("a.gif", "GIF"),
    ("a.tif", "TIFF"), ("a.webp", "WEBP"), ("a.ppm", "PPM"),
])
def test_colour_formats_decode_to_rgb(rgb_file, name, fmt):
    path = rgb_file(name, halves(), format=fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {}))
    image = decode(path)
    assert image.mode == "RGB" and image.size == (60, 40)
    array = np.asarray(image, dtype=int)
    assert array[20, 5, 0] > 200 and array[20, 5, 2] < 60     # red on the left
    assert array[20, 55, 2] > 200 and array[20, 55, 0] < 60   # blue on the right
    assert read_size(path) == (60, 40)


@pytest.mark.parametrize("name,mode", [("g.pgm", "L"), ("b.pbm", "1"), ("n.pnm", "L")])
def test_netpbm_grey_and_bitmap(tmp_path, name, mode):
    grey = Image.fromarray((np.arange(40 * 60).reshape(40, 60) % 2 * 255).astype(np.uint8))
    path = tmp_path / name
    grey.convert(mode).save(path, format="PPM")
    image = decode(str(path))
    assert image.mode == "RGB" and image.size == (60, 40)
    assert {tuple(p) for p in np.asarray(image).reshape(-1, 3)} == {(0, 0, 0), (255, 255, 255)}


def test_gif_first_frame(tmp_path):
    frames = [Image.new("RGB", (20, 10), c) for c in ((255, 0, 0), (0, 255, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    assert decode(str(path)).getpixel((5, 5)) == (255, 0, 0)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_exif_orientation(rgb_file, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = rgb_file("o.jpg", halves(), quality=95, exif=exif.tobytes())
    image = decode(path)
    turned = orientation in (6, 8)
    assert image.size == ((40, 60) if turned else (60, 40))
    assert read_size(path) == image.size
    first = np.asarray(image, dtype=int)[2, 2]
    # where the red half ends up, by the EXIF meaning of each orientation
    red_first = {1: True, 3: False, 6: True, 8: False}[orientation]
    assert (first[0] > 200) == red_first and (first[2] > 200) != red_first


def test_palette_with_transparency_goes_over_white(tmp_path):
    palette = Image.new("P", (10, 10), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.putpixel((0, 0), 0)
    palette.info["transparency"] = 0
    path = tmp_path / "p.png"
    palette.save(path, transparency=0)
    image = decode(str(path))
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert image.getpixel((5, 5)) == (255, 0, 0)


def test_alpha_goes_over_white(rgb_file):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 1] = 200           # green ...
    rgba[:, :5, 3] = 255         # ... opaque on the left, transparent on the right
    rgba[:, 5:, 3] = 0
    image = decode(rgb_file("a.png", Image.fromarray(rgba, "RGBA")))
    assert image.getpixel((1, 1)) == (0, 200, 0)
    assert image.getpixel((8, 8)) == (255, 255, 255)


def test_grey_with_alpha(rgb_file):
    la = Image.new("LA", (4, 4), (50, 255))
    la.putpixel((0, 0), (50, 0))
    image = decode(rgb_file("la.png", la))
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert image.getpixel((3, 3)) == (50, 50, 50)


def test_16_bit_grey_keeps_its_range(tmp_path):
    values = np.full((8, 8), 32768, np.uint16)
    values[0, 0] = 65535
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    image = decode(str(path))
    # naive conversion clips at 255 and turns everything white
    assert image.getpixel((4, 4)) == (128, 128, 128)
    assert image.getpixel((0, 0)) == (255, 255, 255)


def test_cmyk_jpeg(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(path, quality=95)  # red ink
    r, g, b = decode(str(path)).getpixel((8, 8))
    assert r > 200 and g < 60 and b < 60


def test_draft_mode_decodes_large_jpeg_smaller_but_not_below_target(rgb_file):
    array = np.random.default_rng(0).integers(0, 255, (1200, 1600, 3), dtype=np.uint8)
    path = rgb_file("big.jpg", array, quality=90)
    assert decode(path).size == (1600, 1200)
    drafted = decode(path, target=(300, 300))
    assert drafted.size == (400, 300)  # 1/4 scale is the smallest still >= 300
    assert decode(path, target=(600, 600)).size == (800, 600)
    assert decode(path, target=(700, 700)).size == (1600, 1200)  # 1/2 too small


def test_draft_target_swaps_for_turned_jpeg(rgb_file):
    exif = Image.Exif()
    exif[0x0112] = 6
    array = np.zeros((1200, 1600, 3), np.uint8)
    path = rgb_file("turned.jpg", array, exif=exif.tobytes())
    # displayed 1200 wide, 1600 high; asking 300x400 allows 1/4 scale
    assert decode(path, target=(300, 400)).size == (300, 400)


def test_thumbnail_fits_and_keeps_aspect(rgb_file):
    path = rgb_file("t.png", halves((300, 100)))
    thumb = load_thumbnail(path, 60)
    assert thumb.mode == "RGB" and thumb.size == (60, 20)


def test_open_rgb_from_memory_and_empty_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (1, 2, 3)).save(buffer, "PNG")
    assert open_rgb(buffer.getvalue()).getpixel((0, 0)) == (1, 2, 3)
    with pytest.raises(ImageSkipped, match="empty"):
        open_rgb(b"")


def test_supported_extensions():
    assert {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp",
            ".ppm", ".pgm", ".pbm", ".pnm"} == images.SUPPORTED_EXTENSIONS
    assert all(e == e.lower() and e.startswith(".") for e in images.SUPPORTED_EXTENSIONS)
