"""The one training loop every notebook uses, and the evaluation it runs.

:func:`fit` trains any multi-task network that follows the protocol of :mod:`paper_mtl.models.multitask` with a
pluggable loss-combination :class:`~paper_mtl.weighting.base.Strategy`, evaluates on a validation split after each
epoch, and returns its history as DataFrames. On CUDA it uses bf16 autocast and channels-last; on CPU a seed fixes
the shuffling order and every random op, so the same parameters give the same numbers. With ``checkpoint`` set it
saves its whole state after every epoch and an interrupted run resumes where it stopped, giving the numbers of an
uninterrupted one.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from paper_mtl import cost
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.files import atomic_path
from paper_mtl.models.modes import eval_mode
from paper_mtl.models.protocol import SharedRepresentation, SharesParameters, check_model
from paper_mtl.profiles import check_choice, resolve_device
from paper_mtl.progress import progress_bar
from paper_mtl.tasks import Task, get_task
from paper_mtl.weighting.base import StepContext, Strategy, WeightedSum

BatchPlan = Callable[[nn.Module, Tensor, dict[str, Tensor]], Iterable[tuple[Tensor, Sequence[str]]]]
"""Turns one mini-batch into the optimiser steps to take on it: a list of (inputs, tasks) pairs.

The default is one step on the clean inputs with every task. Multi-task adversarial training (paper 01,
Algorithm 1) returns one adversarial input per task combination; single-tasking (paper 04) one step per task.
A generator is consumed lazily, so each entry may depend on the weights left by the previous step.
"""

StepCallback = Callable[[dict[str, Tensor], StepContext], Mapping[str, float | Tensor]]
"""Called at every optimiser step with the task losses and the :class:`StepContext`, before the strategy
back-propagates; returns scalars to log with the strategy's (e.g.
:class:`~paper_mtl.weighting.cosreg.TaskCosines`). It may take gradients (``retain_graph=True``) but must not
accumulate any; it is not checkpointed, so it should keep no state a resumed run would need."""

OPTIMIZERS = ("adam", "sgd")
OptimizerFactory = Callable[[list[dict[str, Any]]], torch.optim.Optimizer]
"""Builds the optimiser from parameter groups, e.g. ``functools.partial(torch.optim.AdamW, lr=1e-3)``."""
SchedulerFactory = Callable[[torch.optim.Optimizer], torch.optim.lr_scheduler.LRScheduler]
"""Builds the learning-rate schedule from the optimiser, e.g. ``lambda opt: CosineAnnealingLR(opt, T_max=10)``;
stepped once per epoch."""


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and CUDA) so initialisation and random ops repeat."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def strategy_generator(seed: int) -> torch.Generator:
    """The CPU generator :func:`fit` gives its strategy (:attr:`Strategy.generator`): seeded from ``seed`` but drawing
    a stream apart from the one that shuffles the data."""
    state = np.random.SeedSequence(seed % 2**64, spawn_key=(1,)).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(state))


def _check_optimizer(optimizer: str | OptimizerFactory, lr: float | None, momentum: float | None,
                     weight_decay: float | None, lr_milestones: Sequence[int], scheduler: SchedulerFactory | None) -> None:
    """Refuse settings :func:`fit` would otherwise ignore, naming them."""
    if callable(optimizer):
        given = {k: v for k, v in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)) if v is not None}
        if given:
            raise ValueError(f"an optimizer factory carries its own settings; got {given} as well")
    else:
        check_choice("optimizer", optimizer, OPTIMIZERS)
        if optimizer == "adam" and momentum is not None:
            raise ValueError(f"Adam has no momentum (got momentum={momentum}); for other betas pass "
                             "optimizer=functools.partial(torch.optim.Adam, betas=...)")
    if scheduler is not None and lr_milestones:
        raise ValueError(f"give lr_milestones or a scheduler, not both (got lr_milestones={list(lr_milestones)})")


def _step_logs(logs: Mapping[str, float | Tensor], index: int, step_tasks: Sequence[str]) -> dict[str, float | Tensor]:
    """A strategy's logs for the ``index``-th optimiser step of a mini-batch.

    The first step's keys stay as the strategy names them; later steps of the same mini-batch (a
    :data:`BatchPlan` with several entries) get ``@<index>:<tasks>`` appended, so no step's log overwrites another's.
    """
    if index == 0:
        return dict(logs)
    return {f"{k}@{index}:{'+'.join(step_tasks)}": v for k, v in logs.items()}


def _materialise(rows: list[dict[str, Any]]) -> None:
    """Replace the 0-dim tensors that strategies logged in ``rows`` by floats, with one device sync per device
    instead of one per step and value."""
    by_device: dict[torch.device, list[tuple[dict[str, Any], str]]] = {}
    for row in rows:
        for key, value in row.items():
            if isinstance(value, Tensor):
                by_device.setdefault(value.device, []).append((row, key))
    for group in by_device.values():
        values = torch.stack([row[key].detach().to(torch.float64).reshape(()) for row, key in group]).tolist()
        for (row, key), value in zip(group, values):
            row[key] = value


def as_tasks(tasks: Mapping[str, Task] | Sequence[str]) -> dict[str, Task]:
    return dict(tasks) if isinstance(tasks, Mapping) else {t: get_task(t) for t in tasks}


@dataclass
class FitResult:
    """What :func:`fit` returns: the trained model, per-epoch ``history``, per-step ``steps`` log, timings."""

    model: nn.Module
    history: pd.DataFrame
    steps: pd.DataFrame
    best_epoch: int | None
    wall_time: float
    extra: dict[str, Any] = field(default_factory=dict)

    def final(self, column: str) -> float:
        """The last epoch's value of a history column such as ``"val_loss.depth_zbuffer"``."""
        return float(self.history[column].iloc[-1])


def _forward(model: nn.Module, x: Tensor, tasks: Sequence[str]) -> tuple[dict[str, Tensor], Tensor | None]:
    if isinstance(model, SharedRepresentation):
        features = model.encode(x)
        return model.decode(features, tasks), features
    return model(x, tasks=tasks), None


def _autocast(device: torch.device, amp: bool):
    """bf16 autocast on ``device`` when ``amp`` (on CUDA by default; on CPU it is what the paper profile's dry run
    uses to take the CUDA code paths: the same casts, double backward and channels-last kernels)."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if amp else nullcontext()


def _prepare_inputs(x: Tensor, device: torch.device, channels_last: bool) -> Tensor:
    x = x.to(device, non_blocking=True).float()
    return x.contiguous(memory_format=torch.channels_last) if channels_last and x.dim() == 4 else x


@torch.no_grad()
def _predict(model: nn.Module, x: Tensor, tasks: Sequence[str], amp: bool) -> dict[str, Tensor]:
    with _autocast(x.device, amp):
        outputs, _ = _forward(model, x, tasks)
    return {t: o.float() for t, o in outputs.items()}


def _resident(data: MultiTaskData, device: torch.device) -> MultiTaskData:
    """``data`` moved to ``device`` once when its inputs fit in 2 GiB (its batches are then slices there), else
    ``data`` itself (each batch is copied as it is used)."""
    if data.device != device and data.inputs.numel() * data.inputs.element_size() < 2**31:
        return data.to(device)
    return data


class _FiniteWatch:
    """Remembers, per task, the first step whose loss was NaN or infinite, on the device and without a sync, so
    that ``check`` (one sync) can run only every few steps and still name the task that failed first."""

    def __init__(self, tasks: Sequence[str], device: torch.device) -> None:
        self.tasks = list(tasks)
        self.first_bad = torch.full((len(self.tasks),), -1, dtype=torch.long, device=device)
        self._indices: dict[tuple[str, ...], Tensor] = {}

    def record(self, losses: Mapping[str, Tensor], step: int) -> None:
        key = tuple(losses)
        if key not in self._indices:  # built once per task subset: a host-to-device copy would sync
            self._indices[key] = torch.tensor([self.tasks.index(t) for t in key], device=self.first_bad.device)
        index = self._indices[key]
        values = torch.stack([v.detach().float() for v in losses.values()])
        seen = self.first_bad[index]
        self.first_bad[index] = torch.where(~torch.isfinite(values) & (seen < 0), step, seen)

    def check(self, epoch: int, step: int) -> None:
        bad = self.first_bad.tolist()
        steps = [s for s in bad if s >= 0]
        if steps:
            first = min(steps)
            names = [t for t, s in zip(self.tasks, bad) if s == first]
            raise FloatingPointError(f"loss of task(s) {names} became non-finite at step {first} "
                                     f"(found at epoch {epoch}, step {step})")


def evaluate(
    model: nn.Module,
    tasks: Mapping[str, Task] | Sequence[str],
    data: MultiTaskData,
    batch_size: int = 64,
    device: str | torch.device = "auto",
    amp: bool | None = None,
    input_transform: Callable[[nn.Module, Tensor, dict[str, Tensor]], Tensor] | None = None,
) -> dict[str, dict[str, float]]:
    """Mean loss and metric of each task over ``data``: ``{"loss": {task: v}, "metric": {task: v}}``.

    ``input_transform(model, x, targets)`` replaces each batch's inputs first (e.g. a PGD attack). The model is
    evaluated in eval mode and left in the mode it was in.
    """
    tasks = as_tasks(tasks)
    device = resolve_device(device)
    amp = (device.type == "cuda" or cost.dry_run()) if amp is None else amp
    data = _resident(data, device)
    metrics = {t: task.new_metric() for t, task in tasks.items()}
    loss_sums = {t: 0.0 for t in tasks}
    count = 0
    with eval_mode(model):
        for x, targets in cost.metered(data, batch_size, "evaluate", model):
            x = _prepare_inputs(x, device, False)
            targets = {t: targets[t].to(device, non_blocking=True) for t in tasks}
            if input_transform is not None:
                x = input_transform(model, x, targets).detach()
            outputs = _predict(model, x, list(tasks), amp)
            for t, task in tasks.items():
                loss_sums[t] += float(task.compute_loss(outputs[t], targets[t])) * len(x)
                metrics[t].update(outputs[t], targets[t])
            count += len(x)
    return {
        "loss": {t: loss_sums[t] / max(count, 1) for t in tasks},
        "metric": {t: metrics[t].compute() for t in tasks},
    }


def _check_gradient_layout(model: nn.Module, strategy: Strategy) -> None:
    """A dry run's stand-in for a check only CUDA makes: fused optimisers there refuse a gradient laid out unlike
    its parameter (e.g. a contiguous gradient of a channels-last weight); the CPU accepts it. Strides of size-1
    dimensions do not change the layout and are not compared."""

    def layout(t: Tensor) -> list[int]:
        return [stride for stride, size in zip(t.stride(), t.shape) if size > 1]

    bad = [name for name, p in model.named_parameters() if p.grad is not None and layout(p.grad) != layout(p)]
    if bad:
        raise RuntimeError(f"strategy {type(strategy).__name__} left gradients whose memory layout differs from their "
                           f"parameters' (fused CUDA optimisers refuse them): {bad[:5]}")


def _atomic_save(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def fit(
    model: nn.Module,
    tasks: Mapping[str, Task] | Sequence[str],
    train: MultiTaskData,
    val: MultiTaskData | None = None,
    *,
    strategy: Strategy | None = None,
    epochs: int = 1,
    batch_size: int = 32,
    optimizer: str | OptimizerFactory = "adam",
    lr: float | None = None,
    momentum: float | None = None,
    weight_decay: float | None = None,
    lr_milestones: Sequence[int] = (),
    lr_gamma: float = 0.1,
    scheduler: SchedulerFactory | None = None,
    param_groups: Callable[[nn.Module], list[dict[str, Any]]] | None = None,
    batch_plan: BatchPlan | None = None,
    callbacks: Sequence[StepCallback] = (),
    max_steps: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    amp: bool | None = None,
    channels_last: bool | None = None,
    keep_best: bool = False,
    checkpoint: str | Path | None = None,
    eval_batch_size: int = 128,
    nan_check_every: int | None = None,
    progress: bool = True,
) -> FitResult:
    """Train ``model`` on ``tasks`` and return its history.

    Args:
        model: a multi-task network (``forward(x, tasks) -> {task: output}``; see :mod:`paper_mtl.models`).
        tasks: the tasks to train, as names or :class:`~paper_mtl.tasks.Task` objects.
        train, val: the splits; ``val`` is evaluated after every epoch (losses and metrics).
        strategy: how task losses become gradients; default :class:`WeightedSum` (equal weights).
        optimizer: ``"adam"`` or ``"sgd"`` with ``lr`` (default 1e-3), ``weight_decay`` (default 0) and, for SGD
            only, ``momentum`` (default 0.9); or an :data:`OptimizerFactory`, which carries its own settings (then
            ``lr``, ``momentum`` and ``weight_decay`` must stay unset). ``param_groups(model)`` may give per-group
            learning rates.
        lr_milestones, lr_gamma: divide the learning rate by ``1/lr_gamma`` at those epochs; or ``scheduler``, a
            :data:`SchedulerFactory` (not both).
        batch_plan: how a mini-batch becomes optimiser steps (see :data:`BatchPlan`); parameters that a step's
            tasks do not use get no gradient, so no momentum or weight-decay update either.
        callbacks: :data:`StepCallback` s run at every step before the strategy; their scalars join the step log.
        max_steps: stop after this many optimiser steps (e.g. paper 03's early-stopping approximation).
        keep_best: restore the weights of the epoch with the lowest total validation loss at the end.
        checkpoint: file to save the full training state to after each epoch, and to resume from.
        nan_check_every: steps between checks (one device sync each) that every loss so far was finite (default
            1 on CPU, 25 on CUDA; also at the end of every epoch, before its checkpoint is written). A non-finite
            loss raises ``FloatingPointError`` naming the task(s) and the step where it first appeared.
    """
    model = check_model(model)
    tasks = as_tasks(tasks)
    _check_optimizer(optimizer, lr, momentum, weight_decay, lr_milestones, scheduler)
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got epochs={epochs}, batch_size={batch_size}")
    missing = [t for t in tasks if t not in train.targets]
    if missing:
        raise ValueError(f"training data has no targets for task(s) {missing}; it has {train.tasks}")
    device = resolve_device(device)
    dry = cost.dry_run()
    amp = (device.type == "cuda" or dry) if amp is None else amp
    channels_last = amp if channels_last is None else channels_last
    nan_check_every = nan_check_every or (1 if device.type == "cpu" else 25)
    strategy = strategy or WeightedSum()

    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    strategy.generator = strategy_generator(seed)
    strategy.setup(model, tasks)
    groups = param_groups(model) if param_groups else [{"params": list(model.parameters())}]
    extra = strategy.parameters()
    if extra:
        groups.append({"params": extra})
    fused = device.type == "cuda" or dry  # one kernel per step instead of several per parameter; CPU keeps its numbers
    opt: torch.optim.Optimizer
    if callable(optimizer):
        opt = optimizer(groups)
    elif optimizer == "adam":
        opt = torch.optim.Adam(groups, lr=1e-3 if lr is None else lr, weight_decay=weight_decay or 0.0, fused=fused or None)
    else:
        opt = torch.optim.SGD(groups, lr=1e-3 if lr is None else lr, momentum=0.9 if momentum is None else momentum,
                              weight_decay=weight_decay or 0.0, fused=fused or None)
    schedule = scheduler(opt) if scheduler else torch.optim.lr_scheduler.MultiStepLR(opt, list(lr_milestones), lr_gamma)
    shared = model.shared_parameters() if isinstance(model, SharesParameters) else []
    generator = torch.Generator().manual_seed(seed)
    train = _resident(train, device)
    val = None if val is None else _resident(val, device)

    rows: list[dict[str, Any]] = []
    step_rows: list[dict[str, Any]] = []
    start_epoch, step, best = 0, 0, (float("inf"), None, None)
    ckpt_path = Path(checkpoint) if checkpoint else None
    if ckpt_path and ckpt_path.exists():
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["scheduler"])
        strategy.load_state_dict(state["strategy"])
        if "strategy_generator" not in state:
            raise ValueError(f"checkpoint {ckpt_path} was written by an older paper_mtl (it has no strategy generator); "
                             "delete it to train from the start")
        strategy.generator.set_state(state["strategy_generator"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        rows, step_rows, start_epoch, step, best = state["rows"], state["step_rows"], state["epoch"], state["step"], state["best"]
    else:
        torch.manual_seed(seed)

    steps_per_epoch = train.num_batches(batch_size, drop_last=True)
    total_steps = epochs * steps_per_epoch if max_steps is None else min(max_steps, epochs * steps_per_epoch)
    plan = batch_plan or (lambda m, x, y: [(x, list(tasks))])
    watch = _FiniteWatch(list(tasks), device)
    bar = progress_bar(total=total_steps, initial=min(step, total_steps), desc="fit", leave=False, enabled=progress)
    start_time = time.perf_counter()
    model.train()
    loader_batch = cost.dry_batch_size(batch_size)  # a dry run takes small batches and DRY_STEPS steps in all
    with cost.Meter("fit", model, total_steps - step, scale=batch_size / loader_batch) as meter:
        for epoch in range(start_epoch, epochs):
            epoch_start = len(step_rows)
            sums = {t: torch.zeros((), device=device) for t in tasks}
            counts = {t: 0 for t in tasks}
            for x, targets in train.batches(loader_batch, shuffle=True, generator=generator, drop_last=True):
                if (max_steps is not None and step >= max_steps) or (dry and step >= cost.DRY_STEPS):
                    break
                with meter.batch():  # counted in a dry run
                    x = _prepare_inputs(x, device, channels_last)
                    targets = {t: targets[t].to(device, non_blocking=True) for t in tasks}
                    logs: dict[str, float] = {}
                    for index, (inputs, step_tasks) in enumerate(plan(model, x, targets)):
                        opt.zero_grad(set_to_none=True)
                        with _autocast(device, amp):
                            outputs, features = _forward(model, inputs, list(step_tasks))
                        losses = {t: tasks[t].compute_loss(outputs[t], targets[t]) for t in step_tasks}
                        watch.record(losses, step)
                        if step % nan_check_every == 0:
                            watch.check(epoch, step)
                        ctx = StepContext(model, inputs, targets, outputs, features, shared, tasks, step, epoch, step / max(total_steps, 1))
                        step_logs: dict[str, float | Tensor] = {}
                        for callback in callbacks:
                            step_logs.update(callback(losses, ctx))
                        step_logs.update(strategy.backward(losses, ctx))
                        logs.update(_step_logs(step_logs, index, step_tasks))
                        if dry:
                            _check_gradient_layout(model, strategy)
                        opt.step()
                        for t, v in losses.items():
                            sums[t] += v.detach()
                            counts[t] += 1
                if logs:
                    step_rows.append({"step": step, "epoch": epoch, **logs})
                step += 1
                bar.update(1)
            watch.check(epoch, step - 1)
            _materialise(step_rows[epoch_start:])
            schedule.step()
            row: dict[str, Any] = {"epoch": epoch + 1, "step": step, "lr": opt.param_groups[0]["lr"]}
            row.update({f"train_loss.{t}": float(sums[t]) / max(counts[t], 1) for t in tasks})
            if val is not None:
                scores = evaluate(model, tasks, val, eval_batch_size, device, amp)
                row.update({f"val_loss.{t}": v for t, v in scores["loss"].items()})
                row.update({f"val_metric.{t}": v for t, v in scores["metric"].items()})
                total = sum(scores["loss"].values())
                if keep_best and total < best[0]:
                    best = (total, epoch + 1, {k: v.detach().clone() for k, v in model.state_dict().items()})
            rows.append(row)
            if ckpt_path:
                _atomic_save(
                    {
                        "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": schedule.state_dict(),
                        "strategy": strategy.state_dict(), "strategy_generator": strategy.generator.get_state(),
                        "generator": generator.get_state(),
                        "torch_rng": torch.get_rng_state(), "rows": rows, "step_rows": step_rows,
                        "epoch": epoch + 1, "step": step, "best": best,
                    },
                    ckpt_path,
                )
            if max_steps is not None and step >= max_steps:
                break
    bar.close()
    best_epoch = None
    if keep_best and best[2] is not None:
        model.load_state_dict(best[2])
        best_epoch = best[1]
    return FitResult(model, pd.DataFrame(rows), pd.DataFrame(step_rows), best_epoch, time.perf_counter() - start_time)
