"""Task gradients on shared parameters, their pairwise cosines, and paper 05's orthogonality penalty.

Paper 05 (Sec. 3) looks at cos(t_i, t_j) = cos(∂L_{t_i}/∂θ_sh, ∂L_{t_j}/∂θ_sh) (Eq. 3) on the last layer of the
shared encoder, calls the distribution of these cosines over training Φ_(t_i,t_j) with mean μ and standard
deviation σ, and penalises α/(T(T−1)) ‖N̂ᵀN̂ − I_T‖²_F (Eq. 5), N̂ holding the unit-normalised task gradients.
This module provides the pieces without α: :func:`task_jacobian` and :func:`task_gradients` (optionally
differentiable, for double back-propagation), :func:`cosine_matrix`, :func:`cosine_penalty`, and the statistics
of recorded cosines (:func:`cosine_statistics`, :func:`rolling_std` for Figure 4's moving σ).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from paper_mtl.models.protocol import HasLastSharedLayer
from paper_mtl.profiles import check_choice

GRADIENT_SCOPES = ("last_shared_layer", "shared")


def gradient_parameters(model: nn.Module, shared: Sequence[nn.Parameter], on: str = "last_shared_layer") -> list[nn.Parameter]:
    """The shared parameters on which task gradients are taken.

    ``on="last_shared_layer"``: the parameters of ``model.last_shared_layer()`` when the model defines it (paper 05
    and GradNorm's choice), else ``shared``; ``on="shared"``: all of ``shared``.
    """
    check_choice("on", on, GRADIENT_SCOPES)
    if on == "last_shared_layer" and isinstance(model, HasLastSharedLayer):
        params = [p for p in model.last_shared_layer().parameters() if p.requires_grad]
    else:
        params = [p for p in shared if p.requires_grad]
    if not params:
        raise ValueError(
            f"no shared parameters to take task gradients on (on={on!r}); the model must define "
            "last_shared_layer() or shared_parameters()"
        )
    return params


@dataclass(frozen=True)
class Jacobian:
    """The task losses' gradients with respect to some tensors, one row per task (what a gradient aggregation
    reads; torchjd calls the matrix the Jacobian).

    ``matrix`` is (T, P): row t is ∂L_t/∂(tensors), each tensor flattened in its logical order and the tensors
    concatenated; ``blocks[k]`` are the columns of tensor k; ``reached[t][k]`` says whether task t's loss reaches
    tensor k at all (its block of row t is zero when it does not).
    """

    matrix: Tensor
    tasks: tuple[str, ...]
    blocks: tuple[slice, ...]
    reached: tuple[tuple[bool, ...], ...]


def task_jacobian(
    losses: Mapping[str, Tensor] | Sequence[Tensor],
    tensors: Sequence[Tensor],
    create_graph: bool = False,
    retain_graph: bool = True,
) -> Jacobian:
    """Each task's gradient with respect to ``tensors`` as a :class:`Jacobian` (rows in the order of ``losses``;
    unnamed losses are named ``"0"``, ``"1"``, ...).

    Rows are at least float32 (bf16/fp16 gradients are upcast). Tensors a loss does not reach get zero gradient.
    With ``create_graph`` the rows are differentiable (for a penalty on them, Eq. 5); ``retain_graph`` keeps the
    graph for a later backward of the losses themselves.
    """
    names = tuple(losses) if isinstance(losses, Mapping) else tuple(str(i) for i in range(len(losses)))
    values = list(losses.values()) if isinstance(losses, Mapping) else list(losses)
    tensors = list(tensors)
    if not values or not tensors:
        raise ValueError(f"a Jacobian needs at least one loss and one tensor, got {len(values)} and {len(tensors)}")
    rows, reached = [], []
    for loss in values:
        grads = torch.autograd.grad(
            loss, tensors, retain_graph=retain_graph or create_graph, create_graph=create_graph, allow_unused=True
        )
        reached.append(tuple(g is not None for g in grads))
        flat = [(torch.zeros_like(p) if g is None else g).reshape(-1) for g, p in zip(grads, tensors)]
        rows.append(torch.cat([f.to(torch.promote_types(f.dtype, torch.float32)) for f in flat]))
    ends = np.cumsum([p.numel() for p in tensors]).tolist()
    blocks = tuple(slice(end - p.numel(), end) for end, p in zip(ends, tensors))
    return Jacobian(torch.stack(rows), names, blocks, tuple(reached))


def task_gradients(
    losses: Mapping[str, Tensor] | Sequence[Tensor],
    params: Sequence[Tensor],
    create_graph: bool = False,
    retain_graph: bool = True,
) -> Tensor:
    """Each task's gradient with respect to ``params``, flattened: the (T, P) matrix of :func:`task_jacobian`,
    row t = ∂L_t/∂params (zero where a loss does not reach a parameter)."""
    return task_jacobian(losses, params, create_graph, retain_graph).matrix


def cosine_matrix(grads: Tensor, eps: float = 1e-12) -> Tensor:
    """N̂ᵀN̂ of Eq. 5 in row form: the (T, T) matrix of cosines between the rows of ``grads`` (T, P).

    A zero row has cosine 0 with every other row (and 0 on the diagonal)."""
    if grads.dim() != 2:
        raise ValueError(f"grads must have shape (T, P), got {tuple(grads.shape)}")
    unit = grads / grads.norm(dim=1, keepdim=True).clamp_min(eps)
    return unit @ unit.T


def cosine_penalty(grads: Tensor, eps: float = 1e-12) -> Tensor:
    """Eq. 5's regulariser without α: ‖N̂ᵀN̂ − I_T‖²_F / (T(T−1)) for the task gradients (rows of ``grads``).

    It equals the mean over task pairs of cos²(t_i, t_j), so it lies in [0, 1]: 0 for orthogonal gradients, 1 for
    parallel or antiparallel ones; for T = 2 it is cos²(t_1, t_2) (Eq. 4). A zero row (a task whose loss does not
    reach these parameters) has cosine 0 with every task, its own diagonal included, so I_T keeps a 0 there.
    Differentiable in ``grads``.
    """
    t = grads.shape[0] if grads.dim() == 2 else 0
    if t < 2:
        raise ValueError(f"cosine_penalty needs gradients of at least 2 tasks as rows of a (T, P) tensor, got {tuple(grads.shape)}")
    cos = cosine_matrix(grads, eps)
    eye = torch.diag((grads.detach().norm(dim=1) > 0).to(cos.dtype))
    return ((cos - eye) ** 2).sum() / (t * (t - 1))


def pairwise_cosines(grads: Tensor, names: Sequence[str], eps: float = 1e-12) -> dict[str, Tensor]:
    """cos(t_i, t_j) (Eq. 3) for every pair i < j as 0-dim tensors on the gradients' device (read without a
    sync), keyed ``"cos.<t_i>.<t_j>"`` (the steps-log column names)."""
    if len(names) != grads.shape[0]:
        raise ValueError(f"{len(names)} names for {grads.shape[0]} gradient rows")
    cos = cosine_matrix(grads.detach(), eps)
    return {cosine_column(a, b): cos[i, j] for (i, a), (j, b) in combinations(enumerate(names), 2)}


def cosine_column(a: str, b: str) -> str:
    """Name of the steps-log column holding cos(a, b)."""
    return f"cos.{a}.{b}"


def cosine_statistics(cosines: Sequence[float] | np.ndarray | pd.Series) -> dict[str, float]:
    """μ and σ of a recorded cosine distribution Φ (population σ), with the mean squared cosine and count."""
    values = np.asarray(cosines, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("cosine_statistics needs at least one finite cosine")
    return {"mean": float(values.mean()), "std": float(values.std()), "mean_sq": float((values**2).mean()), "count": int(values.size)}


def rolling_std(cosines: Sequence[float] | np.ndarray | pd.Series, window: int = 50) -> np.ndarray:
    """σ of the cosines over rolling windows of ``window`` iterations (Figure 4; the paper's window is 50).

    Entry k is the population σ of iterations k−window+1..k; the first window−1 entries are NaN.
    """
    if not isinstance(window, int) or window < 2:
        raise ValueError(f"window must be an integer >= 2, got {window!r}")
    return pd.Series(np.asarray(cosines, dtype=np.float64)).rolling(window, min_periods=window).std(ddof=0).to_numpy()

