"""PGD and FGSM (paper 01's attacks): constraints, ascent, a hand-written reference loop, no side effects."""

import pytest
import torch
from torch import nn

from paper_mtl.attacks import fgsm, multitask_loss, pgd
from paper_mtl.models import build_hard_sharing
from paper_mtl.tasks import get_task

EPS = 4 / 255
STEP = 1 / 255


class LinearScore(nn.Module):
    """out["score"] = <w, x> per image, so the summed score is linear in x."""

    def __init__(self, shape):
        super().__init__()
        self.w = nn.Parameter(torch.randn(shape, generator=torch.Generator().manual_seed(0)))

    def forward(self, x, tasks=None):
        return {"score": (x * self.w).flatten(1).sum(1)}


def neg_score(outputs, targets):
    return outputs["score"].sum()


@pytest.fixture
def tasks():
    return {"segment_semantic": get_task("segment_semantic", classes=4), "depth_zbuffer": get_task("depth_zbuffer")}


class TinyNet(nn.Module):
    """A smooth two-head conv net (tanh, no BatchNorm): every input pixel moves every output."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.trunk = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Tanh())
        self.heads = nn.ModuleDict({"segment_semantic": nn.Conv2d(8, 4, 3, padding=1), "depth_zbuffer": nn.Conv2d(8, 1, 3, padding=1)})

    def forward(self, x, tasks=None):
        h = self.trunk(x)
        return {t: self.heads[t](h) for t in (tasks or self.heads)}


@pytest.fixture
def net():
    return TinyNet()


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(4, 3, 16, 16, generator=g)
    targets = {"segment_semantic": torch.randint(0, 4, (4, 16, 16), generator=g), "depth_zbuffer": torch.rand(4, 1, 16, 16, generator=g) + 0.5}
    return x, targets


@pytest.mark.parametrize("norm", ["linf", "l2"])
@pytest.mark.parametrize("random_start", [True, False])
def test_pgd_stays_inside_the_ball_and_the_bounds(net, tasks, batch, norm, random_start):
    x, targets = batch
    eps = EPS if norm == "linf" else 0.5
    x_adv = pgd(net, x, targets, multitask_loss(tasks), eps, STEP if norm == "linf" else 0.1, 7, norm, random_start,
                generator=torch.Generator().manual_seed(0))
    assert x_adv.shape == x.shape and not x_adv.requires_grad
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    delta = (x_adv - x).flatten(1)
    if norm == "linf":
        assert delta.abs().max() <= eps + 1e-7
        assert delta.abs().max() > 0.9 * eps
    else:
        assert (delta.norm(dim=1) <= eps + 1e-6).all()


def test_pgd_increases_the_loss_monotonically_in_steps(net, tasks, batch):
    x, targets = batch
    loss_fn = multitask_loss(tasks)
    with torch.no_grad():
        clean = float(loss_fn(net(x), targets))
    losses = []
    for steps in (1, 4, 12):
        x_adv = pgd(net, x, targets, loss_fn, EPS, STEP, steps, random_start=False)
        with torch.no_grad():
            losses.append(float(loss_fn(net(x_adv), targets)))
    assert clean < losses[0] < losses[-1]


def test_pgd_equals_a_hand_written_loop_step_for_step(net, tasks, batch):
    x, targets = batch
    loss_fn = multitask_loss(tasks, {"segment_semantic": 1.0, "depth_zbuffer": 0.5})
    for steps in range(4):
        ours = pgd(net, x, targets, loss_fn, EPS, STEP, steps, random_start=False)
        ref = x.clone()
        for _ in range(steps):
            ref = ref.clone().requires_grad_(True)
            out = net(ref)
            loss = 1.0 * tasks["segment_semantic"].compute_loss(out["segment_semantic"], targets["segment_semantic"])
            loss = loss + 0.5 * tasks["depth_zbuffer"].compute_loss(out["depth_zbuffer"], targets["depth_zbuffer"])
            loss.backward()
            ref = ref.detach() + STEP * ref.grad.sign()
            ref = torch.min(torch.max(ref, x - EPS), x + EPS).clamp(0, 1)
        torch.testing.assert_close(ours, ref, rtol=0, atol=1e-7)


def test_pgd_reaches_the_exact_maximiser_of_a_linear_loss():
    model = LinearScore((2, 3, 4, 4))
    x = torch.full((2, 3, 4, 4), 0.5)
    x_adv = pgd(model, x, {}, neg_score, EPS, STEP, 6, random_start=False)
    torch.testing.assert_close(x_adv, x + EPS * model.w.detach().sign(), rtol=0, atol=1e-7)
    x_l2 = pgd(model, x, {}, neg_score, 0.3, 0.1, 5, norm="l2", random_start=False)
    w = model.w.detach()
    expected = x + 0.3 * w / w.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    torch.testing.assert_close(x_l2, expected, rtol=0, atol=1e-6)


def test_pgd_on_a_batch_equals_pgd_on_each_image(net, tasks, batch):
    x, targets = batch
    loss_fn = multitask_loss({"depth_zbuffer": tasks["depth_zbuffer"]})
    whole = pgd(net, x, targets, loss_fn, EPS, STEP, 3, random_start=False)
    for i in range(len(x)):
        single = pgd(net, x[i : i + 1], {k: v[i : i + 1] for k, v in targets.items()}, loss_fn, EPS, STEP, 3, random_start=False)
        torch.testing.assert_close(whole[i : i + 1], single, rtol=0, atol=1e-7)


def test_pgd_leaves_the_model_as_it_found_it(tasks, batch):
    x, targets = batch
    torch.manual_seed(0)
    net = build_hard_sharing(tasks, "small", width=0.25, decoder_width=4)
    for mode in (True, False):
        net.train(mode)
        for p in net.parameters():
            p.grad = torch.full_like(p, 0.25)
        net.decoders["depth_zbuffer"][-1].weight.requires_grad_(False)
        state = {k: v.clone() for k, v in net.state_dict().items()}
        pgd(net, x, targets, multitask_loss(tasks), EPS, STEP, 2, generator=torch.Generator().manual_seed(0))
        assert net.training is mode
        assert not net.decoders["depth_zbuffer"][-1].weight.requires_grad
        for p in net.parameters():
            assert torch.equal(p.grad, torch.full_like(p, 0.25))
        if not mode:
            for k, v in net.state_dict().items():
                assert torch.equal(v, state[k]), k


def test_random_start_is_seeded_and_fills_the_ball():
    model = LinearScore((1, 3, 32, 32))
    x = torch.full((1, 3, 32, 32), 0.5)
    a = pgd(model, x, {}, neg_score, EPS, STEP, 0, generator=torch.Generator().manual_seed(5))
    b = pgd(model, x, {}, neg_score, EPS, STEP, 0, generator=torch.Generator().manual_seed(5))
    c = pgd(model, x, {}, neg_score, EPS, STEP, 0, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    delta = (a - x).flatten()
    # uniform in the ball, not a fixed corner (the public code's swapped clamp): spread over [-eps, eps]
    assert delta.abs().max() <= EPS
    assert abs(float(delta.mean())) < 0.05 * EPS
    assert float(delta.std()) == pytest.approx(EPS / 3**0.5, rel=0.05)
    assert (delta.abs() < EPS / 2).float().mean() == pytest.approx(0.5, abs=0.05)


def test_l2_random_start_lies_in_the_ball():
    model = LinearScore((8, 3, 4, 4))
    x = torch.full((8, 3, 4, 4), 0.5)
    x_adv = pgd(model, x, {}, neg_score, 0.2, 0.05, 0, norm="l2", generator=torch.Generator().manual_seed(0))
    norms = (x_adv - x).flatten(1).norm(dim=1)
    assert (norms <= 0.2 + 1e-6).all() and (norms > 0).all()


def test_zero_steps_without_random_start_returns_the_input(net, tasks, batch):
    x, targets = batch
    assert torch.equal(pgd(net, x, targets, multitask_loss(tasks), EPS, STEP, 0, random_start=False), x)


def test_fgsm_is_one_signed_step_of_size_eps(net, tasks, batch):
    x, targets = batch
    loss_fn = multitask_loss(tasks)
    xr = x.clone().requires_grad_(True)
    loss_fn(net(xr), targets).backward()
    expected = (x + EPS * xr.grad.sign()).clamp(0, 1)
    torch.testing.assert_close(fgsm(net, x, targets, loss_fn, EPS), expected, rtol=0, atol=1e-7)
    assert torch.equal(fgsm(net, x, targets, loss_fn, EPS), pgd(net, x, targets, loss_fn, EPS, EPS, 1, random_start=False))


def test_tasks_argument_restricts_the_forward_pass(net, tasks, batch):
    x, targets = batch
    only_depth = multitask_loss({"depth_zbuffer": tasks["depth_zbuffer"]})
    a = pgd(net, x, targets, only_depth, EPS, STEP, 2, random_start=False, tasks=["depth_zbuffer"])
    b = pgd(net, x, targets, only_depth, EPS, STEP, 2, random_start=False)
    assert torch.equal(a, b)


def test_multitask_loss_is_the_weighted_sum(tasks, net, batch):
    x, targets = batch
    with torch.no_grad():
        out = net(x)
        s = tasks["segment_semantic"].compute_loss(out["segment_semantic"], targets["segment_semantic"])
        d = tasks["depth_zbuffer"].compute_loss(out["depth_zbuffer"], targets["depth_zbuffer"])
        assert float(multitask_loss(tasks)(out, targets)) == pytest.approx(float(s + d), rel=1e-6)
        weighted = multitask_loss(tasks, {"segment_semantic": 1.0, "depth_zbuffer": 0.01})(out, targets)
        assert float(weighted) == pytest.approx(float(s + 0.01 * d), rel=1e-6)


def test_bad_arguments_fail_early(net, tasks, batch):
    x, targets = batch
    loss_fn = multitask_loss(tasks)
    with pytest.raises(ValueError, match="norm"):
        pgd(net, x, targets, loss_fn, EPS, STEP, 1, norm="l3")
    with pytest.raises(ValueError, match="eps"):
        pgd(net, x, targets, loss_fn, -EPS, STEP, 1)
    with pytest.raises(ValueError, match="bounds"):
        pgd(net, x, targets, loss_fn, EPS, STEP, 1, bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match="no weight"):
        multitask_loss(tasks, {"segment_semantic": 1.0})
    with pytest.raises(ValueError, match="at least one task"):
        multitask_loss({})


def test_pgd_attacks_a_plain_classifier():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5))
    x, labels = torch.rand(6, 3, 4, 4), torch.randint(0, 5, (6,))
    x_adv = fgsm(model, x, labels, nn.functional.cross_entropy, EPS)
    x_ref = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(nn.functional.cross_entropy(model(x_ref), labels), x_ref)
    torch.testing.assert_close(x_adv, (x + EPS * grad.sign()).clamp(0, 1), rtol=0, atol=1e-7)
    clean = nn.functional.cross_entropy(model(x), labels)
    assert nn.functional.cross_entropy(model(pgd(model, x, labels, nn.functional.cross_entropy, EPS, STEP, 5)), labels) > clean
