"""The two kinds of strategy (loss weighting, gradient aggregation), DWA by hand, and the torchjd aggregations:
our min-norm solver against torchjd's MGDA, the base's Jacobian and write-back, the strategy's own generator."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from paper_mtl.data import MultiTaskData
from paper_mtl.gradients import Jacobian, task_jacobian
from paper_mtl.models import build_hard_sharing
from paper_mtl.tasks import get_tasks
from paper_mtl.training import fit, seed_everything
from paper_mtl.weighting import DWA, GradientAggregation, PCGrad, StepContext, TaskCosines, WeightedSum, get_strategy
from paper_mtl.weighting.min_norm import min_norm_weights

torchjd_aggregation = pytest.importorskip("torchjd.aggregation")  # a dependency; the skip only guards a broken install


@pytest.mark.parametrize("tasks", [2, 3, 5, 8])
@pytest.mark.parametrize("seed", range(5))
def test_min_norm_agrees_with_torchjd_mgda_on_random_jacobians(tasks, seed):
    g = torch.Generator().manual_seed(seed)
    jacobian = torch.randn(tasks, 300, generator=g, dtype=torch.float64) + torch.randn(1, 300, generator=g, dtype=torch.float64)
    ours = min_norm_weights(jacobian) @ jacobian
    theirs = torchjd_aggregation.MGDA(epsilon=1e-6, max_iters=10_000)(jacobian)
    # both minimise ‖Σ w_t g_t‖ over the simplex: the same point up to the solvers' tolerances
    assert ours.norm() <= theirs.norm() * (1 + 1e-6)
    assert ours.norm() == pytest.approx(float(theirs.norm()), rel=1e-3)
    assert torch.nn.functional.cosine_similarity(ours, theirs, dim=0) > 0.999


class _Ctx:
    def __init__(self, epoch):
        self.epoch = epoch


def test_dwa_weights_by_hand():
    tasks = {"a": None, "b": None, "c": None}
    dwa = DWA(temperature=2.0)
    dwa.setup(nn.Linear(1, 1), tasks)
    epochs = [[(3.0, 1.0, 2.0), (1.0, 1.0, 2.0)], [(1.0, 0.5, 2.0), (1.0, 0.5, 1.0)], [(1.0, 1.0, 1.0)]]
    seen = []
    for epoch, steps in enumerate(epochs):
        for values in steps:
            losses = {t: torch.tensor(v, requires_grad=True) for t, v in zip(tasks, values)}
            total, logs = dwa.objective(losses, _Ctx(epoch))
            seen.append([float(logs[f"weight.{t}"]) for t in tasks])
            total.backward()
            assert [float(losses[t].grad) for t in tasks] == pytest.approx(seen[-1])
    assert seen[:4] == [[1.0, 1.0, 1.0]] * 4  # the first two epochs: w_k = 1
    # epoch means: (2, 1, 2) then (1, 0.5, 1.5); w = (0.5, 0.5, 0.75); λ_k = 3 exp(w_k/2) / Σ exp(w_i/2)
    w = [0.5, 0.5, 0.75]
    expected = [3 * math.exp(x / 2) / sum(math.exp(y / 2) for y in w) for x in w]
    assert seen[4] == pytest.approx(expected)
    assert sum(seen[4]) == pytest.approx(3.0)


def test_dwa_refuses_a_step_without_every_task():
    dwa = DWA()
    dwa.setup(nn.Linear(1, 1), {"a": None, "b": None})
    with pytest.raises(ValueError, match="weighs every task \\['a', 'b'\\] at every step; got the losses of \\['a'\\]"):
        dwa.objective({"a": torch.tensor(1.0)}, _Ctx(0))
    with pytest.raises(ValueError, match="temperature must be > 0, got 0"):
        DWA(temperature=0)


TASKS = get_tasks(["segment_semantic", "depth_zbuffer"], {"segment_semantic": 2})


def _step(strategy, seed=0):
    """One step on a hard-sharing network; returns the gradients it leaves, by parameter name."""
    seed_everything(seed)
    model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
    x = torch.rand(4, 3, 16, 16)
    targets = {"segment_semantic": (x[:, 0] > 0.5).long(), "depth_zbuffer": x[:, 1:2]}
    strategy.setup(model, TASKS)
    features = model.encode(x)
    outputs = model.decode(features, list(TASKS))
    losses = {t: TASKS[t].compute_loss(outputs[t], targets[t]) for t in TASKS}
    ctx = StepContext(model, x, targets, outputs, features, model.shared_parameters(), TASKS, 0, 0, 0.0)
    strategy.backward(losses, ctx)
    return {n: p.grad for n, p in model.named_parameters()}, model


class RowSum(GradientAggregation):
    """Σ_t g_t: the update the plain sum of losses gives."""

    name = "row_sum_test"

    def aggregate(self, jacobian, losses, ctx):
        return jacobian.matrix.sum(0), {}


@pytest.mark.parametrize("over", ["shared", "all", "representation"])
def test_an_aggregation_of_the_plain_sum_gives_the_gradients_of_the_plain_sum(over):
    aggregation = type("RowSumOver", (RowSum,), {"over": over})()
    ours, _ = _step(aggregation)
    plain, _ = _step(WeightedSum())
    assert set(ours) == set(plain)
    for name, grad in plain.items():
        assert ours[name] is not None, name
        torch.testing.assert_close(ours[name], grad, rtol=1e-5, atol=1e-6, msg=name)


def test_a_parameter_no_task_reaches_gets_no_gradient_and_a_bad_update_is_refused():
    seed_everything(0)
    model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
    unused = nn.Parameter(torch.ones(3))
    x = torch.rand(2, 3, 16, 16)
    out = model(x, list(TASKS))
    losses = {t: out[t].float().mean() for t in TASKS}
    jacobian = task_jacobian(losses, [*model.shared_parameters(), unused])
    assert jacobian.reached[0][-1] is False and jacobian.reached[1][-1] is False
    assert jacobian.matrix[:, jacobian.blocks[-1]].abs().sum() == 0

    class Wrong(GradientAggregation):
        name = "wrong_test"

        def aggregate(self, jacobian, losses, ctx):
            return jacobian.matrix.sum(0)[:-1], {}

    with pytest.raises(ValueError, match=r"returned an update of shape \(\d+,\); expected \(\d+,\)"):
        _step(Wrong())


def test_an_aggregation_over_the_shared_parameters_needs_a_model_that_names_them():
    with pytest.raises(ValueError, match="needs a model with shared_parameters\\(\\); got Linear"):
        RowSum().setup(nn.Linear(2, 2), TASKS)


THREE = get_tasks(["segment_semantic", "depth_zbuffer", "normal"], {"segment_semantic": 2})


def _three_task_data(n=16):
    x = torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    normal = torch.nn.functional.normalize(x - 0.5, dim=1)
    return MultiTaskData(x, {"segment_semantic": (x[:, 0] > 0.5).long(), "depth_zbuffer": x[:, 1:2] + 0.5,
                             "normal": normal})


def test_pcgrad_draws_its_task_order_from_its_own_generator_and_leaves_torch_global_generator_alone():
    # three tasks whose gradients conflict: with two, PCGrad's order does not change the update
    jacobian = Jacobian(torch.tensor([[1.0, 0.0, 0.2], [-0.8, 0.6, 0.0], [0.3, -1.0, 0.5]]), ("a", "b", "c"),
                        (slice(0, 3),), ((True,), (True,), (True,)))
    strategy = PCGrad()
    updates = []
    for seed in range(6):
        strategy.generator = torch.Generator().manual_seed(seed)
        strategy.aggregator = strategy.build(3)
        strategy.tasks = dict.fromkeys("abc")
        global_state = torch.get_rng_state()
        updates.append(strategy.aggregate(jacobian, {}, None)[0])
        assert torch.equal(torch.get_rng_state(), global_state)
    assert len({tuple(u.tolist()) for u in updates}) > 1  # the order, drawn from the generator, matters
    strategy.generator = torch.Generator().manual_seed(0)
    assert torch.equal(strategy.aggregate(jacobian, {}, None)[0], updates[0])  # the same state draws the same order


def test_a_resumed_three_task_pcgrad_run_draws_what_an_uninterrupted_one_does(tmp_path):
    def train(**kwargs):
        seed_everything(0)
        model = build_hard_sharing(THREE, width=0.5, decoder_width=8)
        return fit(model, THREE, _three_task_data(), strategy=get_strategy("pcgrad"), epochs=3, batch_size=8, seed=0,
                   device="cpu", progress=False, **kwargs)

    full = train()
    interrupted = get_strategy("pcgrad")
    aggregate = interrupted.aggregate

    def dies_at_step_3(jacobian, losses, ctx):  # 2 steps per epoch: dies inside epoch 2, after its checkpoint
        if ctx.step >= 3:
            raise KeyboardInterrupt
        return aggregate(jacobian, losses, ctx)

    interrupted.aggregate = dies_at_step_3
    seed_everything(0)
    with pytest.raises(KeyboardInterrupt):
        fit(build_hard_sharing(THREE, width=0.5, decoder_width=8), THREE, _three_task_data(), strategy=interrupted,
            epochs=3, batch_size=8, seed=0, device="cpu", progress=False, checkpoint=tmp_path / "run.pt")
    resumed = train(checkpoint=tmp_path / "run.pt")
    assert resumed.history.equals(full.history)
    for p, q in zip(resumed.model.parameters(), full.model.parameters()):
        assert torch.equal(p, q)


def test_fit_seeds_and_checkpoints_the_strategy_generator(tmp_path):
    def train(seed, **kwargs):
        strategy = get_strategy("pcgrad")
        seed_everything(0)
        model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
        x = torch.rand(16, 3, 16, 16, generator=torch.Generator().manual_seed(0))
        data = MultiTaskData(x, {"segment_semantic": (x[:, 0] > 0.5).long(), "depth_zbuffer": x[:, 1:2]})
        fit(model, TASKS, data, strategy=strategy, epochs=1, batch_size=8, seed=seed, device="cpu", progress=False,
            **kwargs)
        return strategy.generator.get_state()

    assert torch.equal(train(0), train(0))
    assert not torch.equal(train(0), train(1))
    train(0, checkpoint=tmp_path / "run.pt")
    assert torch.equal(torch.load(tmp_path / "run.pt", weights_only=False)["strategy_generator"], train(0))


def test_a_cosine_callback_logs_what_the_cosine_monitor_logs_for_any_strategy():
    def train(strategy, callbacks=()):
        seed_everything(0)
        model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
        x = torch.rand(16, 3, 16, 16, generator=torch.Generator().manual_seed(0))
        data = MultiTaskData(x, {"segment_semantic": (x[:, 0] > 0.5).long(), "depth_zbuffer": x[:, 1:2]})
        return fit(model, TASKS, data, strategy=strategy, callbacks=callbacks, epochs=2, batch_size=8, device="cpu",
                   progress=False)

    monitored = train(get_strategy("cosine_monitor", strategy=WeightedSum()))
    called = train(WeightedSum(), [TaskCosines()])
    assert list(called.steps.columns) == ["step", "epoch", "cos.segment_semantic.depth_zbuffer"]
    assert called.steps.equals(monitored.steps) and called.history.equals(monitored.history)
    with_dwa = train(DWA(), [TaskCosines()])  # the callback's cosines come first, then the strategy's logs
    assert list(with_dwa.steps.columns)[2:] == ["cos.segment_semantic.depth_zbuffer", "weight.segment_semantic",
                                                "weight.depth_zbuffer"]
