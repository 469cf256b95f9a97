"""Tables and figures of notebook 04 from the runs: the paper's tables with our rows beside the published ones,
Figure 5 (Δm against parameters and multiply-adds), the Δm of table rows, and what the notebook shows of the
seeded and probed rows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from paper_mtl.claims import format_mean_se
from paper_mtl.metrics import delta_m
from paper_mtl.profiles import check_choice

from paper_mtl.experiments.single_tasking.audit import published_table
from paper_mtl.experiments.single_tasking.data import DATASETS, HIGHER_IS_BETTER, dataset_tasks
from paper_mtl.experiments.single_tasking.runs import run_rows
from paper_mtl.experiments.single_tasking.config import (
    ALL_TABLES,
    LABELS,
    PROBED,
    SETTINGS,
    TABLES,
    _rows,
    printed_backbone,
)
from paper_mtl.experiments.single_tasking.config import settings as profile_settings

# ----------------------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------------------


def run_table(name: str, profile: str, seed: int = 0, device: str = "cpu", progress: bool = True) -> pd.DataFrame:
    """Paper table ``name`` (``"3a"`` ... ``"7"``): our rows beside the published ones.

    Columns: backbone (as printed), variant, label, source (``paper`` / ``ours``), T, the task metrics, delta_m,
    params and multiply_adds (ours only). Our Δm is recomputed from our metrics; the paper's is as printed. A
    table the profile does not train (see :func:`profile_tables`) has the paper's rows only.
    """
    check_choice("table", name, TABLES)
    spec = TABLES[name]
    tasks = list(DATASETS[spec.dataset].tasks)
    columns = ["backbone", "variant", "label", "source", "T", *tasks, "delta_m", "params", "multiply_adds"]
    paper = published_table(spec.published).rename(columns={"num_tasks": "T"})
    paper["source"] = "paper"
    paper["label"] = paper["variant"].map(LABELS)
    if name not in profile_settings(profile).tables:
        table = paper.reindex(columns=columns)
    else:
        ours = run_rows(spec.rows, spec.dataset, profile, seed, device, progress)
        ours["backbone"] = [printed_backbone(b, d) for b, d in zip(ours["backbone"], ours["decoder"])]
        ours["source"] = "ours"
        frames = []
        for _, mine in ours.iterrows():
            frames.append(paper[(paper["backbone"] == mine["backbone"]) & (paper["variant"] == mine["variant"])])
            frames.append(mine.to_frame().T)
        table = pd.concat([f.reindex(columns=columns) for f in frames], ignore_index=True)
    for col in [*tasks, "delta_m", "params", "multiply_adds"]:
        table[col] = pd.to_numeric(table[col])
    table["T"] = table["T"].astype(int)
    return table


def table_rows(table: pd.DataFrame, source: str = "ours") -> dict[tuple[str, str], pd.Series]:
    """``{(backbone, variant): row}`` of one source of a :func:`run_table` result."""
    part = table[table["source"] == source]
    return {(r["backbone"], r["variant"]): r for _, r in part.iterrows()}


# ----------------------------------------------------------------------------------------------------------
# Figure 5: accuracy against parameters and multiply-adds
# ----------------------------------------------------------------------------------------------------------


def resources(profile: str, seed: int = 0, device: str = "cpu", progress: bool = True) -> pd.DataFrame:
    """Fig. 5: Δm of every variant on PASCAL against its parameters and multiply-adds, per backbone.

    The R-26 backbone contributes the profile's ``figure5_variants``; when the profile trains Table 3(e), R-50 and
    R-101 contribute its rows (single-task, multi-task, SEA). Δm is measured against the single-task networks of the
    deepest backbone trained (the paper uses R-101); ``delta_m_same`` against the same backbone's.
    """
    settings = profile_settings(profile)
    rows = list(_rows([PROBED["pascal"]], settings.figure5_variants))
    if "3e" in settings.tables:
        rows += [r for r in TABLES["3e"].rows if r[0] != PROBED["pascal"]]
    df = run_rows(rows, "pascal", profile, seed, device, progress).drop(columns="probes")
    deepest = df["backbone"].iloc[-1]
    reference = df[(df["backbone"] == deepest) & (df["variant"] == "single")].iloc[0]
    tasks = list(DATASETS["pascal"].tasks)
    df["delta_m_same"] = df["delta_m"]
    df["delta_m"] = [delta_m(r[tasks].to_dict(), reference[tasks].to_dict(), HIGHER_IS_BETTER) for _, r in df.iterrows()]
    df["reference"] = f"{deepest} single-task"
    return df



# ----------------------------------------------------------------------------------------------------------
# Δm of table rows, and of the seeded rows of the decisive comparisons
# ----------------------------------------------------------------------------------------------------------


def row_delta(table: pd.DataFrame, source: str, backbone: str, variant: str, reference: str | None = None) -> float:
    """Δm of a row of a :func:`run_table` result: as listed, or recomputed against the ``reference`` variant's row
    (same backbone and source) over the task columns both have; NaN when a row or value is missing."""
    rows = table_rows(table, source)
    if (backbone, variant) not in rows or (reference is not None and (backbone, reference) not in rows):
        return float("nan")
    row = rows[(backbone, variant)]
    if reference is None:
        return float(row["delta_m"])
    base = rows[(backbone, reference)]
    tasks = [t for t in HIGHER_IS_BETTER if t in row and not pd.isna(row[t]) and not pd.isna(base[t])]
    if not tasks:
        return float("nan")
    return delta_m({t: float(row[t]) for t in tasks}, {t: float(base[t]) for t in tasks}, HIGHER_IS_BETTER)


def seeded_summary(seeds: pd.DataFrame) -> pd.DataFrame:
    """Mean ± s.e. over seeds of each seeded variant's metrics and Δm (how the notebook shows them)."""
    columns = [c for c in seeds.columns if c not in ("seed", "backbone", "variant")]
    return pd.DataFrame([{"backbone": b, "variant": v, "seeds": len(part),
                          **{c: format_mean_se(part[c].to_numpy()) for c in columns}}
                         for (b, v), part in seeds.groupby(["backbone", "variant"], sort=False)])


def probes_of(table: pd.DataFrame, variant: str) -> dict[str, Any]:
    """The probes of our ``variant`` row of a :func:`run_rows` result."""
    row = table[table["variant"] == variant]
    if row.empty or row.iloc[0]["probes"] is None:
        raise ValueError(f"no probes for variant {variant!r}: probed rows are {list(table['variant'][table['probes'].notna()])}")
    return row.iloc[0]["probes"]


def profile_tables() -> pd.DataFrame:
    """Which tables each profile trains (stated in the notebook)."""
    return pd.DataFrame([{"table": name, "title": TABLES[name].title,
                          **{p: name in SETTINGS[p].tables for p in SETTINGS}} for name in ALL_TABLES])


def display_kinds(dataset: str, source: str | None = None) -> dict[str, tuple[str, int]]:
    """How each task of ``dataset`` (from ``source``, default :func:`data_source`) is drawn in Figs. 7-8:
    (``label`` | ``binary`` | ``normal`` | ``rgb`` | ``map``, number of classes)."""
    kinds = {}
    for name, task in dataset_tasks(dataset, source).items():
        if task.is_classification:
            kinds[name] = ("label", task.channels)
        elif task.loss == "balanced_bce":
            kinds[name] = ("binary", 1)
        else:
            kinds[name] = ({"norm": "normal", "albedo": "rgb"}.get(name, "map"), 1)
    return kinds
