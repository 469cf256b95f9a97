"""Experiments of notebook 03: Standley et al., "Which tasks should be learned together in multi-task learning?".

Five tasks of the indoor procedural scenes stand in for the paper's Taskonomy tasks: semantic segmentation
``s`` (cross-entropy, 11 classes), z-buffer depth ``d``, surface normals ``n``, 2-D keypoints ``k`` and 2-D texture
edges ``e`` (L1). Regression labels are normalised to mean 0 and standard deviation 1 on the training split
(Sec. 4: "all data labels were normalized"); the total training loss is the plain sum of the task losses (the
paper's code; the paper's text says the mean, which only rescales the gradient, and Adam removes that scale).

Every candidate network is a hard-sharing network (:func:`paper_mtl.models.build_hard_sharing`): one encoder and
a light decoder per task. A network's inference cost is its encoder's multiply-adds in standard-network units
(SNT); a smaller network shrinks every encoder layer's channels (width) until its encoder has the required
multiply-adds, measured with :class:`torch.utils.flop_counter.FlopCounterMode` (:func:`width_for_cost`), the
decoder unchanged (Sec. 4). Training (Sec. 4, with the deviations the notebook states): Adam, the learning rate
halved at 60% and 80% of training, the checkpoint with the lowest validation loss kept. All trainings go through
:func:`paper_mtl.sweep.run_sweep` (cached on disk: a rerun trains only what is missing); the scenes are rendered
once per process and shared by every training (:func:`scene_splits`).

Profiles (:data:`SETTINGS`): ``smoke`` (16x16 images, 64 of them, one epoch: meaningless numbers for nbval),
``quick`` (16x16 images, 768 for training, five epochs: about 45 trainings on a 2-core CPU in a few minutes) and
``paper`` (64x64, 8,192 training images, twelve epochs, every baseline budget of Table 7 and a full-width
ResNet-18 for Table 1: designed for one H100 within about 8 minutes, not run here).

Functions return DataFrames and numbers; figures are drawn by :mod:`paper_mtl.plots.task_grouping`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import pearsonr
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from paper_mtl import published
from paper_mtl.cost import full_length, metered
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.data.scenes import render
from paper_mtl.grouping import (
    Network,
    Selection,
    first_order_relationships,
    groupings,
    higher_order_approximation,
    loss_correlation,
    max_ratio_error,
    mtl_affinity,
    networks_from_table,
    pessimal_selection,
    random_groupings,
    select_networks,
)
from paper_mtl.models import HardSharingNet, build_hard_sharing, make_decoder, make_encoder
from paper_mtl.profiles import PAPER_LEASE, check_choice, check_profile, resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.tasks import Task, get_task
from paper_mtl.training import evaluate, fit, seed_everything
from paper_mtl.weighting.base import Strategy, WeightedSum
from paper_mtl.weighting.gradnorm import GradNorm
from paper_mtl.weighting.mgda import MGDA

TASKS: tuple[str, ...] = ("segment_semantic", "depth_zbuffer", "normal", "keypoints2d", "edge_texture")
LETTERS: dict[str, str] = {"segment_semantic": "s", "depth_zbuffer": "d", "normal": "n", "keypoints2d": "k", "edge_texture": "e"}
PAPER_COLUMNS: dict[str, str] = {letter.upper(): task for task, letter in LETTERS.items()}
STRATEGIES = ("sum", "mgda", "gradnorm")
ENCODERS = ("small", "resnet18")
HALF = 0.5

METHODS: dict[str, str] = {
    "mgda": "Sener et al.",
    "gradnorm": "GradNorm",
    "pessimal": "Pessimal Grouping",
    "traditional": "Traditional MTL",
    "random": "Random Groupings",
    "independent": "Independent",
    "esa": "Ours (ESA)",
    "hoa": "Ours (HOA)",
    "optimal": "Ours Optimal",
}
"""Our method keys and the row names of the paper's Table 7, in its order."""


@dataclass(frozen=True)
class Settings:
    """Sizes of one profile.

    ``baselines`` lists the (method, budget) pairs of Table 7 that need their own training: ``traditional``,
    ``mgda`` and ``gradnorm`` are all-in-one networks of that cost; ``independent`` T single-task networks of
    cost budget/T each. (Traditional MTL at 1, Independent at T/2 and T come free from the 36 candidates.)
    """

    size: int
    n_train: int
    n_val: int
    n_test: int
    epochs: int
    batch_size: int
    lr: float
    decoder_width: int
    baselines: tuple[tuple[str, float], ...]
    random_trials: int
    readout_epochs: int
    small_data_fraction: float
    resnet_width: float
    resnet_epochs: int
    predictions: int = 3
    early_fraction: float = 0.2

    @property
    def budgets(self) -> list[float]:
        """1, 1.5, ..., T SNT (Sec. 4: budgets from 1 to 5 at increments of 0.5)."""
        return [float(b) for b in np.arange(1.0, len(TASKS) + 0.25, 0.5)]


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(
        size=16, n_train=64, n_val=32, n_test=32, epochs=1, batch_size=16, lr=2e-3, decoder_width=4,
        baselines=(("mgda", 1.0), ("gradnorm", 1.0), ("traditional", 2.5)),
        random_trials=50, readout_epochs=1, small_data_fraction=0.5, resnet_width=0.0625, resnet_epochs=1,
        predictions=1,
    ),
    "quick": Settings(
        size=16, n_train=768, n_val=128, n_test=128, epochs=5, batch_size=32, lr=3e-3, decoder_width=8,
        baselines=(
            ("mgda", 1.0), ("mgda", 2.5), ("gradnorm", 1.0), ("traditional", 2.5), ("traditional", 4.0), ("independent", 1.0),
        ),
        random_trials=1000, readout_epochs=3, small_data_fraction=0.25, resnet_width=0.125, resnet_epochs=5,
    ),
    "paper": Settings(
        size=64, n_train=3072, n_val=1024, n_test=1024, epochs=6, batch_size=128, lr=2e-3, decoder_width=16,
        baselines=(
            ("mgda", 1.0), ("mgda", 2.0), ("mgda", 2.5), ("mgda", 4.0), ("gradnorm", 1.0), ("gradnorm", 4.0),
            ("traditional", 2.0), ("traditional", 2.5), ("traditional", 4.0),
            ("independent", 1.0), ("independent", 1.5), ("independent", 2.0), ("independent", 4.0),
        ),
        random_trials=1000, readout_epochs=4, small_data_fraction=1 / 16, resnet_width=1.0, resnet_epochs=12,
    ),
}
"""Per-profile sizes; ``paper`` is cut as :data:`PAPER_CUTS`."""
PAPER_CUTS = (
    "3,072 training images for 6 epochs (144 steps a network; the paper trains on Taskonomy until early stopping), "
    f"{PAPER_LEASE}: 8,192 images for 12 epochs would take about 5 times the kernel launches"
)
"""What the paper profile leaves out of the paper's experiments, and why (shown in the notebook)."""


def settings(profile: str) -> Settings:
    """The :class:`Settings` of ``profile``."""
    return SETTINGS[check_profile(profile)]


def letter_name(tasks: Sequence[str], cost: float = 1.0) -> str:
    """A network's name: its task letters in upper case (the paper's ``SDN``), ``/2`` for a half-size network."""
    name = "".join(LETTERS[t].upper() for t in TASKS if t in tasks)
    return name if cost == 1.0 else f"{name}/{1 / cost:g}" if (1 / cost).is_integer() else f"{name}@{cost:g}"


def task_objects(tasks: Sequence[str] = TASKS) -> dict[str, Task]:
    """The tasks with the scene's class count for segmentation."""
    for t in tasks:
        check_choice("task", t, TASKS)
    return {t: get_task(t, classes=len(scene_classes("indoor"))) if t == "segment_semantic" else get_task(t) for t in tasks}


# ----------------------------------------------------------------------------------------------------------
# Published numbers alone (no training)
# ----------------------------------------------------------------------------------------------------------


def published_networks() -> tuple[list[Network], list[Network]]:
    """The 31 full-size networks of the paper's Tables 8 (validation) and 9 (test), named by their letters."""
    val = networks_from_table(published.load("03_table8_val_losses").set_index("network"), columns=PAPER_COLUMNS)
    test = networks_from_table(published.load("03_table9_test_losses").set_index("network"), columns=PAPER_COLUMNS)
    return val, test


def published_optimal_row() -> pd.DataFrame:
    """Table 7's optimal row at budgets 1-5 from Tables 8/9 alone: select on validation, score on test.

    Only integer budgets can be recomputed: the half-size networks' losses are not printed.
    """
    val, test = published_networks()
    printed = published.load("03_table7_total_loss").set_index("method").loc[METHODS["optimal"]]
    groups = published.load("03_table6_groupings").set_index("budget")["optimal"]
    rows = []
    for budget in range(1, len(TASKS) + 1):
        chosen = select_networks(val, budget)
        rows.append({
            "budget": budget,
            "grouping (ours)": chosen.label(LETTERS),
            "grouping (Table 6)": groups.loc[budget],
            "validation loss": round(chosen.loss, 5),
            "test loss (ours)": round(chosen.rescore(test).loss, 5),
            "test loss (Table 7)": float(printed[str(budget)]),
        })
    table = pd.DataFrame(rows)
    table["match"] = table["test loss (ours)"].round(3) == table["test loss (Table 7)"]
    table["same grouping"] = [
        sorted(a.split(", ")) == sorted(b.split(", ")) for a, b in zip(table["grouping (ours)"], table["grouping (Table 6)"])
    ]
    return table


def published_affinities() -> dict[str, Any]:
    """Table 3 recomputed from Table 2, and Pearson's r between Tables 3 and 4 with one outlier removed.

    The outlier is the pair whose multi-task affinity lies furthest from the others' mean in standard deviations
    (it is SemSeg-Edges, -15.78%); the paper says only that "one outlier is removed".
    """
    table2 = published.load("03_table2_first_order").set_index("trained_with")
    tasks = list(PAPER_COLUMNS)
    ours = mtl_affinity(table2.loc[tasks, tasks])
    printed3 = published.load("03_table3_mtl_affinity")
    printed4 = published.load("03_table4_transfer_affinity")
    table3 = ours.merge(printed3, on=["task_a", "task_b"], suffixes=(" (from Table 2)", " (Table 3)"))
    table3["difference"] = table3["affinity (from Table 2)"] - table3["affinity (Table 3)"]
    merged = printed3.merge(printed4, on=["task_a", "task_b"], suffixes=("_mtl", "_transfer"))
    outlier = _outlier(merged["affinity_mtl"].to_numpy())
    kept = merged.drop(index=outlier)
    r_all = pearsonr(merged["affinity_mtl"], merged["affinity_transfer"])
    r_kept = pearsonr(kept["affinity_mtl"], kept["affinity_transfer"])
    scalars = published.load("03_scalars").set_index("name")["value"]
    return {
        "table3": table3,
        "outlier": f"{merged.loc[outlier, 'task_a']}-{merged.loc[outlier, 'task_b']}",
        "r_all": float(r_all.statistic), "p_all": float(r_all.pvalue),
        "r": float(r_kept.statistic), "p": float(r_kept.pvalue),
        "r_printed": float(scalars["affinity_pearson_r"]), "p_printed": float(scalars["affinity_pearson_p"]),
        "pairs": merged,
    }


def _outlier(values: np.ndarray) -> int:
    """Index of the value furthest, in standard deviations of the others, from the others' mean."""
    scores = []
    for i in range(len(values)):
        rest = np.delete(values, i)
        scores.append(abs(values[i] - rest.mean()) / rest.std(ddof=1))
    return int(np.argmax(scores))


def published_half_size_losses() -> pd.DataFrame:
    """The half-size single-task test losses implied by Tables 2 and 9, and Table 7's Independent row at T/2.

    Table 2 is 100 (1 − L(pair, t) / L(half-size t)) on the test set: each of a task's four pairs implies the
    same half-size loss (to rounding). Their sum is the total of five half-size networks, Table 7's Independent
    entry at 2.5 SNT.
    """
    table2 = published.load("03_table2_first_order").set_index("trained_with")
    _, test = published_networks()
    pairs = {frozenset(n.tasks): n for n in test if len(n.tasks) == 2}
    rows = []
    for letter, task in PAPER_COLUMNS.items():
        implied = [
            pairs[frozenset((task, PAPER_COLUMNS[o]))].losses[task] / (1.0 - table2.loc[o, letter] / 100.0)
            for o in PAPER_COLUMNS if o != letter
        ]
        rows.append({"task": letter, "implied half-size test loss": float(np.median(implied)), "spread": float(np.ptp(implied))})
    table = pd.DataFrame(rows)
    printed = published.load("03_table7_total_loss").set_index("method").loc[METHODS["independent"], str(len(TASKS) / 2)]
    table.attrs["total"] = float(table["implied half-size test loss"].sum())
    table.attrs["printed_independent"] = float(printed)
    return table


def published_approximation_gaps() -> pd.DataFrame:
    """Mean gap to the optimal row of Table 7 for ESA, HOA and Random (the criterion of our verdict, on the paper)."""
    return approximation_gaps(_published_table7_long())


def _published_table7_long() -> pd.DataFrame:
    wide = published.load("03_table7_total_loss").set_index("method")
    names = {v: k for k, v in METHODS.items()}
    rows = [
        {"method": names[m], "budget": float(b), "loss": float(v)}
        for m, row in wide.iterrows() for b, v in row.items() if pd.notna(v)
    ]
    return pd.DataFrame(rows)


def approximation_gaps(long: pd.DataFrame) -> pd.DataFrame:
    """Mean over budgets > 1 of (method − optimal) total test loss, for ESA, HOA and Random."""
    wide = long.pivot_table(index="budget", columns="method", values="loss")
    wide = wide[wide.index > 1]
    return pd.DataFrame(
        [{"method": m, "mean gap to optimal": float((wide[m] - wide["optimal"]).mean())} for m in ("esa", "hoa", "random") if m in wide]
    )


# ----------------------------------------------------------------------------------------------------------
# Data and networks
# ----------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def scene_splits(size: int, n_train: int, n_val: int, n_test: int, seed: int, device: str = "cpu") -> dict[str, MultiTaskData]:
    """Train/validation/test splits of indoor scenes (independent renders), labels normalised on train.

    Rendered once per process (on ``device``: the renderer gives the same labels on a GPU up to rounding) and shared
    by every training. Regression targets become (y − mean) / std with the training split's per-task scalar mean
    and std (stored in ``meta["normalisation"]``).
    """
    splits = {
        name: render(n, size=size, family="indoor", seed=seed * 1000 + offset, device=device)
        for name, n, offset in (("train", n_train, 0), ("val", n_val, 1), ("test", n_test, 2))
    }
    stats = {t: (float(splits["train"][t].mean()), float(splits["train"][t].std())) for t in TASKS if t != "segment_semantic"}
    out = {}
    for name, arrays in splits.items():
        targets = {t: arrays[t] if t not in stats else ((arrays[t] - stats[t][0]) / stats[t][1]).astype(np.float32) for t in TASKS}
        out[name] = MultiTaskData(arrays["rgb"], targets, {"source": f"scenes.render(indoor, size={size}, seed={seed})", "normalisation": stats})
    return out


@lru_cache(maxsize=None)
def _encoder_macs(encoder: str, width: float) -> int:
    """Multiply-adds of the encoder on a 16x16 input (the ratio between widths does not depend on the size)."""
    enc = make_encoder(encoder, 3, width).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        enc(torch.zeros(1, 3, 16, 16))
    return counter.get_total_flops() // 2


@lru_cache(maxsize=None)
def width_for_cost(encoder: str, cost: float, base_width: float = 1.0) -> float:
    """The width multiplier whose encoder has ``cost`` times the multiply-adds of the one at ``base_width``.

    Multiply-adds grow about with the square of the width; the width is searched around ``base_width * sqrt(cost)``
    (steps of 1%, channel counts being integers) and the closest measured ratio wins.
    """
    check_choice("encoder", encoder, ENCODERS)
    if cost <= 0:
        raise ValueError(f"cost must be > 0, got {cost}")
    if cost == 1.0:
        return base_width
    reference = _encoder_macs(encoder, base_width)
    guess = base_width * float(np.sqrt(cost))
    candidates = [round(guess * (1 + k / 100), 4) for k in range(-6, 7)]
    return min(candidates, key=lambda w: (abs(_encoder_macs(encoder, w) / reference - cost), abs(w - guess)))


def encoder_costs(profile: str) -> pd.DataFrame:
    """Width, parameters and measured multiply-adds of every encoder size the profile trains (Sec. 4, SNT)."""
    s = settings(profile)
    small = {HALF, 1.0} | {b / len(TASKS) if m == "independent" else b for m, b in s.baselines}
    rows = []
    for encoder, base, costs in (("small", 1.0, sorted(small)), ("resnet18", s.resnet_width, [0.6, 1.0, 3.0])):
        reference = _encoder_macs(encoder, base)
        for cost in costs:
            width = width_for_cost(encoder, cost, base)
            rows.append({
                "encoder": encoder, "cost (SNT)": cost, "width": width,
                "parameters": sum(p.numel() for p in make_encoder(encoder, 3, width).parameters()),
                f"multiply-adds at {s.size}x{s.size}": int(_encoder_macs(encoder, width) * (s.size / 16) ** 2),
                "measured cost": round(_encoder_macs(encoder, width) / reference, 3),
            })
    return pd.DataFrame(rows)


def _strategy(name: str) -> Strategy:
    check_choice("strategy", name, STRATEGIES)
    return {"sum": WeightedSum, "mgda": MGDA, "gradnorm": lambda: GradNorm(alpha=1.5)}[name]()


def _build(tasks: Mapping[str, Task], config: Mapping[str, Any]) -> HardSharingNet:
    width = width_for_cost(config["encoder"], config["cost"], config["base_width"])
    return build_hard_sharing(tasks, config["encoder"], width=width, decoder_width=config["decoder_width"])


def _predictions(model: nn.Module, tasks: Sequence[str], data: MultiTaskData, count: int, device: torch.device) -> dict[str, list]:
    model.eval()
    with torch.no_grad():
        out = model(data.inputs[:count].float().to(device), tasks=list(tasks))
    result = {}
    for t in tasks:
        pred = out[t].float().cpu()
        result[t] = pred.argmax(1).tolist() if t == "segment_semantic" else np.round(pred.numpy(), 3).tolist()
    return result


def _readout(encoder: nn.Module, data: dict[str, MultiTaskData], config: Mapping[str, Any], device: torch.device) -> dict[str, float]:
    """Taskonomy-style transfer (Sec. 6): fresh decoders for every task on the frozen encoder; their test losses."""
    encoder.eval()

    def features(split: MultiTaskData) -> MultiTaskData:
        with torch.no_grad():
            batches = metered(split, 256, "features", encoder)
            feats = full_length(torch.cat([encoder(x.float().to(device)).float().cpu() for x, _ in batches]), len(split))
        return MultiTaskData(feats, split.targets, split.meta)

    train, val, test = (features(data[k]) for k in ("train", "val", "test"))
    tasks = task_objects()
    seed_everything(config["seed"])
    decoders = {t: make_decoder(True, encoder.out_channels, task.channels, encoder.stride, config["decoder_width"]) for t, task in tasks.items()}
    head = HardSharingNet(nn.Identity(), decoders)
    fit(head, tasks, train, val, epochs=config["readout_epochs"], batch_size=config["batch_size"], lr=config["lr"],
        keep_best=True, seed=config["seed"], device=device, progress=False)
    return evaluate(head, tasks, test, device=device)["loss"]


def train_network(config: dict[str, Any]) -> dict[str, Any]:
    """Train one candidate network and return its validation/test losses (the sweep function of this notebook).

    ``config``: ``tasks``, ``cost`` (SNT), ``encoder``, ``base_width`` (the width of a 1-SNT encoder),
    ``decoder_width``, ``strategy`` (``sum``/``mgda``/``gradnorm``), ``data`` (the :func:`scene_splits` arguments),
    ``train_fraction`` (leading share of the training split), ``epochs``, ``batch_size``, ``lr``, ``seed``,
    ``device``, ``early_steps`` (ESA: validation losses after that many steps, 0 = none), ``readout_epochs``
    (transfer readouts from the frozen encoder, 0 = none), ``predictions`` (test images to keep predictions of).
    """
    device = resolve_device(config["device"])
    data = scene_splits(**config["data"], device=device.type)
    tasks = task_objects(config["tasks"])
    n_train = max(config["batch_size"], int(round(len(data["train"]) * config["train_fraction"])))
    train = data["train"].subset(slice(0, n_train)).select_tasks(list(tasks))
    val, test = data["val"].select_tasks(list(tasks)), data["test"].select_tasks(list(tasks))
    epochs = config["epochs"]
    common = dict(batch_size=config["batch_size"], lr=config["lr"], seed=config["seed"], device=device, progress=False)
    result: dict[str, Any] = {}
    if config["early_steps"]:
        seed_everything(config["seed"])
        early = _build(tasks, config)
        fit(early, tasks, train, strategy=_strategy(config["strategy"]), epochs=1, max_steps=config["early_steps"], **common)
        result["early_val"] = evaluate(early, tasks, val, device=device)["loss"]
    seed_everything(config["seed"])
    model = _build(tasks, config)
    run = fit(
        model, tasks, train, val, strategy=_strategy(config["strategy"]), epochs=epochs, keep_best=True,
        lr_milestones=sorted({max(1, int(0.6 * epochs)), max(1, int(0.8 * epochs))}), lr_gamma=0.5, **common,
    )
    result["val"] = evaluate(model, tasks, val, device=device)["loss"]
    result["test"] = evaluate(model, tasks, test, device=device)["loss"]
    result["best_epoch"] = run.best_epoch
    weights = [c for c in run.steps.columns if c.startswith("weight.")] if len(run.steps) else []
    if weights:
        result["mean_weights"] = {c.removeprefix("weight."): float(run.steps[c].mean()) for c in weights}
    if config["predictions"]:
        result["predictions"] = _predictions(model, list(tasks), data["test"], config["predictions"], device)
    if config["readout_epochs"]:
        result["readout"] = _readout(model.encoder, data, config, device)
    return result


def _config(s: Settings, tasks: Sequence[str], cost: float, seed: int, device: torch.device, **overrides: Any) -> dict[str, Any]:
    config = {
        "tasks": [t for t in TASKS if t in tasks], "cost": float(cost), "encoder": "small", "base_width": 1.0,
        "decoder_width": s.decoder_width, "strategy": "sum",
        "data": {"size": s.size, "n_train": s.n_train, "n_val": s.n_val, "n_test": s.n_test, "seed": seed},
        "train_fraction": 1.0, "epochs": s.epochs, "batch_size": s.batch_size, "lr": s.lr, "seed": seed,
        "device": device.type, "early_steps": 0, "readout_epochs": 0, "predictions": s.predictions,
    }
    config.update(overrides)
    return config


def _early_steps(s: Settings) -> int:
    """ESA (Sec. 3.3.1): the validation loss after a pass through 20% of the training data."""
    return max(1, int(round(s.early_fraction * (s.n_train // s.batch_size))))


# ----------------------------------------------------------------------------------------------------------
# The 2^T − 1 groupings and T half-size networks (Tables 8 and 9)
# ----------------------------------------------------------------------------------------------------------


@dataclass
class GroupingRuns:
    """The trained candidates: ``val``/``test``/``early`` tables as :class:`Network` lists (31 full + 5 half)."""

    val: list[Network]
    test: list[Network]
    early: list[Network]
    predictions: dict[str, dict[str, list]]
    readout: dict[str, dict[str, float]]
    settings: Settings
    seed: int
    device: str
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self, which: str = "test") -> pd.DataFrame:
        """Table 8 (``val``) or 9 (``test``) analogue; ``early`` gives the ESA losses. Rows: networks."""
        check_choice("table", which, ("val", "test", "early"))
        nets = getattr(self, which)
        frame = pd.DataFrame(
            [{"network": n.name, "cost": n.cost, **{LETTERS[t].upper(): n.losses.get(t, np.nan) for t in TASKS}} for n in nets]
        )
        frame["total"] = frame[[LETTERS[t].upper() for t in TASKS]].sum(axis=1, min_count=1)
        return frame


def _candidates() -> list[tuple[tuple[str, ...], float]]:
    return [(g, 1.0) for g in groupings(list(TASKS))] + [((t,), HALF) for t in TASKS]


def run_groupings(profile: str, seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> GroupingRuns:
    """Train all 2^T − 1 groupings at full size and T single-task networks at half size (paper 03, Sec. 3.1).

    Each training also records the ESA's early validation losses (after 20% of one pass, same seed, so the start
    of the same run) and a few test predictions; the full-size single-task networks also train transfer
    readouts on their frozen encoders (Table 4 analogue).
    """
    s = settings(profile)
    device = resolve_device(device)
    configs = [
        _config(s, group, cost, seed, device, early_steps=_early_steps(s), readout_epochs=s.readout_epochs if (len(group) == 1 and cost == 1.0) else 0)
        for group, cost in _candidates()
    ]
    results = run_sweep(train_network, configs, "03_groupings", progress=progress)
    val, test, early, predictions, readout = [], [], [], {}, {}
    for (group, cost), res in zip(_candidates(), results):
        name = letter_name(group, cost)
        val.append(Network(name, cost, res["val"]))
        test.append(Network(name, cost, res["test"]))
        early.append(Network(name, cost, res["early_val"]))
        predictions[name] = res.get("predictions", {})
        if "readout" in res:
            readout[group[0]] = res["readout"]
    return GroupingRuns(val, test, early, predictions, readout, s, seed, device.type)


# ----------------------------------------------------------------------------------------------------------
# Baselines and network selection (Tables 6 and 7, Figures 2 and 3)
# ----------------------------------------------------------------------------------------------------------


def run_baselines(profile: str, runs: GroupingRuns, seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """Test losses of the trained baselines of Table 7: one row per (method, budget), one column per task.

    Traditional MTL at 1 SNT is the all-in-one candidate; Independent at T/2 and T are the half- and full-size
    single-task candidates; every other (method, budget) of the profile's ``baselines`` is trained here.
    """
    s = settings(profile)
    device = resolve_device(device)
    jobs: list[tuple[str, float, tuple[str, ...], float, str]] = []
    for method, budget in s.baselines:
        check_choice("baseline", method, ("traditional", "mgda", "gradnorm", "independent"))
        if method == "independent":
            jobs += [(method, budget, (t,), budget / len(TASKS), "sum") for t in TASKS]
        else:
            jobs.append((method, budget, TASKS, budget, "sum" if method == "traditional" else method))
    configs = [_config(s, group, cost, seed, device, strategy=strategy) for _, _, group, cost, strategy in jobs]
    results = run_sweep(train_network, configs, "03_baselines", progress=progress)
    rows: dict[tuple[str, float], dict[str, Any]] = {}
    extra_predictions: dict[str, dict[str, list]] = {}
    for (method, budget, group, _, _), res in zip(jobs, results):
        row = rows.setdefault((method, budget), {"method": method, "budget": budget})
        row.update(res["test"])
        if "mean_weights" in res:
            row.update({f"weight.{t}": w for t, w in res["mean_weights"].items()})
        extra_predictions.setdefault(f"{method}@{budget:g}", {}).update(res.get("predictions", {}))
    test = {n.name: n for n in runs.test}
    free = [
        ("traditional", 1.0, {t: test[letter_name(TASKS)].losses[t] for t in TASKS}),
        ("independent", len(TASKS) * HALF, {t: test[letter_name((t,), HALF)].losses[t] for t in TASKS}),
        ("independent", float(len(TASKS)), {t: test[letter_name((t,))].losses[t] for t in TASKS}),
    ]
    for method, budget, losses in free:
        rows[(method, budget)] = {"method": method, "budget": budget, **losses}
    frame = pd.DataFrame(sorted(rows.values(), key=lambda r: (list(METHODS).index(r["method"]), r["budget"])))
    frame["loss"] = frame[list(TASKS)].sum(axis=1)
    runs.extra["baseline_predictions"] = extra_predictions
    return frame


def _final(selection: Selection, runs: GroupingRuns) -> Selection:
    """The chosen networks once trained: each task goes to the chosen network best on final validation loss,
    then the selection is scored on test."""
    return selection.rescore(runs.val, reassign=True).rescore(runs.test)


def selections(runs: GroupingRuns, budgets: Sequence[float] | None = None) -> dict[str, dict[float, Selection]]:
    """Optimal, ESA and HOA selections per budget, as trained networks scored on test (Sec. 3.2, 3.3).

    Optimal selects on the validation losses of all candidates; ESA on the early validation losses; HOA on the
    validation losses of the networks of <= 2 tasks plus the predicted larger groups. Each chosen set is then
    taken as trained (:func:`_final`).
    """
    budgets = budgets or runs.settings.budgets
    small = [n for n in runs.val if len(n.tasks) <= 2]
    hoa = higher_order_approximation(small, name=letter_name)
    tables = {"optimal": runs.val, "esa": runs.early, "hoa": hoa}
    return {method: {b: _final(select_networks(table, b), runs) for b in budgets} for method, table in tables.items()}


def table6(chosen: Mapping[str, Mapping[float, Selection]]) -> pd.DataFrame:
    """Table 6 analogue: the groupings per budget (capital = the solution uses that network for that task)."""
    budgets = sorted(next(iter(chosen.values())))
    return pd.DataFrame([
        {"budget": b, **{METHODS[m]: chosen[m][b].label(LETTERS) for m in ("optimal", "esa", "hoa")}} for b in budgets
    ])


def table7(runs: GroupingRuns, baselines: pd.DataFrame, chosen: Mapping[str, Mapping[float, Selection]], seed: int = 0) -> pd.DataFrame:
    """Table 7 analogue, long form: total test loss per (method, budget), with the published value beside it.

    Random is the mean of ``random_trials`` random valid groupings and Pessimal the exact worst one, both over
    the 36 candidates' test losses (as the paper's code scores them).
    """
    rows = [{"method": m, "budget": b, "loss": sel.loss} for m, per in chosen.items() for b, sel in per.items()]
    for b in runs.settings.budgets:
        rows.append({"method": "random", "budget": b, "loss": float(random_groupings(runs.test, b, trials=runs.settings.random_trials, seed=seed).mean())})
        rows.append({"method": "pessimal", "budget": b, "loss": pessimal_selection(runs.test, b).loss})
    rows += baselines[["method", "budget", "loss"]].to_dict("records")
    long = pd.DataFrame(rows)
    paper = _published_table7_long().rename(columns={"loss": "published"})
    long = long.merge(paper, on=["method", "budget"], how="left")
    long["order"] = long["method"].map(list(METHODS).index)
    return long.sort_values(["order", "budget"]).drop(columns="order").reset_index(drop=True)


def table7_wide(long: pd.DataFrame, column: str = "loss") -> pd.DataFrame:
    """Table 7 laid out as printed: methods as rows (paper's names and order), budgets as columns."""
    wide = long.pivot_table(index="method", columns="budget", values=column)
    wide = wide.reindex([m for m in METHODS if m in wide.index])
    wide.index = [METHODS[m] for m in wide.index]
    wide.columns = [f"{b:g}" for b in wide.columns]
    return wide


def grouping_checks(long: pd.DataFrame) -> dict[str, bool]:
    """Sec. 5: do the chosen groupings beat all-in-one (Traditional) and Independent at every budget > 1.5?

    One check per (method in optimal/ESA/HOA, baseline, budget) where the baseline exists.
    """
    wide = long.pivot_table(index="budget", columns="method", values="loss")
    checks = {}
    for ours in ("optimal", "esa", "hoa"):
        for base in ("traditional", "independent"):
            for b, row in wide[wide.index > 1.5].iterrows():
                if pd.notna(row.get(base)):
                    checks[f"{ours} < {base} at {b:g}"] = bool(row[ours] < row[base])
    return checks


def headline_checks(long: pd.DataFrame) -> dict[str, bool]:
    """Sec. 5: "our optimal technique using 2.5 SNT and our Higher Order Approximation using 3.5 SNT can both
    outperform five individual networks (which uses 5 SNT)"."""
    wide = long.pivot_table(index="budget", columns="method", values="loss")
    full = wide.loc[float(len(TASKS)), "independent"]
    return {
        "optimal at 2.5 < independent at 5": bool(wide.loc[len(TASKS) * HALF, "optimal"] < full),
        "hoa at 3.5 < independent at 5": bool(wide.loc[len(TASKS) * HALF + 1.0, "hoa"] < full),
    }


def weighting_checks(baselines: pd.DataFrame) -> dict[str, bool]:
    """Sec. 4.1: MGDA (Sener & Koltun) and GradNorm do worse than the plain sum (Traditional MTL) at the same
    budget, and MGDA gives semantic segmentation less than an equal share of the weight."""
    wide = baselines.pivot_table(index="budget", columns="method", values="loss")
    checks = {}
    for method in ("mgda", "gradnorm"):
        for b, row in wide.iterrows():
            if pd.notna(row.get(method)) and pd.notna(row.get("traditional")):
                checks[f"{method} > traditional at {b:g}"] = bool(row[method] > row["traditional"])
    mgda = baselines[baselines["method"] == "mgda"]
    for _, row in mgda.iterrows():
        checks[f"mgda weight of segmentation < 1/T at {row['budget']:g}"] = bool(row["weight.segment_semantic"] < 1.0 / len(TASKS))
    return checks


def approximation_quality(runs: GroupingRuns) -> dict[str, float]:
    """ESA's Pearson r between early validation and final test losses (paper 0.49) and the HOA's mean max-ratio
    error on the networks of >= 3 tasks, from validation losses (paper 5.2%).

    The paper's r pools all (network, task) pairs, where the tasks' different loss scales alone make r large;
    ``esa_r_within`` is the mean over tasks of r across the networks that solve that task.
    """
    r, p = loss_correlation(runs.early, runs.test)
    within = [
        loss_correlation(*[[Network(n.name, n.cost, {t: n.losses[t]}) for n in nets if t in n.losses] for nets in (runs.early, runs.test)])[0]
        for t in TASKS
    ]
    small = [n for n in runs.val if len(n.tasks) <= 2]
    predicted = [n for n in higher_order_approximation(small, name=letter_name) if len(n.tasks) > 2]
    scalars = published.load("03_scalars").set_index("name")["value"]
    return {
        "esa_r": r, "esa_p": p, "esa_r_within": float(np.mean(within)), "esa_r_published": float(scalars["esa_pearson_r"]),
        "hoa_error": max_ratio_error(predicted, runs.val), "hoa_error_published": float(scalars["hoa_max_ratio_error"]),
    }


# ----------------------------------------------------------------------------------------------------------
# Task relationships (Tables 2-4, Figure 5)
# ----------------------------------------------------------------------------------------------------------


def task_affinities(runs: GroupingRuns) -> dict[str, Any]:
    """Tables 2-4 analogues and their correlation (Sec. 6).

    Table 2: relative test performance of each task in each pair against the half-size single-task network;
    Table 3: its mean with its transpose; Table 4 (transfer affinity, Taskonomy-style readout): a decoder for
    task b trained on the frozen encoder of the single-task network of a, its test loss L(a→b) against
    L(b→b), affinity = mean over both directions of L(b→b) / L(a→b) (1 = as useful as the task's own features).
    """
    test = [n for n in runs.test if n.cost == 1.0]
    reference = {t: next(n for n in runs.test if n.cost == HALF and n.tasks == (t,)).losses[t] for t in TASKS}
    first = first_order_relationships(test, reference)
    mtl = mtl_affinity(first)
    rows = []
    for a, b in itertools.combinations(TASKS, 2):
        forward = runs.readout[b][b] / runs.readout[a][b]
        backward = runs.readout[a][a] / runs.readout[b][a]
        rows.append({"task_a": a, "task_b": b, "affinity": (forward + backward) / 2})
    transfer = pd.DataFrame(rows)
    pairs = mtl.merge(transfer, on=["task_a", "task_b"], suffixes=("_mtl", "_transfer"))
    outlier = _outlier(pairs["affinity_mtl"].to_numpy())
    kept = pairs.drop(index=outlier)
    r_all = pearsonr(pairs["affinity_mtl"], pairs["affinity_transfer"])
    r_kept = pearsonr(kept["affinity_mtl"], kept["affinity_transfer"])
    letters = {t: LETTERS[t].upper() for t in TASKS}
    return {
        "table2": first.rename(index=letters, columns=letters),
        "table3": mtl.replace(letters),
        "table4": transfer.replace(letters),
        "readout": pd.DataFrame(runs.readout).T.rename(index=letters, columns=letters),
        "pairs": pairs.replace(letters),
        "outlier": "-".join(letters[t] for t in pairs.loc[outlier, ["task_a", "task_b"]]),
        "r_all": float(r_all.statistic), "p_all": float(r_all.pvalue), "r": float(r_kept.statistic), "p": float(r_kept.pvalue),
    }


# ----------------------------------------------------------------------------------------------------------
# Extras: ResNet-18 (Table 1), little data (Table 5), 4-task subsets (Figure 6)
# ----------------------------------------------------------------------------------------------------------


def resnet_retrain(profile: str, chosen: Selection, seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """Table 1 analogue: the best 3-SNT grouping retrained with ResNet-18 encoders of the same costs, against a
    triple-size all-in-one ResNet-18 and five 0.6-size single-task ResNet-18s (the same total cost). The grouping
    keeps its task assignment. ``settings.resnet_width`` is the width of a 1-SNT ResNet-18 (1.0 at ``paper``)."""
    s = settings(profile)
    device = resolve_device(device)
    over = dict(encoder="resnet18", base_width=s.resnet_width, epochs=s.resnet_epochs, predictions=0)
    jobs = [("all-in-one", TASKS, 3.0)] + [("individual", (t,), 0.6) for t in TASKS]
    jobs += [("grouping", n.tasks, n.cost) for n in chosen.networks]
    configs = [_config(s, group, cost, seed, device, **over) for _, group, cost in jobs]
    results = run_sweep(train_network, configs, "03_resnet18", progress=progress)
    allinone = sum(results[0]["test"].values())
    individual = sum(r["test"][t] for r, t in zip(results[1 : 1 + len(TASKS)], TASKS))
    nets = [Network(n.name, n.cost, r["test"]) for n, r in zip(chosen.networks, results[1 + len(TASKS) :])]
    grouping = chosen.rescore(nets).loss
    printed = published.load("03_table1_resnet18")["total_loss"].tolist()
    return pd.DataFrame([
        {"solution": "All-in-one (triple-size ResNet-18)", "total test loss": allinone, "published": printed[0]},
        {"solution": "Five individual (0.6-size ResNet-18s)", "total test loss": individual, "published": printed[1]},
        {"solution": f"{chosen.label(LETTERS)} (standard ResNet-18s)", "total test loss": grouping, "published": printed[2]},
    ])


def small_data(profile: str, runs: GroupingRuns, seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """Table 5 analogue: depth alone, normals alone and jointly, with a small share of the training data.

    The small-data networks train for as many steps as the full-data ones (epochs / fraction) and keep their
    best validation checkpoint; the full-data columns come from the 36 candidates.
    """
    s = settings(profile)
    device = resolve_device(device)
    d, n = "depth_zbuffer", "normal"
    epochs = int(round(s.epochs / s.small_data_fraction))
    groups = [(d,), (n,), (d, n)]
    configs = [_config(s, g, 1.0, seed, device, train_fraction=s.small_data_fraction, epochs=epochs, predictions=0) for g in groups]
    results = run_sweep(train_network, configs, "03_small_data", progress=progress)
    full = {net.name: net for net in runs.test}
    printed = published.load("03_table5_small_data")
    labels = ["Depth Alone", "Normals Alone", "Joint Depth + Normals"]
    rows = []
    for label, group, res, (_, pub) in zip(labels, groups, results, printed.iterrows()):
        net = full[letter_name(group)]
        rows.append({
            "setting": label,
            "depth (small data)": res["test"].get(d, np.nan), "normals (small data)": res["test"].get(n, np.nan),
            "depth (full data)": net.losses.get(d, np.nan), "normals (full data)": net.losses.get(n, np.nan),
            "depth (published, 100k)": pub["depth"], "normals (published, 100k)": pub["normals"],
        })
    table = pd.DataFrame(rows)
    table.attrs["n_train"] = int(round(s.n_train * s.small_data_fraction))
    return table


def subset_study(runs: GroupingRuns, seed: int = 0) -> pd.DataFrame:
    """Figure 6 analogue: the study re-run on every (T−1)-task subset from the same trained networks, averaged.

    For each subset only the networks whose tasks all lie in it are candidates (as in the paper's code); optimal,
    ESA, HOA, random and pessimal are computed per budget 1..T−1, plus Traditional (the subset's all-in-one
    network at 1 SNT) and Independent (its half-size and full-size single-task networks).
    """
    rows = []
    for left_out in TASKS:
        keep = [t for t in TASKS if t != left_out]

        def inside(nets: Sequence[Network]) -> list[Network]:
            return [n for n in nets if set(n.tasks) <= set(keep)]

        val, test, early = inside(runs.val), inside(runs.test), inside(runs.early)
        hoa = higher_order_approximation([n for n in val if len(n.tasks) <= 2], name=letter_name)
        budgets = [float(b) for b in np.arange(1.0, len(keep) + 0.25, 0.5)]
        for b in budgets:
            for method, table in (("optimal", val), ("esa", early), ("hoa", hoa)):
                chosen = select_networks(table, b).rescore(val, reassign=True).rescore(test)
                rows.append({"left_out": left_out, "method": method, "budget": b, "loss": chosen.loss})
            rows.append({"left_out": left_out, "method": "random", "budget": b,
                         "loss": float(random_groupings(test, b, trials=runs.settings.random_trials, seed=seed).mean())})
            rows.append({"left_out": left_out, "method": "pessimal", "budget": b, "loss": pessimal_selection(test, b).loss})
        lookup = {n.name: n for n in test}
        rows.append({"left_out": left_out, "method": "traditional", "budget": 1.0, "loss": sum(lookup[letter_name(keep)].losses.values())})
        for cost, budget in ((HALF, len(keep) * HALF), (1.0, float(len(keep)))):
            rows.append({"left_out": left_out, "method": "independent", "budget": budget,
                         "loss": sum(lookup[letter_name((t,), cost)].losses[t] for t in keep)})
    frame = pd.DataFrame(rows)
    return frame.groupby(["method", "budget"], as_index=False)["loss"].mean()


def subset_checks(averaged: pd.DataFrame) -> dict[str, bool]:
    """Figure 6: on the averaged 4-task subsets, optimal beats random at every budget > 1 and beats the
    Traditional and Independent baselines wherever they exist beyond 1.5 SNT."""
    wide = averaged.pivot_table(index="budget", columns="method", values="loss")
    checks = {f"optimal < random at {b:g}": bool(row["optimal"] < row["random"]) for b, row in wide[wide.index > 1].iterrows()}
    for base in ("traditional", "independent"):
        for b, row in wide[wide.index > 1.5].iterrows():
            if pd.notna(row.get(base)):
                checks[f"optimal < {base} at {b:g}"] = bool(row["optimal"] < row[base])
    return checks


def comparisons_evidence(checks: Mapping[str, bool]) -> str:
    """A claim's comparisons in one line: how many hold, which were made (``"<a> < <b> at <budget>"`` keys grouped
    by comparison) and which fail."""
    made: dict[str, list[str]] = {}
    for key in checks:
        comparison, _, budget = key.rpartition(" at ")
        made.setdefault(comparison, []).append(budget)
    compared = "; ".join(f"{comparison} at {', '.join(budgets)}" for comparison, budgets in made.items())
    failing = ", ".join(k for k, v in checks.items() if not v) or "none"
    return f"{sum(checks.values())}/{len(checks)} comparisons hold ({compared}); failing: {failing}"


def qualitative(runs: GroupingRuns, chosen: Mapping[str, Mapping[float, Selection]], budget: float = 2.5, image: int = 0) -> dict[str, Any]:
    """Figure 4 analogue: predictions on one test image for the baselines and our selections at ``budget``.

    Returns the input, the targets and, per solution, each task's prediction from the network it assigns the task
    to (Traditional/MGDA from their all-in-one networks when trained at that budget; Independent from the
    half-size networks at T/2 SNT).
    """
    s = runs.settings
    data = scene_splits(s.size, s.n_train, s.n_val, s.n_test, runs.seed, runs.device)["test"]
    solutions: dict[str, dict[str, np.ndarray]] = {}
    extra = runs.extra.get("baseline_predictions", {})
    for method in ("traditional", "mgda"):
        key = f"{method}@{budget:g}"
        if key in extra:
            solutions[METHODS[method]] = {t: np.asarray(extra[key][t][image]) for t in TASKS}
    if budget == len(TASKS) * HALF:
        solutions[METHODS["independent"]] = {t: np.asarray(runs.predictions[letter_name((t,), HALF)][t][image]) for t in TASKS}
    for method in ("esa", "hoa", "optimal"):
        sel = chosen[method][budget]
        solutions[f"{METHODS[method]}: {sel.label(LETTERS)}"] = {t: np.asarray(runs.predictions[sel.assignment[t]][t][image]) for t in TASKS}
    return {
        "input": data.inputs[image].numpy(),
        "targets": {t: data.targets[t][image].numpy() for t in TASKS},
        "solutions": solutions,
    }


def describe_profiles() -> pd.DataFrame:
    """What each profile covers, one row per profile."""
    rows = []
    for name, s in SETTINGS.items():
        rows.append({
            "profile": name, "image": f"{s.size}x{s.size}", "train/val/test": f"{s.n_train}/{s.n_val}/{s.n_test}",
            "epochs": s.epochs, "batch": s.batch_size, "ESA steps": _early_steps(s),
            "trained baselines": ", ".join(f"{m}@{b:g}" for m, b in s.baselines),
            "random trials": s.random_trials, "ResNet-18 width": s.resnet_width,
            "Table 5 share of data": s.small_data_fraction,
        })
    return pd.DataFrame(rows)

