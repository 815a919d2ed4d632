"""Import Images on object storage: memory:// as any fsspec URL is read, s3:// against
moto's local server, and the trust a bucket named by a workflow file needs."""
from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest

fsspec = pytest.importorskip("fsspec")

from imgflow import trusted_servers  # noqa: E402
from imgflow.api import Context, WidgetError  # noqa: E402
from imgflow.headless import RunError, SettingOverride, run_workflow  # noqa: E402
from imgflow.registry import Registry  # noqa: E402
from imgflow.widgets.import_images import ImportImages  # noqa: E402
from imgflow.workflow import Workflow  # noqa: E402
from tests.support.images import make_photo  # noqa: E402
from tests.support.workflows import one_node_workflow


def jpeg(kind: str, seed: int, size=(64, 48)) -> bytes:
    out = io.BytesIO()
    make_photo(kind, seed, size).save(out, "JPEG")
    return out.getvalue()


def run(directory: str, recursive: bool = True):
    ctx = Context()
    result = ImportImages().compute({}, {"directory": directory, "recursive": recursive,
                                         "recent": []}, ctx)
    return result, ctx


@pytest.fixture
def bucket():
    """A folder of images in fsspec's memory filesystem, as a bucket would hold them."""
    fs = fsspec.filesystem("memory")
    root = f"/bucket-{uuid.uuid4().hex[:8]}"
    for kind in ("discs", "stripes"):
        for i in range(2):
            fs.pipe(f"{root}/{kind}/{kind}-{i}.jpg", jpeg(kind, i))
    fs.pipe(f"{root}/top.jpg", jpeg("checks", 0, (30, 20)))
    fs.pipe(f"{root}/discs/broken.png", b"\x89PNG not really")
    fs.pipe(f"{root}/discs/empty.jpg", b"")
    fs.pipe(f"{root}/notes.txt", b"not an image by its name")
    fs.pipe(f"{root}/.thumbs/hidden.jpg", jpeg("discs", 5))
    yield f"memory:/{root}"
    for key in [k for k in fs.store if k.startswith(root + "/")]:
        del fs.store[key]


def test_a_storage_url_gives_the_table_a_folder_gives(bucket):
    result, ctx = run(bucket)
    table = result.outputs["Data"]
    assert [c.name for c in table.columns] == ["image name", "image", "size", "width",
                                               "height", "category"]
    assert list(table.column("image").data) == [
        f"{bucket}/discs/discs-0.jpg", f"{bucket}/discs/discs-1.jpg",
        f"{bucket}/stripes/stripes-0.jpg", f"{bucket}/stripes/stripes-1.jpg",
        f"{bucket}/top.jpg"]
    assert list(table.column("image name").data)[-1] == "top"
    fs = fsspec.filesystem("memory")
    assert table.column("size").data.tolist() == [fs.size(u) for u in table.column("image").data]
    assert table.column("width").data.tolist() == [64, 64, 64, 64, 30]
    assert table.column("height").data.tolist() == [48, 48, 48, 48, 20]
    category = table.column("category")
    assert category.categories == ("discs", "stripes") and category.role == "class"
    assert list(category.data)[:4] == ["discs", "discs", "stripes", "stripes"]
    # the same skip reasons as local files; hidden and non-image names are not looked at
    assert ctx.warnings == ["2 files are not readable images and were skipped: "
                            "discs/broken.png (not an image file); discs/empty.jpg (file is empty)"]
    assert result.view.skipped == (("discs/broken.png", "not an image file"),
                                   ("discs/empty.jpg", "file is empty"))
    assert result.view.directory == bucket and "5 images, 2 categories" in result.info


def test_without_recursion_only_the_top_level_objects(bucket):
    result, _ = run(bucket + "/", recursive=False)
    table = result.outputs["Data"]
    assert list(table.column("image").data) == [f"{bucket}/top.jpg"]
    assert not table.has_column("category")


def test_the_loader_opens_the_urls_the_table_holds(bucket):
    from imgflow.embedders.images import load_thumbnail
    table = run(bucket)[0].outputs["Data"]
    assert load_thumbnail(table.column("image").data[0], 32).size == (32, 24)


@pytest.mark.parametrize("directory, message", [
    ("memory://no-such-bucket/x", "Folder not found: memory://no-such-bucket/x"),
    ("s3://key:secret@bucket/x", "credentials in a URL are never used"),
    ("gopher://host/x", "nor a storage URL fsspec knows"),
])
def test_bad_urls_are_one_line_errors(directory, message):
    with pytest.raises(WidgetError, match=message):
        run(directory)


def test_a_missing_protocol_package_is_a_one_line_error_naming_it(monkeypatch):
    from fsspec.registry import known_implementations
    monkeypatch.setitem(known_implementations, "fakecloud",
                        {"class": "imgflow_no_such_package.FS", "err": "Install it"})
    trusted_servers.add("fakecloud://bucket")
    with pytest.raises(WidgetError) as error:
        run("fakecloud://bucket/photos")
    assert str(error.value) == ("Cannot read fakecloud://bucket/photos: fakecloud:// URLs need "
                                "imgflow_no_such_package: pip install fsspec "
                                "imgflow_no_such_package")


def test_an_empty_prefix_warns_and_outputs_nothing():
    fsspec.filesystem("memory").pipe("/lonely/readme.txt", b"x")
    result, ctx = run("memory://lonely")
    assert result.outputs["Data"] is None
    assert ctx.warnings == ["No images found in memory://lonely."]


def test_a_file_url_is_the_local_folder(tmp_path):
    folder = tmp_path / "my photos"
    folder.mkdir()
    make_photo("discs", 0, (40, 30)).save(folder / "a.jpg")
    table = run(folder.as_uri())[0].outputs["Data"]
    assert list(table.column("image").data) == [str(folder / "a.jpg")]
    with pytest.raises(WidgetError, match="another computer"):
        run("file://server/share")


# -- trust -----------------------------------------------------------------------------------------

def shared_workflow(tmp_path: Path, directory: str) -> Path:
    """A workflow file that names a bucket, as someone else might send it."""
    return one_node_workflow(tmp_path, "imgflow.import_images", "Import Images",
                             {"directory": directory})


@pytest.fixture
def never_read(monkeypatch):
    """Fails the test if anything asks fsspec for a filesystem."""
    import fsspec.core
    monkeypatch.setattr(fsspec.core, "url_to_fs", lambda *a, **k: pytest.fail("read the bucket"))


def test_a_bucket_named_by_a_workflow_file_is_refused_headless(tmp_path, never_read):
    path = shared_workflow(tmp_path, "s3://someone-bucket/photos")
    with pytest.raises(RunError) as error:
        run_workflow(path, Registry([ImportImages]), stream=io.StringIO())
    message = str(error.value)
    assert "reads images from s3://someone-bucket with your own cloud credentials" in message
    assert "imgflow servers add s3://someone-bucket" in message and "--set" in message
    assert "\n" not in message.split("error: ")[-1]
    assert trusted_servers.trusted_servers() == []


def test_the_canvas_asks_before_reading_and_trust_is_per_bucket():
    wf = Workflow(Registry([ImportImages]))
    node = wf.add_node("imgflow.import_images")
    wf.set_settings(node, {"directory": "s3://someone-bucket/photos"})
    assert trusted_servers.untrusted_in(wf) == {"s3://someone-bucket": [node.id]}
    trusted_servers.add("s3://someone-bucket/anything")
    assert trusted_servers.untrusted_in(wf) == {}
    assert trusted_servers.storage_trusted("s3://someone-bucket/other/prefix")
    assert not trusted_servers.storage_trusted("s3://someone-bucket-2/photos")
    assert not trusted_servers.storage_trusted("gs://someone-bucket/photos")
    assert not trusted_servers.is_trusted("s3://someone-bucket")   # not an embedding server
    wf.set_settings(node, {"directory": "memory://anything"})      # in this process: no asking
    assert ImportImages.sends_to(node.settings) == []


def test_the_loader_refuses_urls_of_untrusted_buckets_in_any_table(never_read):
    import imgflow.widgets  # noqa: F401  (installs the user's trust as the loaders' policy)
    from imgflow.embedders import storage
    from imgflow.embedders.images import ImageSkipped, read_bytes
    assert storage._policy is trusted_servers.storage_refusal
    with pytest.raises(ImageSkipped, match=r"refused: s3://theirs is not trusted "
                                           r"\(imgflow servers add s3://theirs\)"):
        read_bytes("s3://theirs/cat.jpg")


def test_the_prompt_says_what_reading_a_bucket_means():
    pytest.importorskip("PyQt5")
    from imgflow.gui.trust_prompt import question_text
    text = question_text(["s3://someone-bucket"], ["Import Images"])
    assert text.startswith("This workflow reads images from s3://someone-bucket with your "
                           "cloud credentials: allow?")
    both = question_text(["http://gpu:8750", "s3://b"], ["A", "B"])
    assert both.startswith("This workflow sends your images to http://gpu:8750 and reads "
                           "images from s3://b")


def test_a_set_url_is_kept_as_typed(tmp_path, never_read):
    from imgflow.headless import apply_override, user_destinations
    from imgflow.workflow import load
    path = shared_workflow(tmp_path, str(tmp_path))
    wf = load(path, Registry([ImportImages]))
    override = SettingOverride.parse("Import Images.directory=s3://mine/photos")
    apply_override(wf, override)
    assert next(iter(wf.nodes.values())).settings["directory"] == "s3://mine/photos"
    assert user_destinations(wf, [override]) == ["s3://mine/photos"]


# -- the window ------------------------------------------------------------------------------------

def test_a_url_typed_in_the_window_is_the_users_choice(qtbot, monkeypatch):
    from PyQt5.QtCore import Qt
    from PyQt5.QtWidgets import QInputDialog

    import fsspec.core
    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel
    from imgflow.gui.qtpost import QtPoster

    def no_network(url):
        raise PermissionError("denied")      # stands in for the bucket's answer
    monkeypatch.setattr(fsspec.core, "url_to_fs", no_network)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (" s3://mine/photos ", True))
    wf = Workflow(Registry([ImportImages]))
    node = wf.add_node("imgflow.import_images")
    engine = Engine(wf, post=QtPoster())
    try:
        panel = open_panel(wf, engine, node)
        qtbot.addWidget(panel)
        qtbot.mouseClick(panel.url_button, Qt.LeftButton)
        assert node.settings["directory"] == "s3://mine/photos"
        assert node.settings["recent"] == ["s3://mine/photos"]
        assert trusted_servers.storage_trusted("s3://mine/photos")
        qtbot.waitUntil(engine.is_idle)
        # trusted, so it was read: the bucket's own answer is the message
        assert panel.info.text() == "Cannot read s3://mine/photos: no permission"
        assert panel.folder_combo.itemText(0) == "s3://mine/photos"
    finally:
        engine.shutdown()


def test_the_window_takes_no_web_page_for_a_bucket(qtbot, monkeypatch):
    from PyQt5.QtCore import Qt
    from PyQt5.QtWidgets import QInputDialog

    from imgflow.engine import Engine
    from imgflow.gui.panel import open_panel

    monkeypatch.setattr(QInputDialog, "getText",
                        lambda *a, **k: ("https://example.com/photos", True))
    wf = Workflow(Registry([ImportImages]))
    node = wf.add_node("imgflow.import_images")
    engine = Engine(wf)
    try:
        panel = open_panel(wf, engine, node)
        qtbot.addWidget(panel)
        qtbot.mouseClick(panel.url_button, Qt.LeftButton)
        assert node.settings["directory"] == "" and trusted_servers.trusted_servers() == []
        assert panel.info.text().startswith("Not an object-storage URL: https://example.com")
    finally:
        engine.shutdown()
