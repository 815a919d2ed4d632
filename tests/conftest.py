"""Shared test set-up: no screen, no user cache touched."""
import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Embedding caches of the tests live in a throw-away folder, never the user's.
os.environ.setdefault("IMGFLOW_CACHE_DIR", tempfile.mkdtemp(prefix="imgflow-test-cache-"))

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real photos beside the repository; tests that need them skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data (real photos) is not present")
    return SHARED_DATA
