import pytest
import torch

from paper_mtl.data import MultiTaskData
from paper_mtl.models import build_hard_sharing
from paper_mtl.tasks import get_tasks
from paper_mtl.training import evaluate, fit, seed_everything
from paper_mtl.weighting import WeightedSum

TASKS = get_tasks(["segment_semantic", "depth_zbuffer"], {"segment_semantic": 2})


def toy_data(n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, 16, 16, generator=g)
    return MultiTaskData(x, {"segment_semantic": (x[:, 0] > 0.5).long(), "depth_zbuffer": x[:, 1:2] + 0.5})


def train(epochs=3, seed=0, **kwargs):
    seed_everything(seed)
    model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
    return fit(model, TASKS, toy_data(), toy_data(16, 1), epochs=epochs, batch_size=8, lr=3e-3, seed=seed,
               device="cpu", progress=False, **kwargs)


def test_loss_goes_down():
    history = train(epochs=4).history
    for task in TASKS:
        assert history[f"train_loss.{task}"].iloc[-1] < history[f"train_loss.{task}"].iloc[0]


def test_same_seed_same_numbers_and_other_seed_differs():
    a, b, c = train(seed=3).history, train(seed=3).history, train(seed=4).history
    assert a.equals(b)
    assert not a["train_loss.depth_zbuffer"].equals(c["train_loss.depth_zbuffer"])


class StopAfter(WeightedSum):
    """Interrupts training (like a killed process) once ``limit`` steps have run."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit

    def backward(self, losses, ctx):
        if ctx.step >= self.limit:
            raise KeyboardInterrupt
        return super().backward(losses, ctx)


def test_resume_after_interruption_matches_uninterrupted(tmp_path):
    full = train(epochs=3)
    ckpt = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        train(epochs=3, checkpoint=ckpt, strategy=StopAfter(limit=9))  # 4 steps per epoch: dies inside epoch 3
    resumed = train(epochs=3, checkpoint=ckpt)
    assert resumed.history.equals(full.history)
    for p, q in zip(resumed.model.parameters(), full.model.parameters()):
        assert torch.equal(p, q)


def test_nan_loss_names_the_task():
    data = toy_data()
    data.targets["depth_zbuffer"][0, 0, 0, 0] = float("nan")
    seed_everything(0)
    model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
    with pytest.raises(FloatingPointError, match="depth_zbuffer"):
        fit(model, TASKS, data, epochs=1, batch_size=32, device="cpu", progress=False)


def test_keep_best_and_max_steps_and_evaluate():
    result = train(epochs=3, keep_best=True)
    assert result.best_epoch in (1, 2, 3)
    losses = result.history[[f"val_loss.{t}" for t in TASKS]].sum(1)
    assert result.best_epoch == int(losses.idxmin()) + 1
    scores = evaluate(result.model, TASKS, toy_data(16, 1), device="cpu")
    assert sum(scores["loss"].values()) == pytest.approx(losses.min(), rel=1e-5)
    assert train(epochs=3, max_steps=5).history["step"].iloc[-1] == 5


def test_batch_plan_leaves_unused_decoder_untouched():
    seed_everything(0)
    model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
    before = [p.clone() for p in model.decoders["depth_zbuffer"].parameters()]
    only_seg = lambda m, x, y: [(x, ["segment_semantic"])]  # noqa: E731
    fit(model, TASKS, toy_data(), epochs=1, batch_size=8, device="cpu", progress=False, batch_plan=only_seg,
        optimizer="sgd", weight_decay=0.1)
    for p, q in zip(model.decoders["depth_zbuffer"].parameters(), before):
        assert torch.equal(p, q)


class LoggingSum(WeightedSum):
    """Equal weights, logging which tasks each optimiser step saw."""

    def backward(self, losses, ctx):
        super().backward(losses, ctx)
        return {"tasks": float(len(losses)), "first": float(list(TASKS).index(next(iter(losses))))}


def test_every_step_of_a_batch_plan_keeps_its_log():
    one_per_task = lambda m, x, y: [(x, [t]) for t in TASKS]  # noqa: E731
    steps = train(epochs=1, strategy=LoggingSum(), batch_plan=one_per_task).steps
    assert list(steps.columns) == ["step", "epoch", "tasks", "first", "tasks@1:depth_zbuffer", "first@1:depth_zbuffer"]
    assert (steps["first"] == 0).all() and (steps["first@1:depth_zbuffer"] == 1).all()
    assert len(steps) == 4


class TensorLoggingSum(WeightedSum):
    """Equal weights, logging each task's loss as a 0-dim tensor (read by fit once per epoch)."""

    def backward(self, losses, ctx):
        super().backward(losses, ctx)
        return {f"loss.{t}": v.detach() for t, v in losses.items()}


def test_tensor_logs_become_the_floats_of_their_own_step():
    steps = train(epochs=2, strategy=TensorLoggingSum()).steps
    column = steps["loss.depth_zbuffer"]
    assert column.map(type).eq(float).all() and column.nunique() == len(steps) == 8
    again = train(epochs=2, strategy=LoggingSum()).history
    assert train(epochs=2, strategy=TensorLoggingSum()).history.equals(again)


def test_bad_arguments_fail_early():
    model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        fit(model, TASKS, toy_data(), optimizer="adamw", device="cpu")
    with pytest.raises(ValueError, match="keypoints2d"):
        fit(model, get_tasks(["keypoints2d"]), toy_data(), device="cpu")
    with pytest.raises(ValueError, match="weights for unknown tasks"):
        fit(model, TASKS, toy_data(), strategy=WeightedSum({"rgb": 1.0}), device="cpu")


def test_multitask_data_serves_a_dataloader_like_its_own_batches():
    data = toy_data(10)
    x, targets = next(iter(torch.utils.data.DataLoader(data, batch_size=4)))
    x_ref, targets_ref = next(data.batches(4))
    torch.testing.assert_close(x, x_ref)
    assert targets.keys() == targets_ref.keys()
    for task in targets:
        torch.testing.assert_close(targets[task], targets_ref[task])


def poisoned_model(task, at_step, value):
    """A model whose ``task`` decoder outputs ``value`` (nan or inf) times its output at training step ``at_step``."""
    seed_everything(0)
    model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
    calls = []

    def poison(module, inputs, output):
        calls.append(module.training)
        return output * value if sum(calls) == at_step + 1 else output

    model.decoders[task].register_forward_hook(poison)
    return model


@pytest.mark.parametrize(
    ("task", "at_step", "value", "n", "check_every", "message"),
    [
        # checks every 4 steps: depth's NaN at step 1 has spread to every task by step 4 (the shared weights are
        # NaN), yet the error names depth alone, and step 1
        ("depth_zbuffer", 1, float("nan"), 64, 4, r"\['depth_zbuffer'\] became non-finite at step 1 \(found at epoch 0, step 4\)"),
        # no periodic check before the epoch ends (4 steps): found at its end, before the checkpoint is written
        ("segment_semantic", 2, float("inf"), 32, 100, r"\['segment_semantic'\] became non-finite at step 2 \(found at epoch 0, step 3\)"),
    ],
)
def test_non_finite_loss_names_the_task_and_step_where_it_began(tmp_path, task, at_step, value, n, check_every, message):
    model = poisoned_model(task, at_step, value)
    ckpt = tmp_path / "run.pt"
    with pytest.raises(FloatingPointError, match=message):
        fit(model, TASKS, toy_data(n), epochs=2, batch_size=8, device="cpu", progress=False,
            nan_check_every=check_every, checkpoint=ckpt)
    assert not ckpt.exists()


def test_an_optimizer_factory_and_a_scheduler_replace_the_named_ones():
    import functools

    named = train(epochs=2, optimizer="sgd", momentum=0.5, lr_milestones=[1])  # train() sets lr=3e-3
    seed_everything(0)
    factory = functools.partial(torch.optim.SGD, lr=3e-3, momentum=0.5)
    schedule = functools.partial(torch.optim.lr_scheduler.MultiStepLR, milestones=[1], gamma=0.1)
    model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
    built = fit(model, TASKS, toy_data(), toy_data(16, 1), epochs=2, batch_size=8, seed=0, device="cpu",
                progress=False, optimizer=factory, scheduler=schedule)
    assert built.history.equals(named.history)
    assert list(built.history["lr"]) == pytest.approx([3e-4, 3e-4])  # divided by 10 once, at epoch 1


@pytest.mark.parametrize("kwargs, message", [
    ({"optimizer": "adam", "momentum": 0.9}, "Adam has no momentum"),
    ({"optimizer": "rmsprop"}, "rmsprop"),
    ({"optimizer": lambda groups: torch.optim.SGD(groups, lr=0.1), "lr": 0.1}, "carries its own settings; got {'lr': 0.1}"),
    ({"scheduler": lambda opt: torch.optim.lr_scheduler.StepLR(opt, 1), "lr_milestones": [1]}, "not both"),
])
def test_settings_fit_would_ignore_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit(build_hard_sharing(TASKS, width=0.5, decoder_width=8), TASKS, toy_data(), device="cpu", progress=False, **kwargs)


def test_a_model_without_the_protocol_is_refused_before_training():
    with pytest.raises(TypeError, match="forward\\(x, tasks\\).*got Linear"):
        fit(torch.nn.Linear(2, 2), TASKS, toy_data(), device="cpu", progress=False)


def test_eval_mode_restores_the_mode_even_when_the_block_raises():
    from paper_mtl.models.modes import eval_mode

    model = build_hard_sharing(TASKS, width=0.5, decoder_width=8)
    for start in (True, False):
        model.train(start)
        with eval_mode(model) as inside:
            assert inside is model and not model.training
        assert model.training is start
        with pytest.raises(RuntimeError), eval_mode(model):
            raise RuntimeError("inside")
        assert model.training is start
