"""The data and the network sizes every training shares: the train/validation/test scenes rendered once per
process (:func:`scene_splits`) and the encoder widths that give a cost in SNT (:func:`width_for_cost`,
:func:`encoder_costs`)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import torch
from torch.utils.flop_counter import FlopCounterMode

from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.scenes import render
from paper_mtl.models import make_encoder
from paper_mtl.profiles import check_choice

from paper_mtl.experiments.task_grouping.config import ENCODERS, HALF, TASKS, settings


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
