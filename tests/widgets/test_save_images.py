"""Save Images: one folder per group, nothing overwritten or half-written, clear failures."""
import errno
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgflow.api import Cancelled, Context, WidgetError
from imgflow.data import Column, Table
from imgflow.widgets.save_images import SaveImages, writing
from tests.support.images import make_image_tree, make_photo


@pytest.fixture
def photos(tmp_path):
    return make_image_tree(tmp_path / "in", per_kind=2, kinds=("stripes", "discs"),
                           size=(200, 100))


def table(paths, **columns) -> Table:
    cols = [Column.text("image name", [Path(p).stem for p in paths]),
            Column.image("image", [str(p) for p in paths])]
    for name, values in columns.items():
        cols.append(Column.categorical(name, values, role="meta"))
    return Table.from_columns(cols)


def run(t, directory, ctx=None, **settings):
    ctx = ctx or Context()
    result = SaveImages().compute({"Data": t}, {**SaveImages.default_settings(),
                                                "directory": str(directory), **settings}, ctx)
    return result, ctx


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_originals_are_copied_unchanged_one_folder_per_cluster(photos, tmp_path):
    t = table(photos, Cluster=["C1", None, "C2", "C1"])
    result, _ = run(t, tmp_path / "out")
    out = files(tmp_path / "out")
    assert sorted(out) == ["C1/discs-0.jpg", "C1/stripes-1.jpg", "C2/stripes-0.jpg",
                           "unassigned/discs-1.jpg"]
    assert out["C1/discs-0.jpg"] == photos[0].read_bytes()
    saved = result.outputs["Data"].column("saved as").data
    assert saved[1] == str(tmp_path / "out" / "unassigned" / "discs-1.jpg")


def test_auto_groups_by_category_without_a_cluster_and_none_puts_all_in_one_folder(photos,
                                                                                   tmp_path):
    t = table(photos, category=["discs", "discs", "stripes", "stripes"])
    run(t, tmp_path / "a")
    assert sorted(files(tmp_path / "a")) == ["discs/discs-0.jpg", "discs/discs-1.jpg",
                                              "stripes/stripes-0.jpg", "stripes/stripes-1.jpg"]
    run(t, tmp_path / "b", group_by="none")
    assert sorted(files(tmp_path / "b")) == ["discs-0.jpg", "discs-1.jpg",
                                              "stripes-0.jpg", "stripes-1.jpg"]


def test_a_named_group_column_that_is_missing_is_a_clear_error(photos, tmp_path):
    with pytest.raises(WidgetError, match="no column 'Kind'.*'image name'"):
        run(table(photos), tmp_path / "out", group_by="Kind")


def test_group_values_become_safe_folder_names():
    assert writing.safe_name('a/b:c*?"<>|') == "a_b_c______"
    assert writing.safe_name("CON") == "_CON" and writing.safe_name("com1.txt") == "_com1.txt"
    assert writing.safe_name("..") == "_" and writing.safe_name(" dots. ") == "dots"
    assert writing.safe_name(None) == "unassigned" and writing.safe_name("") == "unassigned"


def test_running_twice_writes_nothing_new_and_never_overwrites(photos, tmp_path):
    t = table(photos)
    out = tmp_path / "out"
    out.mkdir()
    (out / "discs-0.jpg").write_bytes(b"someone else's file")
    first, _ = run(t, out, group_by="none")
    assert (out / "discs-0.jpg").read_bytes() == b"someone else's file"
    assert (out / "discs-0-1.jpg").read_bytes() == photos[0].read_bytes()
    before = files(out)
    second, _ = run(t, out, group_by="none")
    assert files(out) == before
    assert "4 image(s) saved" in second.info and "4 already there" in second.info
    assert list(second.outputs["Data"].column("saved as").data) == \
        list(first.outputs["Data"].column("saved as").data)


def test_replace_overwrites_what_was_there_but_not_what_this_run_wrote(tmp_path):
    a, b = tmp_path / "a" / "x.jpg", tmp_path / "b" / "x.jpg"
    for i, path in enumerate((a, b)):
        path.parent.mkdir()
        make_photo("checks", i).save(path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.jpg").write_bytes(b"old")
    run(table([a, b]), out, group_by="none", overwrite="replace")
    assert (out / "x.jpg").read_bytes() == a.read_bytes()
    assert (out / "x-1.jpg").read_bytes() == b.read_bytes()


def test_converting_to_png_with_a_maximum_size(photos, tmp_path):
    result, _ = run(table(photos[:1]), tmp_path / "out", format="png", max_size=50,
                    group_by="none")
    with Image.open(tmp_path / "out" / "discs-0.png") as image:
        assert image.format == "PNG" and image.size == (50, 25)


def test_jpeg_of_a_transparent_png_is_laid_over_white(tmp_path):
    source = tmp_path / "clear.png"
    Image.new("RGBA", (20, 10), (255, 0, 0, 0)).save(source)
    run(table([source]), tmp_path / "out", format="jpeg", group_by="none")
    with Image.open(tmp_path / "out" / "clear.jpg") as image:
        assert image.format == "JPEG" and image.getpixel((5, 5))[0] > 240


def test_original_format_resized_keeps_its_format(photos, tmp_path):
    run(table(photos[:1]), tmp_path / "out", max_size=100, group_by="none")
    with Image.open(tmp_path / "out" / "discs-0.jpg") as image:
        assert image.format == "JPEG" and image.size == (100, 50)


def test_unreadable_source_is_reported_per_file_and_the_rest_saved(photos, tmp_path):
    missing = tmp_path / "gone.jpg"
    result, ctx = run(table([photos[0], missing]), tmp_path / "out", group_by="none")
    saved = result.outputs["Data"].column("saved as").data
    assert saved[0] and saved[1] is None
    assert "1 image(s) could not be saved" in ctx.warnings[0] and "gone.jpg" in ctx.warnings[0]


def test_an_unwritable_folder_is_a_clear_error(photos, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(WidgetError, match="Cannot write to the folder"):
            run(table(photos), locked)
        with pytest.raises(WidgetError, match="Cannot make the folder"):
            run(table(photos), locked / "sub")
    finally:
        locked.chmod(0o700)


def test_a_folder_that_cannot_be_made_or_written_says_why(photos, tmp_path, monkeypatch):
    """The same refusals for a user (root) whom permissions do not stop: simulated."""
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")
    with monkeypatch.context() as m:
        m.setattr(Path, "mkdir", refuse)
        with pytest.raises(WidgetError, match="Cannot make the folder .*: no permission"):
            run(table(photos), tmp_path / "new")
    monkeypatch.setattr(writing.tempfile, "mkstemp", refuse)
    result, ctx = run(table(photos), tmp_path / "out", group_by="none")
    assert all(s is None for s in result.outputs["Data"].column("saved as").data)
    assert "4 image(s) could not be saved" in ctx.warnings[0] and "no permission" in ctx.warnings[0]


def test_no_folder_and_no_images_are_clear_errors(photos, tmp_path):
    with pytest.raises(WidgetError, match="No folder chosen"):
        run(table(photos), "")
    with pytest.raises(WidgetError, match="no image column"):
        run(Table(np.zeros((2, 1)), ("x",)), tmp_path)


def test_a_full_disk_stops_leaves_no_partial_file_and_says_so(photos, tmp_path, monkeypatch):
    real_fsync = os.fsync
    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)
    monkeypatch.setattr(writing.os, "fsync", fsync)
    out = tmp_path / "out"
    result, ctx = run(table(photos), out, group_by="none")
    assert sorted(files(out)) == ["discs-0.jpg"]            # no temporary left behind
    saved = result.outputs["Data"].column("saved as").data
    assert saved[0] and all(s is None for s in saved[1:])
    assert "the disk is full" in ctx.warnings[0] and "not tried" in ctx.warnings[0]


def test_cancel_stops_between_files(photos, tmp_path):
    ctx = Context(on_progress=lambda f: ctx.cancel() if f > 0 else None)
    with pytest.raises(Cancelled):
        run(table(photos), tmp_path / "out", ctx)
    written = files(tmp_path / "out")
    assert 0 < len(written) < 4 and all(name.endswith(".jpg") for name in written)


def test_a_name_taken_between_check_and_rename_is_not_overwritten(tmp_path, monkeypatch):
    folder = tmp_path
    real_link = os.link

    def racing_link(src, dst):
        if Path(dst).name == "x.jpg":          # another program takes the name first
            Path(dst).write_bytes(b"arrived meanwhile")
        return real_link(src, dst)
    monkeypatch.setattr(writing.os, "link", racing_link)
    path, written = writing.save_bytes(folder, "x", ".jpg", b"mine", False, set())
    assert (folder / "x.jpg").read_bytes() == b"arrived meanwhile"
    assert path == folder / "x-1.jpg" and path.read_bytes() == b"mine" and written
