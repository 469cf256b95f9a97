"""The field's gradient aggregations, taken from torchjd (Quinton & Rey, "Jacobian descent for multi-objective
optimization", 2024) rather than written again, each a
:class:`~paper_mtl.weighting.base.GradientAggregation` over the shared parameters:

* PCGrad (Yu et al., NeurIPS 2020): each task gradient loses its component along any other task gradient it
  conflicts with (negative inner product), the other tasks taken in random order;
* CAGrad (Liu et al., NeurIPS 2021): the update that maximises the worst task's improvement within a ball of
  radius c·‖ḡ‖ around the mean gradient ḡ (c = 0.4, the authors' NYUv2 setting);
* Nash-MTL (Navon et al., ICML 2022): the Nash bargaining solution, weights α with (GᵀG)α = 1/α, solved by the
  authors' sequence of convex problems (``optim_niter``), optionally only every ``update_weights_every`` steps;
* IMTL-G (Liu et al., ICLR 2021): the update whose projections on every unit task gradient are equal;
* Aligned-MTL (Senushkin et al., CVPR 2023): the task gradients' matrix with its condition number made 1 by
  aligning its singular values (scaled to the smallest, ``scale_mode="min"``);
* UPGrad (Quinton & Rey 2024): the mean of the task gradients each projected onto the dual cone of all of them, so
  that the update conflicts with no task.

torchjd's aggregators read the Jacobian's matrix (T × P) and return the update. Any random number they draw is drawn
from the strategy's :attr:`~paper_mtl.weighting.base.Strategy.generator` (torch's global generator is swapped for it
during the call and restored after), so a seed fixes PCGrad's order and a resumed run draws what an uninterrupted one
would. Their solvers run on the host, so each of them synchronises once per step or more.

Only the shared parameters are aggregated: as for every :class:`~paper_mtl.weighting.base.GradientAggregation`,
each task-specific parameter (a decoder) gets its own task's gradient, unweighted (MGDA-UB's Algorithm 2). The
authors' code of Nash-MTL and CAGrad instead back-propagates Σ_t w_t L_t, so that a decoder's gradient is scaled by
its task's weight; with Adam, which normalises each parameter's step, the difference is mostly the weights' change
from step to step.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from paper_mtl.gradients import Jacobian
from paper_mtl.tasks import Task
from paper_mtl.weighting.base import GradientAggregation, StepContext


class TorchJDAggregation(GradientAggregation):
    """A torchjd aggregator as a strategy: subclasses build it in :meth:`build` from their parameters."""

    synchronises = True

    @abstractmethod
    def build(self, num_tasks: int) -> nn.Module:
        """The torchjd aggregator for ``num_tasks`` tasks."""

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        self.aggregator = self.build(len(tasks))

    def aggregate(self, jacobian: Jacobian, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float]]:
        if jacobian.matrix.shape[0] != len(self.tasks):
            raise ValueError(f"{type(self).__name__} aggregates all {len(self.tasks)} tasks every step; got the losses "
                             f"of {list(jacobian.tasks)}")
        with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
            # cvxpy's remark that Nash-MTL's problem is not DPP (it is rebuilt, not re-solved faster) is not actionable
            warnings.filterwarnings("ignore", message=".*not DPP.*")
            if self.generator is not None:
                torch.set_rng_state(self.generator.get_state())
            update = self.aggregator(jacobian.matrix)
            if self.generator is not None:
                self.generator.set_state(torch.get_rng_state())
        return update, {}


class PCGrad(TorchJDAggregation):
    """PCGrad (Yu et al. 2020) through torchjd."""

    name = "pcgrad"

    def build(self, num_tasks: int) -> nn.Module:
        from torchjd.aggregation import PCGrad as Aggregator

        return Aggregator()


class CAGrad(TorchJDAggregation):
    """CAGrad (Liu et al. 2021) with radius factor ``c`` through torchjd."""

    name = "cagrad"

    def __init__(self, c: float = 0.4) -> None:
        if not c >= 0:
            raise ValueError(f"CAGrad's c must be >= 0, got {c}")
        self.c = float(c)

    def build(self, num_tasks: int) -> nn.Module:
        from torchjd.aggregation import CAGrad as Aggregator

        return Aggregator(c=self.c)


class NashMTL(TorchJDAggregation):
    """Nash-MTL (Navon et al. 2022) through torchjd; its weights and step count are checkpointed."""

    name = "nash_mtl"

    def __init__(self, update_weights_every: int = 1, optim_niter: int = 20, max_norm: float = 1.0) -> None:
        if update_weights_every < 1 or optim_niter < 1 or max_norm < 0:
            raise ValueError(f"need update_weights_every >= 1, optim_niter >= 1 and max_norm >= 0; got "
                             f"{update_weights_every}, {optim_niter}, {max_norm}")
        self.update_weights_every, self.optim_niter, self.max_norm = update_weights_every, optim_niter, float(max_norm)

    def build(self, num_tasks: int) -> nn.Module:
        from torchjd.aggregation import NashMTL as Aggregator

        return Aggregator(n_tasks=num_tasks, max_norm=self.max_norm, update_weights_every=self.update_weights_every,
                          optim_niter=self.optim_niter)

    def state_dict(self) -> dict[str, Any]:
        weighting = self.aggregator.weighting
        return {"step": float(weighting.step), "weights": np.array(weighting.prvs_alpha, copy=True)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        weighting = self.aggregator.weighting
        weighting.prvs_alpha = np.array(state["weights"], copy=True)
        weighting.step = state["step"]
        if weighting.step > 0:
            weighting._init_optim_problem()  # torchjd builds the convex problem at its first step


class IMTLG(TorchJDAggregation):
    """IMTL-G (Liu et al. 2021) through torchjd."""

    name = "imtl_g"

    def build(self, num_tasks: int) -> nn.Module:
        from torchjd.aggregation import IMTLG as Aggregator

        return Aggregator()


class AlignedMTL(TorchJDAggregation):
    """Aligned-MTL (Senushkin et al. 2023) through torchjd; ``scale_mode`` is ``"min"``, ``"median"`` or ``"rmse"``."""

    name = "aligned_mtl"

    def __init__(self, scale_mode: str = "min") -> None:
        if scale_mode not in ("min", "median", "rmse"):
            raise ValueError(f"scale_mode must be 'min', 'median' or 'rmse', got {scale_mode!r}")
        self.scale_mode = scale_mode

    def build(self, num_tasks: int) -> nn.Module:
        from torchjd.aggregation import AlignedMTL as Aggregator

        return Aggregator(scale_mode=self.scale_mode)


class UPGrad(TorchJDAggregation):
    """UPGrad (Quinton & Rey 2024) through torchjd."""

    name = "upgrad"

    def build(self, num_tasks: int) -> nn.Module:
        from torchjd.aggregation import UPGrad as Aggregator

        return Aggregator()
