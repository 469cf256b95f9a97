"""Every registered strategy against the same contract (issue: a library others can extend).

For each name in ``list_strategies()``: built by ``get_strategy`` from its parameters and rebuilt from
``get_params()`` and from the JSON a sweep's configuration holds (``describe``); on a 2-task toy problem the same seed gives the same numbers, the task losses go down, an interrupted
and resumed ``fit`` gives the numbers of an uninterrupted one, ``state_dict`` round-trips into a fresh instance; and
the number of host synchronisations per step (``.item()``, ``float()``, ``bool()``, ``.tolist()``, ``.cpu()``,
``.numpy()`` of a tensor) is counted, and must match what the strategy declares (``Strategy.synchronises``). A strategy that builds without
parameters on a hard-sharing network needs no entry in :data:`CASES`: registering it is enough for the suite to run
over it.
"""

from __future__ import annotations

import json

import pytest
import torch

from paper_mtl.data import MultiTaskData
from paper_mtl.models import build_hard_sharing
from paper_mtl.models.task_conditioned import build_single_tasking
from paper_mtl.tasks import get_tasks
from paper_mtl.training import fit, seed_everything
from paper_mtl.weighting import Strategy, describe, get_strategy, list_strategies, register
from paper_mtl.weighting import build as build_described
from paper_mtl.weighting.discriminator import SingleTaskSteps

TASKS = get_tasks(["segment_semantic", "depth_zbuffer"], {"segment_semantic": 2})
SEG, DEPTH = TASKS


def hard_sharing():
    return build_hard_sharing(TASKS, width=0.5, decoder_width=8)


def single_tasking():
    return build_single_tasking(TASKS, se_encoder="shared", se_decoder="none", width=1 / 16, decoder_width=8,
                                stem_stride=2, layers=(1, 1, 1, 1), rates=(1, 2, 3))


# name -> (parameters, model builder, extra fit arguments), for the strategies that need more than the default
CASES = {
    "pareto_mtl": ({"preference": (0.71, 0.71), "phase1_epochs": 1}, hard_sharing, {}),
    "classwise": ({"main": DEPTH, "aux": SEG}, hard_sharing, {}),
    "cosine_monitor": ({"strategy": get_strategy("weighted_sum")}, hard_sharing, {}),
    "adversarial_gradients": ({}, single_tasking, {"batch_plan": SingleTaskSteps(list(TASKS))}),
}
DEFAULT = ({}, hard_sharing, {})
STRATEGIES = list_strategies()


def case(name):
    return CASES.get(name, DEFAULT)


def toy_data(n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, 16, 16, generator=g)
    return MultiTaskData(x, {SEG: (x[:, 0] > 0.5).long(), DEPTH: x[:, 1:2] + 0.5})


def build(name):
    params, _, _ = case(name)
    return get_strategy(name, **{k: (get_strategy(v.name, **v.get_params()) if isinstance(v, Strategy) else v)
                                 for k, v in params.items()})


def train(name, strategy=None, epochs=3, seed=0, **kwargs):
    _, model_builder, fit_kwargs = case(name)
    seed_everything(seed)
    return fit(model_builder(), TASKS, toy_data(), toy_data(16, 1), strategy=strategy or build(name), epochs=epochs,
               batch_size=8, lr=3e-3, seed=seed, device="cpu", progress=False, **fit_kwargs, **kwargs)


def same_numbers(a, b):
    assert a.history.equals(b.history)
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q)


def test_every_registered_strategy_has_a_step_time_benchmark():
    from benchmarks.bench_strategies import BASELINE, STRATEGIES as BENCHED

    assert set(CASES) <= set(STRATEGIES)
    assert sorted([BASELINE] + [name for name, _ in BENCHED.values()]) == STRATEGIES


@pytest.mark.parametrize("name", STRATEGIES)
def test_parameters_rebuild_the_same_strategy(name):
    strategy = build(name)
    assert repr(type(strategy)(**strategy.get_params())) == repr(strategy)
    assert set(strategy.get_params()) == set(type(strategy).param_names())


@pytest.mark.parametrize("name", STRATEGIES)
def test_a_sweep_configuration_describes_the_strategy_it_trains(name):
    """describe() is JSON that names every parameter; the strategy built back from it trains the same numbers."""
    strategy = build(name)
    description = json.loads(json.dumps(describe(strategy)))
    assert description["strategy"] == name and set(description["params"]) == set(type(strategy).param_names())
    rebuilt = build_described(description)
    assert repr(rebuilt) == repr(strategy)
    same_numbers(train(name), train(name, strategy=rebuilt))


@pytest.mark.parametrize("name", STRATEGIES)
def test_same_seed_same_numbers_and_losses_go_down(name):
    a, b = train(name), train(name)
    same_numbers(a, b)
    for task in TASKS:
        assert a.history[f"train_loss.{task}"].iloc[-1] < a.history[f"train_loss.{task}"].iloc[0], task


@pytest.mark.parametrize("name", STRATEGIES)
def test_interrupted_and_resumed_fit_matches_an_uninterrupted_one(name, tmp_path):
    full = train(name)
    interrupted = build(name)
    backward = interrupted.backward

    def dies_at_step_9(losses, ctx):  # 4 steps per epoch: dies inside epoch 3, after the checkpoint of epoch 2
        if ctx.step >= 9:
            raise KeyboardInterrupt
        return backward(losses, ctx)

    interrupted.backward = dies_at_step_9
    with pytest.raises(KeyboardInterrupt):
        train(name, interrupted, checkpoint=tmp_path / "run.pt")
    same_numbers(train(name, checkpoint=tmp_path / "run.pt"), full)


@pytest.mark.parametrize("name", STRATEGIES)
def test_state_dict_round_trips_into_a_fresh_strategy(name):
    trained = train(name, epochs=1)
    strategy = build(name)
    source = build(name)
    train(name, source, epochs=1)
    _, model_builder, _ = case(name)
    strategy.setup(model_builder(), TASKS)
    strategy.load_state_dict(source.state_dict())
    assert repr(strategy.state_dict()) == repr(source.state_dict())
    assert trained.history.equals(train(name, epochs=1).history)


class _SyncCounter:
    """Counts the tensor methods that copy a value to the host (a device synchronisation on a GPU)."""

    METHODS = ("item", "tolist", "__float__", "__bool__", "__int__", "cpu", "numpy")

    def __init__(self, monkeypatch):
        self.count = 0
        for method in self.METHODS:
            original = getattr(torch.Tensor, method)

            def counted(tensor, *args, _original=original, **kwargs):
                self.count += 1
                return _original(tensor, *args, **kwargs)

            monkeypatch.setattr(torch.Tensor, method, counted)


@pytest.mark.parametrize("name", STRATEGIES)
def test_host_synchronisations_per_step(name, monkeypatch):
    strategy = build(name)
    _, model_builder, fit_kwargs = case(name)
    seed_everything(0)
    model = model_builder()
    train_data = toy_data()
    fit(model, TASKS, train_data, strategy=strategy, epochs=1, batch_size=8, device="cpu", progress=False,
        nan_check_every=10**6, **fit_kwargs)  # warm-up: lazily built state

    backward = strategy.backward
    counter = None

    def counted_backward(losses, ctx):
        before = counter.count
        logs = backward(losses, ctx)
        counts.append(counter.count - before)
        return logs

    counts: list[int] = []
    strategy.backward = counted_backward
    counter = _SyncCounter(monkeypatch)
    fit(model, TASKS, train_data, strategy=strategy, epochs=1, batch_size=8, device="cpu", progress=False,
        nan_check_every=10**6, **fit_kwargs)
    monkeypatch.undo()
    assert len(counts) >= 4  # 4 mini-batches, one step per task each under a single-tasking plan
    if strategy.synchronises:  # strict both ways: a strategy made sync-free should say so
        assert min(counts) > 0, f"{name} no longer synchronises: set its synchronises to False"
    else:
        assert max(counts) == 0, f"{name} copies a value to the host {max(counts)} time(s) in a step"


def test_registry_refuses_bad_names_and_parameters():
    with pytest.raises(ValueError, match="unknown strategy 'gradvac'; registered: \\['adversarial_gradients'"):
        get_strategy("gradvac")
    with pytest.raises(ValueError, match="takes the parameters \\['alpha', 'on'\\], not \\['beta'\\]"):
        get_strategy("gradnorm", beta=1.0)
    with pytest.raises(ValueError, match="needs the parameter\\(s\\) \\['preference'\\]"):
        get_strategy("pareto_mtl")
    with pytest.raises(ValueError, match="already registered"):
        register(type("Other", (Strategy,), {"name": "mgda", "backward": lambda self, losses, ctx: {}}))
    with pytest.raises(TypeError, match="only Strategy subclasses"):
        register(int)


@pytest.fixture
def readme_strategy():
    """The strategies that README's "Adding a method" defines, executed from README and registered for the test."""
    import re
    from pathlib import Path

    from paper_mtl.weighting import registry

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.search(r"## Adding a method.*?```python\n(.*?)```", readme, re.S).group(1)
    before = dict(registry._REGISTRY)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    added = sorted(set(registry._REGISTRY) - set(before))
    yield added
    registry._REGISTRY.clear()
    registry._REGISTRY.update(before)


def test_the_readme_strategies_pass_the_suite_with_no_new_test_code(readme_strategy, tmp_path, monkeypatch):
    assert readme_strategy == ["softmax_loss_weights", "unit_gradient_sum"]  # one of each kind
    for name in readme_strategy:
        test_parameters_rebuild_the_same_strategy(name)
        test_same_seed_same_numbers_and_losses_go_down(name)
        test_interrupted_and_resumed_fit_matches_an_uninterrupted_one(name, tmp_path / name)
        test_state_dict_round_trips_into_a_fresh_strategy(name)
        test_host_synchronisations_per_step(name, monkeypatch)
