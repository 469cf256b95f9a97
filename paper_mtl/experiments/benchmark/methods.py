"""The benchmark's rows, read from the strategy registry: every registered strategy with its benchmark
parameters (:func:`methods`), so a strategy a user registers joins the benchmark without editing the notebook.

Most strategies run with their defaults on the shared-encoder network. The exceptions:

* ``classwise`` (paper 02) weighs segmentation as depth's auxiliary task (the paper's NYUv2 pairing), once per
  reading of Eq. 10 (``literal`` and ``intent``); normals enter unweighted.
* ``pareto_mtl`` (paper 02's baseline) gets one preference vector, the equal one (1, ..., 1)/√T, and only it: with
  no other vector there is no constraint, so Pareto MTL is the min-norm (MGDA) direction over every parameter,
  rescaled to Σ|α| = T.
* ``adversarial_gradients`` (paper 04) needs the task-conditioned network; it gives the row "SE single-tasking +
  discriminator", beside "SE single-tasking" (the same network with the plain sum), both one task per step.
* ``cosine_monitor`` observes another strategy; the benchmark logs every method's cosines with the
  :class:`~paper_mtl.weighting.cosreg.TaskCosines` callback instead (:data:`NOT_BENCHMARKED`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from paper_mtl.weighting import list_strategies

BASELINE = "weighted_sum"
"""The linear sum of losses (equal weights): the reference of every time ratio and of the field's question."""


@dataclass(frozen=True)
class Method:
    """One benchmark row: a registered ``strategy`` with ``params`` on ``architecture`` (``"shared"``: the
    hard-sharing network; ``"single_tasking"``: paper 04's network, one task per step)."""

    label: str
    strategy: str
    params: dict[str, Any] = field(default_factory=dict)
    architecture: str = "shared"


def _classwise(tasks: Sequence[str]) -> list[Method]:
    common = {"main": "depth_zbuffer", "aux": "segment_semantic"}
    return [Method(f"classwise ({update})", "classwise", {**common, "update": update}) for update in ("literal", "intent")]


def _pareto(tasks: Sequence[str]) -> list[Method]:
    equal = tuple([round(1 / math.sqrt(len(tasks)), 6)] * len(tasks))
    return [Method("pareto_mtl", "pareto_mtl", {"preference": equal, "vectors": [list(equal)], "phase1_epochs": 0})]


def _single_tasking(tasks: Sequence[str]) -> list[Method]:
    return [Method("SE single-tasking + discriminator", "adversarial_gradients", {}, "single_tasking")]


ROWS: dict[str, Callable[[Sequence[str]], list[Method]]] = {
    "classwise": _classwise, "pareto_mtl": _pareto, "adversarial_gradients": _single_tasking,
}
"""Registered names whose rows need more than the defaults on the shared network."""
NOT_BENCHMARKED = {
    "cosine_monitor": "it observes another strategy; every row's cosines are logged by the TaskCosines callback",
}
"""Registered strategies with no row of their own, and why."""


def methods(tasks: Sequence[str]) -> list[Method]:
    """The benchmark's rows for ``tasks``: every registered strategy (defaults on the shared network unless
    :data:`ROWS` says otherwise, none for :data:`NOT_BENCHMARKED`), then "SE single-tasking" with the plain sum."""
    rows: list[Method] = []
    for name in list_strategies():
        if name in NOT_BENCHMARKED:
            continue
        rows += ROWS[name](tasks) if name in ROWS else [Method(name, name)]
    rows.append(Method("SE single-tasking", BASELINE, {}, "single_tasking"))
    return rows


def methods_table(tasks: Sequence[str]) -> pd.DataFrame:
    """The rows of :func:`methods` (label, registered strategy, parameters, network) and, after them, the registered
    strategies with no row and why."""
    rows = [{"method": m.label, "strategy": m.strategy, "parameters": repr(m.params) if m.params else "defaults",
             "network": m.architecture} for m in methods(tasks)]
    rows += [{"method": "—", "strategy": name, "parameters": "", "network": f"no row: {why}"}
             for name, why in NOT_BENCHMARKED.items()]
    return pd.DataFrame(rows)
