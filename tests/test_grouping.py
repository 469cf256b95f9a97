"""Network selection (paper 03): exact methods against brute force, the published tables, HOA, baselines."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from paper_mtl import grouping as g
from paper_mtl.published import load

LETTERS = {t: t for t in "SDNKE"}


def published(name: str) -> list[g.Network]:
    return g.networks_from_table(load(name).set_index("network"))


def random_instance(rng: np.random.Generator, n_tasks: int, keep: float = 0.7) -> list[g.Network]:
    tasks = [f"t{i}" for i in range(n_tasks)]
    nets = []
    for group in g.groupings(tasks):
        if len(group) > 1 and rng.random() > keep:
            continue
        nets.append(g.Network("".join(group), 1.0, {t: float(rng.uniform(0.1, 1.0)) for t in group}))
    for t in tasks:
        if rng.random() < 0.6:
            nets.append(g.Network(f"{t}/2", 0.5, {t: float(rng.uniform(0.1, 1.2))}))
    return nets


def brute_force(nets: list[g.Network], budget: float, tasks: list[str], worst: bool = False) -> float | None:
    """min (or, with ``worst``, the max over groupings with < min cost left) of L(S) over all subsets."""
    min_cost = min(n.cost for n in nets)
    best = None
    for k in range(1, len(nets) + 1):
        for subset in itertools.combinations(nets, k):
            cost = sum(n.cost for n in subset)
            if cost > budget + 1e-9 or (worst and budget - cost >= min_cost - 1e-9):
                continue
            if not all(any(t in n.losses for n in subset) for t in tasks):
                continue
            loss = sum(min(n.losses[t] for n in subset if t in n.losses) for t in tasks)
            if best is None or (loss > best if worst else loss < best):
                best = loss
    return best


def test_both_methods_match_brute_force_on_random_instances() -> None:
    rng = np.random.default_rng(0)
    checked = 0
    for trial in range(40):
        n_tasks = 3 if trial % 2 else 4
        nets = random_instance(rng, n_tasks)
        if len(nets) > 16:
            nets = nets[:16]
        tasks = sorted({t for n in nets for t in n.tasks})
        budget = float(rng.choice([0.5, 1.0, 1.5, 2.0, 2.5, 3.0]))
        expected = brute_force(nets, budget, tasks)
        if expected is None:
            with pytest.raises(ValueError, match="no selection"):
                g.select_networks(nets, budget, tasks)
            continue
        bb = g.select_networks(nets, budget, tasks)
        mi = g.select_networks(nets, budget, tasks, method="milp")
        assert bb.loss == pytest.approx(expected, abs=1e-12)
        assert mi.loss == pytest.approx(expected, abs=1e-12)
        assert bb.names == mi.names
        assert bb.cost <= budget + 1e-12
        assert set(bb.assignment) == set(tasks)
        checked += 1
    assert checked >= 25


def test_methods_agree_on_six_tasks_with_every_grouping() -> None:
    rng = np.random.default_rng(3)
    tasks = [f"t{i}" for i in range(6)]
    base = rng.uniform(0.5, 1.5, 6)
    nets = [
        g.Network("".join(gr), 1.0, {t: float(base[tasks.index(t)] * rng.uniform(0.9, 1.1)) for t in gr})
        for gr in g.groupings(tasks)
    ] + [g.Network(f"{t}/2", 0.5, {t: float(base[i] * 1.04)}) for i, t in enumerate(tasks)]
    assert len(nets) == 63 + 6
    for budget in (1.0, 1.5, 2.5, 4.0, 6.0):
        bb = g.select_networks(nets, budget)
        mi = g.select_networks(nets, budget, method="milp")
        assert bb.names == mi.names
        assert bb.loss == pytest.approx(mi.loss, abs=1e-12)


def test_published_table7_optimal_row_and_table6_groupings() -> None:
    val, test = published("03_table8_val_losses"), published("03_table9_test_losses")
    printed_loss = load("03_table7_total_loss").set_index("method").loc["Ours Optimal"]
    printed_groups = load("03_table6_groupings").set_index("budget")["optimal"]
    for budget in (1, 2, 3, 4, 5):
        chosen = g.select_networks(val, budget)
        assert round(chosen.rescore(test).loss, 3) == pytest.approx(printed_loss[str(budget)])
        label = chosen.label(LETTERS)
        assert sorted(label.split(", ")) == sorted(printed_groups[budget].split(", "))
    assert g.select_networks(val, 2).rescore(test).loss == pytest.approx(0.45224, abs=1e-9)


def test_selection_label_and_rescore() -> None:
    a = g.Network("SD", 1.0, {"S": 0.2, "D": 0.5})
    b = g.Network("D", 0.5, {"D": 0.3})
    sel = g.Selection.build([a, b], ["S", "D"])
    assert sel.label(LETTERS) == "Sd, D(0.5)"
    assert sel.assignment == {"S": "SD", "D": "D"}
    assert (sel.loss, sel.cost) == (pytest.approx(0.5), 1.5)
    other = [g.Network("SD", 1.0, {"S": 0.1, "D": 0.2}), g.Network("D", 0.5, {"D": 0.4})]
    assert sel.rescore(other).loss == pytest.approx(0.5)
    assert sel.rescore(other, reassign=True).loss == pytest.approx(0.3)
    with pytest.raises(ValueError, match="not in the table"):
        sel.rescore(other[:1])


def test_infeasible_and_bad_inputs_fail_early() -> None:
    nets = [g.Network("SD", 1.0, {"S": 0.2, "D": 0.5}), g.Network("K", 1.0, {"K": 0.1})]
    with pytest.raises(ValueError, match="cheapest cover costs 2"):
        g.select_networks(nets, 1.5)
    with pytest.raises(ValueError, match="cheapest cover costs 2"):
        g.select_networks(nets, 1.5, method="milp")
    with pytest.raises(ValueError, match="no candidate network solves"):
        g.select_networks(nets, 3, tasks=["S", "E"])
    with pytest.raises(ValueError, match="unknown method 'greedy'"):
        g.select_networks(nets, 2, method="greedy")
    with pytest.raises(ValueError, match="budget must be a positive"):
        g.select_networks(nets, 0)
    with pytest.raises(ValueError, match="cost must be a positive"):
        g.Network("x", -1, {"S": 0.1})
    with pytest.raises(ValueError, match="losses must be finite"):
        g.Network("x", 1, {"S": float("nan")})
    with pytest.raises(ValueError, match="repeated"):
        g.select_networks([nets[0], nets[0]], 2)


def test_tasks_argument_restricts_the_problem() -> None:
    nets = [g.Network("SD", 1.0, {"S": 0.2, "D": 0.5}), g.Network("D", 1.0, {"D": 0.1}), g.Network("S", 1.0, {"S": 0.3})]
    only_s = g.select_networks(nets, 1, tasks=["S"])
    assert only_s.names == ("SD",) and only_s.loss == pytest.approx(0.2)


def test_higher_order_approximation_on_hand_made_pairs() -> None:
    nets = [
        g.Network("A", 1.0, {"A": 1.0}),
        g.Network("AB", 1.0, {"A": 2.0, "B": 4.0}),
        g.Network("AC", 1.0, {"A": 4.0, "C": 6.0}),
        g.Network("BC", 1.0, {"B": 8.0, "C": 10.0}),
        g.Network("B/2", 0.5, {"B": 3.0}),
    ]
    out = g.higher_order_approximation(nets, name=lambda group: "".join(group))
    assert [n.name for n in out] == ["A", "AB", "AC", "BC", "B/2", "ABC"]
    assert out[-1].losses == {"A": 3.0, "B": 6.0, "C": 8.0}
    assert out[-1].cost == 1.0
    with pytest.raises(ValueError, match="missing"):
        g.higher_order_approximation(nets[:3] + [g.Network("C", 1.0, {"C": 1.0})])
    with pytest.raises(ValueError, match="one or two tasks"):
        g.higher_order_approximation([*nets, g.Network("ABC", 1.0, {"A": 1.0, "B": 1.0, "C": 1.0})])


def test_hoa_error_on_published_table8_is_the_printed_5_2_percent() -> None:
    val = published("03_table8_val_losses")
    hoa = g.higher_order_approximation([n for n in val if len(n.tasks) <= 2], name=lambda group: "".join(group))
    assert len(hoa) == 31
    error = g.max_ratio_error(hoa[15:], val)
    assert round(error, 3) == 0.052
    assert g.max_ratio_error(val, val) == 0.0


def test_max_ratio_error_is_symmetric_in_ratio() -> None:
    a = [g.Network("x", 1, {"t": 2.0})]
    b = [g.Network("x", 1, {"t": 1.0})]
    assert g.max_ratio_error(a, b) == pytest.approx(1.0) == g.max_ratio_error(b, a)
    with pytest.raises(ValueError, match="no network appears"):
        g.max_ratio_error(a, [g.Network("y", 1, {"t": 1.0})])


def test_pessimal_matches_brute_force_over_full_groupings() -> None:
    rng = np.random.default_rng(1)
    for trial in range(12):
        nets = random_instance(rng, 3)
        tasks = sorted({t for n in nets for t in n.tasks})
        budget = float(rng.choice([1.0, 1.5, 2.0, 3.0]))
        expected = brute_force(nets, budget, tasks, worst=True)
        if expected is None:
            with pytest.raises(ValueError):
                g.pessimal_selection(nets, budget, tasks)
            continue
        worst = g.pessimal_selection(nets, budget, tasks)
        assert worst.loss == pytest.approx(expected, abs=1e-12)
        assert budget - worst.cost < min(n.cost for n in nets)


def test_random_groupings_lie_between_optimal_and_pessimal_and_repeat() -> None:
    test = published("03_table9_test_losses")
    draws = g.random_groupings(test, 3, trials=200, seed=5)
    assert draws.shape == (200,)
    assert np.array_equal(draws, g.random_groupings(test, 3, trials=200, seed=5))
    assert draws.min() >= g.select_networks(test, 3).loss - 1e-12
    assert draws.max() <= g.pessimal_selection(test, 3).loss + 1e-12
    # budget 1 with full-size networks only: the all-in-one network is the only valid grouping.
    assert np.allclose(g.random_groupings(test, 1, trials=5), 0.50278)


def test_published_pessimal_at_budget_one_is_the_all_in_one_network() -> None:
    worst = g.pessimal_selection(published("03_table9_test_losses"), 1)
    assert worst.names == ("SDNKE",)
    assert round(worst.loss, 3) == 0.503


def test_mtl_affinity_reproduces_published_table3_from_table2() -> None:
    table2 = load("03_table2_first_order").set_index("trained_with").loc[list("SDNKE"), list("SDNKE")]
    ours = g.mtl_affinity(table2).set_index(["task_a", "task_b"])["affinity"]
    printed = load("03_table3_mtl_affinity").set_index(["task_a", "task_b"])["affinity"]
    assert np.abs(ours.loc[printed.index].to_numpy() - printed.to_numpy()).max() <= 0.005 + 1e-12


def test_first_order_relationships_reproduce_table2_with_a_consistent_half_size_loss() -> None:
    test = published("03_table9_test_losses")
    table2 = load("03_table2_first_order").set_index("trained_with").loc[list("SDNKE"), list("SDNKE")]
    pairs = {frozenset(n.tasks): n for n in test if len(n.tasks) == 2}
    implied = {
        t: np.median([pairs[frozenset((t, o))].losses[t] / (1 - table2.loc[o, t] / 100) for o in "SDNKE" if o != t])
        for t in "SDNKE"
    }
    ours = g.first_order_relationships(test, implied)
    diff = (ours - table2).abs().to_numpy()
    assert np.nanmax(diff) < 0.06
    assert np.isnan(np.diag(ours.to_numpy())).all()


def test_loss_correlation_and_tables_round_trip() -> None:
    a = [g.Network("x", 1, {"s": 1.0, "d": 2.0}), g.Network("y", 1, {"s": 3.0})]
    b = [g.Network("x", 1, {"s": 2.0, "d": 4.0}), g.Network("y", 1, {"s": 6.0})]
    r, p = g.loss_correlation(a, b)
    assert r == pytest.approx(1.0)
    table = g.networks_to_table(a)
    assert list(table.columns) == ["s", "d", "cost"]
    assert pd.isna(table.loc["y", "d"])
    back = g.networks_from_table(table.drop(columns="cost"))
    assert back == a


def test_groupings_order_follows_table8() -> None:
    names = ["".join(x) for x in g.groupings(list("SDNKE"))]
    assert names == list(load("03_table8_val_losses")["network"])


# ----------------------------------------------------------------------------------------------------------
# The notebook's experiment functions that need no training
# ----------------------------------------------------------------------------------------------------------


def test_experiment_published_rows_and_affinities() -> None:
    from paper_mtl.experiments import task_grouping as tg

    row = tg.published_optimal_row()
    assert row["match"].all() and row["same grouping"].all()
    assert list(row["test loss (Table 7)"]) == [0.503, 0.452, 0.442, 0.436, 0.435]
    aff = tg.published_affinities()
    assert aff["outlier"] == "S-E"
    assert (round(aff["r"], 2), round(aff["p"], 2)) == (-0.54, 0.13)
    assert aff["table3"]["difference"].abs().max() <= 0.005 + 1e-9
    half = tg.published_half_size_losses()
    assert half["spread"].max() < 1e-4
    assert round(half.attrs["total"], 3) == half.attrs["printed_independent"] == 0.465
    gaps = tg.published_approximation_gaps().set_index("method")["mean gap to optimal"]
    assert gaps["hoa"] < gaps["esa"] < gaps["random"]


def test_half_size_width_halves_the_encoder_multiply_adds() -> None:
    from paper_mtl.experiments import task_grouping as tg

    width = tg.width_for_cost("small", 0.5)
    assert width == pytest.approx(0.7071, abs=1e-3)
    assert tg._encoder_macs("small", width) / tg._encoder_macs("small", 1.0) == pytest.approx(0.5, abs=0.01)
    assert tg.width_for_cost("small", 1.0, 0.25) == 0.25
    with pytest.raises(ValueError, match="unknown encoder"):
        tg.width_for_cost("vgg", 0.5)


def fake_runs(seed: int = 0):
    """GroupingRuns with random losses for the 31 + 5 candidates (no training)."""
    import dataclasses

    from paper_mtl.experiments import task_grouping as tg

    rng = np.random.default_rng(seed)
    base = {t: rng.uniform(0.3, 1.5) for t in tg.TASKS}

    def table(noise: float) -> list[g.Network]:
        return [
            g.Network(tg.letter_name(group, cost), cost, {t: base[t] * rng.uniform(1 - noise, 1 + noise) * (1.03 if cost < 1 else 1) for t in group})
            for group, cost in tg._candidates()
        ]

    readout = {a: {b: base[b] * rng.uniform(0.9, 1.2) for b in tg.TASKS} for a in tg.TASKS}
    s = dataclasses.replace(tg.settings("smoke"), random_trials=20)
    return tg.GroupingRuns(table(0.1), table(0.1), table(0.2), {}, readout, s, 0, "cpu")


def test_experiment_selection_tables_on_fake_runs() -> None:
    from paper_mtl.experiments import task_grouping as tg

    runs = fake_runs()
    chosen = tg.selections(runs)
    assert set(chosen) == {"optimal", "esa", "hoa"}
    for b in runs.settings.budgets:
        assert chosen["optimal"][b].cost <= b
        optimal_val = chosen["optimal"][b].rescore(runs.val).loss
        for method in ("esa", "hoa"):
            assert optimal_val <= chosen[method][b].rescore(runs.val).loss + 1e-12
    t6 = tg.table6(chosen)
    assert list(t6.columns) == ["budget", "Ours Optimal", "Ours (ESA)", "Ours (HOA)"] and len(t6) == 9
    test = {n.name: n for n in runs.test}
    baselines = pd.DataFrame([
        {"method": "traditional", "budget": 1.0, **test["SDNKE"].losses},
        {"method": "independent", "budget": 5.0, **{t: test[tg.letter_name((t,))].losses[t] for t in tg.TASKS}},
    ])
    baselines["loss"] = baselines[list(tg.TASKS)].sum(axis=1)
    long = tg.table7(runs, baselines, chosen)
    wide = tg.table7_wide(long)
    assert list(wide.index) == ["Pessimal Grouping", "Traditional MTL", "Random Groupings", "Independent", "Ours (ESA)", "Ours (HOA)", "Ours Optimal"]
    assert (wide.loc["Random Groupings"] <= wide.loc["Pessimal Grouping"] + 1e-12).all()
    assert long.loc[(long["method"] == "optimal") & (long["budget"] == 1.0), "published"].item() == 0.503
    claim = tg.grouping_claim(long)
    names = [c.name for c in claim.checks]
    assert "Ours (ESA) beats Independent at 5 SNT" in names and "Ours (HOA) beats Independent at 5 SNT" in names
    assert claim.verdict == "inconclusive"  # one seed: every decisive difference is within noise
    subsets = tg.subset_study(runs)
    assert sorted(subsets["budget"].unique()) == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    per_subset = subsets.attrs["per_subset"]
    assert per_subset["left_out"].nunique() == 5
    sub = tg.subset_claim(per_subset)
    assert {c.group for c in sub.of_kind("decisive")} == {"ESA", "HOA"}
    assert "optimal beats random groupings at 4 SNT (averaged; chosen on validation)" in [c.name for c in sub.checks]


def test_experiment_affinities_and_quality_on_fake_runs() -> None:
    from paper_mtl.experiments import task_grouping as tg

    runs = fake_runs(1)
    aff = tg.task_affinities(runs)
    assert aff["table2"].shape == (5, 5) and np.isnan(np.diag(aff["table2"].to_numpy())).all()
    assert len(aff["pairs"]) == 10 and aff["outlier"].count("-") == 1
    points = tg.esa_points(runs)
    assert len(points) == sum(len(n.losses) for n in runs.early)
    hoa = tg.hoa_points(runs.val)
    assert len(hoa) == 30 + 20 + 5 and (hoa["hoa error"] >= 0).all()
