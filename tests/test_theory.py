"""Theorem 1 / Corollary 1.1 of paper 01: the closed form, its limits, and its Monte-Carlo estimate."""

import math

import numpy as np
import pytest
import torch

from paper_mtl.theory import (
    equicorrelated,
    monte_carlo_vulnerability,
    sample_task_gradients,
    vulnerability_factor,
)


@pytest.mark.parametrize("m", range(1, 12))
def test_independent_tasks_give_one_over_sqrt_m(m):
    assert vulnerability_factor(np.eye(m)) == pytest.approx(1 / math.sqrt(m), rel=1e-12)
    assert vulnerability_factor(np.diag(np.arange(1.0, m + 1))) == pytest.approx(1 / math.sqrt(m), rel=1e-12)


@pytest.mark.parametrize("m", [1, 2, 5, 11])
def test_perfectly_correlated_tasks_give_one(m):
    assert vulnerability_factor(np.full((m, m), 3.0)) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("m,rho", [(2, 0.5), (4, -0.2), (11, 0.3), (6, 0.9)])
def test_equicorrelated_closed_form(m, rho):
    expected = math.sqrt((1 + (m - 1) * rho) / m)
    assert vulnerability_factor(equicorrelated(m, rho, variance=2.5)) == pytest.approx(expected, rel=1e-12)


def test_pinned_values_by_hand():
    cov = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.1], [0.2, 0.1, 1.0]])
    # 1 + 2/3 * (0.5 + 0.2 + 0.1) = 1.5333..., / 3 -> sqrt(0.51111)
    assert vulnerability_factor(cov) == pytest.approx(math.sqrt((1 + 2 / 3 * 0.8) / 3), rel=1e-12)
    assert vulnerability_factor(cov) == pytest.approx(0.7149203529842405, rel=1e-12)
    # the printed formula normalises Cov(r_i, r_j), j < i, by the row's variance Cov(r_i, r_i)
    assert vulnerability_factor(np.array([[4.0, 1.0], [1.0, 1.0]])) == pytest.approx(1.0)
    assert vulnerability_factor(np.array([[1.0, 1.0], [1.0, 4.0]])) == pytest.approx(math.sqrt(1.25 / 2))
    assert vulnerability_factor(torch.eye(4)) == pytest.approx(0.5)


def test_factor_is_scale_invariant_and_grows_with_correlation():
    cov = equicorrelated(5, 0.25)
    assert vulnerability_factor(7.0 * cov) == pytest.approx(vulnerability_factor(cov), rel=1e-12)
    values = [vulnerability_factor(equicorrelated(5, rho)) for rho in (-0.25, 0.0, 0.25, 0.5, 1.0)]
    assert values == sorted(values) and values[0] == 0.0 and values[-1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.ones((2, 3)), "square"),
        (np.array([[1.0, 0.2], [0.3, 1.0]]), "symmetric"),
        (np.array([[0.0, 0.0], [0.0, 1.0]]), "positive variances"),
        (np.array([[1.0, -2.0], [-2.0, 1.0]]), "not a covariance"),
        (np.array([[np.nan]]), "finite"),
    ],
)
def test_bad_covariances_fail_early(bad, message):
    with pytest.raises(ValueError, match=message):
        vulnerability_factor(bad)


def test_equicorrelated_rejects_impossible_correlations():
    with pytest.raises(ValueError, match="rho"):
        equicorrelated(3, -0.6)
    with pytest.raises(ValueError, match="m must be"):
        equicorrelated(0, 0.0)


def test_sampled_gradients_have_the_requested_covariance():
    cov = np.array([[1.0, 0.6, -0.2], [0.6, 1.0, 0.1], [-0.2, 0.1, 1.0]])
    g = sample_task_gradients(cov, dim=50, samples=4000, generator=torch.Generator().manual_seed(1))
    assert g.shape == (4000, 3, 50) and g.dtype == torch.float64
    empirical = torch.einsum("nid,njd->ij", g, g).numpy() / 4000
    np.testing.assert_allclose(empirical, cov, atol=0.03)
    again = sample_task_gradients(cov, dim=50, samples=4000, generator=torch.Generator().manual_seed(1))
    assert torch.equal(g, again)


def test_sampling_rejects_indefinite_covariance():
    with pytest.raises(ValueError, match="positive semi-definite"):
        sample_task_gradients(np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]]), 4, 10)


@pytest.mark.parametrize(
    "cov",
    [np.eye(1), np.eye(4), equicorrelated(6, 0.4), equicorrelated(11, 0.1), equicorrelated(3, -0.3)],
    ids=["M1", "independent4", "rho0.4_M6", "rho0.1_M11", "rho-0.3_M3"],
)
def test_monte_carlo_agrees_with_closed_form_within_its_standard_error(cov):
    g = sample_task_gradients(cov, dim=32, samples=3000, generator=torch.Generator().manual_seed(0))
    estimate = monte_carlo_vulnerability(g)
    closed = vulnerability_factor(cov)
    assert estimate.samples == 3000
    assert abs(estimate.rms - closed) <= 4 * estimate.rms_se + 1e-12
    assert abs(estimate.mean_norm - closed) <= 4 * estimate.mean_norm_se + 1e-12
    assert estimate.rms_se < 0.01 and estimate.mean_norm_se < 0.01


def test_monte_carlo_standard_error_is_calibrated():
    cov = equicorrelated(4, 0.2)
    closed = vulnerability_factor(cov)
    z = []
    for seed in range(60):
        g = sample_task_gradients(cov, dim=8, samples=400, generator=torch.Generator().manual_seed(seed))
        estimate = monte_carlo_vulnerability(g)
        z.append((estimate.rms - closed) / estimate.rms_se)
    z = np.array(z)
    assert abs(z.mean()) < 0.5
    assert 0.7 < z.std() < 1.4


def test_monte_carlo_of_a_single_task_is_exactly_one():
    g = torch.randn(10, 1, 7, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    estimate = monte_carlo_vulnerability(g)
    assert estimate.rms == pytest.approx(1.0) and estimate.mean_norm == pytest.approx(1.0)
    assert estimate.rms_se == pytest.approx(0.0, abs=1e-12)


def test_monte_carlo_rejects_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        monte_carlo_vulnerability(torch.zeros(5, 3))
