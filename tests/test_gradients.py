"""Task gradients, cosines and paper 05's penalty (Eq. 5): range, limits, T = 2, finite differences, statistics."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from paper_mtl.gradients import (
    cosine_matrix,
    cosine_penalty,
    cosine_statistics,
    gradient_parameters,
    pairwise_cosines,
    rolling_std,
    task_gradients,
)


def test_penalty_limits():
    v = torch.tensor([1.0, -2.0, 0.5, 3.0])
    assert cosine_penalty(torch.eye(4)[:3] * torch.tensor([[2.0], [0.1], [7.0]])).item() == pytest.approx(0.0)
    assert cosine_penalty(torch.stack([v, 3 * v, -0.5 * v])).item() == pytest.approx(1.0)
    assert cosine_penalty(torch.stack([v, -v])).item() == pytest.approx(1.0)
    # a task with no gradient here is orthogonal to every task: it adds nothing, not a missing diagonal 1
    assert cosine_penalty(torch.stack([v, torch.zeros(4)])).item() == pytest.approx(0.0, abs=1e-12)
    assert cosine_penalty(torch.zeros(3, 4)).item() == pytest.approx(0.0, abs=1e-12)
    assert cosine_penalty(torch.stack([v, 2 * v, torch.zeros(4)])).item() == pytest.approx(1 / 3)


def test_penalty_range_and_mean_squared_cosine():
    g = torch.Generator().manual_seed(0)
    for t in (2, 3, 5):
        grads = torch.randn(t, 7, generator=g)
        penalty = cosine_penalty(grads).item()
        assert 0.0 <= penalty <= 1.0
        cos = [torch.nn.functional.cosine_similarity(grads[i], grads[j], dim=0).item() for i in range(t) for j in range(i + 1, t)]
        assert penalty == pytest.approx(float(np.mean(np.square(cos))), rel=1e-6)


def test_two_tasks_equal_cos_squared():
    a, b = torch.tensor([1.0, 2.0, 2.0]), torch.tensor([2.0, 0.0, 1.0])
    # cos = (2 + 0 + 2) / (3 * sqrt 5)
    cos = 4 / (3 * math.sqrt(5))
    assert cosine_penalty(torch.stack([a, b])).item() == pytest.approx(cos**2)
    assert cosine_matrix(torch.stack([a, b]))[0, 1].item() == pytest.approx(cos)
    assert pairwise_cosines(torch.stack([a, b]), ["x", "y"]) == pytest.approx({"cos.x.y": cos})


def test_penalty_gradient_matches_finite_differences():
    grads = torch.randn(3, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1), requires_grad=True)
    assert torch.autograd.gradcheck(cosine_penalty, (grads,))


class Tiny(nn.Module):
    """Shared tanh layer feeding two tanh heads; float64 for finite differences."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.first = nn.Linear(3, 4).double()
        self.shared = nn.Linear(4, 4).double()
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 2).double(), "b": nn.Linear(4, 2).double()})

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = torch.tanh(self.shared(torch.tanh(self.first(x))))
        return {t: (torch.tanh(head(h)) ** 2).mean() + head(h).sum() * 0.1 for t, head in self.heads.items()}

    def last_shared_layer(self) -> nn.Module:
        return self.shared


def test_task_gradients_match_autograd():
    model = Tiny()
    x = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    params = list(model.shared.parameters())
    grads = task_gradients(model.losses(x), params)
    assert grads.shape == (2, 4 * 4 + 4) and grads.dtype == torch.float64
    for row, t in enumerate(["a", "b"]):
        model.zero_grad()
        model.losses(x)[t].backward()
        expected = torch.cat([p.grad.reshape(-1) for p in params])
        assert torch.allclose(grads[row], expected, atol=1e-12)
    # a parameter no loss reaches gets a zero gradient
    unused = nn.Parameter(torch.ones(3, dtype=torch.float64))
    with_unused = task_gradients(model.losses(x), [*params, unused])
    assert torch.equal(with_unused[:, -3:], torch.zeros(2, 3))


def test_penalty_of_network_gradients_matches_finite_differences():
    """Double back-propagation: d penalty / d theta for every parameter, against central differences."""
    model = Tiny()
    x = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    params = list(model.parameters())

    def penalty() -> torch.Tensor:
        grads = task_gradients(model.losses(x), list(model.shared.parameters()), create_graph=True)
        return cosine_penalty(grads)

    analytic = torch.autograd.grad(penalty(), params, allow_unused=True)
    eps = 1e-6
    for p, g in zip(params, analytic):
        g = torch.zeros_like(p) if g is None else g
        flat = p.data.view(-1)
        for i in range(0, flat.numel(), max(1, flat.numel() // 5)):
            old = flat[i].item()
            flat[i] = old + eps
            plus = penalty().item()
            flat[i] = old - eps
            minus = penalty().item()
            flat[i] = old
            assert g.view(-1)[i].item() == pytest.approx((plus - minus) / (2 * eps), abs=1e-6)


def test_gradient_parameters_scopes():
    model = Tiny()
    assert gradient_parameters(model, list(model.parameters())) == list(model.shared.parameters())
    assert gradient_parameters(model, list(model.first.parameters()), on="shared") == list(model.first.parameters())
    plain = nn.Linear(2, 2)
    assert gradient_parameters(plain, [plain.weight]) == [plain.weight]
    with pytest.raises(ValueError, match="on"):
        gradient_parameters(model, [], on="encoder")
    with pytest.raises(ValueError, match="no shared parameters"):
        gradient_parameters(plain, [])


def test_statistics_by_hand():
    stats = cosine_statistics([1.0, -1.0, 1.0, -1.0, float("nan")])
    assert stats == {"mean": 0.0, "std": 1.0, "mean_sq": 1.0, "count": 4}
    rolled = rolling_std([0.0, 1.0, 1.0, 3.0], window=2)
    assert np.isnan(rolled[0]) and rolled[1:].tolist() == pytest.approx([0.5, 0.0, 1.0])


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least 2 tasks"):
        cosine_penalty(torch.ones(1, 3))
    with pytest.raises(ValueError, match="shape"):
        cosine_matrix(torch.ones(3))
    with pytest.raises(ValueError, match="window"):
        rolling_std([1.0, 2.0], window=1)
    with pytest.raises(ValueError, match="finite"):
        cosine_statistics([float("nan")])
    with pytest.raises(ValueError, match="at least one"):
        task_gradients({}, [nn.Parameter(torch.ones(1))])
