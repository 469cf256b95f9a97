"""Execute the notebooks with papermill: in place for readers (``run``/``reproduce``) or as nbval goldens.

Each notebook is executed into a temporary file beside its destination and renamed when it succeeds, so a
failing notebook never leaves a half-executed copy; the first failure stops the run and names the notebook.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from paper_mtl.profiles import check_profile

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GOLDEN = ROOT / "tests" / "notebooks"


def notebook_paths(numbers: Sequence[str] | None = None) -> list[Path]:
    """The notebooks in order, or those whose two-digit prefix is in ``numbers``."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if numbers:
        known = {p.name[:2]: p for p in paths}
        unknown = [n for n in numbers if n not in known]
        if unknown:
            raise ValueError(f"unknown notebook number(s) {unknown}; expected some of {sorted(known)}")
        paths = [known[n] for n in sorted(set(numbers))]
    return paths


class NotebookFailed(RuntimeError):
    """A notebook raised while papermill executed it."""


def execute(source: Path, destination: Path, parameters: dict[str, object], *, progress: bool = False) -> None:
    """Execute ``source`` with ``parameters`` into ``destination`` (atomically); ``progress`` shows papermill's bar
    of cells on the terminal."""
    import papermill

    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".ipynb", prefix=f".{destination.stem}.", dir=destination.parent)
    os.close(fd)
    try:
        papermill.execute_notebook(
            str(source), tmp, parameters=parameters, cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=progress
        )
    except Exception as exc:
        os.unlink(tmp)
        raise NotebookFailed(f"notebook {source.name} failed at profile {parameters.get('profile')!r}: {exc}") from exc
    os.chmod(tmp, 0o644)
    os.replace(tmp, destination)


def run(numbers: Sequence[str] | None, profile: str, device: str = "auto", seed: int = 0) -> list[Path]:
    """Execute notebooks in place at ``profile``, regenerating their figures/ and CLAIMS.md rows.

    The kernels run with ``TQDM_DISABLE=1`` unless it is set already, so the executed notebooks keep results rather
    than training progress bars; papermill's bar of cells shows progress on the terminal instead.
    """
    check_profile(profile)
    paths = notebook_paths(numbers)
    os.environ.setdefault("TQDM_DISABLE", "1")
    for path in paths:
        print(f"[paper_mtl] running {path.name} at profile={profile}", flush=True)
        execute(path, path, {"profile": profile, "device": device, "seed": seed}, progress=True)
    return paths


def golden(numbers: Sequence[str] | None = None) -> list[Path]:
    """Store smoke-profile executions under tests/notebooks/ as the nbval reference outputs.

    They run on CPU with figures and sweep caches in a temporary folder, exactly as the nbval suite runs them.
    """
    paths = notebook_paths(numbers)
    scratch = Path(tempfile.mkdtemp(prefix="paper_mtl_golden_"))
    os.environ.update(nbval_environment(scratch))
    written = []
    for path in paths:
        print(f"[paper_mtl] golden {path.name} at profile=smoke", flush=True)
        execute(path, GOLDEN / path.name, {"profile": "smoke", "device": "cpu", "seed": 0})
        written.append(GOLDEN / path.name)
    return written


def nbval_environment(scratch: Path) -> dict[str, str]:
    """Environment under which goldens are made and checked: outputs to ``scratch``, no progress bars.

    One intra-op thread: the results of CPU reductions may depend on the thread count, so goldens made on one
    machine must be checked with the same count on another (and tiny networks run fastest that way).
    """
    return {
        "PAPER_MTL_FIGURES": str(scratch / "figures"),
        "PAPER_MTL_CACHE": str(scratch / "cache"),
        "TQDM_DISABLE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
    }
