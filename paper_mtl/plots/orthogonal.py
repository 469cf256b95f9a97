"""Figures of notebook 05 (paper 05, orthogonal gradients), drawn from the DataFrames of
:mod:`paper_mtl.experiments.orthogonal`. Figure 1 (MultiDigit samples) is :func:`paper_mtl.plots.digits.plot_samples`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure


def plot_cosine_distributions(cosines: pd.DataFrame, models: Sequence[str], seed: int | None = None) -> Figure:
    """Figure 2: the distribution Φ of cos(t_left, t_right) over one training run of each model (histograms on a
    shared [-1, 1] axis), with its σ in each title. ``seed`` picks the run (default: each model's first)."""
    fig = Figure(figsize=(2.6 * len(models), 2.6), layout="constrained")
    axes = fig.subplots(1, len(models), sharex=True, sharey=True, squeeze=False)[0]
    bins = np.linspace(-1, 1, 41)
    for ax, model in zip(axes, models):
        group = cosines[cosines["model"] == model]
        run = group[group["seed"] == (group["seed"].min() if seed is None else seed)]["cos"].to_numpy()
        ax.hist(run, bins=bins, density=True, color=sns.color_palette()[0])
        ax.set_title(f"{model}\nσ = {run.std():.3f}", fontsize=9)
        ax.set_xlabel("cos(t_left, t_right)")
    axes[0].set_ylabel("density")
    return fig


def plot_sigma_vs_accuracy(runs: pd.DataFrame, stats: Mapping[str, float]) -> Figure:
    """Figure 3: final validation harmonic-mean accuracy against the first epoch's σ of the cosines, one point per
    run of the grid, coloured by model and sized by the number of filters; correlations in the title."""
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    sns.scatterplot(data=runs, x="sigma_first_epoch", y="val_hm", hue="model", size="filters", style="batch_size", ax=ax)
    ax.set_xlabel("σ of cos(t_left, t_right) in the first epoch")
    ax.set_ylabel("validation accuracy (harmonic mean, %)")
    ax.set_title(
        f"Spearman ρ = {stats['spearman_rho']:.2f} (p = {stats['spearman_p']:.2g}), "
        f"Pearson r = {stats['pearson_r']:.2f}, n = {stats['n']}",
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_rolling_sigma(rolling: pd.DataFrame, window: int) -> Figure:
    """Figure 4: σ of the cosines over rolling windows of ``window`` iterations during training, per model."""
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.subplots()
    sns.lineplot(data=rolling.dropna(), x="step", y="rolling_sigma", hue="model", ax=ax)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"σ of cos over {window} iterations")
    ax.set_ylim(bottom=0)
    return fig
