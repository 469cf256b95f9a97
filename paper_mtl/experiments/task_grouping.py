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
``quick`` (16x16 images, 768 for training, five epochs: about 45 trainings, plus about 50 more for the extra seeds
of the decisive comparisons, on a 2-core CPU in a few minutes) and ``paper`` (64x64, every baseline budget of
Table 7 and a full-width ResNet-18 for Table 1, cut as :data:`PAPER_CUTS`; not run here).

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
from paper_mtl.claims import DECISIVE, SANITY, SUPPORTING, Check, Claim, format_mean_se, seed_list
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
    mtl_affinity,
    networks_from_table,
    pessimal_selection,
    random_groupings,
    select_networks,
)
from paper_mtl.models import HardSharingNet, build_hard_sharing, make_decoder, make_encoder
from paper_mtl.profiles import PAPER_LEASE, check_choice, check_profile, decisive_seeds, resolve_device
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
        size=64, n_train=3072, n_val=1024, n_test=1024, epochs=4, batch_size=128, lr=2e-3, decoder_width=16,
        baselines=(
            ("mgda", 1.0), ("mgda", 2.0), ("mgda", 2.5), ("mgda", 4.0), ("gradnorm", 1.0), ("gradnorm", 4.0),
            ("traditional", 2.0), ("traditional", 2.5), ("traditional", 4.0),
            ("independent", 1.0), ("independent", 1.5), ("independent", 2.0), ("independent", 4.0),
        ),
        random_trials=1000, readout_epochs=4, small_data_fraction=1 / 16, resnet_width=1.0, resnet_epochs=6,
    ),
}
"""Per-profile sizes; ``paper`` is cut as :data:`PAPER_CUTS`."""
PAPER_CUTS = (
    "3,072 training images for 4 epochs (96 steps a network; the paper trains on Taskonomy until early stopping) and "
    f"the ResNet-18s of Table 1 for 6, {PAPER_LEASE}: 8,192 images for 12 epochs would take about 8 times the kernel "
    "launches, and the epochs were cut from 6 and 12 to make room for the decisive comparisons' seeds; the decisive comparisons "
    "between trained models retrain 2 more seeds each (about 28 small-encoder networks for Sec. 4.1 and Sec. 5's "
    "headline, 8 for Table 5 and 18 ResNet-18s for Table 1: roughly +50 % of this notebook's trainings); the 36 "
    "candidates and the other baselines train one seed"
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


def published_scalars() -> pd.Series:
    """The single numbers paper 03 prints in its text (``03_scalars.csv``), keyed by name."""
    return published.load("03_scalars").set_index("name")["value"]


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
    scalars = published_scalars()
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


def published_optimal_claim(row: pd.DataFrame) -> Claim:
    """Audit of Table 7's optimal row (:func:`published_optimal_row`): selecting on Table 8 and scoring on Table 9
    gives the printed totals and Table 6's groupings at every integer budget."""
    rows = [r for _, r in row.iterrows()]
    checks = [Check.truth(f"{r['budget']:g} SNT: total test loss as printed", bool(r["match"]),
                          detail=f"{r['test loss (ours)']:.3f} vs {r['test loss (Table 7)']:.3f}") for r in rows]
    checks += [Check.truth(f"{r['budget']:g} SNT: grouping as Table 6", bool(r["same grouping"]),
                           detail=f"{r['grouping (ours)']} vs {r['grouping (Table 6)']}") for r in rows]
    return Claim(
        "Table 7 (audit): the optimal row follows from Tables 8 and 9",
        "The performance scores used for network selection were calculated on the validation set. [...] Each solution "
        "chosen was evaluated on the test set.",
        "Table 7, optimal at budgets 1-5: " + ", ".join(f"{v:.3f}" for v in row["test loss (Table 7)"]),
        "recomputed: " + ", ".join(f"{v:.3f}" for v in row["test loss (ours)"]) + f"; groupings as Table 6: {int(row['same grouping'].sum())}/{len(row)}",
        checks,
    )


def published_affinity_claim(aff: Mapping[str, Any]) -> Claim:
    """Audit of Tables 2-4 (:func:`published_affinities`): Table 3 is the mean of Table 2 and its transpose, and
    Figure 5's r and p follow from Tables 3 and 4 with one outlier removed."""
    worst = float(aff["table3"]["difference"].abs().max())
    checks = [
        Check.exact("Table 3 = mean of Table 2 and its transpose (largest difference, %, below rounding 0.005)", worst, 0.005 + 1e-9, above=False),
        Check.truth("Figure 5's r from Tables 3 and 4, one outlier removed", round(aff["r"], 2) == aff["r_printed"],
                    detail=f"{aff['r']:.3f} vs {aff['r_printed']:g}"),
        Check.truth("Figure 5's p from Tables 3 and 4, one outlier removed", round(aff["p"], 2) == aff["p_printed"],
                    detail=f"{aff['p']:.3f} vs {aff['p_printed']:g}"),
    ]
    return Claim(
        "Tables 2-4 (audit): Table 3 and Figure 5's correlation follow from Tables 2 and 4",
        "These values show the average change in the performance of two tasks when trained as a pair, relative to when "
        "they are trained separately.",
        f"Table 3 as printed; Figure 5: r = {aff['r_printed']:g}, p = {aff['p_printed']:g} (one outlier removed)",
        f"largest difference {worst:.4f} %; outlier {aff['outlier']}: r = {aff['r']:.3f}, p = {aff['p']:.3f}",
        checks,
    )


def half_size_claim(half: pd.DataFrame) -> Claim:
    """Audit (:func:`published_half_size_losses`): the half-size losses Tables 2 and 9 imply add up to Table 7's
    Independent entry at T/2 SNT."""
    total, printed = half.attrs["total"], half.attrs["printed_independent"]
    return Claim(
        "Tables 2, 7, 9 (audit): the implied half-size losses add up to Independent at 2.5 SNT",
        "Another five single-task networks were trained, each having a half-size encoder and a standard decoder.",
        f"Table 7, Independent at {len(TASKS) * HALF:g} SNT: {printed:.3f}",
        f"sum of the half-size test losses implied by Tables 2 and 9: {total:.4f}",
        [Check.truth("the sum rounds to Table 7's entry", round(total, 3) == printed, detail=f"{total:.4f} vs {printed:.3f}")],
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


def _config(s: Settings, tasks: Sequence[str], cost: float, seed: int, device: torch.device, data_seed: int | None = None,
            **overrides: Any) -> dict[str, Any]:
    """A training's configuration; ``data_seed`` (default ``seed``) renders the scenes, so extra seeds of a decisive
    comparison (:func:`seeded_solutions`) retrain on the same data with another initialisation and batch order."""
    config = {
        "tasks": [t for t in TASKS if t in tasks], "cost": float(cost), "encoder": "small", "base_width": 1.0,
        "decoder_width": s.decoder_width, "strategy": "sum",
        "data": {"size": s.size, "n_train": s.n_train, "n_val": s.n_val, "n_test": s.n_test,
                 "seed": seed if data_seed is None else data_seed},
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


# -- Extra seeds of the decisive comparisons between trained models ------------------------------------------------


def seeded_specs(runs: GroupingRuns, chosen: Mapping[str, Mapping[float, Selection]]) -> dict[str, list[tuple[tuple[str, ...], float, str]]]:
    """The solutions whose decisive comparisons are paired over seeds, as (tasks, cost, strategy) per network:
    Sec. 4.1's all-in-one networks at 1 SNT (sum, MGDA, GradNorm) and Sec. 5's headline (optimal at T/2 SNT and HOA
    at T/2 + 1 SNT against T full-size independent networks). Only those the profile trains."""
    s = runs.settings
    specs: dict[str, list[tuple[tuple[str, ...], float, str]]] = {"traditional@1": [(TASKS, 1.0, "sum")]}
    for method in ("mgda", "gradnorm"):
        if (method, 1.0) in s.baselines:
            specs[f"{method}@1"] = [(TASKS, 1.0, method)]
    specs[f"independent@{len(TASKS):g}"] = [((t,), 1.0, "sum") for t in TASKS]
    for method, budget in (("optimal", len(TASKS) * HALF), ("hoa", len(TASKS) * HALF + 1.0)):
        if budget in chosen.get(method, {}):
            specs[f"{method}@{budget:g}"] = [(n.tasks, n.cost, "sum") for n in chosen[method][budget].networks]
    return specs


def seeded_solutions(profile: str, runs: GroupingRuns, baselines: pd.DataFrame, chosen: Mapping[str, Mapping[float, Selection]],
                     seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """Total test loss of each solution of :func:`seeded_specs` at every seed of
    ``claims.seed_list(seed, decisive_seeds(profile))``: one row per (solution, seed), with per-task losses and
    MGDA's mean weights.

    Seed ``seed`` is the notebook's run (the candidates and the baselines); the others retrain the same networks on
    the same scenes with another initialisation and batch order. A multi-network solution keeps the networks chosen
    at ``seed`` (selection needs all 36 candidates) and, per seed, gives each task to its network best on that
    seed's validation loss, as :func:`selections` does.
    """
    s = settings(profile)
    device = resolve_device(device)
    specs = seeded_specs(runs, chosen)
    extra = seed_list(seed, decisive_seeds(profile))[1:]
    unique = list(dict.fromkeys((tasks, cost, strategy, k) for nets in specs.values() for tasks, cost, strategy in nets for k in extra))
    configs = [_config(s, tasks, cost, k, device, data_seed=seed, strategy=strategy, predictions=0) for tasks, cost, strategy, k in unique]
    results = dict(zip(unique, run_sweep(train_network, configs, "03_seeds", progress=progress)))
    base = baselines.set_index(["method", "budget"])
    rows = []
    for solution, nets in specs.items():
        method, budget = solution.split("@")[0], float(solution.split("@")[1])
        for k in [seed, *extra]:
            if k == seed and method in ("optimal", "hoa"):
                losses = dict(chosen[method][budget].task_losses)
            elif k == seed:
                losses = {t: float(base.loc[(method, budget), t]) for t in TASKS}
                if method == "mgda":
                    losses["weight.segment_semantic"] = float(base.loc[(method, budget), "weight.segment_semantic"])
            elif method in ("optimal", "hoa"):
                val = [Network(letter_name(tasks, cost), cost, results[(tasks, cost, st, k)]["val"]) for tasks, cost, st in nets]
                test = [Network(n.name, n.cost, results[(tasks, cost, st, k)]["test"]) for n, (tasks, cost, st) in zip(val, nets)]
                losses = dict(chosen[method][budget].rescore(val, reassign=True).rescore(test).task_losses)
            else:
                losses = {t: v for tasks, cost, st in nets for t, v in results[(tasks, cost, st, k)]["test"].items()}
                if method == "mgda":
                    losses["weight.segment_semantic"] = results[(TASKS, 1.0, "mgda", k)]["mean_weights"]["segment_semantic"]
            rows.append({"solution": solution, "method": method, "budget": budget, "seed": k, **losses,
                         "loss": float(sum(losses[t] for t in TASKS))})
    return pd.DataFrame(rows)


def seeded_summary(seeded: pd.DataFrame) -> pd.DataFrame:
    """One row per solution of :func:`seeded_solutions`: its total test loss as mean ± s.e. over seeds."""
    return pd.DataFrame([
        {"solution": solution, "seeds": len(g), "total test loss": format_mean_se(g.sort_values("seed")["loss"])}
        for solution, g in seeded.groupby("solution", sort=False)
    ])


def _per_seed(seeded: pd.DataFrame, solution: str, column: str = "loss") -> np.ndarray:
    return seeded[seeded["solution"] == solution].sort_values("seed")[column].to_numpy(dtype=float)


def _table7(method: str) -> pd.Series:
    return published.load("03_table7_total_loss").set_index("method").loc[METHODS[method]]


# -- Claims of Sec. 4.1 and Sec. 5 (Table 7, Figure 3) ---------------------------------------------------------------


def grouping_claim(long: pd.DataFrame) -> Claim:
    """Sec. 5: every method beats the traditional baselines at every budget, multiple networks beat the all-in-one
    network at every budget > 1.5. Decisive per budget (group): optimal, ESA and HOA beat the trained Traditional and
    Independent solutions of the same budget, paired by seed when ``long`` has a ``seed`` column (Table 7 here has
    one seed: within noise). Sanity: optimal against random groupings, and against the independent networks at T/2
    and T SNT, which are among its candidates (chosen on their validation losses, it nearly always wins)."""
    long = long if "seed" in long.columns else long.assign(seed=0)
    per_seed = long.pivot_table(index=["budget", "seed"], columns="method", values="loss")
    checks = []
    for b in sorted(b for b in per_seed.index.get_level_values("budget").unique() if b > 1.5):
        at = per_seed.loc[b].sort_index()
        for ours in ("optimal", "esa", "hoa"):
            for base in ("traditional", "independent"):
                if base in at and at[base].notna().all():
                    candidate = ours == "optimal" and base == "independent" and b in (len(TASKS) * HALF, float(len(TASKS)))
                    checks.append(Check.paired(f"{METHODS[ours]} beats {METHODS[base]} at {b:g} SNT", at[ours], at[base],
                                               better="lower", kind=SANITY if candidate else DECISIVE, group=f"{b:g} SNT"))
    wide = long.pivot_table(index="budget", columns="method", values="loss")
    for b, row in wide[wide.index > 1].iterrows():
        checks.append(Check.exact(f"optimal beats random groupings at {b:g} SNT (chosen on validation)", row["optimal"],
                                  row["random"], above=False, kind=SANITY))
    printed = published.load("03_table7_total_loss").set_index("method")
    b = f"{len(TASKS) * HALF:g}"
    pub = ", ".join(f"{METHODS[m]} {printed.loc[METHODS[m], b]:.3f}" for m in ("optimal", "esa", "hoa", "traditional", "independent"))
    at = len(TASKS) * HALF
    seeds = long["seed"].nunique()
    ours = ", ".join(f"{METHODS[m]} {format_mean_se(long[(long['method'] == m) & (long['budget'] == at)].sort_values('seed')['loss'])}"
                     for m in ("optimal", "esa", "hoa", "traditional", "independent") if ((long["method"] == m) & (long["budget"] == at)).any())
    return Claim(
        "Sec. 5: grouped networks beat the traditional baselines at every budget",
        "We can see that each of our methods outperforms our traditional baselines for every computational budget. "
        "[…] solutions that utilize multiple networks outperform this traditional strategy for every budget > 1.5",
        f"Table 7 at {b} SNT: {pub}",
        f"at {at:g} SNT ({seeds} seed{'s' if seeds > 1 else ''}): {ours}",
        checks,
    )


def headline_claim(seeded: pd.DataFrame) -> Claim:
    """Sec. 5: optimal at T/2 SNT and HOA at T/2 + 1 SNT beat T full-size independent networks (T SNT), paired by
    seed over :func:`seeded_solutions`."""
    full = f"independent@{len(TASKS):g}"
    checks = []
    for method, budget in (("optimal", len(TASKS) * HALF), ("hoa", len(TASKS) * HALF + 1.0)):
        solution = f"{method}@{budget:g}"
        if solution in set(seeded["solution"]):
            checks.append(Check.paired(f"{METHODS[method]} at {budget:g} SNT beats five independent networks ({len(TASKS)} SNT)",
                                       _per_seed(seeded, solution), _per_seed(seeded, full), better="lower",
                                       group=f"{method} at {budget:g}"))
    summary = seeded_summary(seeded).set_index("solution")["total test loss"]
    ours = "; ".join(f"{s}: {summary[s]}" for s in summary.index if s.split("@")[0] in ("optimal", "hoa", "independent"))
    pub = (f"{METHODS['optimal']} at {len(TASKS) * HALF:g}: {_table7('optimal')[f'{len(TASKS) * HALF:g}']:.3f}, "
           f"{METHODS['hoa']} at {len(TASKS) * HALF + 1:g}: {_table7('hoa')[f'{len(TASKS) * HALF + 1:g}']:.3f} vs "
           f"{METHODS['independent']} at {len(TASKS)}: {_table7('independent')[str(len(TASKS))]:.3f}")
    return Claim(
        "Sec. 5: optimal at 2.5 SNT and HOA at 3.5 SNT beat five independent networks",
        "our optimal technique using 2.5 SNT and our Higher Order Approximation using 3.5 SNT can both outperform "
        "five individual networks (which uses 5 SNT)",
        pub, ours, checks,
    )


def weighting_claim(seeded: pd.DataFrame, baselines: pd.DataFrame) -> Claim:
    """Sec. 4.1: MGDA (Sener & Koltun) under-weights segmentation and does worse on it and overall than the plain sum;
    GradNorm does slightly worse than the plain sum. Decisive at 1 SNT, paired by seed; other trained budgets
    (one seed) are supporting."""
    checks = []
    sum_ = "traditional@1"
    solutions = set(seeded["solution"])
    if "mgda@1" in solutions:
        checks += [
            Check.paired("MGDA: segmentation's mean weight below 1/T", np.full(len(_per_seed(seeded, "mgda@1")), 1.0 / len(TASKS)),
                         _per_seed(seeded, "mgda@1", "weight.segment_semantic"), group="Sener et al."),
            Check.paired("the sum beats MGDA on segmentation at 1 SNT", _per_seed(seeded, sum_, "segment_semantic"),
                         _per_seed(seeded, "mgda@1", "segment_semantic"), better="lower", group="Sener et al."),
            Check.paired("the sum beats MGDA on the total loss at 1 SNT", _per_seed(seeded, sum_), _per_seed(seeded, "mgda@1"),
                         better="lower", group="Sener et al."),
        ]
    if "gradnorm@1" in solutions:
        checks.append(Check.paired("the sum beats GradNorm on the total loss at 1 SNT", _per_seed(seeded, sum_),
                                   _per_seed(seeded, "gradnorm@1"), better="lower", group="GradNorm"))
    wide = baselines.pivot_table(index="budget", columns="method", values="loss")
    for method in ("mgda", "gradnorm"):
        for b, row in wide[wide.index > 1].iterrows():
            if pd.notna(row.get(method)) and pd.notna(row.get("traditional")):
                checks.append(Check.paired(f"the sum beats {METHODS[method]} at {b:g} SNT (one seed)", row["traditional"],
                                           row[method], better="lower", kind=SUPPORTING))
    summary = seeded_summary(seeded).set_index("solution")["total test loss"]
    ours = "at 1 SNT: " + ", ".join(f"{s.split('@')[0]} {summary[s]}" for s in ("traditional@1", "mgda@1", "gradnorm@1") if s in summary.index)
    if "mgda@1" in solutions:
        ours += f"; MGDA's mean segmentation weight {format_mean_se(_per_seed(seeded, 'mgda@1', 'weight.segment_semantic'), 3)}"
    pub = "Table 7 at 1 SNT: " + ", ".join(f"{METHODS[m]} {_table7(m)['1']:.3f}" for m in ("mgda", "gradnorm", "traditional"))
    return Claim(
        "Sec. 4.1: MGDA and GradNorm do worse than the plain sum of losses",
        "their algorithm under-weighted the Semantic Segmentation task too aggressively, leading to poor performance on "
        "the task and poor performance overall compared to a simple sum of task losses. […] The results here were also "
        "slightly worse than classical MTL with uniform task weights.",
        pub, ours, checks,
    )


# -- The approximations (Sec. 3.3) ------------------------------------------------------------------------------------


def esa_points(runs: GroupingRuns) -> pd.DataFrame:
    """ESA (Sec. 3.3.1): one row per (network, task) with its early validation loss and its final test loss."""
    test = {n.name: n for n in runs.test}
    return pd.DataFrame([
        {"network": n.name, "task": t, "early validation": v, "final test": test[n.name].losses[t]}
        for n in runs.early for t, v in n.losses.items()
    ])


def _standardised(points: pd.DataFrame, column: str) -> pd.Series:
    return points.groupby("task")[column].transform(lambda x: (x - x.mean()) / x.std(ddof=1))


def esa_claim(points: pd.DataFrame) -> Claim:
    """Sec. 3.3.1: early validation loss correlates with final test loss. Pooled over tasks, r mostly measures the
    tasks' loss scales (sanity); decisive: the correlation after standardising each task's losses (Fisher interval);
    supporting: each task's own correlation across networks."""
    checks = [Check.correlation("within tasks: early validation vs final test loss, standardised per task, pooled",
                                _standardised(points, "early validation"), _standardised(points, "final test"), sign=1)]
    for task, g in points.groupby("task", sort=False):
        checks.append(Check.correlation(f"{LETTERS[task].upper()}: early validation vs final test loss across networks",
                                        g["early validation"], g["final test"], sign=1, kind=SUPPORTING))
    pooled = pearsonr(points["early validation"], points["final test"]).statistic
    checks.append(Check.exact("pooled over tasks (measures the tasks' loss scales)", float(pooled), 0.0, kind=SANITY))
    within = pearsonr(_standardised(points, "early validation"), _standardised(points, "final test")).statistic
    scalars = published_scalars()
    return Claim(
        "Sec. 3.3.1: ESA, early validation loss predicts final test loss",
        "We found a moderately high correlation […] between the validation loss of our neural networks after a pass "
        "through just 20% of our data and the final test loss of the fully trained networks.",
        f"pooled Pearson's r = {scalars['esa_pearson_r']:g}",
        f"r = {within:.3f} within tasks (standardised per task), {pooled:.3f} pooled over tasks, {len(points)} (network, task) pairs",
        checks,
    )


def hoa_points(networks: Sequence[Network], name: Any = letter_name) -> pd.DataFrame:
    """HOA (Sec. 3.3.2) against a grouping-blind predictor, one row per (network of >= 3 tasks, task): the actual
    loss, the HOA's (mean of the task's losses in the pair networks inside the group) and the blind one (mean of the
    task's losses in all its pair networks, whatever the group), and each prediction's max-ratio error."""
    small = [n for n in networks if len(n.tasks) <= 2]
    predicted = [n for n in higher_order_approximation(small, name=name) if len(n.tasks) > 2]
    pairs = [n for n in networks if len(n.tasks) == 2 and n.cost == 1.0]
    blind = {t: float(np.mean([n.losses[t] for n in pairs if t in n.losses])) for t in {t for n in pairs for t in n.tasks}}
    actual = {n.name: n for n in networks}
    rows = []
    for p in predicted:
        if p.name not in actual:
            continue
        for t, hoa in p.losses.items():
            a = actual[p.name].losses[t]
            rows.append({"network": p.name, "task": t, "actual": a, "hoa": hoa, "blind": blind[t],
                         "hoa error": max(hoa / a, a / hoa) - 1.0, "blind error": max(blind[t] / a, a / blind[t]) - 1.0})
    return pd.DataFrame(rows)


def hoa_claim(points: pd.DataFrame, published_points: pd.DataFrame) -> Claim:
    """Sec. 3.3.2: the pair networks' mean predicts a larger group's losses. Decisive: the HOA's max-ratio error is
    below that of a predictor blind to the grouping (each task's mean over all its pairs), paired over the predicted
    (network, task) entries; supporting: the same on the paper's own Table 8."""
    checks = [
        Check.paired("HOA error below the grouping-blind predictor's (ours, paired over predicted entries)",
                     points["hoa error"], points["blind error"], better="lower"),
        Check.paired("HOA error below the grouping-blind predictor's (paper's Table 8)", published_points["hoa error"],
                     published_points["blind error"], better="lower", kind=SUPPORTING),
    ]
    scalars = published_scalars()
    return Claim(
        "Sec. 3.3.2: HOA, pair networks predict higher-order networks",
        "a simple average of the first-order networks’ accuracies was a good indicator of the accuracy of a higher-order "
        "network",
        f"mean max-ratio error {100 * scalars['hoa_max_ratio_error']:.1f} % (from Table 8: HOA "
        f"{100 * published_points['hoa error'].mean():.1f} %, grouping-blind predictor {100 * published_points['blind error'].mean():.1f} %)",
        f"mean max-ratio error: HOA {100 * points['hoa error'].mean():.1f} %, grouping-blind predictor "
        f"{100 * points['blind error'].mean():.1f} % ({len(points)} entries)",
        checks,
    )


def gap_claim(long: pd.DataFrame) -> Claim:
    """Sec. 3.3.1/5: selection on the approximations gives decent results. Decisive per approximation: its chosen
    networks' total test loss beats random groupings of the same candidates, paired over budgets > 1 SNT."""
    wide = long.pivot_table(index="budget", columns="method", values="loss")
    wide = wide[wide.index > 1]
    checks = [Check.paired(f"{METHODS[m]} beats random groupings (paired over budgets > 1)", wide[m], wide["random"],
                           better="lower", group=m.upper()) for m in ("esa", "hoa")]
    gaps = approximation_gaps(long).set_index("method")["mean gap to optimal"]
    pub = published_approximation_gaps().set_index("method")["mean gap to optimal"]
    return Claim(
        "Sec. 3.3: ESA and HOA selections give decent results",
        "We find that we can get decent results by running network selection on the lightly trained networks, and then "
        "simply training the chosen networks to convergence.",
        "Table 7, mean gap to optimal over budgets > 1: " + ", ".join(f"{m.upper() if m != 'random' else m} {pub[m]:.3f}" for m in pub.index),
        "mean gap to optimal over budgets > 1 (one seed): " + ", ".join(f"{m.upper() if m != 'random' else m} {gaps[m]:.4f}" for m in gaps.index),
        checks,
    )


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


def affinity_claim(aff: Mapping[str, Any]) -> Claim:
    """Sec. 6 / Figure 5: multi-task and transfer affinities correlate negatively (one outlier removed). Decisive:
    Pearson's r over the pairs without the outlier, with its Fisher interval."""
    kept = aff["pairs"].reset_index(drop=True)
    outlier = kept.index[(kept["task_a"] + "-" + kept["task_b"]) == aff["outlier"]]
    kept = kept.drop(index=outlier)
    scalars = published_scalars()
    return Claim(
        "Figure 5: multi-task affinity and transfer affinity are negatively correlated",
        "Figure 5 depicts the relationship between transfer learning affinities and multi-task affinities, which "
        "surprisingly seem to be negatively correlated in our high-data scenario.",
        f"r = {scalars['affinity_pearson_r']:g}, p = {scalars['affinity_pearson_p']:g} (one outlier removed)",
        f"outlier {aff['outlier']}: r = {aff['r']:.3f} (p = {aff['p']:.2f}); all pairs r = {aff['r_all']:.3f}",
        [Check.correlation(f"r(multi-task, transfer affinity) over {len(kept)} pairs, outlier removed", kept["affinity_mtl"],
                           kept["affinity_transfer"], sign=-1)],
    )


# ----------------------------------------------------------------------------------------------------------
# Extras: ResNet-18 (Table 1), little data (Table 5), 4-task subsets (Figure 6)
# ----------------------------------------------------------------------------------------------------------

TABLE1 = ("all-in-one", "individual", "grouping")


def resnet_retrain(profile: str, chosen: Selection, seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """Table 1 analogue: the best 3-SNT grouping retrained with ResNet-18 encoders of the same costs, against a
    triple-size all-in-one ResNet-18 and five 0.6-size single-task ResNet-18s (the same total cost), at every seed of
    the decisive comparison (same scenes, another initialisation). The grouping keeps its task assignment.
    ``settings.resnet_width`` is the width of a 1-SNT ResNet-18 (1.0 at ``paper``). One row per (solution, seed)."""
    s = settings(profile)
    device = resolve_device(device)
    over = dict(encoder="resnet18", base_width=s.resnet_width, epochs=s.resnet_epochs, predictions=0)
    jobs = [("all-in-one", TASKS, 3.0)] + [("individual", (t,), 0.6) for t in TASKS]
    jobs += [("grouping", n.tasks, n.cost) for n in chosen.networks]
    seeds = seed_list(seed, decisive_seeds(profile))
    configs = [_config(s, group, cost, k, device, data_seed=seed, **over) for k in seeds for _, group, cost in jobs]
    results = run_sweep(train_network, configs, "03_resnet18", progress=progress)
    rows = []
    for i, k in enumerate(seeds):
        res = results[i * len(jobs):(i + 1) * len(jobs)]
        nets = [Network(n.name, n.cost, r["test"]) for n, r in zip(chosen.networks, res[1 + len(TASKS):])]
        totals = {
            "all-in-one": sum(res[0]["test"].values()),
            "individual": sum(r["test"][t] for r, t in zip(res[1:1 + len(TASKS)], TASKS)),
            "grouping": chosen.rescore(nets).loss,
        }
        rows += [{"solution": name, "seed": k, "total test loss": float(totals[name])} for name in TABLE1]
    frame = pd.DataFrame(rows)
    frame.attrs["grouping"] = chosen.label(LETTERS)
    return frame


def table1(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as printed, ours as mean ± s.e. over seeds beside the published total."""
    printed = published.load("03_table1_resnet18")["total_loss"].tolist()
    names = ["All-in-one (triple-size ResNet-18)", "Five individual (0.6-size ResNet-18s)",
             f"{frame.attrs.get('grouping', 'best 3-SNT grouping')} (standard ResNet-18s)"]
    return pd.DataFrame([
        {"solution": label, "total test loss": format_mean_se(frame[frame["solution"] == key].sort_values("seed")["total test loss"]),
         "published": pub}
        for label, key, pub in zip(names, TABLE1, printed)
    ])


def resnet_claim(frame: pd.DataFrame) -> Claim:
    """Table 1: the grouping found with one architecture beats both baselines retrained with ResNet-18, paired by
    seed."""
    loss = {k: frame[frame["solution"] == k].sort_values("seed")["total test loss"].to_numpy() for k in TABLE1}
    printed = published.load("03_table1_resnet18")["total_loss"].tolist()
    return Claim(
        "Table 1: the best 3-SNT grouping transfers to ResNet-18",
        "The results in Table 1 suggest that good task groupings for one architecture are likely to be good in another, "
        "though to a lesser extent.",
        f"grouping {printed[2]:g} vs all-in-one {printed[0]:g} and five individual {printed[1]:g}",
        f"{frame.attrs.get('grouping', 'grouping')}: " + ", ".join(f"{k} {format_mean_se(v)}" for k, v in loss.items()),
        [Check.paired("grouping beats the triple-size all-in-one ResNet-18", loss["grouping"], loss["all-in-one"], better="lower"),
         Check.paired("grouping beats five 0.6-size individual ResNet-18s", loss["grouping"], loss["individual"], better="lower")],
    )


SMALL_DATA = (("Depth Alone", ("depth_zbuffer",)), ("Normals Alone", ("normal",)), ("Joint Depth + Normals", ("depth_zbuffer", "normal")))


def small_data(profile: str, runs: GroupingRuns, seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """Table 5 analogue: depth alone, normals alone and jointly, with a small share of the training data and with
    all of it, at every seed of the decisive comparison. One row per (data, setting, seed).

    The small-data networks train for as many steps as the full-data ones (epochs / fraction) and keep their best
    validation checkpoint; the full-data networks at ``seed`` are the candidates, other seeds are retrained (sharing
    the headline's retrained single-task networks through the cache).
    """
    s = settings(profile)
    device = resolve_device(device)
    epochs = int(round(s.epochs / s.small_data_fraction))
    seeds = seed_list(seed, decisive_seeds(profile))
    small = [_config(s, g, 1.0, k, device, data_seed=seed, train_fraction=s.small_data_fraction, epochs=epochs, predictions=0)
             for k in seeds for _, g in SMALL_DATA]
    full = [_config(s, g, 1.0, k, device, data_seed=seed, strategy="sum", predictions=0) for k in seeds[1:] for _, g in SMALL_DATA]
    small_res = run_sweep(train_network, small, "03_small_data", progress=progress)
    full_res = run_sweep(train_network, full, "03_seeds", progress=progress)
    candidates = {net.name: net.losses for net in runs.test}
    rows = []
    for i, k in enumerate(seeds):
        for j, (label, group) in enumerate(SMALL_DATA):
            full_losses = candidates[letter_name(group)] if k == seed else full_res[(i - 1) * len(SMALL_DATA) + j]["test"]
            for data, losses in (("small", small_res[i * len(SMALL_DATA) + j]["test"]), ("full", full_losses)):
                rows.append({"data": data, "setting": label, "seed": k, "depth": losses.get("depth_zbuffer", np.nan),
                             "normals": losses.get("normal", np.nan)})
    frame = pd.DataFrame(rows)
    frame.attrs["n_train"] = int(round(s.n_train * s.small_data_fraction))
    return frame


def table5(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 5 as printed with ours (mean ± s.e. over seeds) at the small and the full training set."""
    printed = published.load("03_table5_small_data").set_index("setting")
    rows = []
    for label, _ in SMALL_DATA:
        row: dict[str, Any] = {"setting": label}
        for data in ("small", "full"):
            g = frame[(frame["setting"] == label) & (frame["data"] == data)].sort_values("seed")
            for col in ("depth", "normals"):
                row[f"{col} ({data} data)"] = format_mean_se(g[col]) if g[col].notna().all() else ""
        for col in ("depth", "normals"):
            value = printed.loc[label, col]
            row[f"{col} (published, 100k)"] = "" if pd.isna(value) else f"{value:g}"
        rows.append(row)
    return pd.DataFrame(rows)


def _dn_affinity(frame: pd.DataFrame, data: str) -> np.ndarray:
    """Per seed, the depth-normals multi-task affinity (Table 3's form, %): the mean over both tasks of
    100 (1 - joint loss / alone loss)."""
    g = frame[frame["data"] == data]

    def col(label: str, task: str) -> np.ndarray:
        return g[g["setting"] == label].sort_values("seed")[task].to_numpy(dtype=float)

    joint = "Joint Depth + Normals"
    return 50.0 * ((1 - col(joint, "depth") / col("Depth Alone", "depth")) + (1 - col(joint, "normals") / col("Normals Alone", "normals")))


def small_data_claim(frame: pd.DataFrame) -> Claim:
    """Table 5 / A.3: task affinities change with the amount of training data. Decisive: the depth-normals affinity
    is higher with the small training set than with the full one (paired by seed); supporting: with little data the
    joint network beats each task alone (Table 5's numbers)."""
    small, full = _dn_affinity(frame, "small"), _dn_affinity(frame, "full")
    g = frame[frame["data"] == "small"]

    def col(label: str, task: str) -> np.ndarray:
        return g[g["setting"] == label].sort_values("seed")[task].to_numpy(dtype=float)

    printed = published.load("03_table5_small_data").set_index("setting")
    joint = "Joint Depth + Normals"
    return Claim(
        "Table 5: task affinities change with the amount of training data",
        "The fact that task affinities can change depending on the amount of available training data demonstrates the "
        "necessity of using an empirical approach like ours for finding task affinities and groupings.",
        f"with 100k instances: depth {printed.loc[joint, 'depth']:g} joint vs {printed.loc['Depth Alone', 'depth']:g} alone, "
        f"normals {printed.loc[joint, 'normals']:g} vs {printed.loc['Normals Alone', 'normals']:g} (with ~4M, Table 3: depth and normals do not cooperate)",
        f"depth-normals affinity (%): {format_mean_se(small, 3)} with {frame.attrs.get('n_train', '?')} images, "
        f"{format_mean_se(full, 3)} with all",
        [Check.paired("depth-normals affinity higher with little data than with all of it", small, full),
         Check.paired("little data: joint beats depth alone (depth loss)", col(joint, "depth"), col("Depth Alone", "depth"),
                      better="lower", kind=SUPPORTING),
         Check.paired("little data: joint beats normals alone (normals loss)", col(joint, "normals"), col("Normals Alone", "normals"),
                      better="lower", kind=SUPPORTING)],
    )


def subset_study(runs: GroupingRuns, seed: int = 0) -> pd.DataFrame:
    """Figure 6 analogue: the study re-run on every (T−1)-task subset from the same trained networks, averaged.

    For each subset only the networks whose tasks all lie in it are candidates (as in the paper's code); optimal,
    ESA, HOA, random and pessimal are computed per budget 1..T−1, plus Traditional (the subset's all-in-one
    network at 1 SNT) and Independent (its half-size and full-size single-task networks). The rows per subset
    (column ``left_out``) are in ``attrs["per_subset"]`` (:func:`subset_claim` pairs over them).
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
    averaged = frame.groupby(["method", "budget"], as_index=False)["loss"].mean()
    averaged.attrs["per_subset"] = frame
    return averaged


def subset_claim(per_subset: pd.DataFrame) -> Claim:
    """Figure 6 / A.2: the techniques generalise to the 4-task subsets. Decisive per technique (ESA, HOA): it beats
    the subset's independent networks at the budgets where they exist (half-size at (T-1)/2, full-size at T-1 SNT),
    paired over the subsets. Optimal against them is sanity (the independent networks are among its candidates and
    it selects on validation), as is optimal against random groupings."""
    wide = per_subset.pivot_table(index=["left_out", "budget"], columns="method", values="loss").reset_index()
    checks = []
    for b in sorted(per_subset.loc[per_subset["method"] == "independent", "budget"].unique()):
        at = wide[wide["budget"] == b].sort_values("left_out")
        for m in ("esa", "hoa", "optimal"):
            checks.append(Check.paired(f"{METHODS[m]} beats independent networks at {b:g} SNT (paired over subsets)", at[m],
                                       at["independent"], better="lower", kind=SANITY if m == "optimal" else DECISIVE,
                                       group=m.upper()))
    averaged = wide.groupby("budget")[["optimal", "random"]].mean()
    for b, row in averaged[averaged.index > 1].iterrows():
        checks.append(Check.exact(f"optimal beats random groupings at {b:g} SNT (averaged; chosen on validation)", row["optimal"],
                                  row["random"], above=False, kind=SANITY))
    return Claim(
        "Figure 6: the techniques generalise to all 4-task subsets",
        "We see that our techniques generalize at least to subsets of our studied tasks.",
        "Figure 6 (curves only, no numbers printed)",
        f"{per_subset['left_out'].nunique()} subsets; mean total test loss at the largest budget: "
        + ", ".join(f"{METHODS[m]} {v:.4f}" for m, v in per_subset[per_subset['budget'] == per_subset['budget'].max()].groupby('method')['loss'].mean().items()),
        checks,
    )


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

