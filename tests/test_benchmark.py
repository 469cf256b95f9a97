"""Notebook 06's benchmark (paper_mtl.experiments.benchmark): its rows follow the registry, its lenses and groupings
on hand-made runs, its claims both ways, and one real run at the smoke scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paper_mtl.experiments import benchmark as E
from paper_mtl.weighting import WeightedSum, list_strategies, register
from paper_mtl.weighting import registry

TRIO = list(E.TRIO)


def test_one_row_per_registered_strategy_and_a_new_strategy_joins_without_editing_anything():
    rows = E.methods(TRIO)
    strategies = {m.strategy for m in rows}
    assert strategies == set(list_strategies()) - set(E.NOT_BENCHMARKED)
    labels = [m.label for m in rows]
    assert len(labels) == len(set(labels))
    assert {"classwise (literal)", "classwise (intent)", "SE single-tasking", "SE single-tasking + discriminator"} <= set(labels)
    before = dict(registry._REGISTRY)
    try:
        register(type("HalfSum", (WeightedSum,), {"name": "half_sum_test"}))
        assert "half_sum_test" in [m.label for m in E.methods(TRIO)]
        assert "half_sum_test" in set(E.methods_table(TRIO)["method"])
    finally:
        registry._REGISTRY.clear()
        registry._REGISTRY.update(before)


def _runs(method_dm: dict[str, float], seeds=(0, 1, 2), sigma: dict[str, float] | None = None, attacked_gain=0.0,
          noise=0.01) -> pd.DataFrame:
    """Hand-made runs: single-task networks with metric 1 on every task (segmentation higher is better), and each
    method's networks off by ``method_dm`` % on every task (worse when positive), plus seed noise."""
    rng = np.random.default_rng(0)
    rows = []

    def row(kind, label, tasks, values, seed, val_loss, strategy="weighted_sum", sigma_value=np.nan, batch_s=1.0):
        r = {"kind": kind, "label": label, "strategy": strategy, "architecture": "shared", "tasks": "+".join(tasks),
             "seed": seed, "cos_sigma": sigma_value, "cos_mean": np.nan, "batch_s": batch_s, "params": 10,
             "multiply_adds": 100}
        for t in tasks:
            sign = -1 if t == "segment_semantic" else 1
            r[f"metric.{t}"] = values * 1.0 if sign > 0 else 2 - values
            r[f"attacked_alone.{t}"] = r[f"attacked_all.{t}"] = (values - attacked_gain) if sign > 0 else 2 - values + attacked_gain
            r[f"clean_subset.{t}"] = r[f"metric.{t}"]
            r[f"val_loss.{t}"] = val_loss.get(t, 1.0)
        return r

    for seed in seeds:
        for t in TRIO:
            rows.append(row("single", t, [t], 1.0, seed, {t: 1.0}))
        for a, b in [("segment_semantic", "depth_zbuffer"), ("segment_semantic", "normal"), ("depth_zbuffer", "normal")]:
            rows.append(row("pair", f"{a}+{b}", [a, b], 1.0, seed, {a: 0.5 if {a, b} == {"segment_semantic", "depth_zbuffer"} else 2.0, b: 0.5 if {a, b} == {"segment_semantic", "depth_zbuffer"} else 2.0}))
        for label, dm in method_dm.items():
            value = 1 + dm / 100 + noise * rng.standard_normal()
            rows.append(row("method", label, TRIO, value, seed, {t: 1.5 for t in TRIO}, strategy=label,
                            sigma_value=(sigma or {}).get(label, 0.1), batch_s=2.0 if label != "weighted_sum" else 1.0))
    return pd.DataFrame(rows)


def test_lenses_delta_m_against_the_same_seed_and_time_ratio():
    lensed = E.with_lenses(_runs({"weighted_sum": 5.0, "other": -3.0}, noise=0.0), "trio")
    methods = lensed[lensed["kind"] == "method"].set_index(["label", "seed"])
    assert methods.loc[("weighted_sum", 0), "delta_m"] == pytest.approx(5.0)
    assert methods.loc[("other", 1), "delta_m"] == pytest.approx(-3.0)
    assert methods.loc[("other", 2), "time_ratio"] == pytest.approx(2.0)
    assert methods.loc[("weighted_sum", 2), "time_ratio"] == pytest.approx(1.0)


def test_groupings_pick_the_lowest_validation_loss_within_the_budget():
    lensed = E.with_lenses(_runs({"weighted_sum": 5.0}, noise=0.0), "trio")
    groupings = lensed[lensed["kind"] == "grouping"].set_index(["label", "seed"])
    # the seg+depth pair (val 0.5 each) with the normals network (1.0) is best at 2; at 3 nothing does better
    assert set(groupings.loc[("grouping @ 2", 0), "chosen"].split(" | ")) == {"segment_semantic+depth_zbuffer", "normal"}
    assert groupings.loc[("grouping @ 2", 0), "delta_m"] == pytest.approx(0.0)
    # at 3 the seg+depth pair with the normals network still has the lowest validation loss (1.0 + 1.0 < 3 singles)
    assert set(groupings.loc[("grouping @ 3", 1), "chosen"].split(" | ")) == {"segment_semantic+depth_zbuffer", "normal"}


def test_summary_sorts_by_delta_m_and_shown_drops_the_figure_columns():
    table = E.summary(E.with_lenses(_runs({"weighted_sum": 5.0, "better": 1.0}), "trio"), "trio")
    assert table["method"].iloc[0] in ("grouping @ 2", "grouping @ 3")
    assert list(table["method"]).index("better") < list(table["method"]).index("weighted_sum")
    assert not any(c.startswith(("mean_", "se_")) for c in E.shown(table).columns)


def test_sigma_claim_holds_when_lower_sigma_goes_with_better_delta_m_and_fails_otherwise():
    dms = {f"m{i}": float(i) for i in range(10)} | {"weighted_sum": 10.0}
    good = E.sigma_claim(E.with_lenses(_runs(dms, sigma={k: 0.01 * (v + 1) for k, v in dms.items()}), "trio"))
    bad = E.sigma_claim(E.with_lenses(_runs(dms, sigma={k: 0.01 * (20 - v) for k, v in dms.items()}), "trio"))
    assert good.verdict == "reproduced" and bad.verdict == "not reproduced"


def test_robustness_claim_per_weighting_both_ways():
    dms = {"weighted_sum": -2.0, "other": -3.0}
    robust = E.robustness_claim(E.with_lenses(_runs(dms, noise=0.002), "trio"))
    fragile = E.robustness_claim(E.with_lenses(_runs({"weighted_sum": 4.0, "other": 3.0}), "trio"))
    assert robust.verdict == "reproduced" and fragile.verdict == "not reproduced"
    assert set(robust.groups()) == {"weighted_sum", "other"}


def test_linear_sum_claim_on_methods_that_equal_the_sum_is_inconclusive_however_many():
    rng = np.random.default_rng(1)
    verdicts = []
    for trial in range(20):
        runs = _runs({"weighted_sum": 0.0, **{f"m{i}": 0.0 for i in range(15)}}, noise=0.02)
        runs["metric.depth_zbuffer"] += rng.normal(0, 0.02, len(runs))  # seed noise, no effect of any method
        verdicts.append(E.linear_sum_claim(E.with_lenses(runs, "trio")).verdict)
    assert verdicts.count("inconclusive") >= 18, verdicts


def test_linear_sum_claim_groups_every_method_but_the_sum():
    better = E.linear_sum_claim(E.with_lenses(_runs({"weighted_sum": 5.0, "a": 1.0, "b": 0.0}), "trio"))
    worse = E.linear_sum_claim(E.with_lenses(_runs({"weighted_sum": 0.0, "a": 3.0, "b": 4.0}), "trio"))
    assert better.verdict == "reproduced" and worse.verdict == "not reproduced"
    assert set(better.groups()) == {"a", "b"}


@pytest.mark.parametrize("label", ["pareto_mtl", "classwise (intent)", "SE single-tasking + discriminator", "pcgrad"])
def test_one_smoke_run_measures_every_lens(label):
    configs = [c for c in E.runs._configs("smoke", "trio", E.runs.resolve_device("cpu"), 0) if c["label"] == label and c["seed"] == 0]
    result = E.train_run(configs[0])
    assert set(result["metric"]) == set(TRIO) == set(result["attacked_alone"]) == set(result["attacked_all"])
    assert result["params"] > 0 and result["multiply_adds"] > 0 and result["batch_s"] > 0
    assert ("cos_sigma" in result) == (configs[0]["architecture"] == "shared")


def test_the_five_task_variant_trains_and_groups():
    configs = [c for c in E.runs._configs("smoke", "five", E.runs.resolve_device("cpu"), 0) if c["seed"] == 0]
    assert len([c for c in configs if c["kind"] == "pair"]) == 10 and len([c for c in configs if c["kind"] == "single"]) == 5
    result = E.train_run(next(c for c in configs if c["label"] == "upgrad"))
    assert set(result["metric"]) == set(E.FIVE) and np.isfinite(result["cos_sigma"])


def test_sigma_claim_without_enough_cosines_is_not_testable():
    dms = {"weighted_sum": 1.0, "a": 2.0}
    claim = E.sigma_claim(E.with_lenses(_runs(dms, sigma={"weighted_sum": np.nan, "a": np.nan}), "trio"))
    assert claim.verdict == "not testable here" and "only 0 method(s)" in claim.reason
