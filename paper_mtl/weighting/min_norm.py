"""The min-norm element of the convex hull of task gradients (Sener & Koltun, NeurIPS 2018, Sec. 3.2).

MGDA's common descent direction is the point of smallest norm in the convex hull of the task gradients,

    min_{w ∈ Δ^{T-1}} ‖Σ_t w_t g_t‖²,   Δ^{T-1} = {w ≥ 0, Σ_t w_t = 1}.

The solver follows Sener & Koltun: the exact closed form for two vectors (their Algorithm 1), and for more
tasks a start at the best pair, then projected-gradient steps onto the simplex with an exact line search (the
solver of their public code, which Pareto MTL reuses). Departures, all on purpose:

- the two-vector γ is clipped to [0, 1] as the paper's Algorithm 1 states; their code clips to [0.001, 0.999],
  which is not the minimiser when one gradient dominates the other;
- the projected-gradient step uses the step 1/λ_max(Gram) and is followed by a subspace step: the exact
  minimiser on the current support (an equality-constrained least-squares solve), stepping to the boundary and
  dropping the weight that reaches zero when that minimiser leaves the simplex (a primal active-set inner loop,
  as in Moré & Toraldo 1991). Pure projected-gradient steps zig-zag for hundreds of iterations when gradients are
  strongly correlated; with the subspace step the solver typically stops after 2–3 iterations at the exact
  optimum (KKT residual ~1e-11);
- the iteration cap works (theirs is never enforced). The stopping rule is theirs: L1 change of w below ``tol``.
  A run that stops at ``max_iter`` emits :class:`MinNormConvergenceWarning` and, with ``return_info=True``,
  reports ``converged=False`` (the weights returned are still on the simplex and no worse than the start).

All arithmetic after the Gram matrix runs in float64 numpy on the CPU (the problem is T×T, where a torch call costs
more than its arithmetic): the pair search is vectorised over all pairs and the KKT solves call LAPACK's gelsd
directly. The Gram matrix itself is formed in float64 on the gradients' device.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from scipy.linalg import lapack
from torch import Tensor

__all__ = [
    "MinNormConvergenceWarning",
    "MinNormInfo",
    "min_norm_weights",
    "min_norm_weights_from_gram",
    "project_to_simplex",
]


class MinNormConvergenceWarning(RuntimeWarning):
    """The iterative min-norm solver hit its iteration cap before its stopping criterion."""


@dataclass(frozen=True)
class MinNormInfo:
    """How a solve ended: ``iterations`` taken, whether the L1 change fell below ``tol`` (``converged``),
    the last L1 change, and the squared norm ‖Σ w_t g_t‖² reached."""

    iterations: int
    converged: bool
    change: float
    norm_sq: float


def _two_point(v11: float, v12: float, v22: float) -> float:
    """Sener & Koltun's Algorithm 1: γ minimising ‖γ a + (1-γ) b‖² given aᵀa, aᵀb, bᵀb."""
    if v12 >= v11:
        return 1.0
    if v12 >= v22:
        return 0.0
    return (v22 - v12) / (v11 + v22 - 2.0 * v12)


def _best_pair(m: np.ndarray) -> tuple[int, int, float]:
    """:func:`_two_point` on every pair (i, j), i < j, at once; returns the pair with the least
    ‖γ g_i + (1-γ) g_j‖² and its γ. Ties go to the first pair in lexicographic order."""
    n = m.shape[0]
    v11, v12, v22 = np.diag(m)[:, None], m, np.diag(m)[None, :]
    first_wins, second_wins = v12 >= v11, v12 >= v22
    # the denominator is > 0 wherever neither vector wins outright; elsewhere it is unused
    denominator = np.where(first_wins | second_wins, 1.0, v11 + v22 - 2.0 * v12)
    gamma = np.where(first_wins, 1.0, np.where(second_wins, 0.0, (v22 - v12) / denominator))
    # at γ = 1 (γ = 0) the cost is exactly v11 (v22)
    cost = gamma * gamma * v11 + 2.0 * gamma * (1.0 - gamma) * v12 + (1.0 - gamma) ** 2 * v22
    cost[np.tri(n, dtype=bool)] = np.inf  # keep the pairs i < j; argmin scans them in lexicographic order
    i, j = divmod(int(np.argmin(cost)), n)
    return i, j, float(gamma[i, j])


def _project_to_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of a float64 vector onto the probability simplex (sort-based, Held et al. 1974)."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    rho = int(np.flatnonzero(u - css / np.arange(1, v.size + 1) > 0)[-1])
    return np.maximum(v - css[rho] / (rho + 1), 0.0)


def project_to_simplex(v: Tensor) -> Tensor:
    """Euclidean projection of a vector onto the probability simplex (sort-based, Held et al. 1974); returns a
    tensor with ``v``'s dtype and device (computed in float64, not differentiable)."""
    if v.ndim != 1 or v.numel() == 0:
        raise ValueError(f"project_to_simplex needs a non-empty 1-D tensor, got shape {tuple(v.shape)}")
    projected = _project_to_simplex(v.detach().to(device="cpu", dtype=torch.float64).numpy())
    return torch.from_numpy(projected).to(device=v.device, dtype=v.dtype)


def _line_search(m: np.ndarray, w: np.ndarray, target: np.ndarray, max_step: float) -> np.ndarray:
    """Exact line search of wᵀMw on the segment from ``w`` towards ``target``, step in [0, max_step]."""
    d = target - w
    curvature = float(d @ m @ d)
    slope = float((m @ w) @ d)
    if slope >= 0:
        return w
    step = max_step if curvature <= 0 else min(-slope / curvature, max_step)
    return w + step * d


def _lstsq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Minimum-norm least-squares solution of the square system ``a x = b``: ``np.linalg.lstsq(a, b)[0]`` (LAPACK
    gelsd, singular values below n·eps·σ_max dropped), called directly to skip numpy's per-call overhead."""
    n = a.shape[0]
    work, iwork, _ = lapack.dgelsd_lwork(n, n, 1)
    x, _, _, info = lapack.dgelsd(a, b[:, None], int(work), iwork, cond=n * np.finfo(np.float64).eps)
    if info > 0:
        raise np.linalg.LinAlgError("SVD did not converge in Linear Least Squares")
    return x[:, 0]


def _support_minimiser(m: np.ndarray, w: np.ndarray) -> np.ndarray:
    """argmin vᵀMv subject to Σv = 1 and v_i = 0 off the support of ``w`` (least-squares KKT solution)."""
    support = np.flatnonzero(w > 0)
    k = support.size
    kkt = np.ones((k + 1, k + 1))
    kkt[:k, :k] = 2.0 * m[support][:, support]
    kkt[k, k] = 0.0
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    v = np.zeros(w.size)
    v[support] = _lstsq(kkt, rhs)[:k]
    return v


def _max_feasible_step(w: np.ndarray, target: np.ndarray) -> float:
    """Largest s <= 1 with w + s (target - w) >= 0."""
    d = target - w
    shrinking = d < 0
    if not shrinking.any():
        return 1.0
    return min(1.0, float((w[shrinking] / -d[shrinking]).min()))


def _subspace_descent(m: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Move to the minimiser on the support of ``w``; when a weight hits zero on the way, drop it and repeat.

    The inner loop of a primal active-set method: it ends after at most ``len(support)`` solves.
    """
    while True:
        target = _support_minimiser(m, w)
        max_step = _max_feasible_step(w, target)
        new = _line_search(m, w, target, max_step)
        if max_step >= 1.0 or new is w:
            return new
        new = np.where(new > 1e-15 * new.max(), new, 0.0)
        w = new / new.sum()


def _projected_gradient(
    m: np.ndarray, w: np.ndarray, lipschitz: float, max_iter: int, tol: float
) -> tuple[np.ndarray, int, bool, float]:
    """Projected-gradient steps (step 1/``lipschitz``, exact line search), each followed by a subspace step, until
    the L1 change of w is below ``tol`` or ``max_iter`` iterations have run; returns (w, iterations, converged,
    last change)."""
    change = 0.0
    for iteration in range(1, max_iter + 1):
        new = _line_search(m, w, _project_to_simplex(w - (m @ w) / lipschitz), 1.0)
        new = _subspace_descent(m, new)
        change = float(np.abs(new - w).sum())
        w = new
        if change < tol:
            return w, iteration, True, change
    return w, max_iter, False, change


def _check_gram(gram: Tensor) -> np.ndarray:
    """The symmetrised float64 numpy copy of a valid (T, T) Gram matrix."""
    if gram.ndim != 2 or gram.shape[0] != gram.shape[1] or gram.shape[0] == 0:
        raise ValueError(f"gram must be a non-empty square (T, T) matrix, got shape {tuple(gram.shape)}")
    m = gram.detach().to(device="cpu", dtype=torch.float64).numpy()
    if not np.isfinite(m).all():
        raise ValueError("gram holds non-finite values (nan or inf); check the task gradients")
    return 0.5 * (m + m.T)


def min_norm_weights_from_gram(
    gram: Tensor, max_iter: int = 250, tol: float = 1e-5, *, return_info: bool = False
) -> Tensor | tuple[Tensor, MinNormInfo]:
    """Min-norm simplex weights given the Gram matrix ``gram[i, j] = g_iᵀ g_j``; returns float64 on the CPU.

    Same algorithm and return convention as :func:`min_norm_weights`.
    """
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    m = _check_gram(gram)
    n = m.shape[0]
    w = np.zeros(n)
    iterations, converged, change = 0, True, 0.0
    if n == 1:
        w[0] = 1.0
    elif n == 2:  # the closed form is the exact optimum
        gamma = _two_point(float(m[0, 0]), float(m[0, 1]), float(m[1, 1]))
        w[:] = gamma, 1.0 - gamma
    else:
        i, j, gamma = _best_pair(m)
        w[i], w[j] = gamma, 1.0 - gamma
        lipschitz = float(np.linalg.eigvalsh(m)[-1])
        if lipschitz > 0:
            w, iterations, converged, change = _projected_gradient(m, w, lipschitz, max_iter, tol)
            if not converged:
                warnings.warn(
                    f"min-norm solver stopped at max_iter={max_iter} with L1 change {change:.3g} >= tol={tol:g}",
                    MinNormConvergenceWarning,
                    stacklevel=2,
                )
    w = np.maximum(w, 0.0)
    w = w / w.sum()
    if not return_info:
        return torch.from_numpy(w)
    norm_sq = max(float(w @ m @ w), 0.0)
    return torch.from_numpy(w), MinNormInfo(iterations=iterations, converged=converged, change=change, norm_sq=norm_sq)


def min_norm_weights(
    grads: Tensor, max_iter: int = 250, tol: float = 1e-5, *, return_info: bool = False
) -> Tensor | tuple[Tensor, MinNormInfo]:
    """Weights w on the simplex minimising ‖Σ_t w_t g_t‖ for task gradients ``grads`` of shape (T, P).

    Sener & Koltun (2018) Algorithm 1 for T = 2 (exact); for T > 2, the best pair as a start, then projected
    gradient steps (step 1/λ_max of the Gram matrix, projected onto the simplex) with an exact line search, each
    followed by a subspace step on the current support (see the module docstring), until the L1 change of w is
    below ``tol`` or ``max_iter`` iterations have run. Hitting the cap warns with
    :class:`MinNormConvergenceWarning`. Returns ``w`` of shape (T,) with ``grads``' dtype and device, or
    ``(w, MinNormInfo)`` when ``return_info`` is true. Ties between equally good pairs go to the first pair in
    lexicographic order, so identical gradients give all weight to the first task.
    """
    if grads.ndim != 2 or grads.shape[0] == 0:
        raise ValueError(f"grads must have shape (T, P) with T >= 1, got {tuple(grads.shape)}")
    g = grads.detach().to(torch.float64)
    gram = g @ g.T
    # a non-finite gradient makes its diagonal Gram entry non-finite, so the (costly) scan of all gradients only
    # runs when the Gram matrix is not finite
    if not torch.isfinite(gram).all() and not torch.isfinite(grads).all():
        raise ValueError("grads hold non-finite values (nan or inf)")
    out = min_norm_weights_from_gram(gram, max_iter, tol, return_info=True)
    w = out[0].to(device=grads.device, dtype=grads.dtype if grads.is_floating_point() else torch.float64)
    return (w, out[1]) if return_info else w
