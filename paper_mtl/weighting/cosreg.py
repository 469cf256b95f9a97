"""Paper 05's orthogonal-gradient regulariser (CosReg) and a cosine monitor for any strategy.

:class:`CosReg` minimises Eq. 5,

    L_T = Σ_t w_t L_t + α/(T(T−1)) ‖N̂ᵀN̂ − I_T‖²_F,

with N̂ the unit-normalised task gradients on the last shared layer (Sec. 3: "in practice we restrict ourselves
to computing the loss with respect to only the last layer of the encoder"). The penalty is differentiated through
the network by double back-propagation (``create_graph``), unlike the two third-party implementations ANCHORS
describes. For the NYUv2 runs (Sec. 5.1) α may be multiplied by the mean task loss, "not being backpropagated
through" (``scale_by_loss=True``).

:class:`TaskCosines` is a step callback for :func:`~paper_mtl.training.fit` (``callbacks=[TaskCosines()]``) that
records cos(t_i, t_j) (Eq. 3) on the same layer before each step, whatever the strategy; :class:`CosineMonitor` is
the same as a strategy wrapping another, which is how Figures 2–4 observe models trained without the penalty. All
log the cosines as ``cos.<a>.<b>`` columns of ``FitResult.steps``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from paper_mtl.gradients import GRADIENT_SCOPES, cosine_penalty, gradient_parameters, pairwise_cosines, task_gradients
from paper_mtl.profiles import check_choice
from paper_mtl.tasks import Task
from paper_mtl.weighting.base import StepContext, Strategy, WeightedSum


class CosReg(WeightedSum):
    """Σ_t w_t L_t + α · penalty (Eq. 5); ``weights`` default to 1 per task, as in the paper's experiments.

    ``scale_by_loss`` multiplies α by the detached mean task loss each step (Sec. 5.1). Logs ``penalty`` (the
    mean squared cosine), ``alpha`` (the effective α of the step) and the pairwise cosines.
    """

    name = "cosreg"

    def __init__(
        self,
        alpha: float = 10.0,
        weights: Mapping[str, float] | None = None,
        scale_by_loss: bool = False,
        on: str = "last_shared_layer",
    ) -> None:
        super().__init__(weights)
        check_choice("on", on, GRADIENT_SCOPES)
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha}")
        self.alpha = float(alpha)
        self.scale_by_loss = scale_by_loss
        self.on = on

    def regularised(self, losses: dict[str, Tensor], params: list[nn.Parameter]) -> tuple[Tensor, dict[str, float | Tensor]]:
        """Eq. 5 for ``losses`` with task gradients on ``params``, and the step's logs."""
        if len(losses) < 2:
            raise ValueError(f"CosReg needs at least 2 tasks per step, got {list(losses)}")
        grads = task_gradients(losses, params, create_graph=True)
        penalty = cosine_penalty(grads)
        alpha = self.alpha * torch.stack([loss.detach().float() for loss in losses.values()]).mean() if self.scale_by_loss else self.alpha
        weighted = torch.stack([self.weight(t) * loss.float() for t, loss in losses.items()]).sum()
        logs: dict[str, float | Tensor] = {"penalty": penalty.detach(), "alpha": alpha}
        logs.update(pairwise_cosines(grads, list(losses)))
        return weighted + alpha * penalty, logs

    def objective(self, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float | Tensor]]:
        return self.regularised(losses, gradient_parameters(ctx.model, ctx.shared_parameters, self.on))


class TaskCosines:
    """A step callback (:data:`~paper_mtl.training.StepCallback`): cos(t_i, t_j) of the step's task gradients on the
    last shared layer (or all shared parameters, ``on="shared"``), taken on the step's forward pass before the
    strategy back-propagates, as 0-dim tensors (no sync)."""

    def __init__(self, on: str = "last_shared_layer") -> None:
        check_choice("on", on, GRADIENT_SCOPES)
        self.on = on

    def __call__(self, losses: dict[str, Tensor], ctx: StepContext) -> dict[str, Tensor]:
        grads = task_gradients(losses, gradient_parameters(ctx.model, ctx.shared_parameters, self.on))
        return pairwise_cosines(grads, list(losses))


class CosineMonitor(Strategy):
    """Wraps ``strategy`` and logs cos(t_i, t_j) of the task gradients on the last shared layer each step
    (:class:`TaskCosines` as a strategy; ``fit(callbacks=[TaskCosines()])`` does the same for any strategy).

    The cosines are taken on the step's forward pass (same dropout masks and batch statistics) before
    ``strategy`` back-propagates; the wrapped strategy's training is unchanged.
    """

    name = "cosine_monitor"

    def __init__(self, strategy: Strategy, on: str = "last_shared_layer") -> None:
        self.cosines = TaskCosines(on)
        self.strategy = strategy
        self.on = on
        self.name = f"{strategy.name}+cosines"

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        self.strategy.generator = self.generator
        self.strategy.setup(model, tasks)

    def parameters(self) -> list[nn.Parameter]:
        return self.strategy.parameters()

    def backward(self, losses: dict[str, Tensor], ctx: StepContext) -> dict[str, float | Tensor]:
        logs: dict[str, float | Tensor] = dict(self.cosines(losses, ctx))
        logs.update(self.strategy.backward(losses, ctx))
        return logs

    def state_dict(self) -> dict[str, Any]:
        return self.strategy.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.strategy.load_state_dict(state)
