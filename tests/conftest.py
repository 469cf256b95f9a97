"""Test-wide setup: notebooks executed by nbval write figures and sweep caches to a scratch folder.

The kernels nbval starts inherit this process's environment, so setting it here (before any kernel starts)
keeps the committed figures/ untouched and makes every golden run start from an empty sweep cache. A developer's
``PAPER_MTL_EXECUTOR`` (GPU workers, a Dask cluster) is dropped, so every sweep under test runs in-process.
"""

import os
import tempfile
from pathlib import Path

import pytest

from paper_mtl import published
from paper_mtl.pipeline import nbval_environment

os.environ.update(nbval_environment(Path(tempfile.mkdtemp(prefix="paper_mtl_tests_"))))
os.environ.pop("PAPER_MTL_EXECUTOR", None)


@pytest.fixture
def patch_published(monkeypatch):
    """``patch_published(name, change)``: from then on ``published.load(name)`` returns ``change`` of a copy of the
    real table (every other table as it is), so a test sees a claim's published evidence follow the package."""

    def patch(name, change):
        original = published.load

        def load(which, *args, **kwargs):
            table = original(which, *args, **kwargs)
            return change(table.copy()) if which == name else table

        monkeypatch.setattr(published, "load", load)

    return patch
