"""The cross-paper questions the benchmark can answer, each a :class:`~paper_mtl.claims.Claim` with decisive checks.

* :func:`sigma_claim`: paper 05's thesis beyond its own method: across methods, does a lower (rolling) σ of the
  task-gradient cosines go with a better Δm?
* :func:`robustness_claim`: paper 01's thesis whatever the weighting: is each multi-task network more robust than
  the single-task networks?
* :func:`linear_sum_claim`: does any weighting or aggregation improve on the linear sum of losses beyond noise? (Each
  method was proposed as one that does; paper 05 says so of Kendall's, GradNorm and CosReg on NYUv2.)

They read the rows of :func:`~paper_mtl.experiments.benchmark.analysis.with_lenses`; comparisons between trained
models are paired by seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from paper_mtl.claims import Check, Claim, format_mean_se

from paper_mtl.experiments.benchmark.methods import BASELINE

SIGMA_SENTENCE = "Our empirical results show that well-performing models have low variance in the angles between task gradients"
ROBUSTNESS_SENTENCE = "The results on 11 tasks support our claim that training on multiple tasks improves adversarial robustness."
LINEAR_SUM_SENTENCE = (
    "Similar to Kendall et al. (2018) and Chen et al. (2017) our method also improves on the performance of the naive "
    "multi-task approach. [Paper 05, Sec. 5.1. Each other method here was proposed as an improvement on equal weights, "
    "on its own paper's benchmarks.]"
)


def _weightings(lensed: pd.DataFrame) -> pd.DataFrame:
    """The rows of the methods that weigh or aggregate on the shared network (not the groupings or paper 04's
    single-tasking network)."""
    return lensed[(lensed["kind"] == "method") & (lensed["architecture"] == "shared")]


def _by_seed(rows: pd.DataFrame, label: str, column: str) -> np.ndarray:
    return rows[rows["label"] == label].sort_values("seed")[column].to_numpy(dtype=float)


def sigma_claim(lensed: pd.DataFrame) -> Claim:
    """Decisive: Spearman's ρ between the methods' σ and Δm, taken within each seed, is positive over the seeds
    (Student's t; lower σ, lower = better Δm), so the seed noise of every method is in the interval. Supporting: ρ
    of the means over seeds by Fisher's z (its interval counts the methods, not the seeds). The points include rows
    that are close by construction (the two class-wise readings; CosReg, which lowers σ by design)."""
    rows = _weightings(lensed).dropna(subset=["cos_sigma"])
    label = "Across methods, a lower σ of the task-gradient cosines goes with a better Δm (paper 05's thesis)"
    published = "paper 05: within its own models (MultiDigit Table 1, Figure 3), not across methods"
    means = rows.groupby("label")[["cos_sigma", "delta_m"]].mean()
    if len(means) < 3:
        return Claim.untestable(label, SIGMA_SENTENCE, published, f"only {len(means)} method(s) have a σ of the cosines "
                                "(a run needs 2 steps or more); a correlation needs 3")
    per_seed = [stats.spearmanr(group["cos_sigma"], group["delta_m"]).statistic
                for _, group in rows.groupby("seed") if group["cos_sigma"].nunique() > 1 and group["delta_m"].nunique() > 1]
    checks = [
        Check.paired("Spearman ρ(σ, Δm) within each seed > 0", per_seed, np.zeros(len(per_seed)), digits=3),
        Check.correlation("σ vs Δm over the methods' means (Spearman)", means["cos_sigma"], means["delta_m"], sign=1,
                          method="spearman", kind="supporting"),
    ]
    low, high = means["cos_sigma"].idxmin(), means["cos_sigma"].idxmax()
    ours = (f"{len(means)} methods: σ from {means['cos_sigma'].min():.3f} ({low}) to {means['cos_sigma'].max():.3f} "
            f"({high}); their Δm {means.loc[low, 'delta_m']:.2f}% and {means.loc[high, 'delta_m']:.2f}%")
    return Claim(label, SIGMA_SENTENCE, published, ours, checks)


def robustness_claim(lensed: pd.DataFrame) -> Claim:
    """Decisive, one group per weighting: its robust Δm under paper 01's single-task attacks is below 0 (the
    multi-task network keeps more of the single-task networks' attacked performance), paired by seed. Supporting:
    the same under the multi-task attack, and a robust Δm below the clean Δm on the same images (robustness gained
    beyond accuracy). Every interval is Bonferroni-widened over the weightings."""
    rows = _weightings(lensed)
    labels = list(rows["label"].unique())
    checks: list[Check] = []
    for label in labels:
        alone, joint, clean = (_by_seed(rows, label, c) for c in ("robust_dm_alone", "robust_dm_all", "clean_dm_subset"))
        common = {"better": "lower", "group": label, "digits": 3, "comparisons": len(labels)}
        checks += [
            Check.paired(f"{label}: robust Δm, one task attacked, < 0", alone, np.zeros_like(alone), **common),
            Check.paired(f"{label}: robust Δm, all tasks attacked, < 0", joint, np.zeros_like(joint), kind="supporting",
                         **common),
            Check.paired(f"{label}: robust Δm below the clean Δm of the same images", alone, clean,
                         kind="supporting", **common),
        ]
    robust = rows.groupby("label")["robust_dm_alone"].mean()
    ours = (f"robust Δm (one task attacked) from {robust.min():.2f}% ({robust.idxmin()}) to {robust.max():.2f}% "
            f"({robust.idxmax()}) over {len(robust)} weightings")
    return Claim("Whatever the weighting, the multi-task network is more robust than single-task networks (paper 01's "
                 "thesis)", ROBUSTNESS_SENTENCE, "paper 01: 90/110 two-task models on Taskonomy, equal-weight sums only",
                 ours, checks)


def linear_sum_claim(lensed: pd.DataFrame) -> Claim:
    """Decisive, one group per method: its Δm below the linear sum's, paired by seed, each interval
    Bonferroni-widened over the methods (any one holding would make the verdict)."""
    rows = _weightings(lensed)
    baseline = _by_seed(rows, BASELINE, "delta_m")
    others = [label for label in rows["label"].unique() if label != BASELINE]
    checks = [Check.paired(f"{label}: Δm below the linear sum's", _by_seed(rows, label, "delta_m"), baseline,
                           better="lower", group=label, digits=3, comparisons=len(others))
              for label in others]
    ours = f"linear sum Δm {format_mean_se(baseline, 3)}%; " + "; ".join(
        f"{c.group} {c.effect:+.2f}" for c in sorted(checks, key=lambda c: -c.effect)[:3]) + " (best three, points of Δm)"
    return Claim("Each weighting or aggregation improves on the linear sum of losses (Δm)", LINEAR_SUM_SENTENCE,
                 "paper 05 Table 2 (NYUv2): Kendall, GradNorm and CosReg each better than equal weights", ours, checks)
