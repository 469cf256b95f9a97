"""Multi-task adversarial training (paper 01, Algorithm 1) and the robustness measures of the supplement.

- :class:`MultiTaskAdversarialTraining` is Algorithm 1 as a ``batch_plan`` for :func:`paper_mtl.training.fit`:
  for every mini-batch and every task combination S_t of S = {{T_m}, {T_m, T_a^(1), ...}} it attacks
  L_t = Σ_{i ∈ S_t} λ_i ℓ_i with PGD and takes one optimiser step on L_t at the adversarial images. S = {{T_m}} is
  single-task adversarial training (Madry et al.). The public code has no implementation (an empty file).
- :func:`robustness` measures each task's loss and metric on clean and attacked inputs and the loss change
  ΔL of Definition 1, E_x |L(x) - L(x_adv)|, per task and for the joint loss L_all of the attacked tasks.
- :func:`input_gradient_norm` measures Lemma 1's E_x ‖∂x L_all(x, ȳ)‖_q with L_all = 1/M Σ_c L_c.

Scores follow the paper's convention: mIoU for segmentation (higher is better), every other task its mean loss
(lower is better), see :func:`reported_score`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import torch
from torch import Tensor, nn

from paper_mtl.attacks import NORMS, multitask_loss, pgd
from paper_mtl.cost import metered
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.models.modes import eval_mode
from paper_mtl.profiles import check_choice, resolve_device
from paper_mtl.tasks import Task, get_task

Attack = Callable[[nn.Module, Tensor, dict[str, Tensor]], Tensor]
"""``attack(model, x, targets) -> x_adv``, the ``input_transform`` of :func:`paper_mtl.training.evaluate`."""


@dataclass(frozen=True)
class PGDConfig:
    """A PGD attack's settings. Paper 01: L∞, ε = 4/255, step 1/255 (50 steps in the public code)."""

    eps: float = 4 / 255
    step_size: float = 1 / 255
    steps: int = 50
    norm: str = "linf"
    random_start: bool = True
    bounds: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self) -> None:
        check_choice("norm", self.norm, NORMS)
        if self.eps < 0 or self.step_size < 0 or self.steps < 0:
            raise ValueError(f"eps, step_size and steps must be >= 0, got {self.eps}, {self.step_size}, {self.steps}")


def pgd_attack(
    tasks: Mapping[str, Task], config: PGDConfig, weights: Mapping[str, float] | None = None, seed: int = 0
) -> Attack:
    """An attack on Σ_i λ_i ℓ_i over ``tasks`` (unweighted when ``weights`` is None), random starts drawn from a
    CPU generator seeded with ``seed`` so a fresh attack repeats its numbers on any device."""
    loss_fn = multitask_loss(tasks, weights)
    generator = torch.Generator().manual_seed(seed)
    names = list(tasks)

    def attack(model: nn.Module, x: Tensor, targets: dict[str, Tensor]) -> Tensor:
        return pgd(
            model, x, targets, loss_fn, config.eps, config.step_size, config.steps, config.norm,
            config.random_start, config.bounds, generator, names,
        )

    return attack


def algorithm1_combinations(main: str, auxiliaries: Sequence[str] = ()) -> list[list[str]]:
    """S = {{T_m}, {T_m, T_a^(1), ...}}; with no auxiliary task, S = {{T_m}} (single-task adversarial training)."""
    if main in auxiliaries:
        raise ValueError(f"main task {main!r} cannot also be an auxiliary task {list(auxiliaries)}")
    if len(set(auxiliaries)) != len(auxiliaries):
        raise ValueError(f"auxiliary tasks repeat: {list(auxiliaries)}")
    return [[main]] + ([[main, *auxiliaries]] if auxiliaries else [])


class MultiTaskAdversarialTraining:
    """Algorithm 1 (multi-task adversarial training) as a ``batch_plan`` for :func:`paper_mtl.training.fit`.

    For each mini-batch it yields, per combination S_t in ``combinations``, the PGD adversarial images of
    L_t = Σ_{i ∈ S_t} λ_i ℓ_i and the tasks S_t; the loop takes one optimiser step on those tasks' losses at those
    images. Pass ``strategy=WeightedSum(plan.weights)`` to ``fit`` so the step minimises the same weighted L_t.
    The plan is a generator, so each combination is attacked with the weights left by the previous step, as in
    Algorithm 1. Attacks run with the model in eval mode (BatchNorm running statistics untouched), which is
    restored to train mode afterwards.

    ``weights`` gives λ_i (default 1 for every task); the paper uses 1 for the main task and λ = 0.01 for the
    auxiliary task.
    """

    def __init__(
        self,
        tasks: Mapping[str, Task],
        combinations: Sequence[Sequence[str]],
        config: PGDConfig,
        weights: Mapping[str, float] | None = None,
        seed: int = 0,
    ) -> None:
        if not combinations:
            raise ValueError("Algorithm 1 needs at least one task combination")
        unknown = sorted({t for combo in combinations for t in combo} - set(tasks))
        if unknown or any(not combo for combo in combinations):
            given = [list(combo) for combo in combinations]
            raise ValueError(f"combinations {given} must be non-empty and use only the tasks {list(tasks)}")
        self.tasks = dict(tasks)
        self.weights = dict(weights) if weights is not None else {t: 1.0 for t in tasks}
        missing = sorted(set(tasks) - set(self.weights))
        if missing:
            raise ValueError(f"no weight λ for task(s) {missing}")
        self.combinations = [list(combo) for combo in combinations]
        self.config = config
        self.attacks = [
            pgd_attack({t: self.tasks[t] for t in combo}, config, {t: self.weights[t] for t in combo}, seed + i)
            for i, combo in enumerate(self.combinations)
        ]

    def __call__(self, model: nn.Module, x: Tensor, targets: dict[str, Tensor]) -> Iterator[tuple[Tensor, list[str]]]:
        for combo, attack in zip(self.combinations, self.attacks):
            with eval_mode(model):
                x_adv = attack(model, x, targets)
            yield x_adv, combo


def per_sample_loss(task: Task, pred: Tensor, target: Tensor) -> Tensor:
    """Each sample's loss ℓ(F(x_n), y_n): the mean of :meth:`Task.loss_map` over that sample's valid entries."""
    values, mask = task.loss_map(pred, target)
    mask = mask.to(values.dtype)
    if values.dim() == 1:
        return values * mask
    return (values * mask).flatten(1).sum(1) / mask.flatten(1).sum(1).clamp_min(1.0)


def reported_score(task: Task, loss: float, metric: float) -> float:
    """The paper's reported number: the metric for segmentation-like tasks (mIoU), else the mean loss."""
    return metric if task.metric == "miou" else loss


def reported_higher_is_better(task: Task) -> bool:
    """The direction of :func:`reported_score`: the metric's own for mIoU, lower is better for a loss."""
    return task.higher_is_better if task.metric == "miou" else False


@dataclass
class Robustness:
    """Output of :func:`robustness`.

    ``table`` has one row per evaluated task: ``clean_loss``, ``attacked_loss`` (mean per-image losses),
    ``clean_metric``, ``attacked_metric``, ``clean_score``, ``attacked_score`` (see :func:`reported_score`),
    ``higher_is_better`` (the scores' direction, :func:`reported_higher_is_better`) and ``delta_loss`` =
    E_x |ℓ(x) - ℓ(x_adv)| (Definition 1 with PGD's x_adv, a lower bound of the max). ``delta_loss_all`` is the same
    for the joint loss L_all = 1/M Σ ℓ_c of the attacked tasks.
    """

    table: pd.DataFrame
    delta_loss_all: float


def robustness(
    model: nn.Module,
    tasks: Mapping[str, Task] | Sequence[str],
    data: MultiTaskData,
    attack_tasks: Sequence[str],
    config: PGDConfig,
    seed: int = 0,
    batch_size: int = 64,
    device: str | torch.device = "auto",
) -> Robustness:
    """Clean and attacked performance of every task in ``tasks`` under PGD on the unweighted sum of the
    ``attack_tasks``' losses (one task: a single-task attack; several: a multi-task attack), in eval mode."""
    tasks = dict(tasks) if isinstance(tasks, Mapping) else {t: get_task(t) for t in tasks}
    unknown = [t for t in attack_tasks if t not in tasks]
    if unknown or not attack_tasks:
        raise ValueError(f"attack_tasks {list(attack_tasks)} must be a non-empty subset of the tasks {list(tasks)}")
    device = resolve_device(device)
    attack = pgd_attack({t: tasks[t] for t in attack_tasks}, config, seed=seed)
    names = list(tasks)
    clean_metrics = {t: task.new_metric() for t, task in tasks.items()}
    adv_metrics = {t: task.new_metric() for t, task in tasks.items()}
    sums = {key: {t: 0.0 for t in tasks} for key in ("clean", "adv", "delta")}
    delta_all, count = 0.0, 0
    with eval_mode(model):
        for x, targets in metered(data, batch_size, "robustness", model):
            x = x.to(device).float()
            targets = {t: targets[t].to(device) for t in tasks}
            x_adv = attack(model, x, targets)
            with torch.no_grad():
                clean, adv = model(x, tasks=names), model(x_adv, tasks=names)
                joint_clean = torch.zeros(len(x), device=device)
                joint_adv = torch.zeros(len(x), device=device)
                for t, task in tasks.items():
                    lc = per_sample_loss(task, clean[t].float(), targets[t])
                    la = per_sample_loss(task, adv[t].float(), targets[t])
                    sums["clean"][t] += float(lc.sum())
                    sums["adv"][t] += float(la.sum())
                    sums["delta"][t] += float((la - lc).abs().sum())
                    clean_metrics[t].update(clean[t], targets[t])
                    adv_metrics[t].update(adv[t], targets[t])
                    if t in attack_tasks:
                        joint_clean += lc / len(attack_tasks)
                        joint_adv += la / len(attack_tasks)
                delta_all += float((joint_adv - joint_clean).abs().sum())
            count += len(x)
    rows = []
    for t, task in tasks.items():
        cl, al = sums["clean"][t] / count, sums["adv"][t] / count
        cm, am = clean_metrics[t].compute(), adv_metrics[t].compute()
        rows.append({
            "task": t, "clean_loss": cl, "attacked_loss": al, "clean_metric": cm, "attacked_metric": am,
            "clean_score": reported_score(task, cl, cm), "attacked_score": reported_score(task, al, am),
            "higher_is_better": reported_higher_is_better(task), "delta_loss": sums["delta"][t] / count,
        })
    return Robustness(pd.DataFrame(rows), delta_all / count)


Q_NORMS = (1, 2, float("inf"))


def input_gradient_norm(
    model: nn.Module,
    tasks: Mapping[str, Task] | Sequence[str],
    data: MultiTaskData,
    q: float = 1,
    batch_size: int = 64,
    device: str | torch.device = "auto",
) -> float:
    """Lemma 1's E_x ‖∂x L_all(x, ȳ)‖_q with L_all = 1/M Σ_c ℓ_c(x) over ``tasks``, in eval mode.

    ``q`` is the dual norm of the attack's p: q = 1 for an L∞ attack (the paper's), 2 for L2. Each image's
    gradient is of its own loss (per-sample losses summed over the batch, so images do not mix in eval mode).
    The model's mode and parameters' ``.grad`` are left as they were.
    """
    check_choice("q", q, Q_NORMS)
    tasks = dict(tasks) if isinstance(tasks, Mapping) else {t: get_task(t) for t in tasks}
    if not tasks:
        raise ValueError("input_gradient_norm needs at least one task")
    device = resolve_device(device)
    names = list(tasks)
    total, count = 0.0, 0
    with eval_mode(model):
        for x, targets in metered(data, batch_size, "input gradient", model):
            x = x.to(device).float().requires_grad_(True)
            outputs = model(x, tasks=names)
            joint = sum(per_sample_loss(task, outputs[t].float(), targets[t].to(device)) for t, task in tasks.items())
            (grad,) = torch.autograd.grad((joint / len(tasks)).sum(), x)
            total += float(grad.flatten(1).norm(p=q, dim=1).sum())
            count += len(x)
    return total / count
