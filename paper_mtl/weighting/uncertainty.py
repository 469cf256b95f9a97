"""Homoscedastic-uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018).

Each task t has a learned log-variance s_t = log σ_t² (initialised to 0, i.e. σ_t = 1) and the objective is

    L = Σ_t L_t / (2 exp(s_t)) + s_t / 2,

Kendall et al.'s Eq. 7 for regression written with s = log σ² for numerical stability (their Sec. 3.2). Their
classification form (Eq. 10) drops the factor 1/2 on L_t; like LibMTL (ANCHORS, Baselines) we use the same form
for every task, so a task's effective weight is exp(-s_t) / 2 whatever its loss. The s_t are optimised together
with the network by the training loop (:meth:`Uncertainty.parameters`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from paper_mtl.tasks import Task
from paper_mtl.weighting.base import LossWeighting, StepContext


class Uncertainty(LossWeighting):
    """Kendall et al. (2018) uncertainty weighting: Σ_t L_t / (2 exp(s_t)) + s_t / 2 with learned s_t = log σ_t².

    ``init`` is the initial s_t of every task. Logs ``weight.<task>`` = exp(-s_t) / 2 and ``log_var.<task>``.
    """

    name = "uncertainty"

    def __init__(self, init: float = 0.0) -> None:
        self.init = float(init)
        self.log_vars = nn.ParameterDict()

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        device = next(model.parameters()).device
        self.log_vars = nn.ParameterDict({t: nn.Parameter(torch.full((), self.init, device=device)) for t in tasks})

    def parameters(self) -> list[nn.Parameter]:
        return list(self.log_vars.values())

    def combine(self, losses: dict[str, Tensor]) -> Tensor:
        """The objective Σ_t L_t / (2 exp(s_t)) + s_t / 2 over the tasks present in ``losses``."""
        unknown = sorted(set(losses) - set(self.log_vars))
        if unknown:
            raise ValueError(f"losses for task(s) {unknown} that Uncertainty was not set up with; tasks: {list(self.log_vars)}")
        terms = [loss.float() / (2 * torch.exp(self.log_vars[t])) + self.log_vars[t] / 2 for t, loss in losses.items()]
        return torch.stack(terms).sum()

    def _weight_tensors(self) -> dict[str, Tensor]:
        return {t: torch.exp(-s.detach()) / 2 for t, s in self.log_vars.items()}

    def weights(self) -> dict[str, float]:
        """Each task's current effective loss weight exp(-s_t) / 2."""
        return {t: float(w) for t, w in self._weight_tensors().items()}

    def objective(self, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float | Tensor]]:
        total = self.combine(losses)
        logs: dict[str, float | Tensor] = {f"weight.{t}": w for t, w in self._weight_tensors().items()}
        logs.update({f"log_var.{t}": s.detach().clone() for t, s in self.log_vars.items()})
        return total, logs

    def state_dict(self) -> dict[str, Any]:
        return {"log_vars": {t: s.detach().clone() for t, s in self.log_vars.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            for t, value in state["log_vars"].items():
                self.log_vars[t].copy_(value)
