"""A shared workflow cannot send your images or secrets anywhere you did not choose.

Each test runs a real server in a subprocess that writes down every request
it gets (tests/remote/recording_server.py), so "nothing was sent" is checked
where it matters: on the server's side.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imgflow import trusted_servers
from imgflow.api import Context
from imgflow.data import Column, Table
from imgflow.headless import RunError, SettingOverride, run_workflow
from imgflow.registry import Registry
from imgflow.widgets.image_embedding import ImageEmbedding
from tests.remote.conftest import MODEL, ROOT, images_sent, workflow_file
from tests.support.images import make_image_tree

SECRET = "ghp_the-users-own-secret-0123456789"
_opened: list[str] | None = None     # files opened while a test watches (audit hook)


def _audit(event, args):
    if event == "open" and _opened is not None and isinstance(args[0], (str, bytes, os.PathLike)):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def opened_files():
    """Every file this process opens while the test runs (Python's audit hook "open")."""
    global _opened
    _opened = []
    yield _opened
    _opened = None


@pytest.fixture
def images(tmp_path) -> Path:
    folder = tmp_path / "photos"
    make_image_tree(folder, per_kind=1, size=(96, 72))
    return folder


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGFLOW_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def run(path: Path, *sets: str):
    overrides = [SettingOverride.parse(s) for s in sets]
    return run_workflow(path, Registry.discover(), overrides, timeout=120)


def test_an_untrusted_server_gets_nothing_and_the_reason_says_how_to_trust_it(
        recording_server, images, tmp_path, cache_dir):
    path = workflow_file(tmp_path, images, recording_server.url)
    with pytest.raises(RunError) as info:
        run(path)
    message = str(info.value)
    assert "\n" not in message
    assert f"imgflow servers add {recording_server.url}" in message
    # choosing "remote" on the command line does not make the file's server the user's choice
    with pytest.raises(RunError, match="imgflow servers add"):
        run(path, "Image Embedding.embedder=remote")
    assert recording_server.requests() == []


def test_a_server_named_with_set_is_the_users_choice_for_that_run_only(
        recording_server, images, tmp_path, cache_dir):
    path = workflow_file(tmp_path, images, "http://127.0.0.1:9")
    wf = run(path, f"Image Embedding.server_url={recording_server.url}")
    assert images_sent(recording_server) == 4            # every image went to the user's server
    assert wf.node_by_title("Image Embedding").settings["server_url"] == recording_server.url
    assert not trusted_servers.is_trusted(recording_server.url)   # not remembered
    assert trusted_servers.trusted_servers() == []


def test_a_trusted_server_gets_the_users_token_never_the_workflows_token_file(
        recording_server, images, tmp_path, cache_dir, opened_files, capsys):
    secret = tmp_path / "credentials"
    secret.write_text(SECRET + "\n")
    path = workflow_file(tmp_path, images, recording_server.url,
                         token_file={"relative": "credentials", "absolute": str(secret)})
    trusted_servers.add(recording_server.url, "the-users-token")
    opened_files.clear()                         # watch from here: the run, not the set-up
    stream = tmp_path / "progress.txt"
    with open(stream, "w") as out:
        run_workflow(path, Registry.discover(), [], stream=out, timeout=120)

    got = recording_server.requests()
    assert images_sent(recording_server) == 4
    assert {r["headers"].get("Authorization") for r in got} == {"Bearer the-users-token"}
    assert SECRET not in json.dumps(got)
    assert str(secret) not in opened_files and not any("credentials" in f for f in opened_files)
    warning = [line for line in stream.read_text().splitlines() if "token file" in line]
    assert len(warning) == 1
    assert f"imgflow servers add {recording_server.url} --token-file" in warning[0]
    assert "credentials" not in warning[0]       # the file's path is never suggested


def test_vectors_from_a_server_are_never_served_to_a_local_run(recording_server, local_model,
                                                               images, cache_dir):
    table = Table.from_columns([Column.image("image", sorted(str(p) for p in images.rglob("*.*")))])
    settings = {**ImageEmbedding.default_settings(), "embedder": "remote",
                "server_url": recording_server.url, "remote_model": MODEL}
    trusted_servers.add(recording_server.url)
    lie = ImageEmbedding().compute({"Images": table}, settings, Context())
    assert np.all(lie.outputs["Embeddings"].X == 7.0)        # what the hostile server said
    again = ImageEmbedding().compute({"Images": table}, settings, Context())
    assert again.view.n_cached == len(table)                 # cached, under the server's name

    local = ImageEmbedding().compute({"Images": table},
                                     {**settings, "embedder": MODEL}, Context())
    assert (local.view.n_cached, local.view.n_computed) == (0, len(table))
    assert not np.any(local.outputs["Embeddings"].X == 7.0)
    assert local.view.model == local_model.info.name


def test_imgflow_run_refuses_an_untrusted_server_in_one_line(recording_server, images, tmp_path):
    path = workflow_file(tmp_path, images, recording_server.url)
    env = dict(os.environ, PYTHONPATH=str(ROOT), IMGFLOW_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-m", "imgflow.cli", "run", str(path)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("imgflow: error: Image Embedding: ") and "imgflow servers add" in last
    assert "Traceback" not in done.stderr
    assert recording_server.requests() == []
