"""Time per training step of each loss-combination strategy, divided by the plain (linear) sum of losses.

Same model (hard sharing, small encoder), data and steps for every strategy; paper 02 reports class-wise 1.69x and
Pareto MTL 6.2x the linear sum (Table 2); issue 10's goal is class-wise within 1.15x.
"""

from __future__ import annotations

import torch

from benchmarks.timing import compare
from paper_mtl.data import MultiTaskData
from paper_mtl.models import build_hard_sharing
from paper_mtl.tasks import get_tasks
from paper_mtl.training import fit, seed_everything
from paper_mtl.weighting import get_strategy

TASKS = get_tasks(["depth_zbuffer", "segment_semantic"], {"segment_semantic": 8})
BASELINE = "weighted_sum"
STRATEGIES = {  # label: (registered name, parameters); every registered strategy but the baseline
    "class-wise (paper 02)": ("classwise", {"main": "depth_zbuffer", "aux": "segment_semantic"}),
    "Pareto MTL": ("pareto_mtl", {"preference": (0.71, 0.71), "phase1_epochs": 0}),
    "CosReg (paper 05)": ("cosreg", {"alpha": 10.0}),
    "cosine monitor over the sum (paper 05)": ("cosine_monitor", {"strategy": get_strategy(BASELINE)}),
    "GradNorm": ("gradnorm", {"alpha": 1.5}),
    "Kendall uncertainty": ("uncertainty", {}),
    "MGDA-UB": ("mgda", {}),
    "adversarial gradient discriminator (paper 04)": ("adversarial_gradients", {}),
    "DWA": ("dwa", {}),
    "PCGrad (torchjd)": ("pcgrad", {}),
    "CAGrad (torchjd)": ("cagrad", {}),
    "Nash-MTL (torchjd)": ("nash_mtl", {}),
    "IMTL-G (torchjd)": ("imtl_g", {}),
    "Aligned-MTL (torchjd)": ("aligned_mtl", {}),
    "UPGrad (torchjd)": ("upgrad", {}),
}
GOALS = {"class-wise (paper 02)": 1.15}


def run(device: torch.device) -> list[dict]:
    cuda = device.type == "cuda"
    n, size, batch = (1024, 64, 8) if cuda else (128, 32, 8)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 3, size, size, generator=g)
    data = MultiTaskData(x, {"depth_zbuffer": torch.rand(n, 1, size, size, generator=g) + 0.1,
                             "segment_semantic": torch.randint(0, 8, (n, size, size), generator=g)}).to(device)

    def train(name: str, params: dict) -> None:
        seed_everything(0)
        model = build_hard_sharing(TASKS)
        strategy = get_strategy(name, **{k: get_strategy(v.name, **v.get_params()) if k == "strategy" else v
                                         for k, v in params.items()})
        fit(model, TASKS, data, strategy=strategy, epochs=1, batch_size=batch, device=device, progress=False)

    rows = []
    for label, (name, params) in STRATEGIES.items():
        result = compare(lambda: train(BASELINE, {}), lambda: train(name, params), device, repeats=5)
        goal = GOALS.get(label)
        rows.append({"benchmark": f"step time: {label} / linear sum", "device": str(device), **result,
                     "goal": f"ratio <= {goal}" if goal else "report", "met": result["ratio"] <= goal if goal else None})
    return rows
