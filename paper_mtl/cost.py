"""The paper profile's dry run, and the cost model that sizes the profile for one GPU lease.

A dry run (``PAPER_MTL_DRY_RUN=1``, set by ``python -m paper_mtl reproduce --profile paper --dry-run``) executes the
notebooks at full model and input shapes on the CPU, taking the code paths of a CUDA run: bf16 autocast,
channels-last, fused optimisers. :func:`paper_mtl.training.fit` then trains :data:`DRY_STEPS` optimiser steps of
:data:`DRY_BATCH` images, and every loop over a whole split (:func:`metered`: evaluation, attacks) takes one such
batch, so every configuration is built, trained, evaluated and reported in minutes, and any dtype or shape error
names its notebook before a GPU is spent on it.

While it runs, each ``fit`` and metered loop counts its first batch (FLOPs by PyTorch's FLOP formulas, and the
operators dispatched, which on a GPU are kernel launches) and appends a :class:`Cost` record, scaled to the batches
and batch size the real run takes, to the JSON-lines file ``$PAPER_MTL_COST_LOG``. :func:`predict` turns one
notebook's records into a predicted GPU time under a stated, conservative model (:class:`GpuModel`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from torch import Tensor
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

if TYPE_CHECKING:
    from paper_mtl.data.multitask import MultiTaskData

DRY_RUN_ENV = "PAPER_MTL_DRY_RUN"
COST_LOG_ENV = "PAPER_MTL_COST_LOG"
DRY_STEPS = 2
"""Optimiser steps of each ``fit`` in a dry run (in its first epoch; later epochs run their end-of-epoch work)."""
DRY_BATCH = 2
"""Mini-batch size of a dry run: models and inputs keep their shapes, only fewer images go through at once (the
FLOPs counted are scaled up to the real batch; the kernels launched do not depend on it)."""


def dry_batch_size(batch_size: int) -> int:
    """The batch size to use for ``batch_size``: :data:`DRY_BATCH` at most in a dry run, else itself."""
    return min(batch_size, DRY_BATCH) if dry_run() else batch_size


def dry_run() -> bool:
    """Whether this process is a dry run (``$PAPER_MTL_DRY_RUN`` set to anything but empty or ``0``)."""
    return os.environ.get(DRY_RUN_ENV, "") not in ("", "0")


@dataclass(frozen=True)
class Cost:
    """The cost of one ``fit`` or ``evaluate`` call of a real run: ``batches`` batches of ``flops`` FLOPs and
    ``ops`` dispatched operators each (measured on the first batch); ``dry_s`` is the time the dry run spent in
    the call (0 for a call inside another measured call), which :meth:`GpuModel.notebook_seconds` subtracts from
    the notebook's dry-run wall time to leave its host work (data rendering, analysis, plots); ``sweep`` names the
    sweep whose configuration made the call (empty outside a sweep)."""

    kind: str
    model: str
    batches: int
    flops: float
    ops: int
    dry_s: float
    sweep: str = ""

    @property
    def total_flops(self) -> float:
        return self.flops * self.batches

    @property
    def total_ops(self) -> int:
        return self.ops * self.batches


class _Counter(TorchDispatchMode):
    """Counts the operators that reach a kernel (views and metadata-only operators excluded) and their FLOPs by
    PyTorch's FLOP formulas (``torch.utils.flop_counter``: matrix products and convolutions, 2 per multiply-add).

    Unlike ``FlopCounterMode`` it tracks no modules, so it also counts ``torch.autograd.grad`` with respect to
    inputs (PGD attacks, input-gradient norms), which that mode's module hooks do not support."""

    def __init__(self) -> None:
        super().__init__()
        self.ops, self.flops = 0, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if not func.is_view and func.__name__.split(".")[0] not in ("detach", "t", "_unsafe_view", "alias", "empty"):
            self.ops += 1
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.flops += formula(*args, **kwargs, out_val=out)
        return out


_depth = 0  # meters open in this process: a fit's evaluations are timed inside the fit, not again
_sweep = ""  # the sweep whose configuration is running in this process, if any


@contextmanager
def in_sweep(name: str) -> Iterator[None]:
    """Label the costs logged inside the block with the sweep ``name`` (see :func:`paper_mtl.sweep.run_sweep`)."""
    global _sweep
    outer, _sweep = _sweep, name
    try:
        yield
    finally:
        _sweep = outer


class Meter:
    """Cost accounting of one ``fit`` or ``evaluate`` call of ``batches`` batches in a dry run.

    ``with Meter(...) as meter:`` around the call, ``with meter.batch():`` around its first batch; on exit a
    :class:`Cost` is appended to ``$PAPER_MTL_COST_LOG``, its FLOPs multiplied by ``scale`` (real over dry-run
    batch size). Without that variable it does nothing.
    """

    def __init__(self, kind: str, model: object, batches: int, scale: float = 1.0) -> None:
        self.path = os.environ.get(COST_LOG_ENV)
        self.kind, self.model, self.batches, self.scale = kind, type(model).__name__, int(batches), scale
        self.flops, self.ops, self.measured = 0.0, 0, False

    def __enter__(self) -> Meter:
        global _depth
        self.outer = _depth == 0
        _depth += 1
        self.began = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        global _depth
        _depth -= 1
        if self.path and exc[0] is None:
            spent = time.perf_counter() - self.began if self.outer else 0.0
            record = Cost(self.kind, self.model, self.batches, self.flops, self.ops, round(spent, 3), _sweep)
            with open(self.path, "a") as log:
                log.write(json.dumps(asdict(record)) + "\n")

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Count the FLOPs and operators of the block, the first time only."""
        if not self.path or self.measured:
            yield
            return
        with _Counter() as counter:
            yield
        self.flops, self.ops, self.measured = float(counter.flops) * self.scale, counter.ops, True


def metered(data: MultiTaskData, batch_size: int, kind: str, model: object) -> Iterator[tuple[Tensor, dict[str, Tensor]]]:
    """``data.batches(batch_size)`` with cost accounting, for loops over a whole split (evaluation, attacks): the
    caller's loop body for the first batch is counted (a :class:`Meter`); a dry run takes one batch of
    :func:`dry_batch_size` and ends the loop after it."""
    size, count = dry_batch_size(batch_size), data.num_batches(batch_size)
    with Meter(kind, model, count, scale=len(data) / max(count, 1) / size) as meter:
        for batch in data.batches(size):
            with meter.batch():
                yield batch
            if dry_run():
                break


def full_length(rows: Tensor, n: int) -> Tensor:
    """``rows`` repeated to ``n`` rows when a dry run's :func:`metered` loop stopped after its first batch, so
    the code that follows runs at the real run's shapes; ``rows`` itself otherwise."""
    if len(rows) >= n or not dry_run():
        return rows
    return rows.repeat(-(-n // len(rows)), *([1] * (rows.dim() - 1)))[:n]


def read_log(path: str | Path) -> list[Cost]:
    """The :class:`Cost` records of a ``$PAPER_MTL_COST_LOG`` file."""
    return [Cost(**json.loads(line)) for line in Path(path).read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class GpuModel:
    """A conservative time model of one H100/H200 running this library's small networks eagerly.

    A notebook's GPU time is ``flops / flops_per_s + ops * op_s`` (its process issues one kernel per operator, and
    small kernels are bound by the issue cost, not arithmetic) plus its host work. Notebooks run as concurrent
    processes on one GPU, so together they take the longest notebook's time, but at least the GPU's own busy time
    ``sum(flops) / flops_per_s + sum(ops) * gpu_op_s`` (kernels of different processes do not overlap).

    Defaults: 60 TFLOP/s of arithmetic in bf16 (under a tenth of an H200's dense bf16 peak, since convolutions of
    16-64 channels use the tensor cores poorly), 25 µs per operator issued by eager PyTorch under autocast, and
    6 µs of GPU time per kernel at the least. The first GPU run measured the notebooks at 0.78-1.12 times this
    model's prediction (``figures/paper/budget_check.md``): the issue cost dominates, as assumed.
    """

    flops_per_s: float = 60e12
    op_s: float = 25e-6
    gpu_op_s: float = 6e-6

    def notebook_seconds(self, costs: Iterable[Cost], dry_wall_s: float) -> dict[str, float]:
        """``{"flops", "ops", "compute_s", "issue_s", "host_s", "total_s", "gpu_busy_s"}`` of one notebook whose
        dry run logged ``costs`` and took ``dry_wall_s`` seconds in all; its host work is the part of that time
        spent outside training and evaluation (measured on the dry run's CPU, so an overestimate)."""
        costs = list(costs)
        flops = sum(c.total_flops for c in costs)
        ops = sum(c.total_ops for c in costs)
        compute, issue = flops / self.flops_per_s, ops * self.op_s
        host = max(0.0, dry_wall_s - sum(c.dry_s for c in costs))
        return {
            "flops": flops, "ops": float(ops), "compute_s": compute, "issue_s": issue, "host_s": host,
            "total_s": compute + issue + host, "gpu_busy_s": compute + ops * self.gpu_op_s,
        }


def predict(
    costs: Mapping[str, Iterable[Cost]], dry_wall_s: Mapping[str, float], model: GpuModel | None = None,
) -> tuple[list[dict[str, object]], float]:
    """Per-notebook predictions (rows of :meth:`GpuModel.notebook_seconds` with ``notebook``) for ``costs`` by
    notebook, and the predicted wall time of all of them run together on one GPU."""
    model = model or GpuModel()
    rows = [{"notebook": name, **model.notebook_seconds(c, dry_wall_s[name])} for name, c in sorted(costs.items())]
    together = max([float(r["total_s"]) for r in rows] + [sum(float(r["gpu_busy_s"]) for r in rows)]) if rows else 0.0
    return rows, together
