"""Paper 01's theory (supplement, Section 1): how adding tasks shrinks the input gradient an attacker follows.

Lemma 1: to first order the adversarial vulnerability E_x[ΔL] of Definition 1 is E_x‖∂x L_all‖_q · ‖δ‖_p (q the
dual norm of p), so it is proportional to the expected norm of the gradient of the joint loss
L_all = 1/M Σ_c L_c with respect to the input. Theorem 1: if the M task gradients r_c = ∂x L_c have zero mean and
covariances Cov(r_i, r_j) = E[r_i · r_j], that norm is proportional to

    sqrt(1 + 2/M Σ_i Σ_{j<i} Cov(r_i, r_j) / Cov(r_i, r_i)) / sqrt(M),

which Corollary 1.1 reduces to 1/sqrt(M) for independent tasks. :func:`vulnerability_factor` evaluates the closed
form; :func:`sample_task_gradients` and :func:`monte_carlo_vulnerability` measure the same ratio by simulation.

What the proof establishes exactly is the root mean square: E‖R‖² = σ²/M (1 + 2/M Σ_i Σ_{j<i} Cov_ij/σ²) for
R = 1/M Σ_c r_c and equal variances σ² = Cov(r_i, r_i) (its sums print j <= i in one line and R = Σ_c r_c in
another: typos, the result uses j < i and the mean). The step from E‖R‖² to E‖R‖ holds as a ratio to a single
task's E‖r_c‖ when the gradients are Gaussian; the estimator reports both the root-mean-square ratio and the
mean-norm ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


def _check_covariance(cov: np.ndarray) -> np.ndarray:
    cov = np.asarray(cov, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] < 1:
        raise ValueError(f"cov must be a square M x M matrix with M >= 1, got shape {cov.shape}")
    if not np.all(np.isfinite(cov)):
        raise ValueError("cov must be finite")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
        raise ValueError("cov must be symmetric: Cov(r_i, r_j) = Cov(r_j, r_i)")
    if np.any(np.diag(cov) <= 0):
        raise ValueError(f"cov needs positive variances Cov(r_i, r_i) on its diagonal, got {np.diag(cov).tolist()}")
    return cov


def vulnerability_factor(cov: np.ndarray | Tensor) -> float:
    """Theorem 1's factor sqrt(1 + 2/M Σ_i Σ_{j<i} Cov(r_i, r_j)/Cov(r_i, r_i)) / sqrt(M).

    ``cov`` is the M x M covariance of the task gradients with respect to the input (Cov(r_i, r_j) = E[r_i · r_j]
    for zero-mean gradients). A diagonal ``cov`` gives Corollary 1.1's 1/sqrt(M); perfectly correlated gradients
    (every entry equal) give 1, i.e. no gain from adding tasks. A covariance that is not positive semi-definite
    can make the radicand negative, which raises ``ValueError``.
    """
    cov = _check_covariance(cov.detach().cpu().numpy() if isinstance(cov, Tensor) else cov)
    m = cov.shape[0]
    ratios = cov / np.diag(cov)[:, None]
    lower = float(np.tril(ratios, k=-1).sum())
    radicand = 1.0 + 2.0 / m * lower
    if radicand < -1e-12:
        raise ValueError(f"cov is not a covariance: 1 + 2/M Σ Cov_ij/Cov_ii = {radicand:.3g} < 0")
    return float(np.sqrt(max(radicand, 0.0)) / np.sqrt(m))


def equicorrelated(m: int, rho: float, variance: float = 1.0) -> np.ndarray:
    """The M x M covariance with ``variance`` on the diagonal and correlation ``rho`` everywhere else.

    Valid for -1/(M-1) <= rho <= 1; its vulnerability factor is sqrt((1 + (M - 1) rho) / M).
    """
    if m < 1:
        raise ValueError(f"m must be >= 1, got {m}")
    low = -1.0 / (m - 1) if m > 1 else -1.0
    if not low <= rho <= 1.0:
        raise ValueError(f"rho={rho} gives no covariance for M={m}; expected {low:.3g} <= rho <= 1")
    if variance <= 0:
        raise ValueError(f"variance must be positive, got {variance}")
    return variance * ((1.0 - rho) * np.eye(m) + rho * np.ones((m, m)))


def sample_task_gradients(
    cov: np.ndarray | Tensor, dim: int, samples: int, generator: torch.Generator | None = None
) -> Tensor:
    """Draw ``samples`` sets of M zero-mean gradient vectors in R^dim with E[r_i · r_j] = cov[i, j].

    Every coordinate is an independent Gaussian vector across tasks with covariance cov / dim, so the inner
    products have exactly the covariances Theorem 1 assumes. Returns a float64 tensor (samples, M, dim).
    """
    cov = _check_covariance(cov.detach().cpu().numpy() if isinstance(cov, Tensor) else cov)
    if dim < 1 or samples < 2:
        raise ValueError(f"need dim >= 1 and samples >= 2, got dim={dim}, samples={samples}")
    eigval, eigvec = np.linalg.eigh(cov / dim)
    if eigval.min() < -1e-10 * max(eigval.max(), 1.0):
        raise ValueError(f"cov is not positive semi-definite (smallest eigenvalue {eigval.min() * dim:.3g})")
    root = torch.from_numpy(eigvec * np.sqrt(np.clip(eigval, 0.0, None)))
    z = torch.randn(samples, dim, cov.shape[0], generator=generator, dtype=torch.float64)
    return (z @ root.T).transpose(1, 2).contiguous()


@dataclass(frozen=True)
class VulnerabilityEstimate:
    """A Monte-Carlo estimate of Theorem 1's factor with its standard error (delta method).

    ``rms`` estimates sqrt(E‖R‖² / E‖r_c‖²) (what the proof computes exactly); ``mean_norm`` estimates
    E‖R‖ / E‖r_c‖ (Lemma 1's quantity, the expected gradient norm relative to one task's). ``samples`` draws.
    """

    rms: float
    rms_se: float
    mean_norm: float
    mean_norm_se: float
    samples: int


def _delta_method(a: Tensor, b: Tensor, value: Tensor, grad_a: Tensor, grad_b: Tensor) -> tuple[float, float]:
    """``value`` = f(mean a, mean b) and its delta-method standard error over the paired samples (a_n, b_n)."""
    influence = grad_a * (a - a.mean()) + grad_b * (b - b.mean())
    return float(value), float(influence.std(unbiased=True) / np.sqrt(len(a)))


def monte_carlo_vulnerability(gradients: Tensor) -> VulnerabilityEstimate:
    """Estimate Theorem 1's factor from sampled task gradients of shape (samples, M, dim).

    R = 1/M Σ_c r_c is the joint gradient of L_all = 1/M Σ_c L_c (the proof of Theorem 1). The factor is the norm
    of R relative to a single task's gradient norm, both estimated from the same samples: rms =
    sqrt(mean‖R‖² / mean‖r_c‖²) and mean_norm = mean‖R‖ / mean‖r_c‖ (means over samples and tasks), each with a
    delta-method standard error. For Gaussian gradients with equal variances both equal the closed form in
    expectation, whatever ``dim`` (R is then Gaussian too, with the variance the proof computes).
    """
    if gradients.dim() != 3 or gradients.shape[0] < 2:
        raise ValueError(f"gradients must have shape (samples >= 2, M, dim), got {tuple(gradients.shape)}")
    g = gradients.double()
    joint_sq = g.mean(1).pow(2).sum(1)
    single_sq = g.pow(2).sum(2).mean(1)
    a, b = joint_sq.mean(), single_sq.mean()
    rms = _delta_method(joint_sq, single_sq, (a / b).sqrt(), 0.5 / (a * b).sqrt(), -0.5 * a.sqrt() / b.pow(1.5))
    norms, single = joint_sq.sqrt(), g.pow(2).sum(2).sqrt().mean(1)
    n, s = norms.mean(), single.mean()
    mean_norm = _delta_method(norms, single, n / s, 1.0 / s, -n / s.pow(2))
    return VulnerabilityEstimate(rms[0], rms[1], mean_norm[0], mean_norm[1], len(g))
