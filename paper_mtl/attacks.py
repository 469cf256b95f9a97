"""Gradient attacks on multi-task networks: projected gradient descent (PGD, Madry et al.) and FGSM.

Paper 01 attacks with L∞ PGD, ε = 4/255, step 1/255 (supplement Section 2.2; 50 steps in the public code),
on the model in eval mode. A multi-task attack maximises the unweighted sum of the attacked tasks' mean losses; a
single-task attack the main task's loss alone, even when the model has auxiliary heads (ANCHORS 01).

Our images live in [0, 1] and ε is measured there. Unlike the public code, the random start is uniform in the
whole ε-ball (theirs swapped a clamp's bounds and started from a fixed corner) and the L2 step moves by the
normalised gradient of the loss value (theirs added the loss function object).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from paper_mtl.profiles import check_choice
from paper_mtl.tasks import Task

NORMS = ("linf", "l2")
LossFn = Callable[[Any, Any], Tensor]
"""``loss_fn(outputs, targets) -> scalar``: what an attack maximises. For a multi-task network ``outputs`` and
``targets`` are dicts keyed by task (:func:`multitask_loss`); for a plain module, whatever it returns and the loss
takes (e.g. logits and labels with ``nn.functional.cross_entropy``)."""


def multitask_loss(tasks: Mapping[str, Task], weights: Mapping[str, float] | None = None) -> LossFn:
    """Σ_i λ_i ℓ_i over ``tasks`` (Algorithm 1's L_t); ``weights=None`` is the unweighted sum of the attack.

    Each ℓ_i is :meth:`Task.compute_loss`, the task's mean loss over valid pixels of the batch.
    """
    if not tasks:
        raise ValueError("multitask_loss needs at least one task")
    weights = dict(weights) if weights is not None else {t: 1.0 for t in tasks}
    missing = sorted(set(tasks) - set(weights))
    if missing:
        raise ValueError(f"no weight for task(s) {missing}; weights given for {sorted(weights)}")
    chosen = dict(tasks)

    def loss(outputs: dict[str, Tensor], targets: dict[str, Tensor]) -> Tensor:
        return torch.stack([weights[t] * task.compute_loss(outputs[t], targets[t]) for t, task in chosen.items()]).sum()

    return loss


def _per_sample_norm(v: Tensor) -> Tensor:
    return v.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (v.dim() - 1)))


def _project(delta: Tensor, eps: float, norm: str) -> Tensor:
    """Project each sample's perturbation onto the eps-ball (in place)."""
    if norm == "linf":
        return delta.clamp_(-eps, eps)
    return delta.mul_((eps / _per_sample_norm(delta)).clamp(max=1.0))


def _random_start(x: Tensor, eps: float, norm: str, generator: torch.Generator | None) -> Tensor:
    device = generator.device if generator is not None else x.device
    if norm == "linf":
        delta = (2 * torch.rand(x.shape, generator=generator, device=device, dtype=x.dtype) - 1) * eps
    else:
        direction = torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype)
        radius = torch.rand(len(x), generator=generator, device=device, dtype=x.dtype) ** (1.0 / x[0].numel())
        delta = direction / _per_sample_norm(direction) * radius.view(-1, *([1] * (x.dim() - 1))) * eps
    return delta.to(x.device)


def pgd(
    model: nn.Module,
    x: Tensor,
    targets: Any,
    loss_fn: LossFn,
    eps: float,
    step_size: float,
    steps: int,
    norm: str = "linf",
    random_start: bool = True,
    bounds: tuple[float, float] = (0.0, 1.0),
    generator: torch.Generator | None = None,
    tasks: Sequence[str] | None = None,
) -> Tensor:
    """Projected gradient ascent on ``loss_fn(model(x_adv), targets)``; returns x_adv (detached).

    Each step moves by ``step_size`` along the gradient's sign (``norm="linf"``) or its per-sample L2-normalised
    direction (``"l2"``), then projects onto the ``eps``-ball around ``x`` and onto ``bounds``. ``random_start``
    begins from a uniform draw in the ball (``generator`` fixes it); without it the attack is deterministic.
    ``tasks`` restricts a multi-task network's forward pass to the heads the loss needs (``model(x_adv,
    tasks=tasks)``); leave it ``None`` for any other module. The model's train/eval mode, its parameters
    and their ``.grad`` are left untouched: call ``model.eval()`` first for the usual evaluation attack.
    """
    check_choice("norm", norm, NORMS)
    if eps < 0 or step_size < 0 or steps < 0:
        raise ValueError(f"eps, step_size and steps must be >= 0, got eps={eps}, step_size={step_size}, steps={steps}")
    low, high = bounds
    if low >= high:
        raise ValueError(f"bounds must be (low, high) with low < high, got {bounds}")
    x = x.detach()
    delta = _random_start(x, eps, norm, generator) if random_start and eps > 0 else torch.zeros_like(x)
    x_adv = (x + delta).clamp(low, high)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        outputs = model(x_adv) if tasks is None else model(x_adv, tasks=tasks)
        loss = loss_fn(outputs, targets)
        (grad,) = torch.autograd.grad(loss, x_adv)
        with torch.no_grad():
            direction = grad.sign_() if norm == "linf" else grad.div_(_per_sample_norm(grad))
            delta = _project(x_adv.detach().add_(direction.mul_(step_size)).sub_(x), eps, norm)
            x_adv = delta.add_(x).clamp_(low, high)
    return x_adv.detach()


def fgsm(
    model: nn.Module,
    x: Tensor,
    targets: Any,
    loss_fn: LossFn,
    eps: float,
    bounds: tuple[float, float] = (0.0, 1.0),
    tasks: Sequence[str] | None = None,
) -> Tensor:
    """The fast gradient sign method: one L∞ step of size ``eps`` from ``x`` (PGD's one-step case)."""
    return pgd(model, x, targets, loss_fn, eps, eps, 1, "linf", False, bounds, None, tasks)
