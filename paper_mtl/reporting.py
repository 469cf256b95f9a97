"""Save figures and tables with their provenance, and keep the claims ledger ``figures/CLAIMS.md``.

Everything a notebook regenerates goes through a :class:`Report`: figures as png + pdf, tables as csv + md, under
:func:`figures_dir` (``figures/<notebook>/`` for the smoke and quick profiles, ``figures/paper/<notebook>/`` for
paper), each file recorded in that folder's ``provenance.json`` with the profile, device, seed, package version, git
commit and the wall time since the report started. Claims are rows of ``figures/claims.json``, one per
(paper, claim, profile) with the columns :data:`COLUMNS`, where the verdict is that of a
:class:`paper_mtl.claims.Claim` (its rule, :data:`paper_mtl.claims.RULE`, heads the ledger), never typed; ``CLAIMS.md`` renders them with one line per claim and one evidence and verdict
column per profile. Every read-modify-write of ``claims.json`` or a ``provenance.json`` holds a file lock beside it
(``.claims.lock``, ``.provenance.lock``), so notebooks run concurrently in separate processes lose no row.
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
from filelock import FileLock

from paper_mtl import __version__
from paper_mtl.claims import AUDIT_VERDICT_NAMES, REPRODUCTION_VERDICTS, RULE, VERDICTS, Claim
from paper_mtl.files import atomic_path, write_atomic
from paper_mtl.profiles import PROFILES, check_profile

COLUMNS = ("paper", "claim", "published evidence", "our evidence", "profile", "verdict")
MISSING = "—"  # a CLAIMS.md cell for a profile that has no row for the claim
LOCK_TIMEOUT_S = 120  # seconds to wait for a ledger or provenance lock; a holder needs milliseconds



def figures_root() -> Path:
    """``$PAPER_MTL_FIGURES`` if set, else ``figures/`` at the repository root."""
    env = os.environ.get("PAPER_MTL_FIGURES")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "figures"


def figures_dir(notebook: str, profile: str, root: str | Path | None = None) -> Path:
    """The folder of ``notebook``'s figures and tables at ``profile``: ``<root>/paper/<notebook>/`` for the paper
    profile, ``<root>/<notebook>/`` for smoke and quick. ``root`` (default :func:`figures_root`) also holds the one
    ledger of every profile; notebook folders start with their number, so none is mistaken for ``paper/``."""
    base = Path(root) if root else figures_root()
    return base / "paper" / notebook if check_profile(profile) == "paper" else base / notebook


def git_commit() -> str:
    """The repository's HEAD commit (``+dirty`` when the tree has uncommitted changes), or ``unknown``.

    What a run itself writes does not count as a change: figures/ and notebooks/ (executed in place), so the
    notebooks of one ``make reproduce`` all record the commit they ran from. A copy of the repository without its
    ``.git`` (e.g. sent to a GPU machine) names its commit in ``$PAPER_MTL_COMMIT``."""
    if os.environ.get("PAPER_MTL_COMMIT"):
        return os.environ["PAPER_MTL_COMMIT"]
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


def _lock(path: Path) -> FileLock:
    """The lock guarding read-modify-writes of ``path``: ``.<stem>.lock`` beside it (left on disk; flock is released
    when its holder exits, so it never goes stale). Raises ``filelock.Timeout`` after :data:`LOCK_TIMEOUT_S`."""
    return FileLock(path.with_name(f".{path.stem}.lock"), timeout=LOCK_TIMEOUT_S)


def _markdown(df: pd.DataFrame, index: bool) -> str:
    return df.to_markdown(index=index, floatfmt=".4g")


def read_provenance(directory: str | Path) -> dict[str, dict[str, Any]]:
    """The entries of ``<directory>/provenance.json`` keyed by file name (``{}`` when there is none).

    An entry of the older shape, keyed by the name's stem with a ``files`` list, becomes one entry per listed file
    with the same fields, so folders written before per-file keys are read, and rewritten, without loss; where both
    shapes name a file, the per-file entry wins."""
    path = Path(directory) / "provenance.json"
    entries = json.loads(path.read_text()) if path.exists() else {}
    records = {
        file: {k: v for k, v in entry.items() if k != "files"}
        for entry in entries.values() if "files" in entry for file in entry["files"]
    }
    records.update({name: entry for name, entry in entries.items() if "files" not in entry})
    return records


def show_inline(fig: Any, png: Path) -> None:
    """In an IPython kernel, display the image file ``png`` as the cell's output and close ``fig``, so that an
    inline backend does not show it a second time; outside a kernel, do nothing."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if get_ipython() is None:
        return
    display(Image(filename=str(png)))
    import matplotlib.pyplot as plt

    plt.close(fig)


class Report:
    """The outputs of one notebook run: ``Report("03_task_grouping", "03 task grouping", profile, device, seed)``.

    Figures and tables go to ``directory`` = :func:`figures_dir` (notebook, profile, root); claims go to the ledger
    at ``root`` (default :func:`figures_root`), whatever the profile."""

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
        self.directory = figures_dir(notebook, profile, self.root)
        self.started = time.perf_counter()
        self.commit = git_commit()

    def provenance(self) -> dict[str, Any]:
        return {
            "profile": self.profile, "device": self.device, "seed": self.seed, "version": __version__,
            "commit": self.commit, "wall_time_s": round(time.perf_counter() - self.started, 1),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }

    def _record(self, files: Sequence[str], prov: Mapping[str, Any]) -> None:
        """Set ``prov`` as the provenance of each of ``files`` (names in ``directory``) in its provenance.json,
        under the folder's lock, so other Reports of the same folder in other processes lose no entry. Entries of
        files no longer in the folder are dropped."""
        path = self.directory / "provenance.json"
        with _lock(path):
            entries = {f: e for f, e in read_provenance(self.directory).items() if (self.directory / f).exists()}
            entries.update({file: dict(prov) for file in files})
            write_atomic(path, json.dumps(entries, indent=1, sort_keys=True))

    def figure(self, fig: Any, name: str) -> None:
        """Save ``fig`` as ``<name>.png`` and ``<name>.pdf`` with their provenance and, in a notebook, show the
        saved PNG inline (:func:`show_inline`), whatever the kernel's matplotlib backend."""
        self.directory.mkdir(parents=True, exist_ok=True)
        files = []
        for ext, meta in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None})):
            path = self.directory / f"{name}.{ext}"
            with atomic_path(path, f".{ext}") as tmp:
                fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight", metadata=meta)
            files.append(path.name)
        self._record(files, self.provenance())
        show_inline(fig, self.directory / f"{name}.png")


    def table(self, df: pd.DataFrame, name: str, index: bool = False) -> pd.DataFrame:
        """Save ``df`` as ``<name>.csv`` and ``<name>.md`` (with a provenance footer) with their provenance; returns
        it for display."""
        self.directory.mkdir(parents=True, exist_ok=True)
        prov = self.provenance()
        write_atomic(self.directory / f"{name}.csv", df.to_csv(index=index))
        footer = f"\n\n_profile {prov['profile']}, device {prov['device']}, seed {prov['seed']}, commit {prov['commit']}_\n"
        write_atomic(self.directory / f"{name}.md", _markdown(df, index) + footer)
        self._record([f"{name}.csv", f"{name}.md"], prov)
        return df

    def claim(self, claim: Claim) -> Claim:
        """Add or update this paper's row for ``claim`` at this profile in the ledger (the claim's label and quoted
        sentence, its published evidence, ours with the checks' outcome, and its verdict); returns the claim, which
        a notebook displays as its sentence, evidence, coloured verdict and checks."""
        if not isinstance(claim, Claim):
            raise TypeError(f"Report.claim takes a paper_mtl.claims.Claim, got {type(claim).__name__}")
        text = f"{claim.label}: “{claim.sentence}”"
        row = dict(zip(COLUMNS, (self.paper, text, claim.published, claim.evidence(), self.profile, claim.verdict)))
        update_claims(self.root, row)
        return claim


def _row_order(row: Mapping[str, str]) -> tuple[str, str, int]:
    """A row's key (paper, claim, profile), with the profile as its place in PROFILES so rows sort smoke first."""
    return row["paper"], row["claim"], PROFILES.index(row["profile"])


def read_claims(root: str | Path | None = None) -> list[dict[str, str]]:
    """The rows of ``<root>/claims.json`` (root defaults to :func:`figures_root`; ``[]`` when there is none).

    The file is only ever replaced whole, so reading needs no lock."""
    path = (Path(root) if root else figures_root()) / "claims.json"
    return json.loads(path.read_text()) if path.exists() else []


def _counts(rows: Sequence[Mapping[str, str]]) -> dict[str, dict[str, int]]:
    profiles = [p for p in PROFILES if any(r["profile"] == p for r in rows)]
    return {p: {v: sum(r["profile"] == p and r["verdict"] == v for r in rows) for v in VERDICTS} for p in profiles}


def ledger_summary(root: str | Path | None = None) -> dict[str, dict[str, int]]:
    """Verdict counts per profile of the ledger at ``root``: ``{profile: {verdict: n}}`` with the profiles that have
    at least one row, in PROFILES order, and every verdict of VERDICTS (in that order, zeros included)."""
    return _counts(read_claims(root))


def _counts_text(totals: Mapping[str, int]) -> str:
    """``"3 reproduced, 1 partly, ..."`` over the reproduction verdicts, then the audits apart when there are any:
    ``"...; audits of the papers' own numbers: 2 consistent, 0 partly consistent, 1 inconsistent"``."""
    text = ", ".join(f"{totals[v]} {v}" for v in REPRODUCTION_VERDICTS)
    if any(totals[v] for v in AUDIT_VERDICT_NAMES):
        text += "; audits of the papers' own numbers: " + ", ".join(f"{totals[v]} {v}" for v in AUDIT_VERDICT_NAMES)
    return text


def _cell(text: str) -> str:
    return text.replace("|", r"\|")


def render_claims(rows: Sequence[Mapping[str, str]]) -> str:
    """The text of ``CLAIMS.md`` for the ledger ``rows``.

    A header, the verdict counts per profile (``Summary at quick: 21 reproduced, ...; at paper: ...``) and a table
    with one line per (paper, claim), sorted: ``paper | claim | published evidence``, then ``our evidence (<p>) |
    verdict (<p>)`` for each profile ``p`` with at least one row, in PROFILES order, :data:`MISSING` where ``p`` has no
    row for the claim. The published evidence is that of the claim's row at the largest profile. ``|`` in a cell is
    escaped as ``\\|`` so every line keeps its columns."""
    counts = _counts(rows)
    claims: dict[tuple[str, str], dict[str, Mapping[str, str]]] = {}
    for row in rows:
        claims.setdefault((row["paper"], row["claim"]), {})[row["profile"]] = row
    lines = []
    for (paper, claim), by_profile in sorted(claims.items()):
        line = [paper, claim, by_profile[max(by_profile, key=PROFILES.index)]["published evidence"]]
        for profile in counts:
            row = by_profile.get(profile)
            line += [row["our evidence"], row["verdict"]] if row else [MISSING, MISSING]
        lines.append([_cell(text) for text in line])
    columns = ["paper", "claim", "published evidence"]
    columns += [f"{column} ({profile})" for profile in counts for column in ("our evidence", "verdict")]
    per_profile = "; ".join(f"at {p}: " + _counts_text(c) for p, c in counts.items())
    summary = f"Summary {per_profile}" if counts else "Summary: no claims yet"
    table = pd.DataFrame(lines, columns=columns).to_markdown(index=False)
    return (
        "# Claims ledger\n\nEach paper claim (its sentence quoted), the published evidence and, for each profile that "
        "has run, our evidence and the verdict computed from the numbers by `paper_mtl.claims.Claim.verdict` "
        f"({MISSING} where that profile has no row for the claim). Rendered from `claims.json`, regenerated by the "
        f"notebooks; do not edit by hand.\n\n**Verdict rule.** {RULE}\n\n{summary}.\n\n{table}\n"
    )


def update_claims(root: str | Path, row: Mapping[str, str]) -> None:
    """Insert or replace the row with the same (paper, claim, profile) in ``<root>/claims.json`` and re-render
    ``<root>/CLAIMS.md``, both under ``<root>/.claims.lock``, so writers in concurrent processes lose no row.

    ``row`` must have exactly the keys :data:`COLUMNS`, a profile of PROFILES and a verdict of VERDICTS
    (``ValueError`` otherwise). Rows are kept sorted by paper, claim and profile (in PROFILES order)."""
    if set(row) != set(COLUMNS):
        raise ValueError(f"a ledger row has exactly the keys {COLUMNS}, got {sorted(row)}")
    check_profile(row["profile"])
    if row["verdict"] not in VERDICTS:
        raise ValueError(f"unknown verdict {row['verdict']!r}; expected one of {VERDICTS} (a Claim computes it)")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = root / "claims.json"
    with _lock(path):
        rows = [r for r in read_claims(root) if _row_order(r) != _row_order(row)]
        rows.append({column: row[column] for column in COLUMNS})
        rows.sort(key=_row_order)
        write_atomic(path, json.dumps(rows, indent=1))
        write_atomic(root / "CLAIMS.md", render_claims(rows))


def drop_claims(root: str | Path, numbers: Sequence[str], profile: str) -> None:
    """Remove the rows of ``profile`` whose paper is one of the notebooks ``numbers`` (``"03"``, ...) from the ledger
    at ``root`` and re-render ``CLAIMS.md``: the runner calls it before those notebooks run again, so a claim a
    notebook no longer makes does not outlive it."""
    check_profile(profile)
    path = Path(root) / "claims.json"
    if not path.exists():
        return
    with _lock(path):
        rows = [r for r in read_claims(root)
                if not (r["profile"] == profile and r["paper"].split(" ", 1)[0] in set(numbers))]
        write_atomic(path, json.dumps(rows, indent=1))
        write_atomic(Path(root) / "CLAIMS.md", render_claims(rows))


README_START = "<!-- ledger summary: generated from figures/claims.json by `python -m paper_mtl ledger`; do not edit -->"
README_END = "<!-- end of ledger summary -->"


def ledger_table(rows: Sequence[Mapping[str, str]], profile: str) -> pd.DataFrame:
    """The verdict counts of ``profile``'s ledger ``rows``: one row per paper, one column per verdict (the audits'
    columns only where the profile has audits), and a ``total`` row."""
    totals = _counts(rows).get(check_profile(profile), dict.fromkeys(VERDICTS, 0))
    shown = [v for v in VERDICTS if v in REPRODUCTION_VERDICTS or any(totals[a] for a in AUDIT_VERDICT_NAMES)]
    papers = sorted({r["paper"] for r in rows if r["profile"] == profile})
    table = pd.DataFrame(
        [[sum(r["profile"] == profile and r["paper"] == paper and r["verdict"] == v for r in rows) for v in shown]
         for paper in papers], index=pd.Index(papers, name="paper"), columns=shown, dtype=int)
    table.loc["total"] = [totals[v] for v in shown]
    return table


def ledger_overview(profile: str, root: str | Path | None = None) -> pd.DataFrame:
    """:func:`ledger_table` of the ledger at ``root`` (default :func:`figures_root`): what notebook 01 opens with."""
    return ledger_table(read_claims(root), profile)


def readme_summary(rows: Sequence[Mapping[str, str]]) -> str:
    """The README's "what reproduces" block for the ledger ``rows``: for each profile that has run, the verdict
    counts, then a table of the counts per paper (one column per verdict)."""
    counts = _counts(rows)
    if not counts:
        return "No claim has a verdict yet."
    parts = []
    for profile, totals in counts.items():
        table = ledger_table(rows, profile).drop(index="total").reset_index()
        parts.append(f"**At `{profile}`** ({sum(totals.values())} claims): {_counts_text(totals)}."
                     f"\n\n{table.to_markdown(index=False)}")
    return "\n\n".join(parts)


def update_readme(readme: str | Path, root: str | Path | None = None) -> None:
    """Replace the block between :data:`README_START` and :data:`README_END` in ``readme`` by
    :func:`readme_summary` of the ledger at ``root``; ``ValueError`` when the markers are missing."""
    path = Path(readme)
    text = path.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no ledger summary block: add the lines {README_START!r} and {README_END!r}")
    block = f"{README_START}\n{readme_summary(read_claims(root))}\n{README_END}"
    write_atomic(path, text[:start] + block + text[end + len(README_END):])


def rerender(root: str | Path | None = None) -> None:
    """Re-render ``CLAIMS.md`` from ``claims.json`` at ``root`` (after a change of the rendering, not of a row)."""
    root = Path(root) if root else figures_root()
    with _lock(root / "claims.json"):
        write_atomic(root / "CLAIMS.md", render_claims(read_claims(root)))
