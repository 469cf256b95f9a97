"""Save figures and tables with their provenance, and keep the claims ledger ``figures/CLAIMS.md``.

Everything a notebook regenerates goes through a :class:`Report`: figures as png + pdf, tables as csv + md, under
``figures/<notebook>/``, each recorded in that folder's ``provenance.json`` with the profile, device, seed, package
version, git commit and the wall time since the report started. Claims are rows of ``figures/claims.json``
(rendered to ``CLAIMS.md``): ``paper | claim | published evidence | our evidence | profile | verdict``, where the
verdict is computed by :func:`verdict` from checks on numbers, never typed.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from paper_mtl import __version__
from paper_mtl.profiles import check_profile

REPRODUCED = "reproduced"
PARTLY = "partly"
NOT_REPRODUCED = "not reproduced"
NOT_TESTABLE = "not testable here"
VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED, NOT_TESTABLE)
COLUMNS = ("paper", "claim", "published evidence", "our evidence", "profile", "verdict")


def verdict(checks: Sequence[bool] | Mapping[str, bool]) -> str:
    """``reproduced`` if every check holds, ``partly`` if some do, ``not reproduced`` if none does."""
    values = [bool(v) for v in (checks.values() if isinstance(checks, Mapping) else checks)]
    if not values:
        raise ValueError("verdict needs at least one check; use NOT_TESTABLE when nothing could be measured")
    if all(values):
        return REPRODUCED
    return PARTLY if any(values) else NOT_REPRODUCED


def figures_root() -> Path:
    """``$PAPER_MTL_FIGURES`` if set, else ``figures/`` at the repository root."""
    env = os.environ.get("PAPER_MTL_FIGURES")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "figures"


def git_commit() -> str:
    """The repository's HEAD commit (``+dirty`` when the tree has uncommitted changes), or ``unknown``.

    What a run itself writes does not count as a change: figures/ and notebooks/ (executed in place), so the
    notebooks of one ``make reproduce`` all record the commit they ran from."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!figures", ":!notebooks"], cwd=root, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def device_name(device: str | torch.device) -> str:
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return "cpu"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _markdown(df: pd.DataFrame, index: bool) -> str:
    return df.to_markdown(index=index, floatfmt=".4g")


class Report:
    """The outputs of one notebook run: ``Report("03_task_grouping", "03 task grouping", profile, device, seed)``."""

    def __init__(
        self, notebook: str, paper: str, profile: str, device: str | torch.device = "cpu", seed: int = 0,
        root: str | Path | None = None,
    ) -> None:
        if not notebook[:2].isdigit() or not paper[:2].isdigit():
            raise ValueError(f"notebook and paper must start with the notebook number, got {notebook!r}, {paper!r}")
        self.notebook, self.paper = notebook, paper
        self.profile = check_profile(profile)
        self.device = device_name(device)
        self.seed = seed
        self.root = Path(root) if root else figures_root()
        self.directory = self.root / notebook
        self.started = time.perf_counter()
        self.commit = git_commit()

    def provenance(self) -> dict[str, Any]:
        return {
            "profile": self.profile, "device": self.device, "seed": self.seed, "version": __version__,
            "commit": self.commit, "wall_time_s": round(time.perf_counter() - self.started, 1),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }

    def _record(self, name: str, files: list[str]) -> dict[str, Any]:
        path = self.directory / "provenance.json"
        entries = json.loads(path.read_text()) if path.exists() else {}
        entries[name] = {"files": files, **self.provenance()}
        _write_atomic(path, json.dumps(entries, indent=1, sort_keys=True))
        return entries[name]

    def figure(self, fig: Any, name: str) -> Any:
        """Save ``fig`` as ``<name>.png`` and ``<name>.pdf`` with its provenance; returns the figure for display."""
        self.directory.mkdir(parents=True, exist_ok=True)
        files = []
        for ext, meta in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None})):
            path = self.directory / f"{name}.{ext}"
            tmp = path.with_name(f".{name}.{os.getpid()}.{ext}")
            fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight", metadata=meta)
            os.replace(tmp, path)
            files.append(path.name)
        self._record(name, files)
        return fig

    def table(self, df: pd.DataFrame, name: str, index: bool = False) -> pd.DataFrame:
        """Save ``df`` as ``<name>.csv`` and ``<name>.md`` (with a provenance footer); returns it for display."""
        self.directory.mkdir(parents=True, exist_ok=True)
        prov = self._record(name, [f"{name}.csv", f"{name}.md"])
        _write_atomic(self.directory / f"{name}.csv", df.to_csv(index=index))
        footer = f"\n\n_profile {prov['profile']}, device {prov['device']}, seed {prov['seed']}, commit {prov['commit']}_\n"
        _write_atomic(self.directory / f"{name}.md", _markdown(df, index) + footer)
        return df

    def claim(self, claim: str, published: str, ours: str, verdict: str) -> pd.DataFrame:
        """Add or update this paper's row for ``claim`` in the ledger; returns the row for display."""
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}; expected one of {VERDICTS} (compute it with verdict())")
        row = dict(zip(COLUMNS, (self.paper, claim, published, ours, self.profile, verdict)))
        update_claims(self.root, row)
        return pd.DataFrame([row])


def update_claims(root: Path, row: Mapping[str, str]) -> None:
    """Insert or replace the row with the same (paper, claim) in ``claims.json`` and re-render ``CLAIMS.md``."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "claims.json"
    rows = [r for r in (json.loads(path.read_text()) if path.exists() else []) if (r["paper"], r["claim"]) != (row["paper"], row["claim"])]
    rows.append(dict(row))
    rows.sort(key=lambda r: (r["paper"], r["claim"]))
    _write_atomic(path, json.dumps(rows, indent=1))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    counts = table["verdict"].value_counts().reindex(VERDICTS, fill_value=0)
    summary = ", ".join(f"{n} {v}" for v, n in counts.items())
    text = (
        "# Claims ledger\n\nEach paper claim, the published evidence, ours, the profile that produced it and the verdict "
        "computed from the numbers by `paper_mtl.reporting.verdict`. Regenerated by the notebooks; do not edit by hand.\n\n"
        f"Summary: {summary}.\n\n" + table.to_markdown(index=False) + "\n"
    )
    _write_atomic(root / "CLAIMS.md", text)
