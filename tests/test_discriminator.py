import math

import pytest
import torch

from paper_mtl.data import MultiTaskData
from paper_mtl.models.task_conditioned import build_single_tasking
from paper_mtl.tasks import get_tasks
from paper_mtl.training import fit
from paper_mtl.weighting.base import StepContext, WeightedSum
from paper_mtl.weighting.discriminator import (
    AdversarialGradients,
    GradientDiscriminator,
    SingleTaskSteps,
    normalise_gradient,
    reversal_coefficient,
    reverse_gradient,
)

TASKS = get_tasks(["segment_semantic", "depth_zbuffer", "normal"], {"segment_semantic": 3})
WEIGHTS = {"segment_semantic": 1.0, "depth_zbuffer": 2.0, "normal": 10.0}


def tiny_net(se_encoder="shared", se_decoder="none", seed=0):
    torch.manual_seed(seed)
    return build_single_tasking(TASKS, se_encoder=se_encoder, se_decoder=se_decoder, width=1 / 16, decoder_width=8,
                                stem_stride=2, layers=(1, 1, 1, 1), rates=(1, 2, 3))


def toy_data(n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, 16, 16, generator=g)
    return MultiTaskData(x, {"segment_semantic": (x[:, 0] * 3).long().clamp(max=2), "depth_zbuffer": x[:, 1:2] + 0.5,
                             "normal": torch.nn.functional.normalize(x - 0.5, dim=1)})


def losses_of(model, data, tasks):
    out = model(data.inputs, tasks)
    return {t: TASKS[t].compute_loss(out[t], data.targets[t]) for t in tasks}


def test_gradient_reversal_negates_and_scales_the_gradient_only():
    x = torch.randn(5, requires_grad=True)
    y = reverse_gradient(x, 0.3)
    assert torch.equal(y, x)
    (y * torch.arange(5.0)).sum().backward()
    torch.testing.assert_close(x.grad, -0.3 * torch.arange(5.0))


def test_reversal_coefficient_schedule():
    assert reversal_coefficient(0.0) == 0.0
    assert reversal_coefficient(1.0) == pytest.approx(2 / (1 + math.exp(-10)) - 1)
    assert reversal_coefficient(0.5) == pytest.approx(0.986614298)
    values = [reversal_coefficient(p / 10) for p in range(11)]
    assert values == sorted(values) and values[-1] < 1.0
    with pytest.raises(ValueError, match="progress"):
        reversal_coefficient(1.5)


def test_per_pixel_normalisation():
    g = torch.randn(2, 6, 4, 4)
    n = normalise_gradient(g)
    torch.testing.assert_close(n.norm(dim=1), torch.ones(2, 4, 4))
    torch.testing.assert_close(n * g.norm(dim=1, keepdim=True), g)


def test_discriminator_is_two_convolutions_with_a_relu():
    d = GradientDiscriminator(8, 3)
    assert [type(m).__name__ for m in d] == ["Conv2d", "ReLU", "Conv2d"]
    assert d[0].kernel_size == (1, 1) and d(torch.rand(2, 8, 5, 5)).shape == (2, 3, 5, 5)
    assert GradientDiscriminator(8, 3, kernel_size=3)(torch.rand(2, 8, 5, 5)).shape == (2, 3, 5, 5)


def strategy_for(model, **kwargs):
    s = AdversarialGradients(WEIGHTS, **kwargs)
    s.setup(model, TASKS)
    return s


def test_discriminator_gradient_reaches_the_shared_weights_through_double_backprop():
    model = tiny_net()
    data = toy_data()
    shared = model.shared_parameters()
    encoder = [p for p in shared if p in set(model.encoder.parameters())]
    grads = {}
    for progress in (0.1, 0.4):
        s = strategy_for(model)
        torch.manual_seed(1)
        s.discriminator.load_state_dict(GradientDiscriminator(model.interface_channels, 3).state_dict())
        disc_loss, _ = s.discriminator_loss(losses_of(model, data, ["segment_semantic"]), progress)
        grads[progress] = torch.autograd.grad(disc_loss, encoder + list(s.discriminator.parameters()))
    n = len(encoder)
    assert all(g.abs().sum() > 0 for g in grads[0.1][:n])  # the encoder gets L_d's gradient through g_t
    ratio = reversal_coefficient(0.4) / reversal_coefficient(0.1)
    for a, b in zip(grads[0.1][:n], grads[0.4][:n]):  # ... scaled by -λ(p) at the reversal layer
        torch.testing.assert_close(b, ratio * a, rtol=2e-3, atol=1e-7)
    for a, b in zip(grads[0.1][n:], grads[0.4][n:]):  # the discriminator itself is trained normally
        torch.testing.assert_close(a, b)


def test_reversal_makes_the_network_ascend_what_the_discriminator_descends():
    model = tiny_net()
    s = strategy_for(model)
    head = model.heads["normal"].weight
    feature_grad = {}
    for sign, coefficient in (("reversed", 1.0), ("plain", -1.0)):
        losses = losses_of(model, toy_data(), ["normal"])
        (g,) = torch.autograd.grad(WEIGHTS["normal"] * losses["normal"], s.features["normal"], create_graph=True)
        logits = s.discriminator(reverse_gradient(normalise_gradient(g), coefficient))
        label = torch.full((logits.shape[0], *logits.shape[2:]), 2)
        feature_grad[sign] = torch.autograd.grad(torch.nn.functional.cross_entropy(logits, label), head)[0]
    torch.testing.assert_close(feature_grad["reversed"], -feature_grad["plain"])


def test_eq5_total_loss_and_zero_discriminator_weight_equals_weighted_sum():
    data = toy_data()
    step = lambda model: StepContext(model, data.inputs, data.targets, {}, None, [], TASKS, 0, 0, 0.5)  # noqa: E731
    grads = []
    for strategy in (AdversarialGradients(WEIGHTS, w_d=0.0), WeightedSum(WEIGHTS)):
        model = tiny_net()
        strategy.setup(model, TASKS)
        logs = strategy.backward(losses_of(model, data, ["depth_zbuffer"]), step(model))
        grads.append([p.grad.clone() for p in model.parameters() if p.grad is not None])
        assert set(logs) <= {"discriminator_loss", "discriminator_accuracy", "reversal"}
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)
    model = tiny_net()
    s = strategy_for(model, w_d=0.1)
    losses = losses_of(model, data, ["depth_zbuffer"])
    disc_loss, _ = s.discriminator_loss(losses, 0.5)
    total = 0.9 * WEIGHTS["depth_zbuffer"] * losses["depth_zbuffer"] + 0.1 * disc_loss
    expected = torch.autograd.grad(total, model.heads["depth_zbuffer"].weight, retain_graph=True)[0]
    s.features.clear()
    losses = losses_of(model, data, ["depth_zbuffer"])
    logs = s.backward(losses, step(model))
    torch.testing.assert_close(model.heads["depth_zbuffer"].weight.grad, expected)
    assert 0.0 <= logs["discriminator_accuracy"] <= 1.0 and logs["reversal"] == pytest.approx(reversal_coefficient(0.5))


def test_bad_arguments():
    with pytest.raises(ValueError, match="w_d"):
        AdversarialGradients(w_d=1.0)
    with pytest.raises(ValueError, match="weights"):
        AdversarialGradients({"normal": 1.0}).setup(tiny_net(), TASKS)
    with pytest.raises(ValueError, match="interface"):
        AdversarialGradients().setup(torch.nn.Linear(2, 2), TASKS)
    with pytest.raises(ValueError):
        SingleTaskSteps([])


class UsageCheck(AdversarialGradients):
    """Records, at every step, which task-specific parameters received a gradient."""

    def setup(self, model, tasks):
        super().setup(model, tasks)
        self.model, self.seen = model, []

    def backward(self, losses, ctx):
        logs = super().backward(losses, ctx)
        (task,) = losses
        with_grad = {t for t in self.model.tasks if any(p.grad is not None for p in self.model.task_parameters(t))}
        self.seen.append((task, with_grad))
        return logs


def test_single_task_steps_leave_other_tasks_parameters_without_gradient_momentum_or_decay():
    model = tiny_net(se_encoder="task", se_decoder="task")
    plan = SingleTaskSteps(list(TASKS))
    assert [t for _, (t,) in plan(model, torch.zeros(1), {})] == list(TASKS)
    strategy = UsageCheck(WEIGHTS)
    fit(model, TASKS, toy_data(), strategy=strategy, epochs=1, batch_size=4, optimizer="sgd", lr=0.01,
        weight_decay=1e-2, batch_plan=plan, device="cpu", progress=False)
    assert strategy.seen == [(t, {t}) for _ in range(2) for t in TASKS]
    untouched = tiny_net(se_encoder="task", se_decoder="task")
    before = {n: p.detach().clone() for n, p in untouched.named_parameters()}
    fit(untouched, {"normal": TASKS["normal"]}, toy_data(), strategy=AdversarialGradients({"normal": 1.0}), epochs=1,
        batch_size=4, optimizer="sgd", lr=0.01, weight_decay=1e-2, batch_plan=SingleTaskSteps(["normal"]), device="cpu",
        progress=False)
    after = dict(untouched.named_parameters())
    other = [n for n in before if ".branches.segment_semantic." in n or n.startswith("heads.segment_semantic")]
    assert other and all(torch.equal(before[n], after[n]) for n in other)
    assert not torch.equal(before["heads.normal.weight"], after["heads.normal.weight"])
