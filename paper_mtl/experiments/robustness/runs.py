"""What notebook 01 computes: Theorem 1's Monte Carlo, and the training runs (one cached sweep) measured clean and
under PGD for Figure 5, Lemma 1, the Table 1 pairs and Algorithm 1."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
import torch

from paper_mtl.adversarial import (
    MultiTaskAdversarialTraining,
    PGDConfig,
    algorithm1_combinations,
    input_gradient_norm,
    robustness,
)
from paper_mtl.claims import seed_list
from paper_mtl.experiments.robustness.data import (
    algorithm1_source,
    require_tasks,
    scene_data,
    scene_source,
    scene_tasks,
    source_letters,
)
from paper_mtl.experiments.robustness.config import (
    FIGURE5_TRACKED,
    RobustnessSettings,
    check_letters,
    profile_letters,
)
from paper_mtl.models import build_hard_sharing
from paper_mtl.profiles import resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.theory import equicorrelated, monte_carlo_vulnerability, sample_task_gradients, vulnerability_factor
from paper_mtl.training import fit, seed_everything
from paper_mtl.weighting import build, describe, get_strategy


# ----------------------------------------------------------------------------------------------------------
# Theory (Theorem 1, Corollary 1.1)
# ----------------------------------------------------------------------------------------------------------


def theory_curves(settings: RobustnessSettings, seed: int = 0) -> pd.DataFrame:
    """Theorem 1's factor against its Monte-Carlo estimate for M = 1..11 tasks and equicorrelated gradients.

    Columns: ``rho`` (correlation of the task gradients; 0 is Corollary 1.1), ``M``, ``closed_form``,
    ``mc_rms``/``mc_rms_se`` and ``mc_mean_norm``/``mc_mean_norm_se`` (see
    :func:`paper_mtl.theory.monte_carlo_vulnerability`), ``inverse_sqrt_m`` and ``z`` = (mc_rms - closed)/se.
    """
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for rho in settings.theory_correlations:
        for m in range(1, settings.theory_max_tasks + 1):
            cov = equicorrelated(m, rho)
            gradients = sample_task_gradients(cov, settings.theory_dim, settings.theory_samples, generator)
            est = monte_carlo_vulnerability(gradients)
            closed = vulnerability_factor(cov)
            rows.append({
                "rho": rho, "M": m, "closed_form": closed, "mc_rms": est.rms, "mc_rms_se": est.rms_se,
                "mc_mean_norm": est.mean_norm, "mc_mean_norm_se": est.mean_norm_se, "inverse_sqrt_m": 1 / math.sqrt(m),
                "z": (est.rms - closed) / est.rms_se if est.rms_se > 0 else 0.0,
            })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------------------
# One training run (cached by the sweep)
# ----------------------------------------------------------------------------------------------------------


def _config(
    settings: RobustnessSettings, letters: str, weights: dict[str, float], attacks: list[str], seed: int,
    device: torch.device, adversarial: list[list[str]] | None = None, source: str | None = None,
) -> dict[str, Any]:
    return {
        "data": {
            "size": settings.size, "n_train": settings.n_train, "n_test": settings.n_test, "seed": settings.render_seed,
            "source": source or scene_source(),
        },
        "model": {"encoder": settings.encoder, "width": settings.width, "decoder_width": settings.decoder_width},
        "train": {"epochs": settings.epochs, "batch_size": settings.batch_size, "lr": settings.lr,
                  "lr_decay_epoch": settings.lr_decay_epoch},
        "pgd": {"eps": settings.eps, "step_size": settings.step_size, "steps": settings.pgd_steps},
        "adversarial": (
            None if adversarial is None else {"combinations": adversarial, "steps": settings.train_pgd_steps}
        ),
        "tasks": letters, "weights": weights, "strategy": describe(get_strategy("weighted_sum", weights=weights)),
        "attacks": attacks, "seed": seed, "device": device.type,
    }


def train_and_measure(config: dict[str, Any]) -> dict[str, Any]:
    """Train one hard-sharing model on the tasks ``config["tasks"]`` (letters) and measure it.

    Returns, per attack in ``config["attacks"]`` (strings of letters), the :func:`robustness` table (tasks by
    letter) and ΔL of the joint loss; Lemma 1's E_x‖∂x L_all‖_1 over all the model's tasks; the training time.
    With ``config["adversarial"]`` the model is trained by Algorithm 1 with those task combinations.
    """
    device = resolve_device(config["device"])
    letters = config["tasks"]
    check_letters(letters)
    d = config["data"]
    require_tasks(letters, d["source"])
    train, test = scene_data(d["size"], d["n_train"], d["n_test"], d["seed"], d["source"], device.type)
    all_tasks = scene_tasks(d["source"], train.meta["segmentation_classes"])
    tasks = {c: all_tasks[c] for c in letters}
    train, test = train.select_tasks(list(letters)), test.select_tasks(list(letters))
    seed = config["seed"]
    seed_everything(seed)
    m = config["model"]
    model = build_hard_sharing(tasks, m["encoder"], m["width"], decoder_width=m["decoder_width"])
    pgd_config = PGDConfig(eps=config["pgd"]["eps"], step_size=config["pgd"]["step_size"], steps=config["pgd"]["steps"])
    plan = None
    if config["adversarial"] is not None:
        adv = config["adversarial"]
        train_pgd = PGDConfig(eps=pgd_config.eps, step_size=pgd_config.step_size, steps=adv["steps"])
        combinations = [list(c) for c in adv["combinations"]]
        plan = MultiTaskAdversarialTraining(tasks, combinations, train_pgd, config["weights"], seed)
    t = config["train"]
    start = time.perf_counter()
    fit(model, tasks, train, strategy=build(config["strategy"]), epochs=t["epochs"], batch_size=t["batch_size"],
        optimizer="adam", lr=t["lr"], lr_milestones=[t["lr_decay_epoch"]], batch_plan=plan, seed=seed, device=device,
        progress=False)
    train_seconds = time.perf_counter() - start
    attacks = []
    for attack in config["attacks"]:
        r = robustness(model, tasks, test, list(attack), pgd_config, seed=seed, device=device)
        attacks.append({"attack": attack, "table": r.table, "delta_loss_all": r.delta_loss_all})
    grad_norm = input_gradient_norm(model, tasks, test, q=1, device=device)
    return {"attacks": attacks, "grad_norm": grad_norm, "train_seconds": train_seconds}


def _require_profile_tasks(settings: RobustnessSettings) -> None:
    """Before any training: stop unless the data have every task the profile trains (see :func:`require_tasks`)."""
    require_tasks(profile_letters(settings), scene_source())


def _sweep(configs: list[dict[str, Any]], progress: bool) -> list[dict[str, Any]]:
    return run_sweep(train_and_measure, configs, "01_robustness", progress=progress)


def _score(result: dict[str, Any], attack: str, task: str, column: str) -> float:
    for entry in result["attacks"]:
        if entry["attack"] == attack:
            table = entry["table"].set_index("task")
            return float(table.loc[task, column])
    raise ValueError(f"attack {attack!r} was not measured; measured: {[e['attack'] for e in result['attacks']]}")


def _main_scores(result: dict[str, Any], main: str) -> dict[str, Any]:
    """The main task's direction, clean score and score under a single-task PGD attack on it, from one run."""
    return {"higher_is_better": bool(_score(result, main, main, "higher_is_better")),
            "clean": _score(result, main, main, "clean_score"), "pgd": _score(result, main, main, "attacked_score")}


def _single_task_config(
    settings: RobustnessSettings, letter: str, seed: int, device: torch.device, source: str | None = None
) -> dict[str, Any]:
    """The single-task model of ``letter``: shared by Table 1 (baseline), Figure 5 (first point of a chain) and
    Algorithm 1 (standard training) on the same data."""
    return _config(settings, letter, {letter: 1.0}, [letter], seed, device, source=source)


# ----------------------------------------------------------------------------------------------------------
# Figure 5 analogue and Lemma 1
# ----------------------------------------------------------------------------------------------------------


def _figure5_config(settings: RobustnessSettings, letters: str, seed: int, device: torch.device) -> dict[str, Any]:
    if len(letters) == 1:
        return _single_task_config(settings, letters, seed, device)
    attacks = [c for c in letters if c in FIGURE5_TRACKED] + [letters]
    return _config(settings, letters, {c: 1.0 for c in letters}, attacks, seed, device)


def robustness_vs_tasks(
    settings: RobustnessSettings, seed: int = 0, device: str | torch.device = "auto", progress: bool = True
) -> pd.DataFrame:
    """Main-paper Figure 5 analogue: each tracked task (s, d, e, k) in every model of ``settings.figure5_models``.

    Models have equal task weights. Columns: ``model`` (letters), ``n_tasks``, ``task`` (letter),
    ``higher_is_better``, ``clean``, ``single_attack`` (PGD on that task alone), ``multi_attack`` (PGD on the sum
    of all the model's task losses), and their ``delta_loss_single`` / ``delta_loss_multi`` (Definition 1).
    """
    device = resolve_device(device)
    _require_profile_tasks(settings)
    models = list(settings.figure5_models)
    for letters in models:
        check_letters(letters)
    results = _sweep([_figure5_config(settings, m, seed, device) for m in models], progress)
    rows = []
    for letters, result in zip(models, results):
        for task in letters:
            if task not in FIGURE5_TRACKED:
                continue
            rows.append({
                "model": letters, "n_tasks": len(letters), "task": task,
                "higher_is_better": bool(_score(result, task, task, "higher_is_better")),
                "clean": _score(result, task, task, "clean_score"),
                "single_attack": _score(result, task, task, "attacked_score"),
                "multi_attack": _score(result, letters, task, "attacked_score"),
                "delta_loss_single": _score(result, task, task, "delta_loss"),
                "delta_loss_multi": _score(result, letters, task, "delta_loss"),
            })
    return pd.DataFrame(rows)


def lemma1_gradient_norms(
    settings: RobustnessSettings, seed: int = 0, device: str | torch.device = "auto", progress: bool = True
) -> pd.DataFrame:
    """Lemma 1 in trained networks: E_x‖∂x L_all‖_1 and the multi-task attack's ΔL(L_all) for the models of the
    chain starting at ``s`` (s, sd, ..., up to six tasks), where L_all = 1/M Σ_c L_c over the model's M tasks.

    Columns: ``model``, ``M``, ``grad_norm``, ``delta_loss_all``, ``first_order`` (the lemma's prediction of ΔL,
    ε · ``grad_norm`` at the attacks' ε), and ``grad_norm`` and ``delta_loss_all`` divided by their M = 1 value
    (``grad_norm_ratio``, ``delta_loss_ratio``) beside Corollary 1.1's ``inverse_sqrt_m``.
    """
    device = resolve_device(device)
    _require_profile_tasks(settings)
    models = [m for m in settings.figure5_models if m.startswith("s")]
    results = _sweep([_figure5_config(settings, m, seed, device) for m in models], progress)
    rows = []
    for letters, result in zip(models, results):
        joint = next(e for e in result["attacks"] if e["attack"] == letters)
        rows.append({"model": letters, "M": len(letters), "grad_norm": result["grad_norm"],
                     "delta_loss_all": joint["delta_loss_all"]})
    df = pd.DataFrame(rows).sort_values("M").reset_index(drop=True)
    df["first_order"] = settings.eps * df.grad_norm
    df["grad_norm_ratio"] = df.grad_norm / df.grad_norm.iloc[0]
    df["delta_loss_ratio"] = df.delta_loss_all / df.delta_loss_all.iloc[0]
    df["inverse_sqrt_m"] = 1 / np.sqrt(df.M)
    return df


# ----------------------------------------------------------------------------------------------------------
# Table 1 and Table 2 analogues
# ----------------------------------------------------------------------------------------------------------


def pair_table(
    settings: RobustnessSettings, seed: int = 0, device: str | torch.device = "auto", progress: bool = True
) -> pd.DataFrame:
    """Every (main, aux, λ_a) of the Table 1 analogue, and the single-task baselines, clean and under PGD.

    The attack is single-task (the main task's loss only), as in the paper's Table 1. Each baseline trains over
    ``settings.seeds`` seeds (``seed``, ``seed + 1``, ...; one row each), every two-task model over ``seed`` only:
    every pair of a main task is compared with the same baseline, so one unlucky baseline seed would move all of them
    together. Columns: ``main``, ``aux`` (``"Baseline"`` for the single-task model), ``lambda_a``, ``seed``,
    ``higher_is_better``, ``clean``, ``pgd``.
    """
    device = resolve_device(device)
    _require_profile_tasks(settings)
    pairs = settings.table1_pairs()
    configs, keys = [], []
    for main in settings.table1_mains:
        for s in seed_list(seed, settings.seeds):
            configs.append(_single_task_config(settings, main, s, device))
            keys.append((main, "Baseline", 0.0, s))
    for main, aux in pairs:
        for lam in settings.lambdas:
            configs.append(_config(settings, main + aux, {main: 1.0, aux: lam}, [main], seed, device))
            keys.append((main, aux, lam, seed))
    results = _sweep(configs, progress)
    return pd.DataFrame([{"main": main, "aux": aux, "lambda_a": lam, "seed": s, **_main_scores(result, main)}
                         for (main, aux, lam, s), result in zip(keys, results)])


# ----------------------------------------------------------------------------------------------------------
# Algorithm 1
# ----------------------------------------------------------------------------------------------------------


def algorithm1_pairs(settings: RobustnessSettings, source: str) -> list[str]:
    """The profile's Algorithm 1 pairs (main, auxiliary letters) that ``source`` has both tasks of
    (:func:`source_letters`; on Cityscapes segmentation and depth only). Raises when none is left."""
    for pair in settings.algorithm1_pairs:
        check_letters(pair)
    available = set(source_letters(source))
    pairs = [p for p in settings.algorithm1_pairs if set(p) <= available]
    if not pairs:
        raise ValueError(f"none of the Algorithm 1 pairs {settings.algorithm1_pairs} is made of tasks {source} has")
    return pairs


def algorithm1_comparison(
    settings: RobustnessSettings, seed: int = 0, device: str | torch.device = "auto", progress: bool = True
) -> pd.DataFrame:
    """Single-task (S = {{T_m}}, Madry et al.) against multi-task (S = {{T_m}, {T_m, T_a}}, λ = 0.01) adversarial
    training, with standard single-task training for reference; main task clean and under single-task PGD.

    Every model trains over ``settings.seeds`` seeds (``seed``, ``seed + 1``, ...), so that the comparisons are
    paired by seed. Columns: ``main``, ``aux``, ``training`` (``standard``, ``adversarial single-task``,
    ``adversarial multi-task``), ``seed``, ``higher_is_better``, ``clean``, ``pgd``. On a prepared Cityscapes
    (:func:`algorithm1_source`) only the profile's pairs of segmentation and depth are trained.
    """
    device = resolve_device(device)
    source = algorithm1_source()
    if source == scene_source():
        _require_profile_tasks(settings)
    pairs = algorithm1_pairs(settings, source)
    configs, keys = [], []
    for pair in pairs:
        main, aux = pair[0], pair[1]
        weights = {main: 1.0, aux: settings.algorithm1_lambda}
        for s in seed_list(seed, settings.seeds):
            configs.append(_single_task_config(settings, main, s, device, source))
            keys.append((main, aux, "standard", s))
            configs.append(_config(settings, main, {main: 1.0}, [main], s, device,
                                   adversarial=algorithm1_combinations(main), source=source))
            keys.append((main, aux, "adversarial single-task", s))
            configs.append(_config(settings, main + aux, weights, [main], s, device,
                                   adversarial=algorithm1_combinations(main, [aux]), source=source))
            keys.append((main, aux, "adversarial multi-task", s))
    results = _sweep(configs, progress)
    return pd.DataFrame([{"main": main, "aux": aux, "training": training, "seed": s, **_main_scores(result, main)}
                         for (main, aux, training, s), result in zip(keys, results)])
