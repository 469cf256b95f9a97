"""Model FLOP utilisation (MFU) of the training steps the notebooks take at the ``paper`` profile.

Goal (issue 10): model FLOP utilisation of the paper-profile training steps. Three representative networks, built
and trained as the paper-profile notebooks build and train them (same builder, sizes, tasks, optimiser, strategy
and batch plan, through :func:`paper_mtl.training.fit`, so bf16 autocast and channels-last on CUDA), on random
inputs and targets of the right shapes:

- notebook 03 (and 01's model family): hard-sharing ResNet-18 at width 1 (one SNT), five tasks, 64 x 64, Adam;
- notebook 04: SE-ResNet-50 with a DeepLab-v3+ decoder, task-specific SE and the adversarial gradient
  discriminator (the SEA row on NYUD), one forward/backward/optimiser step per task (``SingleTaskSteps``), SGD;
- notebook 05: the MultiDigit network with CosReg (alpha = 10), 64 x 64, Adam.

A step is one mini-batch of :func:`fit` (for the single-tasking net that is one optimiser step per task). Its
FLOPs are counted once with ``torch.utils.flop_counter.FlopCounterMode`` around ``fit(..., max_steps=1)``:
2 FLOPs per multiply-add of every matmul and convolution, forward and backward (including CosReg's and the
discriminator's extra gradient computations); elementwise ops, normalisation and the optimiser are not counted,
the usual convention for MFU. Then ``fit(..., max_steps=STEPS)`` is timed (median of repeats, after the counting
run as warm-up) and achieved FLOP/s = FLOPs per step x steps / seconds.

On CUDA the batch is the paper profile's and MFU = achieved / peak, the peak looked up from the device name in
:data:`PEAKS`: dense (no sparsity) tensor-core bf16 when the step runs under bf16 autocast (as ``fit`` does on
CUDA), else fp32 (non-tensor). The numbers are NVIDIA's datasheets, halving the "with sparsity" figures:
H100/H200 SXM 989 TFLOP/s bf16 and 67 TFLOP/s fp32 (H100 and H200 Tensor Core GPU datasheets), H100/H200 NVL 835
and 60, H100 PCIe 756 and 51, A100 312 and 19.5 (A100 datasheet). An unknown GPU gets no MFU. On the CPU the batch
is small so the module runs in well under a minute, the achieved rate is reported in GFLOP/s and MFU is left empty
(no reliable peak for a shared, frequency-scaling CPU).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.timing import seconds
from paper_mtl.data import MultiTaskData
from paper_mtl.experiments import orthogonal, single_tasking, task_grouping
from paper_mtl.models import build_hard_sharing
from paper_mtl.models.multidigit import multidigit_net
from paper_mtl.tasks import Task
from paper_mtl.training import as_tasks, fit, seed_everything
from paper_mtl.weighting import get_strategy
from paper_mtl.weighting.discriminator import SingleTaskSteps

PEAKS: tuple[tuple[str, float, float], ...] = (
    ("H100 NVL", 835e12, 60e12),
    ("H200 NVL", 835e12, 60e12),
    ("H100 PCIe", 756e12, 51e12),
    ("H100", 989e12, 67e12),
    ("H200", 989e12, 67e12),
    ("A100", 312e12, 19.5e12),
)
"""(substring of ``torch.cuda.get_device_name``, dense bf16 peak, fp32 peak) in FLOP/s; the first match wins."""
CPU_BATCH, CPU_STEPS, CPU_REPEATS = 4, 2, 1
CUDA_STEPS, CUDA_REPEATS = 20, 3


@dataclass
class Workload:
    """One paper-profile training setup: the network, its tasks, input shape, batch and ``fit`` arguments."""

    name: str
    build: Callable[[], nn.Module]
    tasks: dict[str, Task]
    channels: int
    size: int
    batch: int
    fit_kwargs: Callable[[], dict[str, Any]] = field(default=dict)


def hard_sharing_resnet() -> Workload:
    """Notebook 03 at ``paper``: one 1-SNT ResNet-18 (width ``resnet_width``) for all five tasks, summed losses."""
    s = task_grouping.SETTINGS["paper"]
    tasks = task_grouping.task_objects()
    return Workload(
        f"03 hard-sharing ResNet-18 (width {s.resnet_width:g}), {len(tasks)} tasks, {s.size}x{s.size}",
        lambda: build_hard_sharing(tasks, "resnet18", width=s.resnet_width, decoder_width=s.decoder_width),
        tasks, 3, s.size, s.batch_size, lambda: {"lr": s.lr, "strategy": get_strategy("weighted_sum")})


def single_tasking_se_resnet() -> Workload:
    """Notebook 04 at ``paper``: the SEA row (task SE + adversarial discriminator) of R-50 / DeepLab on NYUD."""
    s = single_tasking.SETTINGS["paper"]
    config = single_tasking.row_configs(s, "nyud", "R-50", "deeplab", "se_adv", seed=0, device="cpu")[0]
    every = single_tasking.dataset_tasks(config["dataset"])
    tasks = {t: every[t] for t in config["tasks"]}
    weights = {t: single_tasking.LOSS_WEIGHTS[t] for t in tasks}
    lr = config["lr"]

    def kwargs() -> dict[str, Any]:
        return {"strategy": get_strategy("adversarial_gradients", weights=weights), "optimizer": "sgd", "lr": lr, "momentum": 0.9,
                "weight_decay": 1e-4, "param_groups": lambda m: m.param_groups(lr),
                "batch_plan": SingleTaskSteps(list(tasks))}

    return Workload(
        f"04 SE-ResNet-50 + DeepLab, SE+A, {len(tasks)} tasks, {config['image_size']}x{config['image_size']}",
        lambda: single_tasking.build_row_model(config, tasks), tasks, 3, config["image_size"], config["batch_size"],
        kwargs)


def multidigit_cosreg() -> Workload:
    """Notebook 05 at ``paper``: Table 1's MultiDigit network trained with CosReg (alpha = 10)."""
    s = orthogonal.settings("paper")
    model = "CosReg(α=10)"
    variant = orthogonal.MODELS[model][0]
    tasks = as_tasks(["left", "right"])
    return Workload(
        f"05 MultiDigit (filters {s.filters}) + CosReg, {s.image_size}x{s.image_size}",
        lambda: multidigit_net(filters=s.filters, variant=variant, size=s.image_size), tasks, 1, s.image_size,
        s.batch_size, lambda: {"lr": s.lr, "strategy": orthogonal.make_strategy(model)})


WORKLOADS: tuple[Callable[[], Workload], ...] = (hard_sharing_resnet, single_tasking_se_resnet, multidigit_cosreg)


def random_data(tasks: dict[str, Task], n: int, channels: int, size: int) -> MultiTaskData:
    """Random inputs and targets in each task's format (labels, binary maps, positive regression maps)."""
    g = torch.Generator().manual_seed(0)
    targets = {}
    for name, task in tasks.items():
        if task.is_classification:
            shape = (n, size, size) if task.dense else (n,)
            targets[name] = torch.randint(0, task.channels, shape, generator=g)
        elif task.loss == "balanced_bce":
            targets[name] = (torch.rand(n, task.channels, size, size, generator=g) > 0.5).float()
        else:
            targets[name] = torch.rand(n, task.channels, size, size, generator=g) + 0.1
    return MultiTaskData(torch.rand(n, channels, size, size, generator=g), targets)


def peak_flops(device: torch.device, amp: bool) -> tuple[float | None, str]:
    """The device's peak FLOP/s (bf16 under autocast, else fp32) from :data:`PEAKS`, and how it was chosen."""
    name = torch.cuda.get_device_name(device)
    for key, bf16, fp32 in PEAKS:
        if key in name:
            peak = bf16 if amp else fp32
            return peak, f"peak {peak / 1e12:g} TFLOP/s {'bf16' if amp else 'fp32'} ({name})"
    return None, f"no peak known for {name}"


def measure(workload: Workload, device: torch.device, batch: int, steps: int, repeats: int) -> dict[str, float]:
    """FLOPs of one step (counted) and median seconds per step of ``fit(..., max_steps=steps)``."""
    seed_everything(0)
    model = workload.build()
    data = random_data(workload.tasks, batch * steps, workload.channels, workload.size).to(device)

    def train(max_steps: int) -> None:
        fit(model, workload.tasks, data, epochs=1, batch_size=batch, max_steps=max_steps, device=device,
            progress=False, **workload.fit_kwargs())

    with FlopCounterMode(display=False) as counter:
        train(1)
    per_step = statistics.median(seconds(lambda: train(steps), device) for _ in range(repeats)) / steps
    return {"flops": float(counter.get_total_flops()), "seconds": per_step}


def run(device: torch.device) -> list[dict]:
    cuda = device.type == "cuda"
    rows = []
    for make in WORKLOADS:
        workload = make()
        batch = workload.batch if cuda else CPU_BATCH
        steps, repeats = (CUDA_STEPS, CUDA_REPEATS) if cuda else (CPU_STEPS, CPU_REPEATS)
        m = measure(workload, device, batch, steps, repeats)
        achieved = m["flops"] / m["seconds"]
        peak, source = peak_flops(device, amp=True) if cuda else (None, "no reliable CPU peak")
        rows.append({
            "benchmark": f"MFU: {workload.name}, batch {batch}", "device": str(device), "ours_s": m["seconds"],
            "throughput": achieved / (1e12 if cuda else 1e9), "unit": "TFLOP/s" if cuda else "GFLOP/s",
            "mfu": achieved / peak if peak else None, "goal": "report", "met": None,
            "note": f"{m['flops'] / 1e9:.4g} GFLOP per step (fwd+bwd, FlopCounterMode); ours_s = s/step, median of "
                    f"{repeats} x {steps} steps; {source}",
        })
    return rows
