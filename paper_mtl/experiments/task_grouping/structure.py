"""Claims of notebook 03 on the structure of the selections and affinities, scored against chance, and on the
approximations' training cost: Sec. 5's 5-SNT structure (which tasks share a network, Table 6), Sec. 6's highest-
and not-high-affinity pairs (Table 3), Sec. 3.3's ~20x (ESA) and ~50 % (HOA) training savings measured from the
candidates' wall times, and App. A's selection time.

Agreement with the paper's structure is tested by permuting the task labels of ours (every ordering of the five
tasks, 5! = 120), as :func:`~paper_mtl.experiments.task_grouping.claims.affinity_claim` does: our tasks are not the
paper's, so what counts is agreement beyond what a relabelling of the same structure reaches by chance."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from paper_mtl import published
from paper_mtl.claims import DECISIVE, SANITY, SUPPORTING, Check, Claim
from paper_mtl.grouping import Selection

from paper_mtl.experiments.task_grouping.config import LETTERS, TASKS, Settings, _early_steps
from paper_mtl.experiments.task_grouping.published_tables import published_scalars


def published_structure(text: str) -> list[tuple[frozenset[str], frozenset[str]]]:
    """A Table 6 cell (``"nkE, Snk, Dnk, N, K"``) as (tasks of the network, tasks it predicts) per network, as task
    letters (lower case)."""
    nets = []
    for part in str(text).split(","):
        part = part.strip()
        if not part or not all(c.lower() in LETTERS.values() for c in part):
            raise ValueError(f"Table 6 cell {text!r}: network {part!r} is not a string of the task letters {sorted(LETTERS.values())}")
        nets.append((frozenset(c.lower() for c in part), frozenset(c.lower() for c in part if c.isupper())))
    return nets


def selection_structure(selection: Selection) -> list[tuple[frozenset[str], frozenset[str]]]:
    """Our selection in the form of :func:`published_structure`."""
    return [(frozenset(LETTERS[t] for t in n.tasks), frozenset(LETTERS[t] for t, name in selection.assignment.items() if name == n.name))
            for n in selection.networks]


def shared_tasks(structure: Sequence[tuple[frozenset[str], frozenset[str]]]) -> frozenset[str]:
    """The tasks predicted by a network that has more than one task (Sec. 5: "trained with three tasks each")."""
    return frozenset(t for tasks, used in structure for t in used if len(tasks) > 1)


def co_assigned(structure: Sequence[tuple[frozenset[str], frozenset[str]]]) -> set[frozenset[str]]:
    """The task pairs predicted by the same network."""
    return {frozenset(p) for _, used in structure for p in itertools.combinations(sorted(used), 2)}


def _relabel_check(name: str, statistic: Callable[[Mapping[str, str]], float], *, kind: str, detail: str) -> Check:
    """``statistic(relabel)`` (relabel maps our task letters to others) against every ordering of the tasks: p_for the
    share of orderings reaching the identity's value or more, p_against the share reaching it or less."""
    letters = [LETTERS[t] for t in TASKS]
    observed = statistic({x: x for x in letters})
    null = np.array([statistic(dict(zip(letters, order))) for order in itertools.permutations(letters)])
    p_for, p_against = float(np.mean(null >= observed - 1e-12)), float(np.mean(null <= observed + 1e-12))
    return Check(name, float(observed - null.mean()), noisy=True, n=len(letters), p_for=p_for, p_against=p_against, kind=kind,
                 detail=f"{detail}; chance (mean over {len(null)} task orderings) {null.mean():.3g}; permutation p = {p_for:.3g}")


def structure_claim(optimal: Mapping[float, Selection]) -> Claim:
    """Sec. 5 at 5 SNT: the optimal selection predicts s, d and e with multi-task networks and n, k with single-task
    ones. Not testable here: the number of tasks whose shared/alone status matches the paper's, against chance
    (task-label permutation), cannot reach significance on five tasks (a 3/2 split matches exactly in 12 of 120
    orderings, so p >= 0.1), so it is a supporting line and the claim carries the reason. Supporting: over budgets 1.5 .. 4.5 of Table 6, the
    (budget, task pair) co-prediction agreements with the paper's optimal column exceed chance (same permutation).
    Sanity: Table 6's 5-SNT cell says what the sentence says."""
    table6 = published.load("03_table6_groupings").set_index("budget")
    top = float(len(TASKS))
    paper5 = shared_tasks(published_structure(table6.loc[top, "optimal"]))
    ours = {float(b): selection_structure(s) for b, s in optimal.items()}
    if top not in ours:
        raise ValueError(f"structure_claim needs the optimal selection at {top:g} SNT; got budgets {sorted(ours)}")
    ours5 = shared_tasks(ours[top])
    letters = [LETTERS[t] for t in TASKS]

    def status(relabel: Mapping[str, str]) -> float:
        return float(sum((relabel[x] in ours5) == (x in paper5) for x in letters))

    budgets = [b for b in sorted(ours) if 1.0 < b < top and b in table6.index]
    paper_pairs = {b: co_assigned(published_structure(table6.loc[b, "optimal"])) for b in budgets}
    our_pairs = {b: co_assigned(ours[b]) for b in budgets}
    all_pairs = [frozenset(p) for p in itertools.combinations(letters, 2)]

    def agree(relabel: Mapping[str, str]) -> float:
        return float(sum((frozenset(relabel[x] for x in p) in our_pairs[b]) == (p in paper_pairs[b]) for b in budgets for p in all_pairs))

    fmt = lambda s: "".join(x for x in letters if x in s) or "none"  # noqa: E731
    alone = lambda s: fmt(set(letters) - s)  # noqa: E731
    checks = [_relabel_check(f"{top:g} SNT: tasks predicted by multi-task networks match the paper's ({fmt(paper5)}) beyond chance",
                             status, kind=SUPPORTING, detail=f"{status({x: x for x in letters}):g}/5 tasks match")]
    if budgets:
        checks.append(_relabel_check(f"Table 6 budgets {budgets[0]:g}-{budgets[-1]:g}: same task pairs predicted by one network beyond chance",
                                     agree, kind=SUPPORTING,
                                     detail=f"{agree({x: x for x in letters}):g}/{len(budgets) * len(all_pairs)} (budget, pair) agree"))
    checks.append(Check.truth("Table 6's 5-SNT cell: multi-task networks predict s, d, e; n, k alone (the sentence)", paper5 == frozenset("sde"),
                              kind=SANITY, detail=f"Table 6: {table6.loc[top, 'optimal']}"))
    return Claim(
        "Sec. 5: at 5 SNT, s, d and e are best learned with others, n and k alone",
        "our optimal method picks five networks, each of which is used to make predictions for a separate task. However, "
        "three of the networks are trained with three tasks each, while only two are trained with one task each. This "
        "shows that the representations learned through multi-task learning were found to be best for three of our tasks "
        "(s, d, and e), whereas two of our tasks (n and k) are best solved individually.",
        f"Table 6 at 5 SNT: {table6.loc[top, 'optimal']} (shared: {fmt(paper5)}; alone: {alone(paper5)})",
        f"ours at 5 SNT: {optimal[top].label(LETTERS)} (shared: {fmt(ours5)}; alone: {alone(ours5)}); one seed",
        checks,
        reason=("nothing decisive can be measured on five tasks: even an exact match of the paper's shared/alone split "
                "has a permutation p of 0.1 (12 of the 120 relabellings match as well), above the rule's 0.025; the "
                "agreement is shown as supporting lines"),
    )


def _affinity(pairs: pd.DataFrame) -> dict[frozenset[str], float]:
    return {frozenset((a.lower(), b.lower())): float(v) for a, b, v in zip(pairs["task_a"], pairs["task_b"], pairs["affinity_mtl"])}


def _rank_check(name: str, aff: Mapping[frozenset[str], float], pair: str, *, highest: bool, kind: str) -> Check:
    sign = 1.0 if highest else -1.0
    return _relabel_check(name, lambda r: sign * aff[frozenset(r[x] for x in pair)], kind=kind,
                          detail=f"{pair.upper()} affinity {aff[frozenset(pair)]:.3g}, rank {1 + sum(v > aff[frozenset(pair)] for v in aff.values())} of {len(aff)}")


def affinity_extremes_claim(pairs: pd.DataFrame, published_pairs: pd.DataFrame) -> Claim:
    """Sec. 6: normals-edges is the pair of highest multi-task affinity, while depth-normals (the 3-D tasks) and
    keypoints-edges (the 2-D tasks) do not score highly. Decisive: the contrast R(n,e) - mean(R(d,n), R(k,e)) of the
    pairs' ranks in our Table 3 (ranks: the sentence orders pairs, and one extreme pair would dominate raw values) exceeds chance over task-label permutations (120 orderings). Supporting: n-e is our highest pair, and
    Table 3's lowest pair (s-e; the text names no lowest) is our lowest (p >= 0.1 each: one pair of ten). Sanity:
    Table 3 itself has n-e highest."""
    aff, pub = _affinity(pairs), _affinity(published_pairs)
    ranks = {p: float(sum(v < aff[p] for v in aff.values())) for p in aff}  # 0 = lowest; the sentence orders pairs

    def contrast(values: Mapping[frozenset[str], float]) -> Callable[[Mapping[str, str]], float]:
        return lambda r: values[frozenset((r["n"], r["e"]))] - (values[frozenset((r["d"], r["n"]))] + values[frozenset((r["k"], r["e"]))]) / 2

    lowest = "".join(sorted(min(pub, key=pub.get), key="sdnke".index))
    rank = lambda v: ", ".join(f"{''.join(sorted(p, key='sdnke'.index)).upper()} {v[p]:.2f}" for p in sorted(v, key=v.get, reverse=True))  # noqa: E731
    checks = [
        _relabel_check("rank contrast R(N,E) - mean(R(D,N), R(K,E)) above chance", contrast(ranks), kind=DECISIVE,
                       detail=f"rank contrast {contrast(ranks)({x: x for x in 'sdnke'}):.3g} (ranks 0..9)"),
        _rank_check("N-E is our highest-affinity pair", aff, "ne", highest=True, kind=SUPPORTING),
        _rank_check(f"{lowest.upper()} (Table 3's lowest) is our lowest-affinity pair", aff, lowest, highest=False, kind=SUPPORTING),
        Check.truth("Table 3: N-E is the highest pair", max(pub, key=pub.get) == frozenset("ne"), kind=SANITY),
    ]
    return Claim(
        "Sec. 6: normals-edges has the highest multi-task affinity; the 3-D and the 2-D pairs do not score highly",
        "The pair with the highest affinity by this metric are Surface Normal Prediction and 2D Edge Detection. Our two 3D "
        "tasks, Depth Estimation and Surface Normal Prediction, do not score highly on this similarity metric. […] Our two "
        "2D tasks also do not score highly.",
        f"Table 3, high to low: {rank(pub)}",
        f"ours, high to low: {rank(aff)} (one seed)",
        checks,
    )


def savings(s: Settings, seconds: pd.DataFrame | None = None, n_tasks: int = len(TASKS)) -> pd.DataFrame:
    """The training each search (Sec. 3.3) pays: all 2^T - 1 full-size and T half-size candidates trained fully,
    ESA's early passes (then only the chosen networks train on), HOA's networks of <= 2 tasks trained fully.

    ``SNT-steps`` is what our configuration implies, in optimiser steps weighted by network cost (a half-size
    network's step counted as half); with the candidates' measured ``seconds`` (:attr:`GroupingRuns.seconds`),
    ``seconds`` is the wall time those trainings took, summed. Each has its share of the first row's."""
    per_epoch = s.n_train // s.batch_size
    full, early = s.epochs * per_epoch, _early_steps(s)
    groups = [g for k in range(1, n_tasks + 1) for g in itertools.combinations(range(n_tasks), k)]
    all_cost = len(groups) + n_tasks * 0.5
    hoa_cost = sum(1 for g in groups if len(g) <= 2) + n_tasks * 0.5
    rows = [
        {"search": "all candidates", "networks": len(groups) + n_tasks, "steps per network": full, "SNT-steps": all_cost * full},
        {"search": "ESA (early passes)", "networks": len(groups) + n_tasks, "steps per network": early, "SNT-steps": all_cost * early},
        {"search": "HOA (<= 2 tasks)", "networks": sum(1 for g in groups if len(g) <= 2) + n_tasks, "steps per network": full,
         "SNT-steps": hoa_cost * full},
    ]
    frame = pd.DataFrame(rows)
    frame["share of SNT-steps"] = frame["SNT-steps"] / frame.loc[0, "SNT-steps"]
    if seconds is not None and len(seconds):
        small = seconds["n_tasks"] <= 2
        frame["seconds"] = [seconds["train_s"].sum(), seconds["early_s"].sum(), seconds.loc[small, "train_s"].sum()]
        frame["share of seconds"] = frame["seconds"] / frame.loc[0, "seconds"]
    return frame


def _measured(s: Settings, seconds: pd.DataFrame) -> pd.DataFrame:
    """:func:`savings` with measured seconds, by search; ``ValueError`` when ``seconds`` is empty."""
    return savings(s, _required(seconds)).set_index("search")


def _required(seconds: pd.DataFrame | None) -> pd.DataFrame:
    """``seconds`` (:attr:`GroupingRuns.seconds`), or ``ValueError`` when there are none."""
    if seconds is None or not len(seconds):
        raise ValueError("no measured seconds: pass GroupingRuns.seconds from run_groupings (each candidate's wall time)")
    return seconds


def esa_savings_claim(s: Settings, seconds: pd.DataFrame) -> Claim:
    """Sec. 3.3.1: ESA cuts the search's training about 20x (95 %), "only 35 % training-time overhead". Not testable:
    the saving is the ratio of the full training's length to the early pass's, which the paper sets by training
    Taskonomy networks to convergence and our profiles by their time budget (``epochs``), and the overhead rests on
    it too (and on a budget the paper does not name); measured and step-count ratios are shown as sanity lines."""
    frame = _measured(s, seconds)
    esa = frame.loc["ESA (early passes)"]
    esa_steps, esa_secs = esa["share of SNT-steps"], esa["share of seconds"]
    pub = published_scalars()
    return Claim(
        "Sec. 3.3.1: ESA cuts the search's training about 20x",
        "this technique reduces the training time burden by about 20x over fully training all candidate networks and "
        "would require fewer than 150 GPU hours to execute. This is only 35% training-time overhead.",
        f"about {pub['esa_training_speedup']:g}x ({100 * pub['esa_training_saving']:g} % saved); fewer than "
        f"{pub['esa_gpu_hours_max']:g} GPU hours; {100 * pub['esa_overhead']:g} % overhead",
        f"measured: {1 / esa_secs:.1f}x ({100 * (1 - esa_secs):.0f} % saved; {esa['seconds']:.1f} s of early passes "
        f"against {frame.loc['all candidates', 'seconds']:.1f} s for all candidates); our configuration's steps: "
        f"{1 / esa_steps:.1f}x; the chosen networks' retraining after ESA is not counted",
        [Check.exact("ESA: all candidates' wall time / the early passes' (set by our epochs and the 20 % pass)",
                     1 / esa_secs, 1.0, kind=SANITY),
         Check.exact("ESA: all candidates' steps / the early passes' (arithmetic)", 1 / esa_steps, 1.0, kind=SANITY)],
        reason="the saving is the full training's length over the early pass's: the paper trains to convergence on "
               "Taskonomy, our profiles train a few epochs for their time budget, so the ratio measures our settings; "
               "the 35 % overhead (the early passes over training the chosen networks) rests on the same ratio and on a "
               "budget the paper does not name",
    )


def hoa_savings_claim(s: Settings, seconds: pd.DataFrame) -> Claim:
    """Sec. 3.3.2: HOA saves only about 50 % of the search's training. Not testable: HOA trains the 20 candidates
    of <= 2 tasks out of 36, which by network cost alone saves 48 %, already "about 50 %"; what a measurement adds is
    how our networks' training time grows with their tasks (our decoders, our evaluation), a property of our settings
    as ESA's ratio is. The measured and the cost-weighted shares are sanity lines; neither counts retraining the
    chosen networks of >= 3 tasks."""
    hoa = _measured(s, seconds).loc["HOA (<= 2 tasks)"]
    saved_secs, saved_steps = 1 - hoa["share of seconds"], 1 - hoa["share of SNT-steps"]
    target = float(published_scalars()["hoa_training_saving"])
    return Claim(
        "Sec. 3.3.2: HOA saves only about 50 % of the search's training",
        "With our setup (see Section 4), this strategy saves training time by only about 50%, compared with 95% for "
        "the early stopping approximation",
        f"about {100 * target:g} % saved",
        f"measured: {100 * saved_secs:.0f} % of the candidates' wall time saved (networks of >= 3 tasks not trained); "
        f"our configuration's cost-weighted steps: {100 * saved_steps:.0f} %; retraining the chosen networks is not counted",
        [Check.exact("HOA: share of the candidates' wall time saved (set by our networks' cost per task)", saved_secs,
                     0.0, kind=SANITY),
         Check.exact("HOA: share of the candidates' SNT-steps saved (set by the task count)", saved_steps, 0.0, kind=SANITY)],
        reason="the 20 networks of <= 2 tasks are 48 % of the candidates' cost whatever is trained, so the saving is set "
               "by the candidate set and by how our networks' time grows with their tasks, not measured against the paper's",
    )


def search_time_claim(search: pd.DataFrame, seconds: pd.DataFrame) -> Claim:
    """Appendix A: on 5 tasks and 36 candidates every selection takes under a second. Decisive: the slowest of our
    selections (:func:`search_seconds`, every search and budget) against 1 s. Sec. 3.2's "less time than network
    training for all candidates for fewer than ten tasks" is about how the search scales with the task count; at our
    5 tasks, milliseconds against a minute, it cannot fail, so it is a sanity line."""
    training = float(_required(seconds)["train_s"].sum())
    slowest, total = float(search["seconds"].max()), float(search["seconds"].sum())
    limit = float(published_scalars()["search_seconds_max"])
    return Claim(
        "App. A: selecting the networks for 5 tasks and 36 candidates takes under a second",
        "In our setup, we tried variants of problems with 5 tasks and 36 networks, and all of them took less than a "
        "second to solve. […] our branch-and-bound like approach requires less time than network training for all "
        "2^|T| - 1 + |T| candidates for fewer than ten tasks",
        f"under {limit:g} s per problem (5 tasks, 36 networks)",
        f"{len(search)} selections ({search['search'].nunique()} searches x {search['budget'].nunique()} budgets): slowest "
        f"{slowest:.3g} s, all together {total:.3g} s; training the candidates took {training:.1f} s",
        [Check.exact(f"the slowest selection under {limit:g} s", slowest, limit, above=False),
         Check.exact("all selections together faster than training the candidates (at 5 tasks it cannot fail: the "
                     "sentence is about scaling to < 10 tasks)", total, training, above=False, kind=SANITY)],
    )
