"""Pareto MTL (Lin, Zhen, Li, Zhang & Kwong, NeurIPS 2019), the baseline of paper 02.

K preference vectors u_1..u_K split the loss space into sub-regions; run k solves

    min_θ L(θ) = (L_1(θ), ..., L_T(θ))   subject to   G_j(θ) = (u_j − u_k)ᵀ L(θ) ≤ 0  for all j ≠ k,

i.e. it keeps the loss vector closer in angle to u_k than to any other u_j, so each run lands on a different
part of the Pareto front. As in the authors' code (ANCHORS 02), constraints are checked on the loss vector
normalised to unit length, and a constraint is *active* when (u_j − u_k)ᵀ L/‖L‖ > 0.

- Phase 1 (:func:`pareto_init_weights`, at most ``phase1_epochs`` epochs): find a feasible start by descending
  the active constraints. None active → feasible, phase 2 begins. One active → task weights u_j − u_k. Several →
  the min-norm combination (:func:`~paper_mtl.weighting.min_norm.min_norm_weights`) of the active constraints'
  gradients ∇G_j = Σ_i (u_j − u_k)_i ∇L_i, task weights Σ_j β_j (u_j − u_k).
- Phase 2 (:func:`pareto_weights`): the min-norm problem over the task gradients and the active constraints'
  gradients gives λ, β; task weight α_i = λ_i + Σ_j β_j (u_j − u_k)_i, rescaled so Σ|α_i| = T.

Gradients are taken over all model parameters, without normalisation, as in the authors' code. Their code
differentiates each task loss, solves for the weights, then runs a second forward and backward pass on the
weighted loss; here the weighted gradient Σ α_i ∇L_i is assembled from the per-task gradients already taken
(the same number up to floating-point order, without the extra forward pass), so this Pareto MTL is cheaper
than theirs. The min-norm problem is solved from the T×T Gram matrix of the task gradients, since every
constraint gradient is a linear combination of them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from paper_mtl.gradients import Jacobian
from paper_mtl.tasks import Task
from paper_mtl.weighting.base import GradientAggregation, StepContext
from paper_mtl.weighting.min_norm import min_norm_weights_from_gram

__all__ = ["ParetoMTL", "active_constraints", "pareto_init_weights", "pareto_weights", "preference_vectors"]


def preference_vectors(n: int = 5) -> Tensor:
    """``n`` unit vectors (cos θ, sin θ), θ evenly spaced over [0, π/2], from (1, 0) to (0, 1) (Lin et al. 2019).

    For n = 5: (1, 0), (0.92, 0.38), (0.71, 0.71), (0.38, 0.92), (0, 1) — the five vectors paper 02 reports.
    """
    if n < 2:
        raise ValueError(f"need at least 2 preference vectors, got n={n}")
    theta = torch.linspace(0, math.pi / 2, n, dtype=torch.float64)
    return torch.stack([theta.cos(), theta.sin()], 1)


def _check(losses: Tensor, vectors: Tensor, k: int) -> None:
    if vectors.ndim != 2 or losses.shape != (vectors.shape[1],):
        raise ValueError(f"losses of shape {tuple(losses.shape)} do not match preference vectors of shape {tuple(vectors.shape)}")
    if not 0 <= k < len(vectors):
        raise ValueError(f"preference index k={k} out of range; {len(vectors)} vectors")


def active_constraints(losses: Tensor, vectors: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """The constraint directions ``u_j − u_k`` (K, T) and which are active: ``(u_j − u_k)ᵀ L/‖L‖ > 0``."""
    _check(losses, vectors, k)
    directions = (vectors - vectors[k]).double()
    values = losses.detach().double().cpu()
    return directions, directions @ (values / values.norm()) > 0


def pareto_init_weights(gram: Tensor, losses: Tensor, vectors: Tensor, k: int) -> tuple[bool, Tensor]:
    """Phase 1 of Pareto MTL: ``(feasible, task weights)`` given the task-gradient Gram matrix and the losses.

    Feasible (no active constraint) returns zero weights; otherwise the weights descend the active constraints.
    """
    directions, active = active_constraints(losses, vectors, k)
    if not active.any():
        return True, torch.zeros(vectors.shape[1], dtype=torch.float64)
    a = directions[active]
    beta = min_norm_weights_from_gram(a @ gram.detach().double().cpu() @ a.T)
    return False, beta @ a


def pareto_weights(gram: Tensor, losses: Tensor, vectors: Tensor, k: int) -> Tensor:
    """Phase 2 of Pareto MTL: task weights α = λ + Σ_j β_j (u_j − u_k) from the min-norm problem over the task
    gradients and the active constraints' gradients, before the rescaling to Σ|α| = T."""
    directions, active = active_constraints(losses, vectors, k)
    t = vectors.shape[1]
    a = torch.cat([torch.eye(t, dtype=torch.float64), directions[active]])
    sol = min_norm_weights_from_gram(a @ gram.detach().double().cpu() @ a.T)
    return sol[:t] + sol[t:] @ directions[active]


def _match(preference: Sequence[float], vectors: Tensor) -> int:
    pref = torch.tensor([float(p) for p in preference], dtype=torch.float64)
    if pref.shape != (vectors.shape[1],):
        raise ValueError(f"preference {list(preference)} must have {vectors.shape[1]} entries")
    distance = (vectors.double() - pref).abs().amax(1)
    if float(distance.min()) > 0.005:
        choices = [[round(float(x), 2) for x in v] for v in vectors]
        raise ValueError(f"preference {list(preference)} is not one of the preference vectors {choices}")
    return int(distance.argmin())


class ParetoMTL(GradientAggregation):
    """Pareto MTL as a :class:`~paper_mtl.weighting.base.GradientAggregation` over every parameter: one run per
    preference vector.

    Args:
        preference: the run's preference vector u_k, as printed (e.g. ``(0.92, 0.38)``; matched to ``vectors``
            within 0.005).
        task_order: which task each coordinate of the loss vector is; default the order of the tasks given to
            training.
        vectors: all K preference vectors (rows); default :func:`preference_vectors` (5).
        phase1_epochs: epochs allowed for the feasibility search (the authors: at most 2); phase 2 starts as soon
            as a step finds no active constraint.

    Logs per step: ``phase`` (1 or 2), ``active`` (number of active constraints), ``alpha.<task>``.
    """

    name = "pareto_mtl"
    over = "all"
    synchronises = True  # the active constraints and the phase switch are decided on the host

    def __init__(
        self, preference: Sequence[float], task_order: Sequence[str] | None = None, vectors: Tensor | None = None,
        phase1_epochs: int = 2,
    ) -> None:
        self.vectors = torch.as_tensor(preference_vectors(5) if vectors is None else vectors, dtype=torch.float64).cpu()
        self.k = _match(preference, self.vectors)
        self.preference = tuple(float(u) for u in preference)
        self.task_order = None if task_order is None else list(task_order)
        if phase1_epochs < 0:
            raise ValueError(f"phase1_epochs must be >= 0, got {phase1_epochs}")
        self.phase1_epochs = phase1_epochs
        self.feasible = False

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        order = self.task_order or list(tasks)
        if sorted(order) != sorted(tasks) or len(order) != self.vectors.shape[1]:
            raise ValueError(f"task_order {order} must list the {self.vectors.shape[1]} trained tasks {list(tasks)} once each")
        self.task_order = order

    def aggregate(self, jacobian: Jacobian, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float]]:
        rows = [jacobian.tasks.index(t) for t in self.task_order]
        t_count = len(rows)
        matrix = jacobian.matrix
        # the Gram matrix parameter by parameter in float64, over the tasks that reach each parameter
        gram = torch.zeros(t_count, t_count, dtype=torch.float64, device=matrix.device)
        for k, columns in enumerate(jacobian.blocks):
            present = [i for i, row in enumerate(rows) if jacobian.reached[row][k]]
            if present:
                flat = matrix[[rows[i] for i in present], columns].double()
                index = torch.tensor(present, device=gram.device)
                gram[index[:, None], index] += flat @ flat.T
        gram = gram.cpu()
        values = torch.stack([losses[t].detach().double() for t in self.task_order]).cpu()
        phase = 2
        if not self.feasible and ctx.epoch < self.phase1_epochs:
            self.feasible, alpha = pareto_init_weights(gram, values, self.vectors, self.k)
            phase = 2 if self.feasible else 1
        if phase == 2:
            alpha = pareto_weights(gram, values, self.vectors, self.k)
            alpha = alpha * t_count / alpha.abs().sum()
        coefficients = alpha.tolist()
        update = matrix.new_zeros(matrix.shape[1])
        for k, columns in enumerate(jacobian.blocks):
            parts = [a * matrix[row, columns] for a, row in zip(coefficients, rows) if jacobian.reached[row][k]]
            if parts:
                update[columns] = functools.reduce(torch.add, parts)
        _, active = active_constraints(values, self.vectors, self.k)
        return update, {"phase": float(phase), "active": float(active.sum()),
                        **{f"alpha.{t}": float(a) for t, a in zip(self.task_order, alpha)}}

    def state_dict(self) -> dict[str, Any]:
        return {"feasible": self.feasible}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.feasible = bool(state["feasible"])
