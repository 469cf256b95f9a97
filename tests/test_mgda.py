"""MGDA-UB (Sener & Koltun 2018) as paper 03's baseline: hand-computed weights and gradients, fallback, loop."""

import pytest
import torch
from torch import nn

from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.models import build_hard_sharing
from paper_mtl.tasks import get_tasks
from paper_mtl.training import fit, seed_everything
from paper_mtl.weighting.base import StepContext
from paper_mtl.weighting.mgda import MGDA


class TwoHeads(nn.Module):
    """z = E x (2-vector); head a: L_a = h_a · z, head b: L_b = h_b · z, so ∂L_t/∂z = h_t."""

    def __init__(self, ha: tuple[float, float], hb: tuple[float, float]) -> None:
        super().__init__()
        self.encoder = nn.Linear(2, 2, bias=False)
        self.heads = nn.ParameterDict({"a": nn.Parameter(torch.tensor(ha)), "b": nn.Parameter(torch.tensor(hb))})
        with torch.no_grad():
            self.encoder.weight.copy_(torch.eye(2))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor, tasks=None) -> dict[str, torch.Tensor]:
        return {t: z @ self.heads[t] for t in (tasks or ["a", "b"])}

    def forward(self, x, tasks=None):
        return self.decode(self.encode(x), tasks)

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.encoder.parameters())


def run_step(model: TwoHeads, x: torch.Tensor) -> tuple[MGDA, dict[str, float]]:
    strategy = MGDA()
    strategy.setup(model, {"a": None, "b": None})
    z = model.encode(x)
    out = model.decode(z)
    losses = {t: out[t].sum() for t in ("a", "b")}
    model.zero_grad()
    ctx = StepContext(model, x, {}, out, z, model.shared_parameters(), strategy.tasks, 0, 0, 0.0)
    return strategy, strategy.backward(losses, ctx)


def test_two_task_weights_and_gradients_by_hand() -> None:
    # g_a = (1, 0), g_b = (0, 2): min-norm γ = |g_b|² / (|g_a|² + |g_b|²) = 4/5 on g_a.
    model = TwoHeads((1.0, 0.0), (0.0, 2.0))
    x = torch.tensor([[1.0, 3.0]])
    _, logs = run_step(model, x)
    assert logs["weight.a"] == pytest.approx(0.8) and logs["weight.b"] == pytest.approx(0.2)
    assert logs["mgda_fallback"] == 0.0
    # encoder: ∂/∂E of (α_a g_a + α_b g_b) · E x = outer(direction, x), direction = (0.8, 0.4)
    assert model.encoder.weight.grad.flatten().tolist() == pytest.approx([0.8, 2.4, 0.4, 1.2])
    # decoders get their own unweighted gradient: ∂L_t/∂h_t = z = x
    assert model.heads["a"].grad.tolist() == pytest.approx([1.0, 3.0])
    assert model.heads["b"].grad.tolist() == pytest.approx([1.0, 3.0])


def test_dominated_gradient_gets_all_weight() -> None:
    # g_b = 2 g_a: the min-norm point of the hull is g_a itself.
    model = TwoHeads((1.0, 1.0), (2.0, 2.0))
    _, logs = run_step(model, torch.ones(1, 2))
    assert logs["weight.a"] == pytest.approx(1.0) and logs["weight.b"] == pytest.approx(0.0)
    assert model.encoder.weight.grad.flatten().tolist() == pytest.approx([1.0, 1.0, 1.0, 1.0])


def test_non_finite_gradient_falls_back_to_equal_weights() -> None:
    model = TwoHeads((1.0, 0.0), (float("inf"), 0.0))
    _, logs = run_step(model, torch.ones(1, 2))
    assert logs["mgda_fallback"] == 1.0
    assert logs["weight.a"] == 0.5 and logs["weight.b"] == 0.5


def test_model_without_shared_representation_is_rejected() -> None:
    with pytest.raises(ValueError, match="encode"):
        MGDA().setup(nn.Linear(2, 2), {"a": None})


def test_trains_in_the_loop_with_weights_on_the_simplex() -> None:
    tasks = get_tasks(["segment_semantic", "depth_zbuffer"], classes={"segment_semantic": 3})
    g = torch.Generator().manual_seed(0)
    x = torch.rand(16, 3, 16, 16, generator=g)
    data = MultiTaskData(x, {"segment_semantic": torch.randint(0, 3, (16, 16, 16), generator=g), "depth_zbuffer": x[:, :1] + 0.1})
    runs = []
    for _ in range(2):
        seed_everything(3)
        model = build_hard_sharing(tasks, "small", width=0.25)
        runs.append(fit(model, tasks, data, data, strategy=MGDA(), epochs=1, batch_size=8, device="cpu", progress=False, seed=3))
    steps = runs[0].steps
    assert len(steps) == 2
    total = steps["weight.segment_semantic"] + steps["weight.depth_zbuffer"]
    assert total.to_numpy() == pytest.approx([1.0, 1.0])
    assert (steps["mgda_fallback"] == 0).all()
    assert runs[0].history.equals(runs[1].history)
