"""What notebook 02 computes from its runs, one section per figure or table: the losses of Figures 2–4
(:func:`comparison`), Table 1's depth by region (:func:`depth_by_region`), Figure 1's class-wise weights
(:func:`weight_history`, :func:`final_weights`) and the harmful-class toy (:func:`harmful_class_toy`), and Table 2's
time per batch (:func:`runtime`); beside them the tables the notebook shows and the published numbers they are set
against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from paper_mtl import published
from paper_mtl.claims import format_mean_se, seed_list
from paper_mtl.experiments.classwise.config import DATASETS, DEPTH, INTENT, LINEAR, METHODS, SEG, settings
from paper_mtl.experiments.classwise.data import class_names, dataset, tasks_of
from paper_mtl.experiments.classwise.runs import _runs, make_strategy, run_config
from paper_mtl.models.unet import build_unet
from paper_mtl.profiles import check_choice, decisive_seeds, resolve_device
from paper_mtl.tasks import get_tasks
from paper_mtl.training import fit, seed_everything
from paper_mtl.weighting import get_strategy
from paper_mtl.weighting.base import StepContext
from paper_mtl.weighting.classwise import UPDATES


def _by_seed(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` indexed by seed, in seed order (how paired checks line up their values)."""
    return frame.set_index("seed")[column].sort_index()


# ----------------------------------------------------------------------------------------------------------
# Figures 2-4: validation losses of every method on the three datasets
# ----------------------------------------------------------------------------------------------------------

OURS = {SEG: "Ours (main T_s)", DEPTH: "Ours (main T_d)"}
"""The class-wise run whose main task is T_s / T_d."""
LOSS = {SEG: "ts_loss", DEPTH: "td_loss"}
SHORT = {SEG: "T_s", DEPTH: "T_d"}


def published_losses() -> pd.DataFrame:
    """Figures 2–4 as published: dataset (our name), paper_dataset, method, ts_loss, td_loss (scale applied)."""
    table = published.load("02_figs2to4_losses")
    names = {spec.paper_name: name for name, spec in DATASETS.items()}
    return pd.DataFrame({
        "dataset": table["dataset"].map(names), "paper_dataset": table["dataset"], "method": table["method"],
        "ts_loss": table["ts_loss"] * table["scale"], "td_loss": table["td_loss"] * table["scale"],
    })


def strongest_competitors(per_seed: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per dataset and main task (T_s, T_d): the method of :data:`METHODS` other than ours for that task with the
    lowest validation loss of that task at the dataset's first seed — the rival the claim "ours has the lowest loss"
    has to beat. ``per_seed``: dataset, method, seed, ts_loss, td_loss (NaN where a method does not train a task)."""
    rivals: dict[str, dict[str, str]] = {}
    for d, group in per_seed[per_seed["method"].isin(METHODS)].groupby("dataset", sort=False):
        first = group[group["seed"] == group["seed"].min()].set_index("method")
        rivals[d] = {task: str(first.drop(index=OURS[task])[LOSS[task]].dropna().idxmin()) for task in (SEG, DEPTH)}
    return rivals


def published_rivals() -> dict[str, dict[str, str]]:
    """Per dataset and main task: the strongest method other than ours *in the paper's figures*
    (:func:`strongest_competitors` of :func:`published_losses`). Fixed before any run of ours, it is the rival the
    claim is tested against and the one trained over the decisive seeds, so no seed of ours both picks and tests it."""
    return strongest_competitors(published_losses().assign(seed=0))


def _final_loss(result: Mapping[str, Any], task: str) -> float:
    column = f"val_loss.{task}"
    history = result["history"]
    return float(history[column].iloc[-1]) if column in history else np.nan


def _loss_rows(runs: Mapping[tuple[str, str, int], Mapping[str, Any]]) -> pd.DataFrame:
    """One row per run: its best validation losses over epochs (``ts_loss``, ``td_loss``: what the figures report)
    and its final model's (``ts_final``, ``td_final``: what :func:`linear_sum_claim` compares)."""
    rows = [{"dataset": d, "method": m, "seed": s, "ts_loss": r["best"].get(SEG, np.nan),
             "td_loss": r["best"].get(DEPTH, np.nan), "ts_final": _final_loss(r, SEG), "td_final": _final_loss(r, DEPTH)}
            for (d, m, s), r in runs.items()]
    return pd.DataFrame(rows)


def comparison(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Figures 2–4: every method of :data:`METHODS` on every dataset of :data:`DATASETS` at ``seed`` (plus the linear
    sum on the street dataset); then, for the decisive comparisons, ours (main T_s / main T_d) and each one's
    strongest rival in the paper (:func:`published_rivals`) at :func:`~paper_mtl.profiles.decisive_seeds` seeds
    (:func:`~paper_mtl.claims.seed_list`), and the linear sum at as many on the street dataset.

    Returns ``per_seed`` (dataset, method, seed, ts_loss, td_loss), ``losses`` (per dataset and method: seeds, the
    mean losses over the seeds and the published pair), ``table`` (the same as mean ± s.e., what the notebook
    shows), ``competitors``, ``runs`` (raw results keyed by (dataset, method, seed)) and ``sources`` (each
    dataset's :func:`data_source`)."""
    seeds = seed_list(seed, decisive_seeds(profile))
    base = [(d, m, seed) for d in DATASETS for m in METHODS] + [("street", LINEAR, seed)]
    runs, sources = _runs(profile, device, progress, base)
    competitors = published_rivals()
    extra = [("street", LINEAR, s) for s in seeds[1:]]
    for d in DATASETS:
        methods = [m for m in METHODS if m in (*OURS.values(), *competitors[d].values())]
        extra += [(d, m, s) for s in seeds[1:] for m in methods]
    more, _ = _runs(profile, device, progress, extra)
    runs.update(more)
    per_seed = _loss_rows(runs).sort_values(["dataset", "method", "seed"], key=_order, kind="stable")
    losses = per_seed.groupby(["dataset", "method"], sort=False).agg(
        seeds=("seed", "size"), ts_loss=("ts_loss", "mean"), td_loss=("td_loss", "mean")).reset_index()
    paper = published_losses().rename(columns={"ts_loss": "paper_ts_loss", "td_loss": "paper_td_loss"})
    losses = losses.merge(paper.drop(columns="paper_dataset"), on=["dataset", "method"], how="left")
    losses["paper_dataset"] = losses["dataset"].map({k: v.paper_name for k, v in DATASETS.items()})
    return {"per_seed": per_seed.reset_index(drop=True), "losses": losses, "table": loss_table(per_seed, losses),
            "competitors": competitors, "runs": runs, "sources": sources}


def _order(column: pd.Series) -> pd.Series:
    """Sort key: datasets and methods in the order of :data:`DATASETS` and :data:`METHODS` (the linear sum last)."""
    if column.name == "dataset":
        return column.map(list(DATASETS).index)
    if column.name == "method":
        return column.map([*METHODS, LINEAR].index)
    return column


def loss_table(per_seed: pd.DataFrame, losses: pd.DataFrame) -> pd.DataFrame:
    """Figures 2–4 as the notebook shows them: per dataset and method, our T_s and T_d losses as mean ± s.e. over
    the seeds run (one value where one seed), beside the published pair."""
    def shown(values: pd.Series) -> str:
        values = values.dropna()
        return format_mean_se(values.to_numpy()) if len(values) else ""

    ours = per_seed.groupby(["dataset", "method"], sort=False).agg(ts_loss=("ts_loss", shown), td_loss=("td_loss", shown))
    table = losses[["dataset", "method", "seeds", "paper_dataset", "paper_ts_loss", "paper_td_loss"]]
    return table.merge(ours.reset_index(), on=["dataset", "method"])[
        ["dataset", "method", "seeds", "ts_loss", "td_loss", "paper_dataset", "paper_ts_loss", "paper_td_loss"]]


# ----------------------------------------------------------------------------------------------------------
# Table 1: depth by region, single task vs the plain two-task sum
# ----------------------------------------------------------------------------------------------------------

MODELS = {"single": "Single T_d", "multi": LINEAR}
"""Table 1's two models: single-task depth and the plain sum of the two losses."""
METRICS = {"delta1": ("Acc. IoU(%)", "higher"), "log_l1": ("Log L1", "lower")}
"""Table 1's depth metrics: our column, the paper's row name, and which direction is better."""


def depth_by_region(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True,
                    dataset_name: str = "street", focus: str = "car") -> dict[str, pd.DataFrame]:
    """Table 1: depth δ<1.25 (%) and log-L1 of single T_d and the linear sum at
    :func:`~paper_mtl.profiles.decisive_seeds` seeds each (paired by seed), on the whole image and inside / outside
    every class of the dataset (the paper's ``focus`` class "car"; on a prepared real dataset the classes are its
    manifest's, so ``focus`` must be one of them).

    Returns ``per_seed`` (seed, model — ``single`` / ``multi`` —, region — ``full`` / ``inside`` / ``outside`` —,
    class name, empty for the full image, pixels, delta1, log_l1), ``table`` (:func:`region_table`) and ``classes``
    (:func:`class_changes`)."""
    check_choice("dataset", dataset_name, DATASETS)
    names = class_names(dataset_name)
    check_choice("focus class", focus, names)
    seeds = seed_list(seed, decisive_seeds(profile))
    triples = [(dataset_name, method, s) for s in seeds for method in MODELS.values()]
    runs, _ = _runs(profile, device, progress, triples)
    frames = []
    for (_, method, s), result in runs.items():
        regions = result["regions"]
        label = {v: k for k, v in MODELS.items()}[method]
        frames.append(regions.assign(seed=s, model=label, **{"class": regions["class"].map(lambda c: "" if c < 0 else names[c])}))
    per_seed = pd.concat(frames, ignore_index=True)[["seed", "model", "region", "class", "pixels", "delta1", "log_l1"]]
    return {"per_seed": per_seed, "table": region_table(per_seed, focus), "classes": class_changes(per_seed)}


def _region(per_seed: pd.DataFrame, model: str, region: str, cls: str, metric: str) -> pd.Series:
    rows = per_seed[(per_seed["model"] == model) & (per_seed["region"] == region) & (per_seed["class"] == cls)]
    return _by_seed(rows, metric)


def _regions(focus: str) -> dict[str, tuple[str, str, str]]:
    """Table 1's three regions: our label -> (region, class, the paper's label)."""
    return {"Full image": ("full", "", "Full image"),
            f"Non-{focus} region": ("outside", focus, "Non-car region"),
            f"{focus.capitalize()} region": ("inside", focus, "Car region")}


def region_table(per_seed: pd.DataFrame, focus: str = "car") -> pd.DataFrame:
    """Table 1 as the notebook shows it: per metric and region, single-task and two-task depth as mean ± s.e. over
    seeds, beside the published pair."""
    paper = published.load("02_table1_depth_by_region")
    rows = []
    for metric, (paper_metric, _) in METRICS.items():
        for label, (region, cls, paper_region) in _regions(focus).items():
            p = paper[(paper["metric"] == paper_metric) & (paper["region"] == paper_region)].iloc[0]
            rows.append({"metric": metric, "region": label,
                         **{k: format_mean_se(_region(per_seed, k, region, cls, metric).to_numpy()) for k in MODELS},
                         "paper_single": float(p["single"]), "paper_multi": float(p["multi"])})
    return pd.DataFrame(rows)


def class_changes(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Depth inside every class, means over seeds: pixel share, δ<1.25 and log-L1 of both models, and the change of
    log-L1 in percent (negative = the two-task model is better there)."""
    inside = per_seed[per_seed["region"] == "inside"]
    full = per_seed[per_seed["region"] == "full"].set_index(["seed", "model"])["pixels"]
    inside = inside.assign(pixel_share=inside["pixels"].to_numpy() / full.loc[list(zip(inside["seed"], inside["model"]))].to_numpy())
    means = inside.groupby(["class", "model"], sort=False)[["pixel_share", "delta1", "log_l1"]].mean().unstack("model")
    names = list(dict.fromkeys(inside["class"]))
    classes = pd.DataFrame({
        "class": names, "pixel_share": means[("pixel_share", "single")].loc[names].to_numpy(),
        "delta1_single": means[("delta1", "single")].loc[names].to_numpy(),
        "delta1_multi": means[("delta1", "multi")].loc[names].to_numpy(),
        "log_l1_single": means[("log_l1", "single")].loc[names].to_numpy(),
        "log_l1_multi": means[("log_l1", "multi")].loc[names].to_numpy(),
    })
    classes["log_l1_change_pct"] = 100 * (classes["log_l1_multi"] / classes["log_l1_single"] - 1)
    return classes


# ----------------------------------------------------------------------------------------------------------
# Figure 1: the class-wise weights over training
# ----------------------------------------------------------------------------------------------------------

ZERO = 0.05
"""A class-wise weight below this has converged "to near zero" (Sec. 4)."""


def weight_history(runs: Mapping[tuple[str, str, int], Mapping[str, Any]]) -> pd.DataFrame:
    """The class-wise weights of every "Ours" run over training, long form: dataset, method, seed, step, epoch,
    class, weight."""
    frames = []
    for (d, m, s), r in runs.items():
        if not m.startswith("Ours"):
            continue
        steps = r["steps"]
        cols = [c for c in steps.columns if c.startswith("w.")]
        long = steps.melt(id_vars=["step", "epoch"], value_vars=cols, var_name="class", value_name="weight")
        long["class"] = long["class"].str[2:]
        frames.append(long.assign(dataset=d, method=m, seed=s))
    return pd.concat(frames, ignore_index=True)[["dataset", "method", "seed", "step", "epoch", "class", "weight"]]


def final_weights(history: pd.DataFrame, zero: float = ZERO) -> pd.DataFrame:
    """Each run's last weight per class, with ``min_over_training`` and ``to_zero`` (final weight below ``zero``)."""
    ordered = history.sort_values(["dataset", "method", "seed", "class", "step"], kind="stable")
    table = ordered.groupby(["dataset", "method", "seed", "class"], sort=False).agg(
        final_weight=("weight", "last"), min_over_training=("weight", "min")
    )
    table["to_zero"] = table["final_weight"] < zero
    order = history[["dataset", "method", "seed", "class"]].drop_duplicates()
    return order.merge(table.reset_index(), on=["dataset", "method", "seed", "class"], how="left").reset_index(drop=True)


def weights_table(final: pd.DataFrame) -> pd.DataFrame:
    """Figure 1 as the notebook shows it: per dataset, run and class, the final weight as mean ± s.e. over seeds,
    its smallest value during training and the seeds in which it ended near zero."""
    def shown(values: pd.Series) -> str:
        return format_mean_se(values.to_numpy(), 3)

    table = final.groupby(["dataset", "method", "class"], sort=False).agg(
        seeds=("seed", "size"), final_weight=("final_weight", shown), min_over_training=("min_over_training", "min"),
        seeds_near_zero=("to_zero", "sum"))
    return table.reset_index()


TOY_CLASSES = ("helpful", "harmful")
TOY_SEEDS, TOY_UNITS = 10, 120
"""Seeds and units of time of :func:`harmful_class_toy`: at step α = 0.05 a weight needs about 20 updates to go from 1 to 0;
the jitter of the toy makes some steps go the other way, and 120 units leave room for that."""


def harmful_class_toy(update: str, seed: int, units: int = TOY_UNITS, lr: float = 0.05, noise: float = 0.01) -> pd.DataFrame:
    """The weights of :class:`~paper_mtl.weighting.classwise.ClasswiseWeighting` (reading ``update``) on a toy with
    a class *known* to harm the main task (the condition of Sec. 4's sentence, which no scene run establishes).

    Two auxiliary classes of two pixels each (a regression auxiliary task binned at 0.5); no network: each unit of
    time sets the per-class L1 errors directly. Class ``helpful``: its main and auxiliary errors fall together (×0.97
    a unit); class ``harmful``: its auxiliary error falls (×0.97) while its main error rises (×1.01), what training
    on a harmful class does. Each factor is jittered by ``noise`` (relative, Gaussian, drawn from ``seed``).
    Returns unit, class, weight (the weight after each unit)."""
    main, aux = "depth_zbuffer", "reshading"
    tasks = get_tasks([main, aux])
    strategy = get_strategy("classwise", main=main, aux=aux, bin_edges=[0.5], lr=lr, update=update, class_names=TOY_CLASSES)
    strategy.setup(None, tasks)
    rng = torch.Generator().manual_seed(seed)
    targets = {main: torch.ones(1, 1, 1, 4), aux: torch.tensor([0.2, 0.2, 0.8, 0.8]).reshape(1, 1, 1, 4)}
    errors = {main: torch.tensor([0.5, 0.5]), aux: torch.tensor([0.4, 0.4])}
    factors = {main: torch.tensor([0.97, 1.01]), aux: torch.tensor([0.97, 0.97])}
    rows = []
    for unit in range(units):
        outputs = {t: (targets[t] + errors[t].repeat_interleave(2).reshape(1, 1, 1, 4)).requires_grad_() for t in tasks}
        losses = {t: tasks[t].compute_loss(outputs[t], targets[t]) for t in tasks}
        logs = strategy.backward(losses, StepContext(None, None, targets, outputs, None, [], tasks, unit, 0, 0.0))
        rows += [{"unit": unit, "class": c, "weight": logs[f"w.{c}"]} for c in TOY_CLASSES]
        errors = {t: errors[t] * factors[t] * (1 + noise * torch.randn(2, generator=rng)) for t in tasks}
    return pd.DataFrame(rows)


def toy_final_weights(seed: int = 0, units: int = TOY_UNITS) -> pd.DataFrame:
    """:func:`harmful_class_toy`'s final weights under both readings of Eq. 10 (:data:`UPDATES`) at
    :data:`TOY_SEEDS` seeds from ``seed``: update, seed, class, final_weight (a toy of seconds)."""
    rows = []
    for update in UPDATES:
        for s in seed_list(seed, TOY_SEEDS):
            last = harmful_class_toy(update, s, units).groupby("class", sort=False)["weight"].last()
            rows += [{"update": update, "seed": s, "class": c, "final_weight": float(w)} for c, w in last.items()]
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------------------
# The second reading of Eq. 10 and the trade-off sentences: runs beyond Figures 2-4's
# ----------------------------------------------------------------------------------------------------------

def intent_comparison(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Figures 2–4 and Figure 1 for the sign-corrected reading of Eq. 10: ours with ``update="intent"``
    (:data:`INTENT`, main T_s and main T_d) on the profile's ``intent_datasets`` at
    :func:`~paper_mtl.profiles.decisive_seeds` seeds, beside the runs it is compared with there: the paper's
    strongest rival per main task (cached from :func:`comparison`) and the linear sum (cached on the street dataset,
    trained here on the others).

    Returns ``per_seed`` (dataset, method, seed, ts_loss, td_loss; the intent runs under their :data:`INTENT` names),
    ``table`` (mean ± s.e. over seeds), ``runs`` and ``weights`` (:func:`weight_history` of the intent runs, their
    methods named as the literal runs they mirror, so the same plot draws them)."""
    seeds = seed_list(seed, decisive_seeds(profile))
    rivals = published_rivals()
    triples = [(d, m, s) for d in settings(profile).intent_datasets for s in seeds
               for m in dict.fromkeys([*INTENT.values(), *rivals[d].values(), LINEAR])]
    runs, _ = _runs(profile, device, progress, triples)
    per_seed = _loss_rows(runs)
    table = per_seed.groupby(["dataset", "method"], sort=False).agg(
        seeds=("seed", "size"), ts_loss=("ts_loss", _shown), td_loss=("td_loss", _shown)).reset_index()
    mine = {k: r for k, r in runs.items() if k[1] in INTENT.values()}
    back = {v: k for k, v in INTENT.items()}
    weights = weight_history({(d, back[m], s): r for (d, m, s), r in mine.items()})
    return {"per_seed": per_seed, "table": table, "runs": mine, "weights": weights}


def _shown(values: pd.Series) -> str:
    values = values.dropna()
    return format_mean_se(values.to_numpy()) if len(values) else ""


def published_best_pareto(dataset_name: str, task: str) -> str:
    """The Pareto MTL run with the lowest ``task`` loss on ``dataset_name`` in the paper's figure: the Pareto point
    the trade-off sentences are tested with (fixed by the paper, before any run of ours)."""
    check_choice("dataset", dataset_name, DATASETS)
    paper = published_losses()
    rows = paper[(paper["dataset"] == dataset_name) & paper["method"].str.startswith("Pareto")]
    return str(rows.set_index("method")[LOSS[task]].idxmin())


TRADEOFF_RUNS = {"street": ("Single T_s", "Single T_d", *OURS.values()),
                 "street_cs": ("Single T_s", "Single T_d", *OURS.values())}
"""The runs the sentence "our model usually costs the auxiliary tasks" is tested with, over the decisive seeds: the
datasets whose figures show it (the paper names NYUv2 the exception)."""


def tradeoffs(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """The runs of the trade-off sentences (Sec. 5.1, the captions of Figures 2 and 4) at
    :func:`~paper_mtl.profiles.decisive_seeds` seeds: single-task training and ours on the datasets of
    :data:`TRADEOFF_RUNS`; on the street dataset the paper's best Pareto point for T_d (Figure 2: Pareto "fails to
    enhance the depth regression task"), on the street_cs dataset its best for T_s (Figure 4: Pareto "tends to
    enhance semantic segmentation, but not the depth regression"), each with single-task training of both tasks.
    Runs :func:`comparison` already trained come from the cache (at quick: the single-task T_s runs and the street
    Pareto point train here, 6 runs).

    Returns ``per_seed`` (dataset, method, seed, ts_loss, td_loss), ``table`` (mean ± s.e.) and ``pareto`` (the
    Pareto point per dataset)."""
    seeds = seed_list(seed, decisive_seeds(profile))
    pareto = {"street": published_best_pareto("street", DEPTH), "street_cs": published_best_pareto("street_cs", SEG)}
    methods = {d: dict.fromkeys([*TRADEOFF_RUNS[d], pareto[d]]) for d in TRADEOFF_RUNS}
    triples = [(d, m, s) for d in TRADEOFF_RUNS for s in seeds for m in methods[d]]
    runs, _ = _runs(profile, device, progress, triples)
    per_seed = _loss_rows(runs).sort_values(["dataset", "method", "seed"], key=_order, kind="stable").reset_index(drop=True)
    table = per_seed.groupby(["dataset", "method"], sort=False).agg(
        seeds=("seed", "size"), ts_loss=("ts_loss", _shown), td_loss=("td_loss", _shown)).reset_index()
    return {"per_seed": per_seed, "table": table, "pareto": pareto}


# ----------------------------------------------------------------------------------------------------------
# Table 2: time per batch of 8
# ----------------------------------------------------------------------------------------------------------

TIMED = {"Linear Sum": LINEAR, "Pareto MTL": "Pareto (0.71,0.71)", "Ours": "Ours (main T_d)"}
"""Table 2's rows (the paper's names) and the method each times."""


def runtime(profile: str, device: str | torch.device = "auto", seed: int = 0, dataset_name: str = "street") -> dict[str, pd.DataFrame]:
    """Table 2: seconds per training step on a batch of 8 for the linear sum, Pareto MTL (0.71, 0.71) and ours
    (main T_d, weights updated every step), same model, data and device, measured in this run with the one
    training loop: ``timing_rounds`` rounds of ``timing_steps`` steps, the three methods interleaved within each
    round, after a warm-up round. Returns ``rounds`` (round, method, seconds_per_batch, ratio_to_linear_sum: each
    ratio against the linear sum of the same round) and ``table`` (:func:`runtime_table`)."""
    s, dev = settings(profile), resolve_device(device)
    train, _ = dataset(dataset_name, profile, seed, dev)
    data = train.subset(slice(0, s.batch_size * s.timing_steps))
    config = {**run_config(s, dataset_name, LINEAR, seed, dev), "warmup": 0, "interval": 1}
    tasks = tasks_of(dataset_name)
    rows = []
    for round_ in range(s.timing_rounds + 1):
        for label, method in TIMED.items():
            _, strategy = make_strategy(method, {**config, "dataset": dataset_name, "phase1_epochs": 0}, train)
            seed_everything(seed)
            model = build_unet(tasks, width=s.width, depth=s.levels)
            result = fit(model, tasks, data, strategy=strategy, epochs=1, batch_size=s.batch_size, optimizer="sgd",
                         lr=s.lr, momentum=0.9, seed=seed, device=dev, progress=False)
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            if round_ > 0:
                rows.append({"round": round_, "method": label, "batch_size": s.batch_size,
                             "seconds_per_batch": result.wall_time / s.timing_steps})
    rounds = pd.DataFrame(rows)
    linear = rounds[rounds["method"] == "Linear Sum"].set_index("round")["seconds_per_batch"]
    rounds["ratio_to_linear_sum"] = rounds["seconds_per_batch"].to_numpy() / linear.loc[rounds["round"]].to_numpy()
    return {"rounds": rounds, "table": runtime_table(rounds)}


def _paper_times() -> pd.Series:
    return published.load("02_table2_runtime").set_index("method")["seconds_per_batch"]


def runtime_table(rounds: pd.DataFrame) -> pd.DataFrame:
    """Table 2 as the notebook shows it: seconds per batch and the ratio to the linear sum of the same round, mean ±
    s.e. over the rounds, beside the published seconds and ratio."""
    paper = _paper_times()
    rows = []
    for label in TIMED:
        mine = rounds[rounds["method"] == label]
        rows.append({"method": label, "rounds": len(mine),
                     "seconds_per_batch": format_mean_se(mine["seconds_per_batch"].to_numpy(), 3),
                     "time_ratio_to_linear_sum": format_mean_se(mine["ratio_to_linear_sum"].to_numpy(), 3),
                     "paper_seconds_per_batch": float(paper[label]),
                     "paper_time_ratio": float(paper[label] / paper["Linear Sum"])})
    return pd.DataFrame(rows)
