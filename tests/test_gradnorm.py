"""GradNorm (Chen et al. 2018, Algorithm 1): hand-computed steps, renormalisation, training-loop integration."""

import math

import pytest
import torch
from torch import nn

from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.models.multidigit import multidigit_net
from paper_mtl.tasks import get_tasks
from paper_mtl.training import fit
from paper_mtl.weighting.base import StepContext
from paper_mtl.weighting.gradnorm import GradNorm


class Linear2(nn.Module):
    """A model whose last shared layer is one bias-free 2-vector W = (1, 1): L_t = W · v_t has gradient v_t."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(2, 1, bias=False)
        with torch.no_grad():
            self.layer.weight.fill_(1.0)

    def last_shared_layer(self) -> nn.Module:
        return self.layer

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.parameters())


def step(strategy: GradNorm, model: Linear2, v1: tuple[float, float], v2: tuple[float, float]) -> dict[str, float]:
    w = model.layer.weight[0]
    losses = {"a": w @ torch.tensor(v1), "b": w @ torch.tensor(v2)}
    model.zero_grad()
    ctx = StepContext(model, torch.zeros(1), {}, {}, None, model.shared_parameters(), strategy.tasks, 0, 0, 0.0)
    return strategy.backward(losses, ctx)


def make(alpha: float = 1.5) -> tuple[GradNorm, Linear2]:
    model = Linear2()
    strategy = GradNorm(alpha)
    strategy.setup(model, {"a": None, "b": None})
    return strategy, model


def test_first_step_balances_gradient_norms_by_hand():
    strategy, model = make()
    # L = (3, 1), gradient norms (3, 1); first step: r = (1, 1), target = mean G = 2 for both.
    logs = step(strategy, model, (3.0, 0.0), (0.0, 1.0))
    assert logs["gradnorm_loss"] == pytest.approx(2.0)
    assert logs["grad_norm.a"] == pytest.approx(3.0) and logs["grad_norm.b"] == pytest.approx(1.0)
    # dL_grad/dw = sign(G - target) * ||grad L||: the task with the larger norm gets its weight pushed down.
    assert strategy.task_weights["a"].grad.item() == pytest.approx(3.0)
    assert strategy.task_weights["b"].grad.item() == pytest.approx(-1.0)
    # the network gets the gradient of w_a L_a + w_b L_b with the weights held constant: v1 + v2
    assert model.layer.weight.grad[0].tolist() == pytest.approx([3.0, 1.0])
    assert strategy.initial_losses == {"a": 3.0, "b": 1.0}


def test_second_step_uses_loss_ratios_and_renormalised_weights():
    strategy, model = make()
    step(strategy, model, (3.0, 0.0), (0.0, 1.0))
    with torch.no_grad():
        strategy.task_weights["a"].fill_(1.5)
        strategy.task_weights["b"].fill_(0.7)
    # L = (1.5, 2): ratios to the first losses (0.5, 2), r = (0.4, 1.6); weights renormalised to sum 2.
    logs = step(strategy, model, (1.5, 0.0), (0.0, 2.0))
    wa, wb = 1.5 * 2 / 2.2, 0.7 * 2 / 2.2
    assert logs["weight.a"] == pytest.approx(wa) and logs["weight.b"] == pytest.approx(wb)
    assert logs["weight.a"] + logs["weight.b"] == pytest.approx(2.0)
    ga, gb = 1.5 * wa, 2.0 * wb
    mean = (ga + gb) / 2
    ta, tb = mean * 0.4**1.5, mean * 1.6**1.5
    assert logs["gradnorm_loss"] == pytest.approx(abs(ga - ta) + abs(gb - tb))
    assert strategy.task_weights["a"].grad.item() == pytest.approx(1.5)
    assert strategy.task_weights["b"].grad.item() == pytest.approx(-2.0)
    assert model.layer.weight.grad[0].tolist() == pytest.approx([1.5 * wa, 2.0 * wb])


def test_alpha_zero_targets_equal_norms():
    strategy, model = make(alpha=0.0)
    step(strategy, model, (3.0, 0.0), (0.0, 1.0))
    logs = step(strategy, model, (1.0, 0.0), (0.0, 5.0))
    # alpha = 0: target is the mean norm whatever the training rates
    assert logs["gradnorm_loss"] == pytest.approx(abs(1.0 - 3.0) + abs(5.0 - 3.0))


def test_bad_arguments():
    with pytest.raises(ValueError, match="on"):
        GradNorm(on="everything")
    diverged, _ = make()
    with torch.no_grad():
        diverged.task_weights["a"].fill_(-3.0)
    with pytest.raises(FloatingPointError, match="renormalised"):
        diverged.renormalise()
    with pytest.raises(ValueError, match="alpha"):
        GradNorm(alpha=-1.0)
    strategy, model = make()
    with pytest.raises(ValueError, match="every task"):
        w = model.layer.weight[0]
        ctx = StepContext(model, torch.zeros(1), {}, {}, None, [], strategy.tasks, 0, 0, 0.0)
        strategy.backward({"a": w.sum()}, ctx)


def tiny_data(n: int = 32, seed: int = 0) -> MultiTaskData:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 16, 16, generator=g)
    return MultiTaskData(x, {"left": torch.randint(0, 5, (n,), generator=g), "right": torch.randint(0, 5, (n,), generator=g)})


def run_fit(seed: int = 0):
    tasks = get_tasks(["left", "right"])
    torch.manual_seed(seed)
    model = multidigit_net(filters=4, size=16, hidden=8)
    strategy = GradNorm()
    result = fit(model, tasks, tiny_data(), strategy=strategy, epochs=2, batch_size=8, lr=0.05, seed=seed, device="cpu", progress=False)
    return result, strategy


def test_fit_keeps_weights_summing_to_task_count_and_is_deterministic():
    result, strategy = run_fit()
    steps = result.steps
    assert len(steps) == 8
    sums = steps["weight.left"] + steps["weight.right"]
    assert sums.tolist() == pytest.approx([2.0] * 8)
    assert steps["weight.left"].nunique() > 1  # the weights are learned
    again, _ = run_fit()
    assert again.steps.equals(steps)
    state = strategy.state_dict()
    fresh = GradNorm()
    fresh.setup(result.model, get_tasks(["left", "right"]))
    fresh.load_state_dict(state)
    assert fresh.weights() == strategy.weights() and fresh.initial_losses == strategy.initial_losses
    assert all(math.isfinite(v) for v in strategy.weights().values())
