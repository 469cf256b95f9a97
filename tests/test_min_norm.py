"""Tests of the min-norm solver (Sener & Koltun 2018) shared by MGDA and Pareto MTL."""

import itertools
import warnings

import pytest
import torch

from paper_mtl.weighting.min_norm import (
    MinNormConvergenceWarning,
    min_norm_weights,
    min_norm_weights_from_gram,
    project_to_simplex,
)


def _norm_sq(w: torch.Tensor, g: torch.Tensor) -> float:
    return float((w @ g).pow(2).sum())


def test_two_tasks_closed_form_interior() -> None:
    g = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    w = min_norm_weights(g)
    # γ = (v22 - v12) / (v11 + v22 - 2 v12) = 4 / 5
    torch.testing.assert_close(w, torch.tensor([0.8, 0.2], dtype=torch.float64))
    assert _norm_sq(w, g) == pytest.approx(0.8, abs=1e-12)


def test_two_tasks_matches_closed_form_on_random_gradients() -> None:
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        g = torch.randn(2, 7, generator=gen, dtype=torch.float64)
        v11, v12, v22 = float(g[0] @ g[0]), float(g[0] @ g[1]), float(g[1] @ g[1])
        gamma = min(max((v22 - v12) / (v11 + v22 - 2 * v12), 0.0), 1.0)
        torch.testing.assert_close(min_norm_weights(g), torch.tensor([gamma, 1 - gamma], dtype=torch.float64))


def test_two_tasks_dominated_gradient_gets_all_weight() -> None:
    # g1 = (1, 0) lies inside the half-space where g1ᵀg2 >= g1ᵀg1: the min-norm point is g1 itself (γ = 1,
    # not the 0.999 of the public code)
    g = torch.tensor([[1.0, 0.0], [3.0, 1.0]])
    torch.testing.assert_close(min_norm_weights(g), torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(min_norm_weights(g.flip(0)), torch.tensor([0.0, 1.0]))


def test_three_tasks_against_brute_force_grid() -> None:
    gen = torch.Generator().manual_seed(1)
    steps = 300
    a = torch.arange(steps + 1, dtype=torch.float64) / steps
    w1, w2 = torch.meshgrid(a, a, indexing="ij")
    keep = (w1 + w2) <= 1 + 1e-12
    grid = torch.stack([w1[keep], w2[keep], (1 - w1 - w2)[keep].clamp(min=0)], 1)
    for _ in range(5):
        g = torch.randn(3, 6, generator=gen, dtype=torch.float64)
        w, info = min_norm_weights(g, return_info=True)
        norms = (grid @ g).pow(2).sum(1)
        best = int(norms.argmin())
        assert info.converged
        assert info.norm_sq <= float(norms[best]) + 1e-12
        assert info.norm_sq == pytest.approx(_norm_sq(w, g), rel=1e-9)
        # the optimum is unique here (the Gram matrix is positive definite), so the weights match the grid's
        torch.testing.assert_close(w, grid[best], atol=2.0 / steps, rtol=0)


@pytest.mark.parametrize("shape", [(3, 5), (4, 3), (6, 40), (10, 4)])
def test_kkt_conditions(shape: tuple[int, int]) -> None:
    g = torch.randn(*shape, generator=torch.Generator().manual_seed(shape[0] * 100 + shape[1]), dtype=torch.float64)
    w, info = min_norm_weights(g, max_iter=5000, tol=1e-10, return_info=True)
    assert info.converged
    assert float(w.sum()) == pytest.approx(1.0, abs=1e-12)
    assert bool((w >= 0).all())
    # KKT of min wᵀMw on the simplex: (Mw)_i >= wᵀMw for all i, with equality where w_i > 0
    m = g @ g.T
    mw = m @ w
    value = float(w @ mw)
    scale = float(m.diagonal().max())
    assert bool((mw >= value - 1e-6 * scale).all())
    support = w > 1e-6
    torch.testing.assert_close(mw[support], torch.full_like(mw[support], value), atol=1e-6 * scale, rtol=0)


def test_identical_gradients() -> None:
    g = torch.tensor([[1.0, -2.0, 0.5]]).repeat(4, 1)
    w = min_norm_weights(g)
    torch.testing.assert_close(w, torch.tensor([1.0, 0.0, 0.0, 0.0]))
    assert _norm_sq(w, g) == pytest.approx(5.25)


def test_orthogonal_gradients_weight_inverse_squared_norms() -> None:
    # for orthogonal g_t the optimum is w_t ∝ 1/‖g_t‖²
    norms = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)
    g = torch.diag(norms)
    w, info = min_norm_weights(g, return_info=True)
    expected = norms.pow(-2) / norms.pow(-2).sum()
    assert info.converged
    torch.testing.assert_close(w, expected, atol=1e-5, rtol=0)


def test_zero_in_hull_reaches_zero_norm() -> None:
    g = torch.tensor([[1.0, 0.0], [-1.0, 1.0], [0.0, -1.0]], dtype=torch.float64)
    w = min_norm_weights(g, tol=1e-10, max_iter=10000)
    assert _norm_sq(w, g) == pytest.approx(0.0, abs=1e-8)
    torch.testing.assert_close(w, torch.full((3,), 1 / 3, dtype=torch.float64), atol=1e-4, rtol=0)


def test_single_task_and_dtype_device() -> None:
    torch.testing.assert_close(min_norm_weights(torch.randn(1, 4)), torch.tensor([1.0]))
    w = min_norm_weights(torch.randn(3, 4, dtype=torch.float32))
    assert w.dtype == torch.float32 and w.shape == (3,)


def test_iteration_cap_warns_and_reports() -> None:
    g = torch.randn(8, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    with pytest.warns(MinNormConvergenceWarning, match="max_iter=1"):
        w, info = min_norm_weights(g, max_iter=1, tol=1e-12, return_info=True)
    assert not info.converged and info.iterations == 1 and info.change >= 1e-12
    assert float(w.sum()) == pytest.approx(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MinNormConvergenceWarning)
        assert min_norm_weights(g, max_iter=5000, return_info=True)[1].converged


def test_gram_entry_point_agrees() -> None:
    g = torch.randn(4, 9, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    torch.testing.assert_close(min_norm_weights_from_gram(g @ g.T), min_norm_weights(g))


def test_projection_to_simplex() -> None:
    torch.testing.assert_close(project_to_simplex(torch.tensor([0.5, 0.5, 1.0])), torch.tensor([1 / 6, 1 / 6, 2 / 3]))
    torch.testing.assert_close(project_to_simplex(torch.tensor([0.2, 0.3])), torch.tensor([0.45, 0.55]))
    v = torch.randn(6, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    p = project_to_simplex(v)
    assert float(p.sum()) == pytest.approx(1.0) and bool((p >= 0).all())
    # the projection is the closest simplex point: no grid point of random simplex samples is closer
    samples = torch.distributions.Dirichlet(torch.ones(6, dtype=torch.float64)).sample((2000,))
    assert float((p - v).norm()) <= float((samples - v).norm(dim=1).min())


@pytest.mark.parametrize(
    ("grads", "match"),
    [
        (torch.zeros(3), "shape"),
        (torch.zeros(0, 3), "shape"),
        (torch.tensor([[float("nan"), 1.0]]), "non-finite"),
    ],
)
def test_bad_input(grads: torch.Tensor, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        min_norm_weights(grads)


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="max_iter"):
        min_norm_weights(torch.ones(2, 2), max_iter=0)
    with pytest.raises(ValueError, match="tol"):
        min_norm_weights(torch.ones(2, 2), tol=0.0)
    with pytest.raises(ValueError, match="square"):
        min_norm_weights_from_gram(torch.ones(2, 3))


def test_permutation_equivariance() -> None:
    g = torch.randn(5, 8, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    w = min_norm_weights(g, tol=1e-10, max_iter=5000)
    for perm in itertools.islice(itertools.permutations(range(5)), 0, 120, 17):
        p = list(perm)
        torch.testing.assert_close(min_norm_weights(g[p], tol=1e-10, max_iter=5000), w[p], atol=1e-6, rtol=0)


def test_vectorised_pair_search_matches_algorithm_1_pair_by_pair() -> None:
    from paper_mtl.weighting.min_norm import _best_pair, _two_point

    gen = torch.Generator().manual_seed(7)
    for tasks in (3, 4, 9):
        for g in (
            torch.randn(tasks, 5, generator=gen, dtype=torch.float64),
            torch.randn(1, 5, generator=gen, dtype=torch.float64).repeat(tasks, 1),  # ties everywhere
            torch.randn(tasks, 5, generator=gen, dtype=torch.float64) * torch.arange(1, tasks + 1)[:, None],
        ):
            m = (g @ g.T).numpy()
            best = None
            for i, j in itertools.combinations(range(tasks), 2):
                gamma = _two_point(float(m[i, i]), float(m[i, j]), float(m[j, j]))
                cost = float((gamma * g[i] + (1 - gamma) * g[j]).pow(2).sum())
                if best is None or cost < best[0] - 1e-12 * float(m.diagonal().max()):
                    best = (cost, i, j, gamma)
            i, j, gamma = _best_pair(m)
            assert (i, j) == best[1:3] and gamma == pytest.approx(best[3], abs=1e-12)
