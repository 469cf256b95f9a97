"""From the benchmark's runs to its tables: Δm per run against the same seed's single-task networks, paper 03's
groupings (:func:`grouping_runs`), the time ratios, and the per-method summary (:func:`summary`).

Δm is paper 04's Eq. 4 as a % drop (positive = worse than the single-task networks). Per run it is taken against
the single-task networks of the same seed, so a method's spread over seeds includes the reference's own noise. The
robust Δm use the attacked metrics on both sides: each task attacked alone (``robust_dm_alone``, paper 01's
single-task attack) or all tasks at once (``robust_dm_all``, its multi-task attack; a single-task network's "all"
is its one task).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from paper_mtl.claims import format_mean_se
from paper_mtl.grouping import Network, select_networks
from paper_mtl.metrics import delta_m

from paper_mtl.experiments.benchmark.config import TASK_SETS, task_objects
from paper_mtl.experiments.benchmark.methods import BASELINE

GROUPING_BUDGETS = (2.0, 3.0)
"""Paper 03's inference budgets (in networks of the benchmark's size) for the grouping rows."""
LENSES = {"delta_m": "Δm (%)", "robust_dm_alone": "robust Δm, one task attacked (%)",
          "robust_dm_all": "robust Δm, all tasks attacked (%)", "cos_sigma": "rolling σ of task-gradient cosines",
          "time_ratio": "time per batch / linear sum", "params": "parameters", "multiply_adds": "multiply-adds"}
"""The summary's lens columns and how the figures name them."""


def _reference(singles: pd.DataFrame, prefix: str, tasks: Sequence[str]) -> dict[str, float]:
    return {t: float(singles.loc[singles["tasks"] == t, f"{prefix}.{t}"].iloc[0]) for t in tasks}


def _task_values(row: Mapping[str, object], prefix: str, tasks: Sequence[str]) -> dict[str, float]:
    return {t: float(row[f"{prefix}.{t}"]) for t in tasks}


def grouping_runs(runs: pd.DataFrame, variant: str, budgets: Sequence[float] = GROUPING_BUDGETS) -> pd.DataFrame:
    """Paper 03's selection per seed and budget: among the single-task, pair and all-task networks trained with the
    plain sum (each costing 1), the set of at most ``budget`` networks with the lowest total validation loss, every
    task then read from the network that predicts it best on validation. One row per budget and seed, in the
    layout of ``runs`` (test and attacked metrics of the chosen networks, their summed parameters, multiply-adds and
    time per batch, no cosines), labelled ``grouping @ <budget>``; ``chosen`` names the networks."""
    tasks = list(TASK_SETS[variant])
    candidates = runs[(runs["kind"].isin(["single", "pair"])) | ((runs["kind"] == "method") & (runs["label"] == BASELINE))]
    rows = []
    for seed, group in candidates.groupby("seed", sort=True):
        by_name = {r["tasks"]: r for r in group.to_dict("records")}
        networks = [Network(name, 1.0, {t: float(r[f"val_loss.{t}"]) for t in name.split("+")}) for name, r in by_name.items()]
        for budget in budgets:
            selection = select_networks(networks, budget, tasks)
            chosen = [by_name[name] for name in selection.names]
            row = {"kind": "grouping", "label": f"grouping @ {budget:g}", "strategy": BASELINE, "architecture": "shared",
                   "tasks": "+".join(tasks), "seed": seed, "chosen": " | ".join(selection.names)}
            for prefix in ("metric", "attacked_alone", "attacked_all", "clean_subset"):
                row |= {f"{prefix}.{t}": by_name[selection.assignment[t]][f"{prefix}.{t}"] for t in tasks}
            row |= {k: float(sum(c[k] for c in chosen)) for k in ("params", "multiply_adds", "batch_s")}
            rows.append(row)
    return pd.DataFrame(rows)


def with_lenses(runs: pd.DataFrame, variant: str) -> pd.DataFrame:
    """The method and grouping rows of ``runs`` with ``delta_m``, ``robust_dm_alone``, ``robust_dm_all``,
    ``clean_dm_subset`` (Δm on the attacked images, clean; all against the same seed's single-task networks) and
    ``time_ratio`` (time per batch over the linear sum's, same seed)."""
    tasks = list(TASK_SETS[variant])
    higher = {t: task.higher_is_better for t, task in task_objects(variant).items()}
    rows = pd.concat([runs[runs["kind"] == "method"], grouping_runs(runs, variant)], ignore_index=True)
    out = []
    for row in rows.to_dict("records"):
        singles = runs[(runs["kind"] == "single") & (runs["seed"] == row["seed"])]
        baseline = runs[(runs["kind"] == "method") & (runs["label"] == BASELINE) & (runs["seed"] == row["seed"])]
        row["delta_m"] = delta_m(_task_values(row, "metric", tasks), _reference(singles, "metric", tasks), higher)
        for prefix in ("attacked_alone", "attacked_all"):
            row[f"robust_dm_{prefix.removeprefix('attacked_')}"] = delta_m(
                _task_values(row, prefix, tasks), _reference(singles, "attacked_alone", tasks), higher)
        row["clean_dm_subset"] = delta_m(_task_values(row, "clean_subset", tasks),
                                         _reference(singles, "clean_subset", tasks), higher)
        row["time_ratio"] = row["batch_s"] / float(baseline["batch_s"].iloc[0])
        out.append(row)
    return pd.DataFrame(out)


def summary(lensed: pd.DataFrame, variant: str) -> pd.DataFrame:
    """One row per method (and grouping), sorted by mean Δm: every lens as mean ± s.e. over seeds, each task's
    metric, the parameters and multiply-adds, and ``mean_*`` / ``se_*`` columns for the figures."""
    tasks = list(TASK_SETS[variant])
    rows = []
    for label, group in lensed.groupby("label", sort=False):
        row: dict[str, object] = {"method": label, "seeds": len(group)}
        for column in ("delta_m", "robust_dm_alone", "robust_dm_all", "cos_sigma", "time_ratio"):
            values = group[column].to_numpy(dtype=float)
            if np.isfinite(values).all():
                row[column] = format_mean_se(values, 3)
                row[f"mean_{column}"] = float(values.mean())
                row[f"se_{column}"] = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else np.nan
            else:
                row[column], row[f"mean_{column}"], row[f"se_{column}"] = "—", np.nan, np.nan
        row |= {t: format_mean_se(group[f"metric.{t}"].to_numpy(dtype=float), 3) for t in tasks}
        row |= {"params": int(group["params"].iloc[0]), "multiply_adds": int(group["multiply_adds"].iloc[0])}
        rows.append(row)
    return pd.DataFrame(rows).sort_values("mean_delta_m", kind="stable").reset_index(drop=True)


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`summary` without the figures' ``mean_*`` / ``se_*`` columns and without the time ratios (measured, so
    they differ from run to run; :func:`timing` shows them): what the notebook displays and nbval compares."""
    return table[[c for c in table.columns if not c.startswith(("mean_", "se_")) and c != "time_ratio"]]


def timing(table: pd.DataFrame) -> pd.DataFrame:
    """Each method's time per batch over the linear sum's (mean ± s.e. over seeds), from :func:`summary`."""
    return table[["method", "time_ratio"]]


def per_seed(lensed: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` as a table of methods × seeds (what the claims pair by seed)."""
    return lensed.pivot(index="label", columns="seed", values=column)
