"""Figures of notebook 01 (paper 01, multi-task learning and adversarial robustness), drawn from the DataFrames
of :mod:`paper_mtl.experiments.robustness`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure


def plot_theory(curves: pd.DataFrame) -> Figure:
    """Theorem 1: the closed-form factor (lines) against its Monte-Carlo estimate (points, ±2 standard errors)
    for M = 1..11 and several gradient correlations ρ; the right panel shows the standardised residuals."""
    fig = Figure(figsize=(9.5, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    palette = sns.color_palette(n_colors=curves.rho.nunique())
    for colour, (rho, group) in zip(palette, curves.groupby("rho")):
        label = "independent (Cor. 1.1)" if rho == 0 else f"ρ = {rho:g}"
        left.plot(group.M, group.closed_form, color=colour, label=label)
        left.errorbar(group.M, group.mc_rms, yerr=2 * group.mc_rms_se, fmt="o", ms=3, color=colour)
        right.plot(group.M, group.z, "o-", ms=3, color=colour)
    left.set_xlabel("number of tasks M")
    left.set_ylabel("E‖∂x L_all‖ relative to one task")
    left.set_title("Theorem 1: closed form (lines) vs Monte Carlo (points)", fontsize=9)
    left.legend(fontsize=8)
    right.axhspan(-2, 2, color="0.9")
    right.axhline(0, color="0.4", lw=0.8)
    right.set_xlabel("number of tasks M")
    right.set_ylabel("(Monte Carlo − closed form) / s.e.")
    return fig


def plot_lemma1(lemma: pd.DataFrame) -> Figure:
    """Lemma 1 in trained networks: E_x‖∂x L_all‖_1 and ΔL(L_all) under the multi-task attack, both relative to
    the single-task model, against the number of tasks, beside Corollary 1.1's 1/sqrt(M)."""
    fig = Figure(figsize=(5.5, 3.8), layout="constrained")
    ax = fig.subplots()
    ax.plot(lemma.M, lemma.grad_norm_ratio, "o-", label="E‖∂x L_all‖₁ (measured)")
    ax.plot(lemma.M, lemma.delta_loss_ratio, "s-", label="ΔL of L_all under PGD (measured)")
    ax.plot(lemma.M, lemma.inverse_sqrt_m, "k--", label="1/√M (independent tasks)")
    for m, model, y in zip(lemma.M, lemma.model, lemma.grad_norm_ratio):
        ax.annotate(model, (m, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    ax.set_xlabel("number of tasks M")
    ax.set_ylabel("relative to the single-task model")
    ax.legend(fontsize=8)
    return fig


def plot_tasks_added(fig5: pd.DataFrame, names: Mapping[str, str]) -> Figure:
    """Figure 5 analogue: each tracked task's clean and attacked score in every model that contains it, models
    ordered by their number of tasks (mIoU for s: higher is better; mean loss otherwise: lower is better);
    ``names`` maps a task's letter to the paper's name for it."""
    tasks = list(dict.fromkeys(fig5.task))
    fig = Figure(figsize=(3.2 * len(tasks), 3.4), layout="constrained")
    axes = fig.subplots(1, len(tasks), squeeze=False)[0]
    for ax, task in zip(axes, tasks):
        group = fig5[fig5.task == task].sort_values(["n_tasks", "model"])
        x = np.arange(len(group))
        for column, marker, label in (("clean", "o", "clean"), ("single_attack", "s", "single-task PGD"),
                                      ("multi_attack", "^", "multi-task PGD")):
            ax.plot(x, group[column], marker=marker, label=label)
        ax.set_xticks(x, group.model, rotation=45)
        higher = bool(group.higher_is_better.iloc[0])
        measure = "mIoU, higher is better" if higher else "loss, lower is better"
        ax.set_title(f"{names[task]} ({task}): {measure}", fontsize=8)
        ax.set_xlabel("model (tasks trained)")
    axes[0].legend(fontsize=7)
    return fig


def _relative(value: pd.Series, base: pd.Series, higher: pd.Series) -> pd.Series:
    """Relative improvement over the baseline in percent (positive = better, whatever the direction)."""
    sign = np.where(higher, 1.0, -1.0)
    return 100 * sign * (value - base) / base.abs()


def plot_table1(ours: pd.DataFrame, published: pd.DataFrame, names: Mapping[str, str]) -> Figure:
    """Table 1 as heatmaps of the relative improvement over the single-task baseline (%, positive = better), ours
    beside the published values for the same (main, aux) pairs, under PGD and clean; ``names`` labels the task
    letters."""
    fig = Figure(figsize=(10, 6), layout="constrained")
    axes = fig.subplots(2, 2)
    pairs = set(zip(ours.main, ours.aux))
    pub = published[[p in pairs for p in zip(published.main, published.aux)]]
    for row, setting in enumerate(("pgd", "clean")):
        mine = ours.assign(rel=_relative(ours[setting], ours[f"baseline_{setting}"], ours.higher_is_better))
        theirs = pub[pub.setting == setting]
        theirs = theirs.assign(rel=_relative(theirs.value, theirs.baseline, theirs.higher_is_better))
        for col, (df, who) in enumerate(((mine, "ours"), (theirs, "published"))):
            grid = df.pivot(index="main", columns="aux", values="rel")
            grid = grid.rename(index=names, columns=names)
            limit = max(float(np.nanmax(np.abs(grid.to_numpy()))), 1e-9)
            sns.heatmap(grid, ax=axes[row, col], cmap="RdBu", center=0, vmin=-limit, vmax=limit, annot=True, fmt=".0f",
                        annot_kws={"fontsize": 7}, cbar_kws={"label": "% better than baseline"})
            axes[row, col].set_title(f"{who}: {'PGD' if setting == 'pgd' else 'clean'}", fontsize=9)
            axes[row, col].set_xlabel("auxiliary task")
            axes[row, col].set_ylabel("main task")
    return fig


def plot_algorithm1(alg1: pd.DataFrame, names: Mapping[str, str]) -> Figure:
    """Algorithm 1: the main task's clean and PGD score after standard, single-task adversarial and multi-task
    adversarial training, one panel per (main, aux) pair; ``names`` labels the task letters."""
    groups = list(alg1.groupby(["main", "aux"], sort=False))
    fig = Figure(figsize=(3.6 * len(groups), 3.4), layout="constrained")
    axes = fig.subplots(1, len(groups), squeeze=False)[0]
    for ax, ((main, aux), group) in zip(axes, groups):
        long = group.melt(id_vars=["training"], value_vars=["clean", "pgd"], var_name="input", value_name="score")
        sns.barplot(data=long, x="input", y="score", hue="training", ax=ax)
        better = "higher" if group.higher_is_better.iloc[0] else "lower"
        ax.set_title(f"main {names[main]}, aux {names[aux]} ({better} is better)", fontsize=8)
        ax.legend(fontsize=6)
    return fig
