"""The interface through which multi-task strategies plug into :func:`paper_mtl.training.fit`.

Per optimisation step the loop computes every task's loss and hands them, with a :class:`StepContext`, to
``strategy.backward``, which leaves the step's gradients in ``.grad`` and returns scalars to log. Two kinds of
strategy implement it, and a new method is usually a small subclass of one of them:

* :class:`LossWeighting` returns one objective, Σ_t w_t L_t plus whatever terms the method adds (equal weights,
  Kendall's uncertainty, GradNorm, DWA, class-wise weights, CosReg's penalty, the gradient discriminator's loss);
  the base back-propagates it.
* :class:`GradientAggregation` maps the Jacobian of the task losses with respect to the shared parameters (or the
  shared representation, or every parameter) to one update (MGDA, Pareto MTL, PCGrad, CAGrad, Nash-MTL, ...); the
  base takes the Jacobian, back-propagates the plain sum into the task-specific parameters and writes the update
  into ``.grad``.

A strategy that does neither (a wrapper such as :class:`~paper_mtl.weighting.cosreg.CosineMonitor`) implements
:meth:`Strategy.backward` itself.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from paper_mtl.gradients import Jacobian, task_jacobian
from paper_mtl.models.protocol import SharedRepresentation, SharesParameters
from paper_mtl.profiles import check_choice
from paper_mtl.tasks import Task


@dataclass
class StepContext:
    """What a strategy may look at during one step.

    ``features`` is the shared representation when the model exposes ``encode``/``decode`` (else ``None``);
    ``shared_parameters`` are the parameters every task shares; ``progress`` runs from 0 to 1 over training.
    """

    model: nn.Module
    inputs: Tensor
    targets: dict[str, Tensor]
    outputs: dict[str, Tensor]
    features: Tensor | None
    shared_parameters: list[nn.Parameter]
    tasks: Mapping[str, Task]
    step: int
    epoch: int
    progress: float


class Strategy(ABC):
    """A multi-task strategy: how a step's task losses become gradients. Subclass :class:`LossWeighting` or
    :class:`GradientAggregation`; implement :meth:`backward` directly only for what fits neither."""

    name = "strategy"
    synchronises = False
    """Whether a step copies values to the host (a device synchronisation on a GPU); the conformance suite holds a
    strategy to what it declares here."""
    generator: torch.Generator | None = None
    """A CPU generator that :func:`~paper_mtl.training.fit` seeds from its ``seed`` and sets before :meth:`setup`,
    and checkpoints with the run: a strategy that draws random numbers draws them here, so a seed fixes them and a
    resumed run draws what an uninterrupted one would."""

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """The names of the constructor's parameters (what :meth:`get_params` returns)."""
        return tuple(name for name, p in inspect.signature(cls.__init__).parameters.items()
                     if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters as this strategy holds them (each stored under its own name), so that
        ``type(s)(**s.get_params())`` builds the same strategy; what describes it in a sweep's configuration."""
        missing = [name for name in self.param_names() if not hasattr(self, name)]
        if missing:
            raise AttributeError(f"{type(self).__name__} does not keep its parameter(s) {missing} as attributes")
        return {name: getattr(self, name) for name in self.param_names()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        """Called once by the loop before training; keep references or build state here."""
        self.tasks = dict(tasks)

    def parameters(self) -> list[nn.Parameter]:
        """Learnable parameters of the strategy itself, optimised together with the model's."""
        return []

    @abstractmethod
    def backward(self, losses: dict[str, Tensor], ctx: StepContext) -> dict[str, float | Tensor]:
        """Accumulate gradients for this step from the task ``losses``; return scalars to log.

        A scalar may be a float or a detached 0-dim tensor that nothing modifies later (clone a parameter before
        logging it): :func:`~paper_mtl.training.fit` reads tensors once per epoch, so logging costs a step no
        device synchronisation."""

    def state_dict(self) -> dict[str, Any]:
        """State needed to resume training exactly (learned weights, running statistics)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""


class LossWeighting(Strategy):
    """The first kind: one objective to back-propagate, Σ_t w_t L_t plus any term the method adds.

    Subclasses implement :meth:`objective`; the weights may be fixed, learned (their parameters in
    :meth:`~Strategy.parameters`) or computed from the losses' history, and an added term may itself depend on
    gradients (CosReg's penalty by double back-propagation)."""

    @abstractmethod
    def objective(self, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float | Tensor]]:
        """The step's objective (a scalar tensor) and the scalars to log (see :meth:`Strategy.backward`)."""

    def backward(self, losses: dict[str, Tensor], ctx: StepContext) -> dict[str, float | Tensor]:
        total, logs = self.objective(losses, ctx)
        total.backward()
        return logs


AGGREGATED = ("shared", "all", "representation")


class GradientAggregation(Strategy):
    """The second kind: the task losses' :class:`~paper_mtl.gradients.Jacobian` → one update.

    ``over`` (a class attribute) names the tensors aggregated: ``"shared"`` (the model's ``shared_parameters()``),
    ``"all"`` (every trainable parameter) or ``"representation"`` (the shared encoder's output, as MGDA-UB; the
    encoder then receives the update through back-propagation). Per step the base takes the Jacobian over them,
    back-propagates the plain sum of the losses into the remaining (task-specific) parameters, asks
    :meth:`aggregate` for the update, and adds it to ``.grad`` (laid out like each parameter). Tensors that no
    task's loss reaches get no gradient.
    """

    over = "shared"

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        check_choice("over", self.over, AGGREGATED)
        trainable = [p for p in model.parameters() if p.requires_grad]
        if self.over == "representation" and not isinstance(model, SharedRepresentation):
            raise ValueError(f"{type(self).__name__} aggregates the shared representation and needs a model with "
                             f"encode()/decode(); got {type(model).__name__}")
        if self.over != "all" and not isinstance(model, SharesParameters):  # else the encoder would get two gradients
            what = "representation" if self.over == "representation" else "parameters"
            raise ValueError(f"{type(self).__name__} aggregates the shared {what} and needs a model with "
                             f"shared_parameters(); got {type(model).__name__}")
        if self.over == "all":
            self.aggregated, self.task_parameters = trainable, []
            return
        shared = [p for p in model.shared_parameters() if p.requires_grad]
        ids = {id(p) for p in shared}
        self.aggregated = shared if self.over == "shared" else []
        self.task_parameters = [p for p in trainable if id(p) not in ids]

    @abstractmethod
    def aggregate(self, jacobian: Jacobian, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float | Tensor]]:
        """The update, a vector of ``jacobian.matrix.shape[1]`` entries (the direction a gradient step descends,
        like Σ_t w_t ∂L_t), and the scalars to log. Rows of the Jacobian follow the order of ``losses``."""

    def backward(self, losses: dict[str, Tensor], ctx: StepContext) -> dict[str, float | Tensor]:
        if self.over == "representation":
            if ctx.features is None:
                raise ValueError(f"{type(self).__name__} needs ctx.features, the shared representation; the model "
                                 "must define encode()/decode()")
            tensors = [ctx.features]
        else:
            tensors = self.aggregated
        jacobian = task_jacobian(losses, tensors)
        if self.task_parameters:
            torch.autograd.backward(torch.stack(list(losses.values())).sum(), inputs=self.task_parameters,
                                    retain_graph=True)
        update, logs = self.aggregate(jacobian, losses, ctx)
        if update.shape != (jacobian.matrix.shape[1],):
            raise ValueError(f"{type(self).__name__}.aggregate returned an update of shape {tuple(update.shape)}; "
                             f"expected ({jacobian.matrix.shape[1]},)")
        if self.over == "representation":
            ctx.features.backward(update.view(ctx.features.shape).to(ctx.features.dtype))
            return logs
        for k, (p, columns) in enumerate(zip(tensors, jacobian.blocks)):
            if any(row[k] for row in jacobian.reached):
                # a copy laid out like the parameter: fused CUDA optimisers refuse e.g. a contiguous gradient of a
                # channels-last weight
                grad = torch.empty_like(p).copy_(update[columns].view(p.shape))
                p.grad = grad if p.grad is None else p.grad + grad
        return logs


class WeightedSum(LossWeighting):
    """Σ_t w_t L_t with fixed weights; the default is equal weights (w_t = 1, the plain sum of task losses)."""

    name = "weighted_sum"

    def __init__(self, weights: Mapping[str, float] | None = None) -> None:
        self.weights = dict(weights) if weights is not None else None

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        if self.weights is not None:
            unknown = sorted(set(self.weights) - set(tasks))
            missing = sorted(set(tasks) - set(self.weights))
            if unknown or missing:
                raise ValueError(f"weights for unknown tasks {unknown} / missing for tasks {missing}; tasks: {list(tasks)}")

    def weight(self, task: str) -> float:
        return 1.0 if self.weights is None else self.weights[task]

    def objective(self, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float | Tensor]]:
        return torch.stack([self.weight(t) * loss for t, loss in losses.items()]).sum(), {}
