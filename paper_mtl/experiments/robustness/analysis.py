"""What notebook 01 computes from the runs' DataFrames: Figure 5's largest-against-single comparison, the Table 1
and Table 2 analogues (λ_a chosen per pair, the long and wide tables, counts, the published side by side) and
Algorithm 1's table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from paper_mtl.claims import format_mean_se
from paper_mtl.experiments.robustness.published_tables import _better, published_table1, published_table2
from paper_mtl.experiments.robustness.config import PAPER_NAMES


def figure5_comparison(fig5: pd.DataFrame) -> pd.DataFrame:
    """Per tracked task: is its largest model better than its single-task model, clean and under each attack?"""
    rows = []
    for task, group in fig5.groupby("task", sort=False):
        single = group[group.n_tasks == 1]
        if single.empty or group.n_tasks.max() == 1:
            continue
        s, big = single.iloc[0], group[group.n_tasks == group.n_tasks.max()].iloc[0]
        hib = bool(s.higher_is_better)
        rows.append({
            "task": task, "single_model": s.model, "largest_model": big.model,
            "clean_better": _better(big.clean, s.clean, hib),
            "single_attack_better": _better(big.single_attack, s.single_attack, hib),
            "multi_attack_better": _better(big.multi_attack, s.multi_attack, hib),
        })
    return pd.DataFrame(rows, columns=["task", "single_model", "largest_model", "clean_better", "single_attack_better",
                                       "multi_attack_better"])


def choose_lambda(pairs: pd.DataFrame) -> pd.DataFrame:
    """Table 2 analogue: per (main, aux) the λ_a with the better robust (PGD) score; the Table 1 row uses it."""
    chosen = []
    for (main, aux), group in pairs[pairs.aux != "Baseline"].groupby(["main", "aux"], sort=False):
        hib = bool(group.higher_is_better.iloc[0])
        best = group.loc[group.pgd.idxmax() if hib else group.pgd.idxmin()]
        chosen.append(best)
    return pd.DataFrame(chosen).reset_index(drop=True)


def _baselines(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per main task: the baseline's mean clean and PGD score over its seeds, and the seeds' values (tuples)."""
    base = pairs[pairs.aux == "Baseline"]
    return base.groupby("main", sort=False).agg(
        clean=("clean", "mean"), pgd=("pgd", "mean"), clean_seeds=("clean", tuple), pgd_seeds=("pgd", tuple))


def table1(pairs: pd.DataFrame) -> pd.DataFrame:
    """Table 1 analogue in long form: one row per (main, aux) at the chosen λ_a, beside its baseline (the mean over
    the baseline's seeds; ``baseline_*_seeds`` hold the seeds' values).

    Columns: ``main``, ``aux``, ``lambda_a``, ``clean``, ``pgd``, ``baseline_clean``, ``baseline_pgd``,
    ``clean_better``, ``pgd_better`` ("bold" in the paper: better than the single-task model), then the seeds.
    """
    base = _baselines(pairs)
    chosen = choose_lambda(pairs)
    rows = []
    for _, row in chosen.iterrows():
        b = base.loc[row.main]
        hib = bool(row.higher_is_better)
        rows.append({
            "main": row.main, "aux": row.aux, "lambda_a": row.lambda_a, "higher_is_better": hib,
            "clean": row.clean, "pgd": row.pgd, "baseline_clean": b.clean, "baseline_pgd": b.pgd,
            "clean_better": _better(row.clean, b.clean, hib), "pgd_better": _better(row.pgd, b.pgd, hib),
            "baseline_clean_seeds": b.clean_seeds, "baseline_pgd_seeds": b.pgd_seeds,
        })
    return pd.DataFrame(rows)


def table1_wide(long: pd.DataFrame, setting: str) -> pd.DataFrame:
    """Table 1's layout: rows main task, columns ``Baseline`` (mean ± s.e. over its seeds) then each auxiliary task
    (paper names); ``setting`` is ``"clean"`` or ``"pgd"``. Cells better than the baseline's mean are bold
    (``**x**`` in Markdown), as the paper sets them; ``*`` is not used, since the paper's row labels use it."""
    if setting not in ("clean", "pgd"):
        raise ValueError(f"unknown setting {setting!r}; expected 'clean' or 'pgd'")
    rows = {}
    for main, group in long.groupby("main", sort=False):
        first = group.iloc[0]
        seeds = first.get(f"baseline_{setting}_seeds", first[f"baseline_{setting}"])
        row = {"Baseline": format_mean_se(seeds)}
        for _, r in group.iterrows():
            value = f"{r[setting]:.4g}"
            row[PAPER_NAMES[r.aux]] = f"**{value}**" if r[f"{setting}_better"] else value
        rows[PAPER_NAMES[main]] = row
    order = ["Baseline"] + [PAPER_NAMES[c] for c in PAPER_NAMES if any(PAPER_NAMES[c] in r for r in rows.values())]
    return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=order).fillna("—")


def table1_counts(long: pd.DataFrame) -> dict[str, float]:
    """Pairs that beat the single-task baseline under PGD and clean (the paper's text states its counts:
    :func:`stated_counts`)."""
    n = len(long)
    return {"pairs": n, "pgd_better": int(long.pgd_better.sum()), "clean_better": int(long.clean_better.sum()),
            "pgd_fraction": float(long.pgd_better.mean()) if n else float("nan"),
            "clean_fraction": float(long.clean_better.mean()) if n else float("nan")}


def table2_comparison(pairs: pd.DataFrame) -> pd.DataFrame:
    """Our chosen λ_a beside the published one, per (main, aux) we trained: ``agree`` where they match;
    ``robustly_best`` where the chosen λ_a's PGD score is the best of the pair's candidates (recomputed here, apart
    from :func:`choose_lambda`)."""
    models = pairs[pairs.aux != "Baseline"]
    oriented = models.pgd.where(models.higher_is_better.astype(bool), -models.pgd)
    best = oriented.groupby([models.main, models.aux]).max()
    chosen = choose_lambda(pairs)
    ours = chosen[["main", "aux", "lambda_a"]].assign(robustly_best=[
        bool(np.isclose(p if h else -p, best[(m, a)]))
        for m, a, p, h in zip(chosen.main, chosen.aux, chosen.pgd, chosen.higher_is_better.astype(bool))])
    theirs = published_table2().rename(columns={"lambda_a": "published_lambda_a"})
    merged = ours.merge(theirs, on=["main", "aux"], how="left")
    merged["agree"] = np.isclose(merged.lambda_a, merged.published_lambda_a)
    return merged


def published_subset(long: pd.DataFrame) -> pd.DataFrame:
    """The published Table 1 restricted to the (main, aux) pairs of ``long`` (ours), side by side with ours.

    ``published_*_better`` compares the printed values with the baseline's, as ours does, not the paper's bold
    marks (which disagree with the values in one PGD pair; see :func:`audit_table1`)."""
    pub = published_table1()
    wide = pub.pivot_table(index=["main", "aux"], columns="setting", values=["better"], aggfunc="first")
    wide.columns = [f"published_{setting}_better" for _, setting in wide.columns]
    merged = long.merge(wide.reset_index(), on=["main", "aux"], how="left")
    return merged[["main", "aux", "lambda_a", "clean_better", "published_clean_better", "pgd_better",
                   "published_pgd_better"]]


def algorithm1_table(alg1: pd.DataFrame) -> pd.DataFrame:
    """Algorithm 1's scores as the notebook shows them: per (main, aux, training), clean and PGD as mean ± s.e. over
    the seeds (:func:`paper_mtl.claims.format_mean_se`)."""
    rows = []
    for (main, aux, training), group in alg1.groupby(["main", "aux", "training"], sort=False):
        rows.append({"main": main, "aux": aux, "training": training, "seeds": len(group),
                     "higher_is_better": bool(group.higher_is_better.iloc[0]),
                     "clean": format_mean_se(group.clean), "pgd": format_mean_se(group.pgd)})
    return pd.DataFrame(rows)
