"""Tests of Pareto MTL (Lin et al. 2019) as the baseline strategy of paper 02."""

import pytest
import torch
from torch import nn

from paper_mtl.tasks import get_tasks
from paper_mtl.weighting.base import StepContext
from paper_mtl.weighting.min_norm import min_norm_weights
from paper_mtl.weighting.pareto import (
    ParetoMTL,
    active_constraints,
    pareto_init_weights,
    pareto_weights,
    preference_vectors,
)

V = preference_vectors(5)


class TwoQuadratics(nn.Module):
    """L_a = ‖θ − a‖², L_b = ‖θ − b‖²: a two-objective toy whose Pareto front is the segment [a, b]."""

    def __init__(self) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.tensor([2.0, -1.5, 0.5]))
        self.register_buffer("a", torch.tensor([1.0, 0.0, 0.0]))
        self.register_buffer("b", torch.tensor([0.0, 1.0, 0.0]))

    def forward(self) -> dict[str, torch.Tensor]:
        return {"a": (self.theta - self.a).pow(2).sum(), "b": (self.theta - self.b).pow(2).sum()}


def _run(k: int, steps: int, phase1_epochs: int = 1) -> tuple[TwoQuadratics, list[dict], ParetoMTL]:
    model = TwoQuadratics()
    strategy = ParetoMTL(V[k].tolist(), phase1_epochs=phase1_epochs)
    strategy.setup(model, {"a": None, "b": None})
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    logs = []
    for step in range(steps):
        opt.zero_grad()
        logs.append(strategy.backward(model(), StepContext(model, None, {}, {}, None, [], {}, step, 0, 0.0)))
        opt.step()
    return model, logs, strategy


def test_preference_vectors_are_the_papers() -> None:
    expected = torch.tensor([[1.0, 0.0], [0.92, 0.38], [0.71, 0.71], [0.38, 0.92], [0.0, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(V, expected, atol=0.005, rtol=0)
    torch.testing.assert_close(V.norm(dim=1), torch.ones(5, dtype=torch.float64))


def test_active_constraints_by_hand() -> None:
    # losses along (0.6, 0.8): closer in angle to (0.71, 0.71) and (0.38, 0.92) than to (1, 0)
    directions, active = active_constraints(torch.tensor([3.0, 4.0]), V, 0)
    torch.testing.assert_close(directions[4], torch.tensor([-1.0, 1.0], dtype=torch.float64))
    assert active.tolist() == [False, True, True, True, True]
    assert not active_constraints(torch.tensor([3.0, 4.0]), V, 2)[1].any()


def test_phase1_weights() -> None:
    gram = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    feasible, w = pareto_init_weights(gram, torch.tensor([3.0, 4.0]), V, 2)
    assert feasible and w.tolist() == [0.0, 0.0]
    # losses along (1, 0.05) with k = 4, i.e. u_k = (0, 1): every other constraint is active; the weights are the
    # min-norm combination of the constraints' gradients (vectors a @ L with gram = L Lᵀ have Gram a gram aᵀ)
    losses = torch.tensor([1.0, 0.05])
    directions, active = active_constraints(losses, V, 4)
    assert active.tolist() == [True, True, True, True, False]
    feasible, w = pareto_init_weights(gram, losses, V, 4)
    a = directions[active]
    assert not feasible
    torch.testing.assert_close(w, min_norm_weights(a @ torch.linalg.cholesky(gram)) @ a)
    # losses at 84 degrees with u_k = (0.38, 0.92) at 67.5: only j = 4 (90 degrees) is active; weights u_4 - u_3
    feasible, w = pareto_init_weights(gram, torch.tensor([0.1, 1.0]), V, 3)
    assert active_constraints(torch.tensor([0.1, 1.0]), V, 3)[1].tolist() == [False, False, False, False, True]
    assert not feasible
    torch.testing.assert_close(w, V[4] - V[3])


def test_phase2_weights_equal_min_norm_over_tasks_and_active_constraints() -> None:
    g = torch.randn(2, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    losses = torch.tensor([1.0, 0.2])
    directions, active = active_constraints(losses, V, 3)
    assert active.any()
    vectors = torch.cat([g, directions[active] @ g])
    sol = min_norm_weights(vectors)
    expected = sol[:2] + sol[2:] @ directions[active]
    torch.testing.assert_close(pareto_weights(g @ g.T, losses, V, 3), expected)
    # no active constraint: plain MGDA over the two task gradients
    feasible_losses = torch.tensor([0.38, 0.92])
    torch.testing.assert_close(pareto_weights(g @ g.T, feasible_losses, V, 3), min_norm_weights(g))


def test_phase1_reaches_its_preference_region_on_a_toy() -> None:
    angles = []
    for k in range(5):
        model, logs, strategy = _run(k, 100, phase1_epochs=1)
        phases = [log["phase"] for log in logs]
        assert strategy.feasible and 2.0 in phases
        switch = phases.index(2.0)
        assert all(p == 1.0 for p in phases[:switch]) and all(p == 2.0 for p in phases[switch:])
        losses = torch.stack(list(model().values())).detach()
        assert not active_constraints(losses, V, k)[1].any()
        angles.append(float(torch.atan2(losses[1], losses[0])))
    # runs with preferences from (1, 0) to (0, 1) land at increasing angles of the loss vector
    assert angles == sorted(angles) and angles[-1] - angles[0] > 1.0


def test_combined_gradient_is_the_weighted_sum_rescaled() -> None:
    model = TwoQuadratics()
    strategy = ParetoMTL((0.71, 0.71), phase1_epochs=0)
    strategy.setup(model, {"a": None, "b": None})
    log = strategy.backward(model(), StepContext(model, None, {}, {}, None, [], {}, 0, 0, 0.0))
    assert log["phase"] == 2.0
    alpha = torch.tensor([log["alpha.a"], log["alpha.b"]])
    assert float(alpha.abs().sum()) == pytest.approx(2.0)
    expected = 2 * alpha[0] * (model.theta - model.a) + 2 * alpha[1] * (model.theta - model.b)
    torch.testing.assert_close(model.theta.grad, expected.detach())


def test_task_order_and_preference_checks() -> None:
    with pytest.raises(ValueError, match="not one of the preference vectors"):
        ParetoMTL((0.5, 0.5))
    with pytest.raises(ValueError, match="task_order"):
        ParetoMTL((1.0, 0.0), task_order=["x", "y"]).setup(TwoQuadratics(), {"a": None, "b": None})
    tasks = get_tasks(["segment_semantic", "depth_zbuffer"], classes={"segment_semantic": 2})
    strategy = ParetoMTL((0.0, 1.0), task_order=["segment_semantic", "depth_zbuffer"])
    strategy.setup(TwoQuadratics(), tasks)
    assert strategy.k == 4 and strategy.task_order == ["segment_semantic", "depth_zbuffer"]


def test_state_dict_keeps_the_phase() -> None:
    _, _, strategy = _run(2, 100)
    fresh = ParetoMTL((0.71, 0.71))
    fresh.load_state_dict(strategy.state_dict())
    assert fresh.feasible == strategy.feasible is True


def test_gradients_keep_the_channels_last_layout_fused_cuda_optimisers_need():
    """Fused SGD/Adam on CUDA refuse a gradient whose strides differ from its parameter's (the first GPU run of
    notebook 02 stopped on it); the combined gradient must keep a channels-last parameter's layout."""
    from paper_mtl.models.unet import build_unet
    from paper_mtl.tasks import get_tasks
    from paper_mtl.training import fit
    from paper_mtl.data import MultiTaskData

    tasks = get_tasks(["segment_semantic", "depth_zbuffer"], {"segment_semantic": 3})
    g = torch.Generator().manual_seed(0)
    data = MultiTaskData(torch.rand(4, 3, 16, 16, generator=g), {
        "segment_semantic": torch.randint(0, 3, (4, 16, 16), generator=g),
        "depth_zbuffer": torch.rand(4, 1, 16, 16, generator=g) + 0.1})
    model = build_unet(tasks, width=4, depth=2)
    seen = []
    original = ParetoMTL.backward

    def backward(self, losses, ctx):
        logs = original(self, losses, ctx)
        seen.extend((p.stride(), p.grad.stride()) for p in ctx.model.parameters() if p.grad is not None and p.dim() == 4)
        return logs

    ParetoMTL.backward = backward
    try:
        fit(model, tasks, data, strategy=ParetoMTL([0.71, 0.71], phase1_epochs=0), epochs=1, batch_size=2,
            optimizer="sgd", device="cpu", amp=True, channels_last=True, progress=False)
    finally:
        ParetoMTL.backward = original
    assert seen and all(param == grad for param, grad in seen)
