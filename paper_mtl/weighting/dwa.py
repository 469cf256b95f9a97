"""Dynamic Weight Average (Liu, Johns & Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019, Eq. 7).

With K tasks and L_k(t) task k's training loss averaged over epoch t,

    λ_k(t) = K exp(w_k(t−1)/T) / Σ_i exp(w_i(t−1)/T),   w_k(t−1) = L_k(t−1) / L_k(t−2),

and w_k = 1 for the first two epochs (no two past epochs to compare); T = 2 in the paper. A task whose loss fell
more slowly over the last epoch gets more weight. The epoch means are kept on the device, so a step never
synchronises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from paper_mtl.tasks import Task
from paper_mtl.weighting.base import LossWeighting, StepContext


class DWA(LossWeighting):
    """Σ_k λ_k L_k with DWA's weights (Eq. 7) at temperature ``temperature``.

    Logs ``weight.<task>`` (λ_k of the step, summing to K)."""

    name = "dwa"

    def __init__(self, temperature: float = 2.0) -> None:
        if not temperature > 0:
            raise ValueError(f"DWA's temperature must be > 0, got {temperature}")
        self.temperature = float(temperature)

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        self._epoch: int | None = None
        self._sums: Tensor | None = None
        self._count = 0
        self._means: list[Tensor] = []  # the last two epochs' mean losses, oldest first

    def weights(self) -> Tensor:
        """λ for the current epoch, in the order of the tasks (ones before two epochs have ended)."""
        k = len(self.tasks)
        if len(self._means) < 2:
            return torch.ones(k) if self._sums is None else torch.ones_like(self._sums)
        ratio = self._means[1] / self._means[0]
        return k * torch.softmax(ratio / self.temperature, dim=0)

    def objective(self, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float | Tensor]]:
        if list(losses) != list(self.tasks):
            raise ValueError(f"DWA weighs every task {list(self.tasks)} at every step; got the losses of {list(losses)}")
        values = torch.stack(list(losses.values()))
        if self._epoch is not None and ctx.epoch != self._epoch:  # the previous epoch ended: its mean joins the history
            self._means = [*self._means, self._sums / self._count][-2:]
            self._sums, self._count = None, 0
        self._epoch = ctx.epoch
        detached = values.detach().double()
        self._sums = detached if self._sums is None else self._sums + detached
        self._count += 1
        weights = self.weights().to(values.dtype)
        return (weights * values).sum(), {f"weight.{t}": w for t, w in zip(losses, weights.detach().unbind())}

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self._epoch, "sums": None if self._sums is None else self._sums.clone(), "count": self._count,
                "means": [m.clone() for m in self._means]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._epoch, self._count = state["epoch"], state["count"]
        self._sums = None if state["sums"] is None else state["sums"].clone()
        self._means = [m.clone() for m in state["means"]]
