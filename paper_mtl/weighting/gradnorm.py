"""GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, ICML 2018): learned task weights that balance gradient norms.

Algorithm 1 of the paper, per step t with learned weights w_i(t) (initialised to 1):

* the network is updated with L(t) = Σ_i w_i(t) L_i(t) (the weights are constants for this update);
* G_W^(i)(t) = ‖∇_W w_i(t) L_i(t)‖₂ on the shared layer W (by default the **last shared layer**, as in the paper),
  Ḡ_W(t) = mean_i G_W^(i)(t);
* the relative inverse training rate r_i(t) = L̃_i(t) / mean_j L̃_j(t) with L̃_i(t) = L_i(t) / L_i(0), L_i(0) being
  the loss at the first step;
* the weights alone descend L_grad = Σ_i |G_W^(i)(t) − Ḡ_W(t) · r_i(t)^α|₁ (Eq. 2), the target Ḡ_W r_i^α held
  constant; after their update they are renormalised to Σ_i w_i = T.

Here the renormalisation is applied in place at the start of the next step (before the weights are used), which
gives every loss the renormalised weights, as in the paper. Since ∇_W (w_i L_i) = w_i ∇_W L_i, the norms are taken
once per task without double back-propagation: G_W^(i) = |w_i| ‖∇_W L_i‖, which is exactly differentiable in w_i.

Difference from LibMTL (ANCHORS, Baselines): LibMTL parametrises the weights as T·softmax(logits), takes the
norms over *all* shared parameters and the reference losses from the first epoch; we follow the paper (weights
renormalised to sum T, last shared layer, the first step's losses); ``on="shared"`` selects all shared parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from paper_mtl.gradients import GRADIENT_SCOPES, gradient_parameters, task_gradients
from paper_mtl.profiles import check_choice
from paper_mtl.tasks import Task
from paper_mtl.weighting.base import LossWeighting, StepContext


class GradNorm(LossWeighting):
    """GradNorm (Chen et al. 2018, Algorithm 1) with asymmetry ``alpha`` (paper and ANCHORS: 1.5).

    Logs ``weight.<task>`` (the weights used this step, summing to T), ``grad_norm.<task>`` (G_W^(i)) and
    ``gradnorm_loss`` (L_grad).
    """

    name = "gradnorm"
    synchronises = True  # the initial losses and each step's loss ratios are read on the host

    def __init__(self, alpha: float = 1.5, on: str = "last_shared_layer") -> None:
        check_choice("on", on, GRADIENT_SCOPES)
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha}")
        self.alpha = float(alpha)
        self.on = on
        self.task_weights = nn.ParameterDict()
        self.initial_losses: dict[str, float] | None = None

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        device = next(model.parameters()).device
        self.task_weights = nn.ParameterDict({t: nn.Parameter(torch.ones((), device=device)) for t in tasks})
        self.initial_losses = None

    def parameters(self) -> list[nn.Parameter]:
        return list(self.task_weights.values())

    def renormalise(self) -> None:
        """w_i ← T w_i / Σ_j w_j (Algorithm 1's last line)."""
        with torch.no_grad():
            weights = torch.stack(list(self.task_weights.values()))
            if not bool(torch.isfinite(weights).all()) or float(weights.sum()) <= 0:
                raise FloatingPointError(f"GradNorm weights cannot be renormalised to sum {len(weights)}: {self.weights()}")
            scale = len(weights) / weights.sum()
            for w in self.task_weights.values():
                w.mul_(scale)

    def weights(self) -> dict[str, float]:
        """The current task weights."""
        return {t: float(w.detach()) for t, w in self.task_weights.items()}

    def objective(self, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float]]:
        if set(losses) != set(self.task_weights):
            raise ValueError(f"GradNorm needs the loss of every task {list(self.task_weights)} each step, got {list(losses)}")
        self.renormalise()
        tasks = list(losses)
        if self.initial_losses is None:
            self.initial_losses = {t: float(losses[t].detach()) for t in tasks}
        params = gradient_parameters(ctx.model, ctx.shared_parameters, self.on)
        raw_norms = task_gradients(losses, params).norm(dim=1).detach()
        w = torch.stack([self.task_weights[t] for t in tasks])
        grad_norms = w.abs() * raw_norms
        ratios = torch.tensor(
            [float(losses[t].detach()) / max(self.initial_losses[t], 1e-12) for t in tasks], device=w.device
        )
        inverse_rate = ratios / ratios.mean()
        target = (grad_norms.mean() * inverse_rate**self.alpha).detach()
        gradnorm_loss = (grad_norms - target).abs().sum()
        weight_grads = torch.autograd.grad(gradnorm_loss, w)[0]
        for i, t in enumerate(tasks):  # the weights' own gradient (Algorithm 1); the objective holds them constant
            self.task_weights[t].grad = weight_grads[i].detach().clone()
        total = torch.stack([w[i].detach() * losses[t] for i, t in enumerate(tasks)]).sum()
        logs = {f"weight.{t}": float(w[i].detach()) for i, t in enumerate(tasks)}
        logs.update({f"grad_norm.{t}": float(grad_norms[i].detach()) for i, t in enumerate(tasks)})
        logs["gradnorm_loss"] = float(gradnorm_loss.detach())
        return total, logs

    def state_dict(self) -> dict[str, Any]:
        return {"weights": {t: w.detach().clone() for t, w in self.task_weights.items()}, "initial_losses": self.initial_losses}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            for t, value in state["weights"].items():
                self.task_weights[t].copy_(value)
        self.initial_losses = state["initial_losses"]
