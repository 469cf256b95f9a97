"""CosReg (paper 05, Eq. 4/5) and the cosine monitor: objective by hand, double back-propagation against finite
differences, α scaled by the mean loss, the penalty's descent, and the monitor leaving training unchanged."""

import math

import pytest
import torch
from torch import nn

from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.gradients import task_gradients
from paper_mtl.models.multidigit import multidigit_net
from paper_mtl.training import fit
from paper_mtl.weighting.base import StepContext, WeightedSum
from paper_mtl.weighting.cosreg import CosineMonitor, CosReg
from paper_mtl.weighting.gradnorm import GradNorm


class Tiny(nn.Module):
    """x -> tanh(first) -> shared (last shared layer) -> tanh -> two heads; float64 for finite differences."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.first = nn.Linear(3, 4).double()
        self.shared = nn.Linear(4, 4).double()
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 1).double(), "b": nn.Linear(4, 1).double()})

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = torch.tanh(self.shared(torch.tanh(self.first(x))))
        return {t: (torch.sin(head(h)) + 1.5 + head(h) ** 2).mean() for t, head in self.heads.items()}

    def last_shared_layer(self) -> nn.Module:
        return self.shared


X = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(4))


def context(model: Tiny) -> StepContext:
    return StepContext(model, X, {}, {}, None, [*model.first.parameters(), *model.shared.parameters()], {}, 0, 0, 0.0)


def objective_value(model: Tiny, alpha: float) -> float:
    """Eq. 4 with w = 1, evaluated without autograd through the cosine (finite differences use it)."""
    losses = model.losses(X)
    grads = task_gradients(losses, list(model.shared.parameters()))
    cos = torch.nn.functional.cosine_similarity(grads[0], grads[1], dim=0).item()
    return losses["a"].item() + losses["b"].item() + alpha * cos**2


def test_backward_matches_finite_differences_of_eq4():
    model = Tiny()
    strategy = CosReg(alpha=3.0)
    strategy.setup(model, {"a": None, "b": None})
    logs = strategy.backward(model.losses(X), context(model))
    assert logs["alpha"] == 3.0
    assert logs["penalty"] == pytest.approx(logs["cos.a.b"] ** 2)
    assert logs["penalty"] > 1e-3  # a non-trivial penalty, so its gradient matters below
    eps = 1e-6
    for name, p in model.named_parameters():
        flat = p.data.view(-1)
        for i in range(0, flat.numel(), max(1, flat.numel() // 4)):
            old = flat[i].item()
            flat[i] = old + eps
            plus = objective_value(model, 3.0)
            flat[i] = old - eps
            minus = objective_value(model, 3.0)
            flat[i] = old
            assert p.grad.view(-1)[i].item() == pytest.approx((plus - minus) / (2 * eps), abs=1e-6), name


def test_scaled_alpha_is_not_backpropagated():
    """With scale_by_loss the gradient equals that of L_a + L_b + c · cos² with c = α · mean loss held fixed."""
    model = Tiny()
    strategy = CosReg(alpha=3.0, scale_by_loss=True)
    strategy.setup(model, {"a": None, "b": None})
    logs = strategy.backward(model.losses(X), context(model))
    losses = model.losses(X)
    assert logs["alpha"] == pytest.approx(3.0 * (losses["a"].item() + losses["b"].item()) / 2)
    got = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    fixed = CosReg(alpha=logs["alpha"])
    fixed.setup(model, {"a": None, "b": None})
    fixed.backward(model.losses(X), context(model))
    for g, p in zip(got, model.parameters()):
        assert torch.allclose(g, p.grad, atol=1e-12)


def test_penalty_gradient_is_a_descent_direction():
    model = Tiny()
    strategy = CosReg(alpha=1.0, weights={"a": 0.0, "b": 0.0})
    strategy.setup(model, {"a": None, "b": None})
    before = strategy.backward(model.losses(X), context(model))["penalty"]
    with torch.no_grad():
        for p in model.parameters():
            p -= 1e-3 * p.grad
    model.zero_grad()
    after = strategy.backward(model.losses(X), context(model))["penalty"]
    assert after < before


def test_bad_arguments():
    with pytest.raises(ValueError, match="alpha"):
        CosReg(alpha=-1.0)
    with pytest.raises(ValueError, match="on"):
        CosReg(on="all")
    with pytest.raises(ValueError, match="on"):
        CosineMonitor(WeightedSum(), on="all")
    model = Tiny()
    strategy = CosReg()
    strategy.setup(model, {"a": None})
    with pytest.raises(ValueError, match="at least 2 tasks"):
        strategy.backward({"a": model.losses(X)["a"]}, context(model))


def digits(n: int = 32) -> MultiTaskData:
    g = torch.Generator().manual_seed(0)
    return MultiTaskData(torch.rand(n, 1, 16, 16, generator=g), {t: torch.randint(0, 5, (n,), generator=g) for t in ("left", "right")})


def train(strategy, epochs: int = 1, lr: float = 1e-3):
    torch.manual_seed(0)
    net = multidigit_net(filters=4, size=16, hidden=8)
    return fit(net, ["left", "right"], digits(), strategy=strategy, epochs=epochs, batch_size=8, lr=lr, seed=0, device="cpu", progress=False)


def test_monitor_records_cosines_and_leaves_training_unchanged():
    plain = train(WeightedSum())
    monitored = train(CosineMonitor(WeightedSum()))
    for a, b in zip(plain.model.parameters(), monitored.model.parameters()):
        assert torch.equal(a, b)
    cos = monitored.steps["cos.left.right"]
    assert len(cos) == 4 and cos.between(-1, 1).all() and cos.nunique() == 4
    # the first step's cosine, recomputed from the initial model
    torch.manual_seed(0)
    net = multidigit_net(filters=4, size=16, hidden=8)
    x, y = next(digits().batches(8, shuffle=True, generator=torch.Generator().manual_seed(0), drop_last=True))
    out = net(x)
    losses = {t: nn.functional.cross_entropy(out[t], y[t]) for t in ("left", "right")}
    grads = task_gradients(losses, list(net.last_shared_layer().parameters()))
    assert cos.iloc[0] == pytest.approx(torch.nn.functional.cosine_similarity(grads[0], grads[1], dim=0).item(), abs=1e-6)


def test_monitor_passes_learned_parameters_and_state():
    inner = GradNorm()
    monitored = train(CosineMonitor(inner))
    assert {"cos.left.right", "weight.left", "gradnorm_loss"} <= set(monitored.steps.columns)
    monitor = CosineMonitor(GradNorm())
    monitor.setup(monitored.model, {"left": None, "right": None})
    assert len(monitor.parameters()) == 2
    monitor.load_state_dict(inner.state_dict())
    assert monitor.strategy.weights() == inner.weights()


def test_strong_cosreg_flattens_the_cosine_distribution():
    """A large α drives the squared cosine down over training compared with no penalty (same init, same data)."""
    free = train(CosineMonitor(WeightedSum()), epochs=6, lr=1e-2).steps["cos.left.right"]
    regularised = train(CosReg(alpha=100.0), epochs=6, lr=1e-2).steps["cos.left.right"]
    assert len(free) == 24
    assert (regularised.iloc[12:] ** 2).mean() < 0.5 * (free.iloc[12:] ** 2).mean()
    assert math.isfinite(regularised.iloc[-1])
