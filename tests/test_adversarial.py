"""Algorithm 1 (multi-task adversarial training) and the robustness measures of paper 01."""

import pytest
import torch
from torch import nn

from paper_mtl.adversarial import (
    MultiTaskAdversarialTraining,
    PGDConfig,
    algorithm1_combinations,
    input_gradient_norm,
    per_sample_loss,
    pgd_attack,
    reported_score,
    robustness,
)
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.tasks import get_task
from paper_mtl.training import evaluate, fit
from paper_mtl.weighting.base import WeightedSum

TOY = PGDConfig(eps=0.5, step_size=0.2, steps=5, bounds=(-10.0, 10.0))


def robust_toy(n, seed, d=100, eta=0.25):
    """Tsipras et al.'s toy: x_0 = ±y (right 90% of the time) is robust at eps 0.5; x_1..x_d ~ N(eta y, 1) are
    individually weak but together predictive, and an L∞ shift of 2 eta flips them all."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    s = 2.0 * y - 1
    flip = torch.where(torch.rand(n, generator=g) < 0.9, 1.0, -1.0)
    x = torch.cat([(s * flip)[:, None], eta * s[:, None] + torch.randn(n, d, generator=g)], 1)
    return MultiTaskData(x, {"left": y, "right": y})


class TwoLinearHeads(nn.Module):
    """One logistic-regression head per task (a convex toy, so adversarial training converges in seconds)."""

    def __init__(self, d=101):
        super().__init__()
        self.heads = nn.ModuleDict({t: nn.Linear(d, 2) for t in ("left", "right")})

    def forward(self, x, tasks=None):
        return {t: self.heads[t](x) for t in (tasks or self.heads)}


class PixelLinear(nn.Module):
    """Two dense regression heads, each a 1x1 conv: out_t = w_t . x + b_t per pixel."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.heads = nn.ModuleDict({t: nn.Conv2d(3, 1, 1) for t in ("edge_texture", "keypoints2d")})

    def forward(self, x, tasks=None):
        return {t: self.heads[t](x) for t in (tasks or self.heads)}


TOY_TASKS = {"left": get_task("left", classes=2), "right": get_task("right", classes=2)}
DENSE_TASKS = {"edge_texture": get_task("edge_texture"), "keypoints2d": get_task("keypoints2d")}


def dense_data(n=6, size=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g)
    return MultiTaskData(x, {t: 3.0 + torch.rand(n, 1, size, size, generator=g) for t in DENSE_TASKS})


def test_algorithm1_combinations():
    assert algorithm1_combinations("s") == [["s"]]
    assert algorithm1_combinations("s", ["d"]) == [["s"], ["s", "d"]]
    assert algorithm1_combinations("s", ["d", "e"]) == [["s"], ["s", "d", "e"]]
    with pytest.raises(ValueError, match="cannot also be"):
        algorithm1_combinations("s", ["s"])
    with pytest.raises(ValueError, match="repeat"):
        algorithm1_combinations("s", ["d", "d"])


def test_plan_validates_its_arguments():
    with pytest.raises(ValueError, match="at least one"):
        MultiTaskAdversarialTraining(TOY_TASKS, [], TOY)
    with pytest.raises(ValueError, match="use only"):
        MultiTaskAdversarialTraining(TOY_TASKS, [["left", "up"]], TOY)
    with pytest.raises(ValueError, match="no weight"):
        MultiTaskAdversarialTraining(TOY_TASKS, [["left"]], TOY, weights={"left": 1.0})
    with pytest.raises(ValueError, match="norm"):
        PGDConfig(norm="l1")


def test_plan_attacks_each_combination_lazily_in_eval_mode():
    data = robust_toy(16, 0)
    x, targets = next(data.batches(16))
    model = TwoLinearHeads().train()
    plan = MultiTaskAdversarialTraining(TOY_TASKS, algorithm1_combinations("left", ["right"]), TOY,
                                        weights={"left": 1.0, "right": 0.01})
    steps = plan(model, x, targets)
    first_x, first_tasks = next(steps)
    assert first_tasks == ["left"] and model.training
    assert (first_x - x).abs().max() <= TOY.eps + 1e-6
    # the second attack runs only when asked for, against the weights as they are then (Algorithm 1's order)
    with torch.no_grad():
        for p in model.parameters():
            p.neg_()
    second_x, second_tasks = next(steps)
    assert second_tasks == ["left", "right"]
    expected = pgd_attack({t: TOY_TASKS[t] for t in ("left", "right")}, TOY, {"left": 1.0, "right": 0.01}, seed=1)(
        model, x, targets
    )
    torch.testing.assert_close(second_x, expected, rtol=0, atol=0)
    assert next(steps, None) is None


class CountingSum(WeightedSum):
    def __init__(self, weights):
        super().__init__(weights)
        self.calls = []

    def backward(self, losses, ctx):
        self.calls.append(sorted(losses))
        return super().backward(losses, ctx)


def test_fit_takes_one_step_per_combination_with_its_weighted_loss():
    data = robust_toy(64, 0)
    weights = {"left": 1.0, "right": 0.01}
    plan = MultiTaskAdversarialTraining(TOY_TASKS, algorithm1_combinations("left", ["right"]), TOY, weights)
    strategy = CountingSum(plan.weights)
    torch.manual_seed(0)
    fit(TwoLinearHeads(), TOY_TASKS, data, epochs=2, batch_size=32, lr=0.01, batch_plan=plan, strategy=strategy,
        device="cpu", progress=False)
    assert strategy.calls == [["left"], ["left", "right"]] * 4


def _train(adversarial, combinations, seed=0):
    data = robust_toy(512, 0)
    plan = MultiTaskAdversarialTraining(TOY_TASKS, combinations, TOY, {"left": 1.0, "right": 0.1}, seed) if adversarial else None
    torch.manual_seed(seed)
    model = TwoLinearHeads()
    fit(model, TOY_TASKS, data, epochs=10, batch_size=64, lr=0.05, batch_plan=plan,
        strategy=WeightedSum({"left": 1.0, "right": 0.1}), device="cpu", progress=False, seed=seed)
    table = robustness(model, {"left": TOY_TASKS["left"]}, robust_toy(512, 1), ["left"], TOY, device="cpu").table
    return table.iloc[0]


def test_adversarial_training_improves_robust_accuracy_on_a_toy_problem():
    standard = _train(False, [["left", "right"]])
    madry = _train(True, algorithm1_combinations("left"))
    multitask = _train(True, algorithm1_combinations("left", ["right"]))
    assert standard.clean_metric > 0.97 and standard.attacked_metric < 0.1
    # the robust feature alone is right 90% of the time: adversarial training must find it
    assert madry.attacked_metric > 0.8
    assert multitask.attacked_metric > 0.65
    for robust in (madry, multitask):
        assert robust.attacked_metric > standard.attacked_metric + 0.6
        assert robust.delta_loss < standard.delta_loss / 5


def test_adversarial_training_is_deterministic():
    a = _train(True, algorithm1_combinations("left", ["right"]), seed=3)
    b = _train(True, algorithm1_combinations("left", ["right"]), seed=3)
    assert a.to_dict() == b.to_dict()


def test_per_sample_loss_matches_the_batch_loss():
    task = get_task("depth_zbuffer")
    g = torch.Generator().manual_seed(0)
    pred, target = torch.rand(3, 1, 4, 4, generator=g), torch.rand(3, 1, 4, 4, generator=g) + 0.1
    values = per_sample_loss(task, pred, target)
    torch.testing.assert_close(values, (pred - target).abs().flatten(1).mean(1))
    assert float(values.mean()) == pytest.approx(float(task.compute_loss(pred, target)), rel=1e-6)
    target[0, :, :2] = 0.0  # half of image 0 is missing depth: its loss is the mean over the valid half
    assert float(per_sample_loss(task, pred, target)[0]) == pytest.approx(float((pred[0, :, 2:] - target[0, :, 2:]).abs().mean()), rel=1e-6)
    labels = get_task("left", classes=2)
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    torch.testing.assert_close(per_sample_loss(labels, logits, torch.tensor([0, 0])),
                               torch.nn.functional.cross_entropy(logits, torch.tensor([0, 0]), reduction="none"))


def test_reported_score_follows_the_paper_convention():
    assert reported_score(get_task("segment_semantic", classes=3), loss=1.5, metric=0.4) == 0.4
    assert reported_score(get_task("normal"), loss=0.07, metric=12.0) == 0.07


def test_robustness_without_steps_equals_clean_evaluation():
    model, data = PixelLinear(), dense_data()
    r = robustness(model, DENSE_TASKS, data, ["edge_texture"], PGDConfig(steps=0, random_start=False), device="cpu")
    t = r.table.set_index("task")
    assert (t.clean_loss == t.attacked_loss).all() and (t.delta_loss == 0).all() and r.delta_loss_all == 0
    scores = evaluate(model, DENSE_TASKS, data, device="cpu")
    for task in DENSE_TASKS:
        assert t.loc[task, "clean_loss"] == pytest.approx(scores["loss"][task], rel=1e-6)
        assert t.loc[task, "clean_metric"] == pytest.approx(scores["metric"][task], rel=1e-6)
        assert t.loc[task, "clean_score"] == t.loc[task, "clean_loss"]


def test_robustness_measures_delta_loss_per_image():
    model, data = PixelLinear(), dense_data()
    config = PGDConfig(eps=0.05, step_size=0.02, steps=3)
    r = robustness(model, DENSE_TASKS, data, ["edge_texture"], config, seed=4, device="cpu", batch_size=4)
    t = r.table.set_index("task")
    attack = pgd_attack({"edge_texture": DENSE_TASKS["edge_texture"]}, config, seed=4)
    x_adv = torch.cat([attack(model, x, y) for x, y in data.batches(4)])
    with torch.no_grad():
        clean, adv = model(data.inputs), model(x_adv)
    for task, spec in DENSE_TASKS.items():
        lc = per_sample_loss(spec, clean[task], data.targets[task])
        la = per_sample_loss(spec, adv[task], data.targets[task])
        assert t.loc[task, "delta_loss"] == pytest.approx(float((la - lc).abs().mean()), rel=1e-5)
        assert t.loc[task, "attacked_loss"] == pytest.approx(float(la.mean()), rel=1e-5)
    assert t.loc["edge_texture", "attacked_loss"] > t.loc["edge_texture", "clean_loss"]
    assert r.delta_loss_all == pytest.approx(t.loc["edge_texture", "delta_loss"], rel=1e-9)
    # L_all = 1/M sum of the attacked tasks' losses: |ΔL_all| <= mean of the |ΔL_t| (float32 sums: relative slack)
    both = robustness(model, DENSE_TASKS, data, list(DENSE_TASKS), config, device="cpu")
    assert both.delta_loss_all <= both.table.delta_loss.mean() * (1 + 1e-5)


def test_robustness_restores_mode_and_rejects_unknown_attack_tasks():
    model, data = PixelLinear().train(), dense_data()
    robustness(model, DENSE_TASKS, data, ["keypoints2d"], PGDConfig(steps=1), device="cpu")
    assert model.training
    with pytest.raises(ValueError, match="attack_tasks"):
        robustness(model, DENSE_TASKS, data, ["normal"], PGDConfig(steps=1), device="cpu")


def test_input_gradient_norm_of_a_per_pixel_linear_l1_model():
    model, data = PixelLinear(), dense_data()
    w = model.heads["edge_texture"].weight.detach().flatten()
    # targets >= 3 lie above every prediction, so |w.x + b - y| has gradient -w / (H W) at each pixel
    assert input_gradient_norm(model, {"edge_texture": DENSE_TASKS["edge_texture"]}, data, q=1, device="cpu") == pytest.approx(float(w.abs().sum()), rel=1e-5)
    assert input_gradient_norm(model, {"edge_texture": DENSE_TASKS["edge_texture"]}, data, q=2, device="cpu") == pytest.approx(float(w.norm() / 5), rel=1e-5)
    assert input_gradient_norm(model, {"edge_texture": DENSE_TASKS["edge_texture"]}, data, q=float("inf"), device="cpu") == pytest.approx(float(w.abs().max() / 25), rel=1e-5)


def test_input_gradient_norm_of_two_tasks_matches_a_per_image_brute_force():
    model, data = PixelLinear().train(), dense_data(seed=2)
    expected = 0.0
    for i in range(len(data)):
        x = data.inputs[i : i + 1].clone().requires_grad_(True)
        out = model(x)
        loss = sum(DENSE_TASKS[t].compute_loss(out[t], data.targets[t][i : i + 1]) for t in DENSE_TASKS) / 2
        (g,) = torch.autograd.grad(loss, x)
        expected += float(g.abs().sum()) / len(data)
    assert input_gradient_norm(model, DENSE_TASKS, data, batch_size=4, device="cpu") == pytest.approx(expected, rel=1e-5)
    w = {t: model.heads[t].weight.detach().flatten() for t in DENSE_TASKS}
    assert expected == pytest.approx(float(((w["edge_texture"] + w["keypoints2d"]) / 2).abs().sum()), rel=1e-5)
    assert model.training and all(p.grad is None for p in model.parameters())
    with pytest.raises(ValueError, match="q"):
        input_gradient_norm(model, DENSE_TASKS, data, q=3)
