"""Kendall et al. (2018) uncertainty weighting: hand-computed objective and gradients, optimum, loop integration."""

import math

import pytest
import torch

from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.models.multidigit import multidigit_net
from paper_mtl.tasks import get_tasks
from paper_mtl.training import fit
from paper_mtl.weighting.uncertainty import Uncertainty


def setup_strategy(log_vars: dict[str, float]) -> Uncertainty:
    strategy = Uncertainty()
    strategy.setup(torch.nn.Linear(1, 1), {t: None for t in log_vars})
    with torch.no_grad():
        for t, v in log_vars.items():
            strategy.log_vars[t].fill_(v)
    return strategy


def test_objective_and_gradients_by_hand():
    strategy = setup_strategy({"a": 0.0, "b": math.log(2.0)})
    la, lb = torch.tensor(2.0, requires_grad=True), torch.tensor(4.0, requires_grad=True)
    total = strategy.combine({"a": la, "b": lb})
    # 2/(2*1) + 0/2 + 4/(2*2) + log(2)/2
    assert total.item() == pytest.approx(2.0 + math.log(2.0) / 2)
    total.backward()
    assert la.grad.item() == pytest.approx(0.5) and lb.grad.item() == pytest.approx(0.25)
    # d/ds = -L/(2 exp s) + 1/2
    assert strategy.log_vars["a"].grad.item() == pytest.approx(-0.5)
    assert strategy.log_vars["b"].grad.item() == pytest.approx(-0.5)
    assert strategy.weights() == pytest.approx({"a": 0.5, "b": 0.25})


def test_optimum_is_log_loss():
    # For fixed L_t the objective is minimised at s_t = log L_t, where the gradient in s vanishes.
    strategy = setup_strategy({"a": math.log(3.0), "b": math.log(0.2)})
    strategy.combine({"a": torch.tensor(3.0), "b": torch.tensor(0.2)}).backward()
    assert strategy.log_vars["a"].grad.item() == pytest.approx(0.0, abs=1e-7)
    assert strategy.log_vars["b"].grad.item() == pytest.approx(0.0, abs=1e-7)


def test_unknown_task_rejected():
    strategy = setup_strategy({"a": 0.0})
    with pytest.raises(ValueError, match="not set up"):
        strategy.combine({"z": torch.tensor(1.0)})


def test_fit_learns_log_variances_and_restores_state():
    tasks = get_tasks(["left", "right"])
    g = torch.Generator().manual_seed(0)
    data = MultiTaskData(torch.rand(32, 1, 16, 16, generator=g), {t: torch.randint(0, 5, (32,), generator=g) for t in tasks})
    torch.manual_seed(0)
    model = multidigit_net(filters=4, size=16, hidden=8)
    strategy = Uncertainty()
    result = fit(model, tasks, data, strategy=strategy, epochs=2, batch_size=8, lr=0.05, seed=0, device="cpu", progress=False)
    steps = result.steps
    assert len(steps) == 8
    # losses start near log 5 > 1, so s_t rises from 0 (the weights exp(-s)/2 fall below 1/2)
    assert steps["log_var.left"].iloc[-1] > 0 and steps["log_var.right"].iloc[-1] > 0
    assert steps["weight.left"].iloc[-1] == pytest.approx(math.exp(-steps["log_var.left"].iloc[-1]) / 2)
    # each step's value as it was at that step (logged tensors are read at the epoch's end)
    assert steps["log_var.left"].is_monotonic_increasing and steps["log_var.left"].nunique() == 8
    assert steps["log_var.left"].map(type).eq(float).all()
    fresh = Uncertainty()
    fresh.setup(model, tasks)
    fresh.load_state_dict(strategy.state_dict())
    assert fresh.weights() == strategy.weights()
