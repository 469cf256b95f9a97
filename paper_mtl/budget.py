"""The paper profile's time budget on one GPU: the dry run's prediction, the measured wall times, and the two side
by side, each saved in the profile's figures folder (``figures/paper/``).

``budget.csv`` / ``budget.md`` hold the prediction (:func:`budget_table` from the dry run's :class:`~paper_mtl.cost.Cost`
records, under :class:`~paper_mtl.cost.GpuModel`); ``wall_times.csv`` the wall time of each notebook of the last
run that executed it (:func:`record_wall_times`); ``budget_check.csv`` / ``.md`` the measured over the predicted
seconds (:func:`budget_check`). Every file is written atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from paper_mtl import cost
from paper_mtl.profiles import PAPER_LEASES, check_profile
from paper_mtl.files import write_atomic
from paper_mtl.reporting import figures_root, git_commit


def profile_figures(profile: str) -> Path:
    """The folder of ``profile``'s run records: ``paper/`` under the figures root for the paper profile, the root
    itself otherwise."""
    return figures_root() / "paper" if check_profile(profile) == "paper" else figures_root()


def lease_of(notebook: str, leases: Sequence[Sequence[str]] = PAPER_LEASES) -> int:
    """The index of the lease in ``leases`` (notebook numbers) that runs ``notebook`` (a name ``NN_...``)."""
    for index, numbers in enumerate(leases):
        if notebook[:2] in numbers:
            return index
    raise ValueError(f"notebook {notebook!r} is in no GPU lease of {[list(lease) for lease in leases]}")


def together_name(numbers: Sequence[str]) -> str:
    """The budget row of the notebooks ``numbers`` run together in one lease, e.g. ``"together: 01 02 03"``."""
    return "together: " + " ".join(numbers)


def budget_table(costs: dict[str, list[cost.Cost]], dry_walls: dict[str, float], model: cost.GpuModel | None = None,
                 leases: Sequence[Sequence[str]] = PAPER_LEASES) -> pd.DataFrame:
    """One row per notebook, then one per GPU lease (``together: NN NN ...``: the notebooks of ``leases`` that ran,
    run together on one GPU): FLOPs, kernel launches and predicted seconds."""
    model = model or cost.GpuModel()
    rows, _ = cost.predict(costs, dry_walls, model)
    table = pd.DataFrame(rows)
    table["dry_run_s"] = [dry_walls[n] for n in table["notebook"]]
    groups: dict[int, list[str]] = {}
    for name in table["notebook"]:
        groups.setdefault(lease_of(name, leases), []).append(name)
    totals = []
    for index, names in sorted(groups.items()):
        part = table[table["notebook"].isin(names)]
        _, together = cost.predict({n: costs[n] for n in names}, {n: dry_walls[n] for n in names}, model)
        totals.append({"notebook": together_name([n[:2] for n in names]), "flops": part["flops"].sum(),
                       "ops": part["ops"].sum(), "gpu_busy_s": part["gpu_busy_s"].sum(), "total_s": together,
                       "dry_run_s": part["dry_run_s"].sum()})
    table = pd.concat([table, pd.DataFrame(totals)], ignore_index=True)
    table.insert(1, "TFLOP", table.pop("flops") / 1e12)
    table.insert(2, "kernels (M)", table.pop("ops") / 1e6)
    return table.rename(columns={"total_s": "predicted_s"})


def write_budget(table: pd.DataFrame, profile: str, model: cost.GpuModel | None = None) -> Path:
    """Save ``table`` as ``budget.csv`` and ``budget.md`` (with the model's constants) in the profile's folder."""
    model = model or cost.GpuModel()
    folder = profile_figures(profile)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "budget.csv", table.to_csv(index=False))
    note = (f"\n\nPredicted from a dry run at commit {git_commit()} (`python -m paper_mtl reproduce --profile {profile} "
            f"--dry-run`) by `paper_mtl.cost.GpuModel`: {model.flops_per_s / 1e12:g} TFLOP/s achieved, "
            f"{model.op_s * 1e6:g} µs to issue a kernel, at least {model.gpu_op_s * 1e6:g} µs of GPU time per kernel; "
            "host work measured on the dry run's CPU. Notebooks run together take the longest one's time, but at "
            "least the GPU's summed busy time; each `together` row is one GPU lease (`paper_mtl.profiles.PAPER_LEASES`).\n")
    write_atomic(folder / "budget.md", table.to_markdown(index=False, floatfmt=".3g") + note)
    return folder / "budget.csv"


def print_prediction() -> None:
    """Print the stored prediction of the paper profile (from its last dry run), or how to make one."""
    path = profile_figures("paper") / "budget.csv"
    if not path.exists():
        print("[paper_mtl] no predicted GPU time yet: python -m paper_mtl reproduce --profile paper --dry-run", flush=True)
        return
    table = pd.read_csv(path)
    print(f"[paper_mtl] predicted GPU time ({path}):", flush=True)
    print(table[["notebook", "TFLOP", "kernels (M)", "predicted_s"]].to_string(index=False), flush=True)


def record_wall_times(outcomes: Sequence[Any], profile: str, device: str, jobs: int) -> None:
    """Write each notebook's wall time to ``wall_times.csv`` in the profile's folder: ``outcomes`` have a
    ``notebook``, ``status`` and ``wall_s`` (:class:`paper_mtl.pipeline.Outcome`), ``device`` names the device and
    ``jobs`` is how many notebooks ran at once. Rows of notebooks not in this run are kept; when the profile has a
    predicted budget, the comparison is rewritten (:func:`write_budget_check`)."""
    path = profile_figures(profile) / "wall_times.csv"
    old = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=["notebook"])
    new = pd.DataFrame([
        {"notebook": o.notebook, "status": o.status, "wall_s": o.wall_s, "jobs": int(jobs), "device": device,
         "commit": git_commit()} for o in outcomes
    ])
    table = pd.concat([old[~old["notebook"].isin(new["notebook"])], new]).sort_values("notebook")
    table = table.astype({"jobs": int})  # a concat with an older file would make it a float column
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, table.to_csv(index=False))
    if (path.parent / "budget.csv").exists():
        write_budget_check(profile)


def budget_check(profile: str) -> pd.DataFrame:
    """The profile's predicted seconds (``budget.csv``, from the dry run) beside the measured ones
    (``wall_times.csv``, notebooks that finished), with their ratio, one row per notebook."""
    folder = profile_figures(profile)
    budget = pd.read_csv(folder / "budget.csv")
    walls = pd.read_csv(folder / "wall_times.csv")
    walls = walls[walls["status"] == "done"].astype({"jobs": int})
    walls["notebook"] = walls["notebook"].str.removesuffix(".ipynb")
    table = budget[["notebook", "predicted_s"]].merge(walls, on="notebook")
    table["measured / predicted"] = table["wall_s"] / table["predicted_s"]
    return table.rename(columns={"wall_s": "measured_s"})


def write_budget_check(profile: str) -> Path:
    """Save :func:`budget_check` as ``budget_check.csv`` and ``.md`` in the profile's figures folder."""
    table = budget_check(profile)
    folder = profile_figures(profile)
    write_atomic(folder / "budget_check.csv", table.to_csv(index=False))
    write_atomic(folder / "budget_check.md", table.to_markdown(index=False, floatfmt=".3g")
                 + "\n\nMeasured wall time of each notebook (``wall_times.csv``; `jobs` notebooks ran at once) against "
                   "the dry run's prediction (``budget.csv``).\n")
    return folder / "budget_check.csv"
