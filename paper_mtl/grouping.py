"""Which tasks should be learned together: network selection under an inference-time budget (paper 03, Section 3).

A candidate :class:`Network` solves some tasks at an inference cost (in standard-network units, SNT: a full-size
encoder costs 1, a half-size one 0.5) with a loss per task. A solution S is a set of networks covering every task;
its loss on a task is the lowest among its networks, ``L(S, t) = min_{n ∈ S} L(n, t)``, and its total loss
``L(S) = Σ_t L(S, t)``. Network selection finds ``S_b = argmin_{S: cost(S) <= b} L(S)`` (Section 3.2).

:func:`select_networks` solves it exactly two ways that always agree:

- ``"branch_and_bound"``: the paper's Algorithm 1 (Appendix A.1; recursive, candidates filtered by remaining
  budget and by whether they can improve some task, sorted most promising first, each subset visited once)
  plus a lower bound on every completion of the running solution, which the paper's algorithm (and its public
  C++ code) lacks: the Lagrangian bound of the facility-location form (relaxing "each task takes one loss",
  a fractional knapsack over the networks' reduced costs), raised by subgradient steps, checked at every node
  and before every later sibling (whose candidates are a suffix of the sorted list). With it, 10 tasks (1,023
  groupings + 10 half-size networks) are exact in about a second per budget
  (``benchmarks/bench_selection.py``).
- ``"milp"``: the same problem as a binary integer program (facility-location form) solved by
  :func:`scipy.optimize.milp` (HiGHS), as the paper suggests in Section 3.2.

Approximations (Section 3.3): the Early-Stopping Approximation selects on losses measured after a short run and
scores the chosen networks once trained (:meth:`Selection.rescore`); the Higher-Order Approximation
(:func:`higher_order_approximation`) predicts a group's loss on a task as the mean of that task's losses in the
pair networks inside the group. Baselines (Section 4.1): random valid groupings (:func:`random_groupings`) and
the pessimal grouping, which here is exact (:func:`pessimal_selection`) rather than a Monte-Carlo maximum.
Task relationships (Section 6): :func:`first_order_relationships` (Table 2) and :func:`mtl_affinity` (Table 3).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.stats import pearsonr

from paper_mtl.profiles import check_choice

METHODS = ("branch_and_bound", "milp")
_EPS = 1e-9
_MILP_MARGIN = 1e-6  # above HiGHS's feasibility tolerance (1e-7), for the strict "less than the cheapest cost left"


@dataclass(frozen=True)
class Network:
    """A trained candidate network: its ``name``, inference ``cost`` (SNT) and ``losses`` (task -> loss).

    ``losses`` holds one entry per task the network has a decoder for; a task it does not solve is absent
    (the paper's L(n, t) = ∞).
    """

    name: str
    cost: float
    losses: Mapping[str, float]

    def __post_init__(self) -> None:
        if not self.losses:
            raise ValueError(f"network {self.name!r} solves no task; give it at least one loss")
        if not (np.isfinite(self.cost) and self.cost > 0):
            raise ValueError(f"network {self.name!r}: cost must be a positive finite number, got {self.cost!r}")
        bad = {t: v for t, v in self.losses.items() if not np.isfinite(v)}
        if bad:
            raise ValueError(f"network {self.name!r}: losses must be finite, got {bad}")
        object.__setattr__(self, "losses", {t: float(v) for t, v in self.losses.items()})

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.losses)


@dataclass(frozen=True)
class Selection:
    """A solution: the chosen ``networks``, which network predicts each task (``assignment``), and its totals.

    ``loss`` is Σ_t of the assigned network's loss on t; ``cost`` the sum of the networks' costs. A selection
    chosen on validation losses is scored on test losses with :meth:`rescore` (Section 4: "each solution chosen
    was evaluated on the test set").
    """

    networks: tuple[Network, ...]
    assignment: Mapping[str, str]
    loss: float
    cost: float
    task_losses: Mapping[str, float] = field(repr=False)

    @classmethod
    def build(cls, networks: Sequence[Network], tasks: Sequence[str]) -> Selection:
        """The selection of ``networks`` where each task goes to the chosen network with the lowest loss on it."""
        assignment: dict[str, str] = {}
        task_losses: dict[str, float] = {}
        for t in tasks:
            holders = [n for n in networks if t in n.losses]
            if not holders:
                raise ValueError(f"task {t!r} is solved by none of the networks {[n.name for n in networks]}")
            best = min(holders, key=lambda n: n.losses[t])
            assignment[t], task_losses[t] = best.name, best.losses[t]
        return cls(tuple(networks), assignment, float(sum(task_losses.values())), float(sum(n.cost for n in networks)), task_losses)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.networks)

    def rescore(self, table: Iterable[Network], reassign: bool = False) -> Selection:
        """The same networks looked up by name in ``table`` (e.g. test losses), keeping the task assignment.

        With ``reassign`` each task instead goes to the network that is best in ``table`` (what the paper's
        public C++ code does when it scores a selection on the test set).
        """
        lookup = {n.name: n for n in table}
        missing = [name for name in self.names if name not in lookup]
        if missing:
            raise ValueError(f"networks {missing} of this selection are not in the table; it has {sorted(lookup)}")
        networks = tuple(lookup[name] for name in self.names)
        if reassign:
            return Selection.build(networks, list(self.assignment))
        task_losses = {}
        for t, name in self.assignment.items():
            if t not in lookup[name].losses:
                raise ValueError(f"network {name!r} in the table has no loss for task {t!r}")
            task_losses[t] = lookup[name].losses[t]
        return Selection(networks, dict(self.assignment), float(sum(task_losses.values())), float(sum(n.cost for n in networks)), task_losses)

    def label(self, letters: Mapping[str, str] | None = None) -> str:
        """The paper's notation (Table 6): one letter per task a network has, upper case where the solution uses
        that network's prediction, lower case otherwise; a network costing c != 1 gets ``(c)``: ``"nKE, SDn, N(0.5)"``."""
        parts = []
        for n in self.networks:
            text = "".join(
                (letters[t] if letters else t[0]).upper() if self.assignment.get(t) == n.name else (letters[t] if letters else t[0]).lower()
                for t in n.tasks
            )
            parts.append(text if n.cost == 1 else f"{text}({n.cost:g})")
        return ", ".join(parts)


def groupings(tasks: Sequence[str]) -> list[tuple[str, ...]]:
    """All 2^T − 1 non-empty task groups, by size then in task order (the row order of the paper's Table 8)."""
    if len(set(tasks)) != len(tasks) or not tasks:
        raise ValueError(f"tasks must be distinct and non-empty, got {list(tasks)}")
    return [g for k in range(1, len(tasks) + 1) for g in itertools.combinations(tasks, k)]


def networks_from_table(table: pd.DataFrame, cost: float = 1.0, columns: Mapping[str, str] | None = None) -> list[Network]:
    """Networks from a wide table: one row per network (index = name), one column per task, NaN = no decoder.

    ``columns`` renames the table's columns to task names (e.g. the paper's letters to ours).
    """
    table = table.rename(columns=dict(columns)) if columns else table
    return [Network(str(name), cost, {t: float(v) for t, v in row.items() if pd.notna(v)}) for name, row in table.iterrows()]


def networks_to_table(networks: Iterable[Network], tasks: Sequence[str] | None = None) -> pd.DataFrame:
    """The inverse of :func:`networks_from_table`: rows = networks, columns = tasks, NaN where absent, plus ``cost``."""
    networks = list(networks)
    tasks = list(tasks) if tasks is not None else list(dict.fromkeys(t for n in networks for t in n.tasks))
    rows = {n.name: {**{t: n.losses.get(t, np.nan) for t in tasks}, "cost": n.cost} for n in networks}
    return pd.DataFrame.from_dict(rows, orient="index")


def _matrix(networks: Sequence[Network], tasks: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    losses = np.array([[n.losses.get(t, np.inf) for t in tasks] for n in networks], dtype=float).reshape(len(networks), len(tasks))
    costs = np.array([n.cost for n in networks], dtype=float)
    return losses, costs


def _check_problem(networks: Sequence[Network], budget: float, tasks: Sequence[str] | None) -> tuple[list[Network], list[str]]:
    networks = list(networks)
    if not networks:
        raise ValueError("network selection needs at least one candidate network")
    names = [n.name for n in networks]
    duplicates = sorted({x for x in names if names.count(x) > 1})
    if duplicates:
        raise ValueError(f"network names must be unique; repeated: {duplicates}")
    if not (np.isfinite(budget) and budget > 0):
        raise ValueError(f"budget must be a positive finite number, got {budget!r}")
    tasks = list(dict.fromkeys(t for n in networks for t in n.tasks)) if tasks is None else list(tasks)
    if not tasks or len(set(tasks)) != len(tasks):
        raise ValueError(f"tasks must be distinct and non-empty, got {tasks}")
    unsolved = [t for t in tasks if not any(t in n.losses for n in networks)]
    if unsolved:
        raise ValueError(f"no candidate network solves task(s) {unsolved}")
    return networks, tasks


def _cheapest_cover(losses: np.ndarray, costs: np.ndarray) -> float:
    """The lowest total cost of networks covering every task (a set-cover BIP), for error messages."""
    covers = sparse.csr_array(np.isfinite(losses).T.astype(float))
    res = milp(costs, constraints=[LinearConstraint(covers, lb=1.0)], integrality=np.ones_like(costs), bounds=Bounds(0, 1))
    return float(res.fun)


def _infeasible(losses: np.ndarray, costs: np.ndarray, tasks: Sequence[str], budget: float) -> ValueError:
    return ValueError(
        f"no selection of networks covers tasks {list(tasks)} within budget {budget:g}; "
        f"the cheapest cover costs {_cheapest_cover(losses, costs):g}"
    )


def _knapsack(values: np.ndarray, cost: np.ndarray, budget: float) -> np.ndarray:
    """Fractional knapsack minimising Σ values x with Σ cost x <= budget, 0 <= x <= 1: the optimal x."""
    order = np.argsort(values / cost, kind="stable")
    c = cost[order]
    before = np.concatenate(([0.0], np.cumsum(c)[:-1]))
    take = np.zeros_like(values)
    take[order] = np.clip((budget - before) / c, 0.0, 1.0) * (values[order] < 0)
    return take


def _lagrangian_bound(
    block: np.ndarray, cost: np.ndarray, value: np.ndarray, budget: float, target: float, u: np.ndarray, iterations: int
) -> tuple[float, np.ndarray]:
    """A lower bound on the loss of every completion of the running solution, and the multipliers reaching it.

    Relaxing "each task takes one loss" with multipliers u gives, for any u (weak duality),
    ``Σ_t min(u_t, value_t) + min_x Σ_n x_n Σ_t min(0, L_nt − u_t)`` over the fractional knapsack
    Σ_n c_n x_n <= budget: the Lagrangian bound of this facility-location problem, which equals its LP bound at
    the best u. ``u = value`` gives the running loss minus a knapsack of individual improvements. The bound is
    raised by projected subgradient steps (Polyak steps towards ``target``, the best loss found so far) and the
    search stops as soon as it reaches ``target``.
    """
    best, best_u, scale, stale = -np.inf, u, 1.0, 0
    for _ in range(iterations):
        reduced = np.minimum(block - u, 0.0).sum(1)
        x = _knapsack(reduced, cost, budget)
        bound = float(np.minimum(u, value).sum() + reduced @ x)
        if bound > best + _EPS:
            best, best_u, stale = bound, u, 0
        else:
            stale += 1
            if stale >= 3:
                scale, stale = scale / 2.0, 0
        if best >= target - _EPS or not np.isfinite(target):
            break
        grad = (u < value).astype(float) - x @ (block < u)
        norm = float(grad @ grad)
        if norm == 0.0:
            break
        u = np.minimum(u + scale * (target - bound) / norm * grad, value)
    return best, best_u


def _branch_and_bound(
    losses: np.ndarray, costs: np.ndarray, budget: float, iterations: int = 30, sibling_iterations: int = 3
) -> list[int] | None:
    """Algorithm 1 (paper 03, Appendix A.1) with a Lagrangian lower bound; returns the indices of an optimum."""
    n_tasks = losses.shape[1]
    finite = np.isfinite(losses)
    # For covering solutions Σ_t min(L(S,t), U_t) = L(S), U_t the worst finite loss on t: using U_t for an
    # uncovered task keeps every bound valid and finite.
    worst = np.where(finite, losses, -np.inf).max(0)
    best: list = [np.inf, None]

    def recurse(candidates: np.ndarray, chosen: list[int], current: np.ndarray, remaining: float, u: np.ndarray) -> None:
        if np.isfinite(current).all() and current.sum() < best[0] - _EPS:
            best[0], best[1] = float(current.sum()), list(chosen)
        # FILTER (lines 12-15): within the remaining budget and able to improve some task.
        block = losses[candidates]
        keep = (costs[candidates] <= remaining + _EPS) & (block < current).any(1)
        candidates, block = candidates[keep], block[keep]
        if len(candidates) == 0:
            return
        reach = block.min(0)
        if (~np.isfinite(current) & ~np.isfinite(reach)).any():
            return
        value = np.minimum(current, worst)
        if float(np.minimum(value, reach).sum()) >= best[0] - _EPS:
            return
        bound, u = _lagrangian_bound(block, costs[candidates], value, remaining, best[0], np.minimum(u, value), iterations)
        if bound >= best[0] - _EPS:
            return
        # SORT (line 3): most promising first, by how much each network improves the running solution.
        order = np.argsort(-np.maximum(value - block, 0.0).sum(1), kind="stable")
        candidates, block = candidates[order], block[order]
        for i, n in enumerate(candidates):
            # Every later sibling uses only candidates[i:]: stop the loop once their bound cannot win.
            if i > 0:
                bound, u = _lagrangian_bound(block[i:], costs[candidates[i:]], value, remaining, best[0], u, sibling_iterations)
                if bound >= best[0] - _EPS:
                    return
            recurse(candidates[i + 1 :], [*chosen, int(n)], np.minimum(current, losses[n]), remaining - costs[n], u)

    recurse(np.arange(len(costs)), [], np.full(n_tasks, np.inf), budget, worst.copy())
    return best[1]


def _milp_problem(losses: np.ndarray, costs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Variables [x_n, y_(n,t) for finite L(n,t)]; constraints Σ_n y_nt = 1 and y_nt <= x_n."""
    n_nets, n_tasks = losses.shape
    pairs = np.argwhere(np.isfinite(losses))
    n_y = len(pairs)
    objective = np.concatenate([np.zeros(n_nets), losses[pairs[:, 0], pairs[:, 1]]])
    rows = np.arange(n_y)
    assign = sparse.csr_array((np.ones(n_y), (pairs[:, 1], n_nets + rows)), shape=(n_tasks, n_nets + n_y))
    link = sparse.csr_array(
        (np.concatenate([np.ones(n_y), -np.ones(n_y)]), (np.concatenate([rows, rows]), np.concatenate([n_nets + rows, pairs[:, 0]]))),
        shape=(n_y, n_nets + n_y),
    )
    cost_row = sparse.csr_array(np.concatenate([costs, np.zeros(n_y)])[None, :])
    constraints = [LinearConstraint(assign, 1.0, 1.0), LinearConstraint(link, -np.inf, 0.0)]
    return objective, pairs, cost_row, constraints


def _milp(losses: np.ndarray, costs: np.ndarray, budget: float) -> list[int] | None:
    objective, _, cost_row, constraints = _milp_problem(losses, costs)
    res = milp(
        objective,
        constraints=[*constraints, LinearConstraint(cost_row, -np.inf, budget + _EPS)],
        integrality=np.ones_like(objective),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0.0},
    )
    if res.status == 2:
        return None
    if not res.success:
        raise RuntimeError(f"scipy.optimize.milp failed: {res.message}")
    return [int(i) for i in np.flatnonzero(res.x[: len(costs)] > 0.5)]


def select_networks(
    networks: Sequence[Network], budget: float, tasks: Sequence[str] | None = None, method: str = "branch_and_bound"
) -> Selection:
    """The lowest-loss set of ``networks`` covering ``tasks`` with total cost <= ``budget`` (paper 03, Sec. 3.2).

    ``tasks`` defaults to every task some network solves; losses on other tasks are ignored. ``method`` is
    ``"branch_and_bound"`` (Algorithm 1 with a lower bound) or ``"milp"`` (binary integer program); both are
    exact. Networks the optimum does not use for any task are dropped (they change nothing but the cost).
    Raises ``ValueError`` when no selection within the budget covers every task.
    """
    check_choice("method", method, METHODS)
    networks, tasks = _check_problem(networks, budget, tasks)
    losses, costs = _matrix(networks, tasks)
    chosen = (_branch_and_bound if method == "branch_and_bound" else _milp)(losses, costs, float(budget))
    if chosen is None:
        raise _infeasible(losses, costs, tasks, budget)
    selection = Selection.build([networks[i] for i in sorted(chosen)], tasks)
    used = set(selection.assignment.values())
    return Selection.build([n for n in selection.networks if n.name in used], tasks)


def _is_full(remaining: float, min_cost: float) -> bool:
    return remaining < min_cost - _EPS


def random_groupings(
    networks: Sequence[Network], budget: float, tasks: Sequence[str] | None = None, trials: int = 1000, seed: int = 0
) -> np.ndarray:
    """Total losses of ``trials`` random valid groupings (the 'Random' baseline, paper 03 Sec. 4.1).

    A grouping is drawn as the paper's public code does: networks in random order, each added when it fits the
    remaining budget, until no network fits (remaining < the cheapest cost); a draw that does not cover every
    task is redrawn. Each task takes the best loss among the drawn networks. The paper reports the mean of
    1,000 trials (its code uses 1,000,000).
    """
    networks, tasks = _check_problem(networks, budget, tasks)
    if trials < 1:
        raise ValueError(f"trials must be >= 1, got {trials}")
    losses, costs = _matrix(networks, tasks)
    min_cost = float(costs.min())
    if _milp(losses, costs, float(budget)) is None:
        raise _infeasible(losses, costs, tasks, budget)
    rng = np.random.default_rng(seed)
    totals = np.empty(trials)
    for trial in range(trials):
        while True:
            remaining, current = float(budget), np.full(len(tasks), np.inf)
            for n in rng.permutation(len(networks)):
                if costs[n] <= remaining + _EPS:
                    remaining -= costs[n]
                    current = np.minimum(current, losses[n])
                    if _is_full(remaining, min_cost):
                        break
            if _is_full(remaining, min_cost) and np.isfinite(current).all():
                totals[trial] = current.sum()
                break
    return totals


def pessimal_selection(networks: Sequence[Network], budget: float, tasks: Sequence[str] | None = None) -> Selection:
    """The worst valid grouping, exactly (the 'Pessimal' baseline, paper 03 Sec. 4.1).

    Valid groupings are those the random baseline can draw: covering every task, cost <= ``budget`` with less
    than the cheapest network's cost left over; each task still takes the best loss among the chosen networks.
    Solved as a BIP that maximises the assigned losses subject to each task going to its best chosen network
    (for every network m better than n on t: Σ_m x_m <= K (1 − y_nt)). The paper's code takes the maximum of
    10,000,000 random draws instead.
    """
    networks, tasks = _check_problem(networks, budget, tasks)
    losses, costs = _matrix(networks, tasks)
    objective, pairs, cost_row, constraints = _milp_problem(losses, costs)
    n_nets, n_y = len(costs), len(pairs)
    rows, cols, vals = [], [], []
    for k, (n, t) in enumerate(pairs):
        better = np.flatnonzero(losses[:, t] < losses[n, t])
        rows += [k] * (len(better) + 1)
        cols += [*better.tolist(), n_nets + k]
        vals += [1.0] * len(better) + [float(max(len(better), 1))]
    consistent = sparse.csr_array((vals, (rows, cols)), shape=(n_y, n_nets + n_y))
    upper = np.array([max(int((losses[:, t] < losses[n, t]).sum()), 1) for n, t in pairs], dtype=float)
    res = milp(
        -objective,
        constraints=[
            *constraints,
            LinearConstraint(consistent, -np.inf, upper),
            LinearConstraint(cost_row, budget - float(costs.min()) + _MILP_MARGIN, budget + _EPS),
        ],
        integrality=np.ones_like(objective),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0.0},
    )
    if res.status == 2:
        raise _infeasible(losses, costs, tasks, budget)
    if not res.success:
        raise RuntimeError(f"scipy.optimize.milp failed: {res.message}")
    return Selection.build([networks[i] for i in np.flatnonzero(res.x[:n_nets] > 0.5)], tasks)


def _pair_key(tasks: Iterable[str]) -> frozenset[str]:
    return frozenset(tasks)


def higher_order_approximation(
    networks: Sequence[Network], cost: float = 1.0, name: Callable[[tuple[str, ...]], str] | None = None
) -> list[Network]:
    """The Higher-Order Approximation (paper 03, Sec. 3.3.2): predict every group of three or more tasks.

    ``networks`` are the trained networks of one or two tasks (pairs at ``cost``; single-task networks of any
    size are kept as they are). For every group of >= 3 of their tasks a network at ``cost`` is added whose loss
    on task t is the mean of t's losses in the pair networks inside the group. Returns the given networks
    followed by the predicted ones, named ``name(group)`` (default: task names joined by ``+``).
    """
    networks = list(networks)
    large = [n.name for n in networks if len(n.tasks) > 2]
    if large:
        raise ValueError(f"the HOA takes networks of one or two tasks; got larger ones {large}")
    pairs = {_pair_key(n.tasks): n for n in networks if len(n.tasks) == 2 and n.cost == cost}
    tasks = list(dict.fromkeys(t for n in networks for t in n.tasks))
    name = name or (lambda group: "+".join(group))
    predicted = []
    for group in groupings(tasks):
        if len(group) < 3:
            continue
        missing = [p for p in itertools.combinations(group, 2) if _pair_key(p) not in pairs]
        if missing:
            raise ValueError(f"the HOA needs the pair network of every pair in {group}; missing {missing}")
        losses = {t: float(np.mean([pairs[_pair_key((t, o))].losses[t] for o in group if o != t])) for t in group}
        predicted.append(Network(name(group), cost, losses))
    return networks + predicted


def max_ratio_error(predicted: Iterable[Network], actual: Iterable[Network]) -> float:
    """Mean over (network, task) of max(p/a, a/p) − 1 between predicted and actual losses of same-named networks.

    The paper's measure of the HOA's accuracy (Sec. 3.3.2, 5.2% on its candidates); only names present in both
    are compared.
    """
    lookup = {n.name: n for n in actual}
    ratios = [
        max(p.losses[t] / lookup[p.name].losses[t], lookup[p.name].losses[t] / p.losses[t]) - 1.0
        for p in predicted
        if p.name in lookup
        for t in p.tasks
    ]
    if not ratios:
        raise ValueError("no network appears in both the predicted and the actual tables")
    return float(np.mean(ratios))


def loss_correlation(first: Iterable[Network], second: Iterable[Network]) -> tuple[float, float]:
    """Pearson's r (and its p-value) between two tables' losses, paired by (network name, task).

    The ESA's evidence (paper 03, Sec. 3.3.1): validation loss after a short run against the final test loss
    (paper: r = 0.49).
    """
    lookup = {n.name: n for n in second}
    pairs = [(n.losses[t], lookup[n.name].losses[t]) for n in first if n.name in lookup for t in n.tasks if t in lookup[n.name].losses]
    if len(pairs) < 3:
        raise ValueError(f"need at least 3 (network, task) pairs present in both tables, got {len(pairs)}")
    a, b = np.array(pairs).T
    result = pearsonr(a, b)
    return float(result.statistic), float(result.pvalue)


def first_order_relationships(networks: Iterable[Network], reference: Mapping[str, float]) -> pd.DataFrame:
    """Table 2 of paper 03: relative performance (%) of each task (column) when trained in a pair with the row task.

    ``reference[t]`` is t's loss alone on a half-size network; the entry is ``100 (1 − L(pair, t) / reference[t])``
    (positive = the pair helps t), the form that reproduces the published Table 2 from Tables 2 and 9 (it gives
    one consistent half-size loss per task). Rows and columns follow ``reference``'s order; the diagonal is NaN.
    """
    tasks = list(reference)
    pairs = {_pair_key(n.tasks): n for n in networks if len(n.tasks) == 2}
    table = pd.DataFrame(np.nan, index=pd.Index(tasks, name="trained_with"), columns=tasks)
    for row, col in itertools.permutations(tasks, 2):
        key = _pair_key((row, col))
        if key not in pairs:
            raise ValueError(f"no pair network for tasks {sorted(key)}")
        table.loc[row, col] = 100.0 * (1.0 - pairs[key].losses[col] / reference[col])
    return table


def mtl_affinity(first_order: pd.DataFrame) -> pd.DataFrame:
    """Table 3 of paper 03: the mean of the first-order table and its transpose, one row per unordered pair."""
    tasks = list(first_order.columns)
    square = first_order.loc[tasks, tasks].astype(float)
    sym = (square + square.T) / 2.0
    rows = [{"task_a": a, "task_b": b, "affinity": float(sym.loc[a, b])} for a, b in itertools.combinations(tasks, 2)]
    return pd.DataFrame(rows)
