"""What notebook 05 computes from its runs' per-step cosines for Figure 4: σ over rolling windows per model
(:func:`rolling_sigma`) and per run over the first and last window (:func:`rolling_windows`)."""

from __future__ import annotations

import pandas as pd

from paper_mtl.gradients import rolling_std


def rolling_sigma(cosines: pd.DataFrame, window: int, seed: int | None = None) -> pd.DataFrame:
    """Figure 4: σ of the cosines over rolling windows of ``window`` iterations (the whole run if it is shorter),
    per model, for the run with ``seed`` (default: each model's first run). Columns model, step, rolling_sigma."""
    frames = []
    for model, group in cosines.groupby("model", sort=False):
        run = group[group["seed"] == (group["seed"].min() if seed is None else seed)]
        values = run["cos"].to_numpy()
        sigma = rolling_std(values, min(window, len(values)))
        frames.append(pd.DataFrame({"model": model, "step": run["step"].to_numpy(), "rolling_sigma": sigma}))
    return pd.concat(frames, ignore_index=True)


def rolling_windows(cosines: pd.DataFrame, window: int) -> pd.DataFrame:
    """Figure 4 per run: σ of the cosines over the first and the last full window of ``window`` iterations (the
    whole run if it is shorter). Columns model, seed, first, last."""
    rows = []
    for (model, seed), run in cosines.groupby(["model", "seed"], sort=False):
        sigma = pd.Series(rolling_std(run["cos"].to_numpy(), min(window, len(run)))).dropna()
        rows.append({"model": model, "seed": seed, "first": float(sigma.iloc[0]), "last": float(sigma.iloc[-1])})
    return pd.DataFrame(rows)
