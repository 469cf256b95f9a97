"""The interface through which loss-combination strategies plug into :func:`paper_mtl.training.fit`.

Per optimisation step the loop computes every task's loss and hands them, with a :class:`StepContext`, to
``strategy.backward``; the strategy combines them (fixed weights, learned weights, gradient-based weights,
extra penalties) and calls ``backward`` on whatever it optimises. It returns scalars to log for that step.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

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
    """A loss-combination strategy. Subclasses implement :meth:`backward`; most only :meth:`combine`."""

    name = "strategy"
    synchronises = False
    """Whether a step copies values to the host (a device synchronisation on a GPU); the conformance suite holds a
    strategy to what it declares here."""

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


class WeightedSum(Strategy):
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

    def backward(self, losses: dict[str, Tensor], ctx: StepContext) -> dict[str, float]:
        total = torch.stack([self.weight(t) * loss for t, loss in losses.items()]).sum()
        total.backward()
        return {}
