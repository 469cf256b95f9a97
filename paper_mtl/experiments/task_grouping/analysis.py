"""What is computed from the runs, without training: the selections of optimal, ESA and HOA and Tables 6 and 7
(:func:`selections`, :func:`table6`, :func:`table7`), the seeds' summary, the points behind the ESA and HOA claims,
the task affinities of Tables 2-4, Tables 1 and 5 as printed, the 4-task subsets of Figure 6 and the predictions of
Figure 4 (:func:`qualitative`)."""

from __future__ import annotations

import itertools
import timeit
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import pearsonr

from paper_mtl import published
from paper_mtl.claims import format_mean_se
from paper_mtl.grouping import (
    Network,
    Selection,
    first_order_relationships,
    higher_order_approximation,
    mtl_affinity,
    pessimal_selection,
    random_groupings,
    select_networks,
)

from paper_mtl.experiments.task_grouping.data import scene_splits
from paper_mtl.experiments.task_grouping.published_tables import _outlier, _published_table7_long
from paper_mtl.experiments.task_grouping.runs import SMALL_DATA, TABLE1, GroupingRuns
from paper_mtl.experiments.task_grouping.config import HALF, LETTERS, METHODS, TASKS, letter_name


# ----------------------------------------------------------------------------------------------------------
# Baselines and network selection (Tables 6 and 7, Figures 2 and 3)
# ----------------------------------------------------------------------------------------------------------


def _final(selection: Selection, runs: GroupingRuns) -> Selection:
    """The chosen networks once trained: each task goes to the chosen network best on final validation loss,
    then the selection is scored on test."""
    return selection.rescore(runs.val, reassign=True).rescore(runs.test)


def selections(runs: GroupingRuns, budgets: Sequence[float] | None = None) -> dict[str, dict[float, Selection]]:
    """Optimal, ESA and HOA selections per budget, as trained networks scored on test (Sec. 3.2, 3.3).

    Optimal selects on the validation losses of all candidates; ESA on the early validation losses; HOA on the
    validation losses of the networks of <= 2 tasks plus the predicted larger groups. Each chosen set is then
    taken as trained (:func:`_final`).
    """
    budgets = budgets or runs.settings.budgets
    return {method: {b: _final(select_networks(table, b), runs) for b in budgets}
            for method, table in _selection_inputs(runs).items()}


def _selection_inputs(runs: GroupingRuns) -> dict[str, list[Network]]:
    """The losses each search selects on: all candidates' validation losses (optimal), the early ones (ESA), and
    the networks of <= 2 tasks with the larger groups predicted from them (HOA)."""
    small = [n for n in runs.val if len(n.tasks) <= 2]
    return {"optimal": runs.val, "esa": runs.early, "hoa": higher_order_approximation(small, name=letter_name)}


def search_seconds(runs: GroupingRuns, budgets: Sequence[float] | None = None, repeats: int = 3) -> pd.DataFrame:
    """Sec. 3.2's network selection, timed: for each search (optimal, ESA, HOA) and budget, the least of ``repeats``
    wall times of :func:`~paper_mtl.grouping.select_networks` (branch and bound) on our candidates, in seconds."""
    return pd.DataFrame([
        {"search": METHODS[method], "budget": budget, "networks": len(table),
         "seconds": min(timeit.repeat(lambda: select_networks(table, budget), number=1, repeat=repeats))}
        for method, table in _selection_inputs(runs).items() for budget in budgets or runs.settings.budgets
    ])


def table6(chosen: Mapping[str, Mapping[float, Selection]]) -> pd.DataFrame:
    """Table 6 analogue: the groupings per budget (capital = the solution uses that network for that task)."""
    budgets = sorted(next(iter(chosen.values())))
    return pd.DataFrame([
        {"budget": b, **{METHODS[m]: chosen[m][b].label(LETTERS) for m in ("optimal", "esa", "hoa")}} for b in budgets
    ])


def table7(runs: GroupingRuns, baselines: pd.DataFrame, chosen: Mapping[str, Mapping[float, Selection]], seed: int = 0) -> pd.DataFrame:
    """Table 7 analogue, long form: total test loss per (method, budget), with the published value beside it.

    Random is the mean of ``random_trials`` random valid groupings and Pessimal the exact worst one, both over
    the 36 candidates' test losses (as the paper's code scores them).
    """
    rows = [{"method": m, "budget": b, "loss": sel.loss} for m, per in chosen.items() for b, sel in per.items()]
    for b in runs.settings.budgets:
        rows.append({"method": "random", "budget": b, "loss": float(random_groupings(runs.test, b, trials=runs.settings.random_trials, seed=seed).mean())})
        rows.append({"method": "pessimal", "budget": b, "loss": pessimal_selection(runs.test, b).loss})
    rows += baselines[["method", "budget", "loss"]].to_dict("records")
    long = pd.DataFrame(rows)
    paper = _published_table7_long().rename(columns={"loss": "published"})
    long = long.merge(paper, on=["method", "budget"], how="left")
    long["order"] = long["method"].map(list(METHODS).index)
    return long.sort_values(["order", "budget"]).drop(columns="order").reset_index(drop=True)


def table7_wide(long: pd.DataFrame, column: str = "loss") -> pd.DataFrame:
    """Table 7 laid out as printed: methods as rows (paper's names and order), budgets as columns."""
    wide = long.pivot_table(index="method", columns="budget", values=column)
    wide = wide.reindex([m for m in METHODS if m in wide.index])
    wide.index = [METHODS[m] for m in wide.index]
    wide.columns = [f"{b:g}" for b in wide.columns]
    return wide


# -- Extra seeds of the decisive comparisons between trained models ------------------------------------------------


def seeded_summary(seeded: pd.DataFrame) -> pd.DataFrame:
    """One row per solution of :func:`seeded_solutions`: its total test loss as mean ± s.e. over seeds."""
    return pd.DataFrame([
        {"solution": solution, "seeds": len(g), "total test loss": format_mean_se(g.sort_values("seed")["loss"])}
        for solution, g in seeded.groupby("solution", sort=False)
    ])


# -- The approximations (Sec. 3.3) ------------------------------------------------------------------------------------


def esa_points(runs: GroupingRuns) -> pd.DataFrame:
    """ESA (Sec. 3.3.1): one row per (network, task) with its early validation loss and its final test loss."""
    test = {n.name: n for n in runs.test}
    return pd.DataFrame([
        {"network": n.name, "task": t, "early validation": v, "final test": test[n.name].losses[t]}
        for n in runs.early for t, v in n.losses.items()
    ])


def hoa_points(networks: Sequence[Network], name: Any = letter_name) -> pd.DataFrame:
    """HOA (Sec. 3.3.2) against a grouping-blind predictor, one row per (network of >= 3 tasks, task): the actual
    loss, the HOA's (mean of the task's losses in the pair networks inside the group) and the blind one (mean of the
    task's losses in all its pair networks, whatever the group), and each prediction's max-ratio error."""
    small = [n for n in networks if len(n.tasks) <= 2]
    predicted = [n for n in higher_order_approximation(small, name=name) if len(n.tasks) > 2]
    pairs = [n for n in networks if len(n.tasks) == 2 and n.cost == 1.0]
    blind = {t: float(np.mean([n.losses[t] for n in pairs if t in n.losses])) for t in {t for n in pairs for t in n.tasks}}
    actual = {n.name: n for n in networks}
    rows = []
    for p in predicted:
        if p.name not in actual:
            continue
        for t, hoa in p.losses.items():
            a = actual[p.name].losses[t]
            rows.append({"network": p.name, "task": t, "actual": a, "hoa": hoa, "blind": blind[t],
                         "hoa error": max(hoa / a, a / hoa) - 1.0, "blind error": max(blind[t] / a, a / blind[t]) - 1.0})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------------------
# Task relationships (Tables 2-4, Figure 5)
# ----------------------------------------------------------------------------------------------------------


def task_affinities(runs: GroupingRuns) -> dict[str, Any]:
    """Tables 2-4 analogues and their correlation (Sec. 6).

    Table 2: relative test performance of each task in each pair against the half-size single-task network;
    Table 3: its mean with its transpose; Table 4 (transfer affinity, Taskonomy-style readout): a decoder for
    task b trained on the frozen encoder of the single-task network of a, its test loss L(a→b) against
    L(b→b), affinity = mean over both directions of L(b→b) / L(a→b) (1 = as useful as the task's own features).
    """
    test = [n for n in runs.test if n.cost == 1.0]
    reference = {t: next(n for n in runs.test if n.cost == HALF and n.tasks == (t,)).losses[t] for t in TASKS}
    first = first_order_relationships(test, reference)
    mtl = mtl_affinity(first)
    rows = []
    for a, b in itertools.combinations(TASKS, 2):
        forward = runs.readout[b][b] / runs.readout[a][b]
        backward = runs.readout[a][a] / runs.readout[b][a]
        rows.append({"task_a": a, "task_b": b, "affinity": (forward + backward) / 2})
    transfer = pd.DataFrame(rows)
    pairs = mtl.merge(transfer, on=["task_a", "task_b"], suffixes=("_mtl", "_transfer"))
    outlier = _outlier(pairs["affinity_mtl"].to_numpy())
    kept = pairs.drop(index=outlier)
    r_all = pearsonr(pairs["affinity_mtl"], pairs["affinity_transfer"])
    r_kept = pearsonr(kept["affinity_mtl"], kept["affinity_transfer"])
    letters = {t: LETTERS[t].upper() for t in TASKS}
    return {
        "table2": first.rename(index=letters, columns=letters),
        "table3": mtl.replace(letters),
        "table4": transfer.replace(letters),
        "readout": pd.DataFrame(runs.readout).T.rename(index=letters, columns=letters),
        "pairs": pairs.replace(letters),
        "outlier": "-".join(letters[t] for t in pairs.loc[outlier, ["task_a", "task_b"]]),
        "r_all": float(r_all.statistic), "p_all": float(r_all.pvalue), "r": float(r_kept.statistic), "p": float(r_kept.pvalue),
    }


# ----------------------------------------------------------------------------------------------------------
# Extras: ResNet-18 (Table 1), little data (Table 5), 4-task subsets (Figure 6)
# ----------------------------------------------------------------------------------------------------------


def table1(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as printed, ours as mean ± s.e. over seeds beside the published total."""
    printed = published.load("03_table1_resnet18")["total_loss"].tolist()
    names = ["All-in-one (triple-size ResNet-18)", "Five individual (0.6-size ResNet-18s)",
             f"{frame.attrs.get('grouping', 'best 3-SNT grouping')} (standard ResNet-18s)"]
    return pd.DataFrame([
        {"solution": label, "total test loss": format_mean_se(frame[frame["solution"] == key].sort_values("seed")["total test loss"]),
         "published": pub}
        for label, key, pub in zip(names, TABLE1, printed)
    ])


def table5(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 5 as printed with ours (mean ± s.e. over seeds) at the small and the full training set."""
    printed = published.load("03_table5_small_data").set_index("setting")
    rows = []
    for label, _ in SMALL_DATA:
        row: dict[str, Any] = {"setting": label}
        for data in ("small", "full"):
            g = frame[(frame["setting"] == label) & (frame["data"] == data)].sort_values("seed")
            for col in ("depth", "normals"):
                row[f"{col} ({data} data)"] = format_mean_se(g[col]) if g[col].notna().all() else ""
        for col in ("depth", "normals"):
            value = printed.loc[label, col]
            row[f"{col} (published, 100k)"] = "" if pd.isna(value) else f"{value:g}"
        rows.append(row)
    return pd.DataFrame(rows)


def subset_study(runs: GroupingRuns, seed: int = 0) -> pd.DataFrame:
    """Figure 6 analogue: the study re-run on every (T−1)-task subset from the same trained networks, averaged.

    For each subset only the networks whose tasks all lie in it are candidates (as in the paper's code); optimal,
    ESA, HOA, random and pessimal are computed per budget 1..T−1, plus Traditional (the subset's all-in-one
    network at 1 SNT) and Independent (its half-size and full-size single-task networks). The rows per subset
    (column ``left_out``) are in ``attrs["per_subset"]`` (:func:`subset_claim` pairs over them).
    """
    rows = []
    for left_out in TASKS:
        keep = [t for t in TASKS if t != left_out]

        def inside(nets: Sequence[Network]) -> list[Network]:
            return [n for n in nets if set(n.tasks) <= set(keep)]

        val, test, early = inside(runs.val), inside(runs.test), inside(runs.early)
        hoa = higher_order_approximation([n for n in val if len(n.tasks) <= 2], name=letter_name)
        budgets = [float(b) for b in np.arange(1.0, len(keep) + 0.25, 0.5)]
        for b in budgets:
            for method, table in (("optimal", val), ("esa", early), ("hoa", hoa)):
                chosen = select_networks(table, b).rescore(val, reassign=True).rescore(test)
                rows.append({"left_out": left_out, "method": method, "budget": b, "loss": chosen.loss})
            rows.append({"left_out": left_out, "method": "random", "budget": b,
                         "loss": float(random_groupings(test, b, trials=runs.settings.random_trials, seed=seed).mean())})
            rows.append({"left_out": left_out, "method": "pessimal", "budget": b, "loss": pessimal_selection(test, b).loss})
        lookup = {n.name: n for n in test}
        rows.append({"left_out": left_out, "method": "traditional", "budget": 1.0, "loss": sum(lookup[letter_name(keep)].losses.values())})
        for cost, budget in ((HALF, len(keep) * HALF), (1.0, float(len(keep)))):
            rows.append({"left_out": left_out, "method": "independent", "budget": budget,
                         "loss": sum(lookup[letter_name((t,), cost)].losses[t] for t in keep)})
    frame = pd.DataFrame(rows)
    averaged = frame.groupby(["method", "budget"], as_index=False)["loss"].mean()
    averaged.attrs["per_subset"] = frame
    return averaged


def qualitative(runs: GroupingRuns, chosen: Mapping[str, Mapping[float, Selection]], budget: float = 2.5, image: int = 0) -> dict[str, Any]:
    """Figure 4 analogue: predictions on one test image for the baselines and our selections at ``budget``.

    Returns the input, the targets and, per solution, each task's prediction from the network it assigns the task
    to (Traditional/MGDA from their all-in-one networks when trained at that budget; Independent from the
    half-size networks at T/2 SNT).
    """
    s = runs.settings
    data = scene_splits(s.size, s.n_train, s.n_val, s.n_test, runs.seed, runs.device)["test"]
    solutions: dict[str, dict[str, np.ndarray]] = {}
    extra = runs.extra.get("baseline_predictions", {})
    for method in ("traditional", "mgda"):
        key = f"{method}@{budget:g}"
        if key in extra:
            solutions[METHODS[method]] = {t: np.asarray(extra[key][t][image]) for t in TASKS}
    if budget == len(TASKS) * HALF:
        solutions[METHODS["independent"]] = {t: np.asarray(runs.predictions[letter_name((t,), HALF)][t][image]) for t in TASKS}
    for method in ("esa", "hoa", "optimal"):
        sel = chosen[method][budget]
        solutions[f"{METHODS[method]}: {sel.label(LETTERS)}"] = {t: np.asarray(runs.predictions[sel.assignment[t]][t][image]) for t in TASKS}
    return {
        "input": data.inputs[image].numpy(),
        "targets": {t: data.targets[t][image].numpy() for t in TASKS},
        "solutions": solutions,
    }
