"""nbval catches a moved number: the probe notebook passes as stored, and fails once the library changes."""

import shutil
import subprocess
import sys
from pathlib import Path

PROBE = Path(__file__).parent / "probe" / "probe.ipynb"
SANITIZE = Path(__file__).parent / "nbval_sanitize.cfg"


def run_nbval(notebook: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE),
         "-p", "no:cacheprovider", "-q", str(notebook)],
        capture_output=True, text=True, env=env, cwd=notebook.parent,
    )


def test_probe_passes_as_stored(tmp_path):
    copy = tmp_path / "probe.ipynb"
    shutil.copy(PROBE, copy)
    result = run_nbval(copy)
    assert result.returncode == 0, result.stdout


def test_changing_a_library_number_fails_nbval(tmp_path):
    """A sitecustomize in the kernel's path shifts delta_m by 0.01: the stored 6.6211 no longer matches."""
    copy = tmp_path / "probe.ipynb"
    shutil.copy(PROBE, copy)
    patch = tmp_path / "patch"
    patch.mkdir()
    (patch / "sitecustomize.py").write_text(
        "import paper_mtl.metrics as m\n_orig = m.delta_m\nm.delta_m = lambda *a, **k: _orig(*a, **k) + 0.01\n"
    )
    result = run_nbval(copy, {"PYTHONPATH": str(patch)})
    assert result.returncode != 0
    assert "6.6311" in result.stdout and "6.6211" in result.stdout
