"""Test-wide setup: notebooks executed by nbval write figures and sweep caches to a scratch folder.

The kernels nbval starts inherit this process's environment, so setting it here (before any kernel starts)
keeps the committed figures/ untouched and makes every golden run start from an empty sweep cache.
"""

import os
import tempfile
from pathlib import Path

from paper_mtl.pipeline import nbval_environment

os.environ.update(nbval_environment(Path(tempfile.mkdtemp(prefix="paper_mtl_tests_"))))
