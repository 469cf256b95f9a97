"""Adversarial task disentanglement (paper 04, Section 4 and Appendix D) as a strategy of the one training loop.

Double back-propagation (Drucker & Le Cun) exposes the gradient g_t = d(w_t L_t)/dF that task t sends to the
last decoder feature map F (the interface of shared and task-specific layers; ``create_graph=True`` keeps the
graph of its computation). Each pixel's gradient vector is divided by its L2 norm over channels, passed through
a gradient-reversal layer (Ganin & Lempitsky) and classified by a fully convolutional discriminator (two
convolutions with a ReLU between) into its source task with cross-entropy: Eq. 3,
min_{w_D} max_{w_N} L(D(g_t(w_N), w_D), t). The reversal multiplies the gradient reaching the network by -λ, with
λ = 2 / (1 + exp(-10 p)) - 1 rising from 0 to 1 over training progress p. The loss of Eq. 5 is
(1 - w_d) Σ_t w_t L_t + w_d L_d with w_d = 0.1.

:class:`SingleTaskSteps` is the matching ``batch_plan``: one forward pass and one optimiser step per task per
mini-batch, so that per-task parameters another task's step does not use get no gradient and hence no momentum
or weight-decay update ("updating only the weights that were used", Appendix D).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paper_mtl.models.protocol import HasInterface
from paper_mtl.tasks import Task
from paper_mtl.weighting.base import LossWeighting, StepContext


class _GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, coefficient: float) -> Tensor:
        ctx.coefficient = coefficient
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        return -ctx.coefficient * grad, None


def reverse_gradient(x: Tensor, coefficient: float) -> Tensor:
    """Identity in the forward pass; multiplies the incoming gradient by ``-coefficient`` in the backward pass."""
    return _GradientReversal.apply(x, coefficient)


def reversal_coefficient(progress: float, gamma: float = 10.0) -> float:
    """λ(p) = 2 / (1 + exp(-γ p)) - 1: 0 at the start of training, close to 1 at its end (Ganin & Lempitsky)."""
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"progress must lie in [0, 1], got {progress}")
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0


def normalise_gradient(grad: Tensor, eps: float = 1e-10) -> Tensor:
    """Divide every pixel's gradient vector (dimension 1) by its L2 norm."""
    return grad / (grad.norm(dim=1, keepdim=True) + eps)


class GradientDiscriminator(nn.Sequential):
    """Fully convolutional task classifier: conv(C -> hidden), ReLU, conv(hidden -> T); 1x1 kernels in the paper."""

    def __init__(self, channels: int, num_tasks: int, hidden: int | None = None, kernel_size: int = 1) -> None:
        hidden = hidden or channels
        pad = kernel_size // 2
        super().__init__(
            nn.Conv2d(channels, hidden, kernel_size, padding=pad), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, num_tasks, kernel_size, padding=pad),
        )


class AdversarialGradients(LossWeighting):
    """Eq. 5: (1 - w_d) Σ_t w_t L_t + w_d L_d, with L_d the discriminator's cross-entropy on reversed gradients.

    The model must offer ``interface(task)`` (the module whose input is the feature map the discriminator reads)
    and ``interface_channels``, as :class:`~paper_mtl.models.task_conditioned.TaskConditionedNet` does. The
    discriminator's parameters are trained with the model's (:meth:`parameters`); it costs nothing at inference.
    """

    name = "adversarial_gradients"

    def __init__(
        self, weights: Mapping[str, float] | None = None, w_d: float = 0.1, kernel_size: int = 1,
        hidden: int | None = None, gamma: float = 10.0,
    ) -> None:
        if not 0.0 <= w_d < 1.0:
            raise ValueError(f"w_d must lie in [0, 1), got {w_d}")
        self.weights = dict(weights) if weights is not None else None
        self.w_d, self.kernel_size, self.hidden, self.gamma = w_d, kernel_size, hidden, gamma
        self.discriminator: GradientDiscriminator | None = None
        self.features: dict[str, Tensor] = {}
        self._hooks: list[Any] = []

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        if not isinstance(model, HasInterface):
            raise ValueError(f"{type(model).__name__} has no interface(task)/interface_channels for the discriminator")
        if self.weights is not None and set(self.weights) != set(tasks):
            raise ValueError(f"weights are given for {sorted(self.weights)} but the tasks are {sorted(tasks)}")
        self.labels = {t: i for i, t in enumerate(tasks)}
        device = next(model.parameters()).device
        self.discriminator = GradientDiscriminator(model.interface_channels, len(tasks), self.hidden,
                                                   self.kernel_size).to(device)
        for hook in self._hooks:
            hook.remove()
        self._hooks = [model.interface(t).register_forward_pre_hook(self._capture(t)) for t in tasks]

    def _capture(self, task: str) -> Callable[[nn.Module, tuple[Tensor, ...]], None]:
        def hook(module: nn.Module, args: tuple[Tensor, ...]) -> None:
            if torch.is_grad_enabled():
                self.features[task] = args[0]

        return hook

    def parameters(self) -> list[nn.Parameter]:
        return list(self.discriminator.parameters()) if self.discriminator is not None else []

    def weight(self, task: str) -> float:
        return 1.0 if self.weights is None else self.weights[task]

    def discriminator_loss(self, losses: Mapping[str, Tensor], progress: float) -> tuple[Tensor, Tensor]:
        """L_d over the tasks of ``losses`` (their features captured in the last forward pass) and its accuracy."""
        if self.discriminator is None:
            raise RuntimeError("call setup(model, tasks) before using the discriminator")
        coefficient = reversal_coefficient(progress, self.gamma)
        terms, correct, total = [], [], 0
        for task, loss in losses.items():
            feature = self.features.get(task)
            if feature is None:
                raise RuntimeError(f"no interface features were captured for task {task!r} in this forward pass")
            (grad,) = torch.autograd.grad(self.weight(task) * loss, feature, create_graph=True)
            # under autocast the feature, hence its gradient, is bf16; the discriminator runs outside autocast
            grad = grad.to(next(self.discriminator.parameters()).dtype)
            logits = self.discriminator(reverse_gradient(normalise_gradient(grad), coefficient))
            label = torch.full((logits.shape[0], *logits.shape[2:]), self.labels[task], device=logits.device)
            terms.append(F.cross_entropy(logits.float(), label))
            correct.append((logits.detach().argmax(1) == label).sum())
            total += label.numel()
        return torch.stack(terms).mean(), torch.stack(correct).sum().double() / total

    def objective(self, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float | Tensor]]:
        task_loss = torch.stack([self.weight(t) * loss for t, loss in losses.items()]).sum()
        disc_loss, accuracy = self.discriminator_loss(losses, ctx.progress)
        self.features.clear()  # the graph keeps what it needs; the next forward pass captures anew
        return (1.0 - self.w_d) * task_loss + self.w_d * disc_loss, {"discriminator_loss": disc_loss.detach(), "discriminator_accuracy": accuracy,
                "reversal": reversal_coefficient(ctx.progress, self.gamma)}

    def state_dict(self) -> dict[str, Any]:
        return {"discriminator": self.discriminator.state_dict()} if self.discriminator is not None else {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.discriminator is not None and "discriminator" in state:
            self.discriminator.load_state_dict(state["discriminator"])


class SingleTaskSteps:
    """``batch_plan`` for :func:`~paper_mtl.training.fit`: one optimiser step per task on each mini-batch."""

    def __init__(self, tasks: Sequence[str]) -> None:
        if not tasks:
            raise ValueError("SingleTaskSteps needs at least one task")
        self.tasks = list(tasks)

    def __call__(self, model: nn.Module, x: Tensor, targets: dict[str, Tensor]) -> list[tuple[Tensor, list[str]]]:
        return [(x, [task]) for task in self.tasks]
