"""A real s3:// round trip against moto's local S3 server: the endpoint and keys come from
the environment (the user's configuration), never from the workflow file."""
from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")   # moto[server] (flask) runs a local S3

import imgflow  # noqa: E402
from imgflow import trusted_servers  # noqa: E402
from imgflow.embedders import storage  # noqa: E402
from imgflow.embedders.cache import EmbeddingCache  # noqa: E402
from imgflow.embedders.pipeline import embed_images  # noqa: E402
from tests.embedders.fakes import MeanColourModel  # noqa: E402
from tests.support.images import make_photo  # noqa: E402
from tests.support.workflows import one_node_workflow  # noqa: E402

BUCKET = "team-photos"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch, tmp_path):
    """An S3 filesystem on the local server, configured as a user would: environment only."""
    import s3fs
    for name, value in {"AWS_ENDPOINT_URL_S3": s3_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_CONFIG_FILE": str(tmp_path / "none"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():
        monkeypatch.setenv(name, value)
    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem()
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
    fs.rm(f"{BUCKET}/set", recursive=True) if fs.exists(f"{BUCKET}/set") else None
    for kind in ("discs", "stripes"):
        for i in range(2):
            out = io.BytesIO()
            make_photo(kind, i, (48, 36)).save(out, "JPEG")
            fs.pipe(f"{BUCKET}/set/{kind}/{kind}-{i}.jpg", out.getvalue())
    fs.pipe(f"{BUCKET}/set/discs/broken.jpg", b"not a jpeg")
    fs.invalidate_cache()
    yield fs
    s3fs.S3FileSystem.clear_instance_cache()


def shared_workflow(tmp_path, directory: str):
    """A workflow file that names a bucket, as someone else might send it."""
    return one_node_workflow(tmp_path, "imgflow.import_images", "Import Images",
                             {"directory": directory})


def test_a_bucket_the_user_names_is_read_one_named_by_the_file_is_not(s3, tmp_path):
    url = f"s3://{BUCKET}/set"
    path = shared_workflow(tmp_path, url)
    with pytest.raises(imgflow.WorkflowError, match=f"imgflow servers add s3://{BUCKET}"):
        imgflow.load(path).run(timeout=60)
    # the script's (or --set's) own value: read for this run, and not trusted afterwards
    out = imgflow.load(path).set("Import Images", directory=url).run(timeout=60)
    table = out["Import Images"]["Data"]
    assert list(table.column("image").data) == [
        f"{url}/discs/discs-0.jpg", f"{url}/discs/discs-1.jpg",
        f"{url}/stripes/stripes-0.jpg", f"{url}/stripes/stripes-1.jpg"]
    assert table.column("width").data.tolist() == [48] * 4
    assert table.column("category").categories == ("discs", "stripes")
    assert out.warnings["Import Images"] == [
        "1 file is not a readable image and was skipped: discs/broken.jpg (not an image file)"]
    assert not trusted_servers.storage_trusted(url)


def test_embedding_s3_images_twice_reads_them_once(s3, tmp_path, monkeypatch):
    import imgflow.widgets  # noqa: F401  (the loaders ask the user's trust)
    urls = [f"s3://{BUCKET}/set/{k}/{k}-{i}.jpg" for k in ("discs", "stripes") for i in range(2)]
    trusted_servers.add(f"s3://{BUCKET}")
    reads = []
    original = storage.read_bytes
    monkeypatch.setattr(storage, "read_bytes", lambda u, m: reads.append(u) or original(u, m))
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    try:
        first = embed_images(urls, MeanColourModel(), cache)
        assert first.n_computed == 4 and not first.skipped and sorted(reads) == sorted(urls)
        assert np.isfinite(first.vectors).all()
        reads.clear()
        again = embed_images(urls, MeanColourModel(), cache)
        assert again.n_cached == 4 and reads == []            # the ETag vouched for each
        np.testing.assert_array_equal(again.vectors, first.vectors)
        out = io.BytesIO()                                    # rewritten in place: a new ETag
        make_photo("noise", 3, (48, 36)).save(out, "JPEG")
        s3.pipe(urls[0].removeprefix("s3://"), out.getvalue())
        s3.invalidate_cache()
        third = embed_images(urls, MeanColourModel(), cache)
        assert third.n_computed == 1 and reads == [urls[0]]
        assert not np.array_equal(third.vectors[0], first.vectors[0])
    finally:
        cache.close()


def test_the_scan_asks_nothing_per_object_but_its_header(s3, monkeypatch):
    """The listing gives each object's size: one ranged GET per image, no HEAD request."""
    import s3fs
    from imgflow.api import Context
    from imgflow.widgets.import_images import ImportImages
    trusted_servers.add(f"s3://{BUCKET}")
    asked, fetched = [], []
    info, fetch = s3fs.S3FileSystem._info, s3fs.core.S3File._fetch_range
    monkeypatch.setattr(s3fs.S3FileSystem, "_info",
                        lambda self, path, **kw: asked.append(path) or info(self, path, **kw))
    monkeypatch.setattr(s3fs.core.S3File, "_fetch_range",
                        lambda self, a, b: fetched.append(self.path) or fetch(self, a, b))
    result = ImportImages().compute({}, {"directory": f"s3://{BUCKET}/set", "recursive": True,
                                         "recent": []}, Context())
    assert len(result.outputs["Data"]) == 4
    assert sorted(fetched) == sorted(s3.find(f"{BUCKET}/set"))      # the broken one too
    assert not [p for p in asked if p.endswith(".jpg")]

