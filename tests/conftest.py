"""Shared test set-up: no screen, no user cache or settings touched."""
import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Embedding caches of the tests live in a throw-away folder, never the user's.
os.environ.setdefault("IMGFLOW_CACHE_DIR", tempfile.mkdtemp(prefix="imgflow-test-cache-"))
# So do the user's settings (trusted servers and their tokens).
os.environ["IMGFLOW_CONFIG_DIR"] = tempfile.mkdtemp(prefix="imgflow-test-config-")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real photos beside the repository; tests that need them skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data (real photos) is not present")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _own_user_settings(tmp_path_factory, monkeypatch):
    """Each test starts with no trusted servers: what one test trusts, the next does not."""
    monkeypatch.setenv("IMGFLOW_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(scope="session")
def dask_cluster():
    """A real Dask cluster on this machine: 2 worker processes of one thread each."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=":0")   # no fixed port to collide on
    yield cluster
    cluster.close()


def dask_tasks_run(cluster, prefix: str = "embed_task") -> int:
    """How many tasks named `prefix` the cluster's workers have finished, ever."""
    found = cluster.scheduler.task_prefixes.get(prefix)
    return found.state_counts["memory"] if found is not None else 0
