"""Class-wise weights on the auxiliary task (Yim & Kim, "Learning boost by exploiting the auxiliary task in
multi-task domain", paper 02, Sec. 4 and Algorithm 1).

The total loss is the main task's loss plus the auxiliary loss split by the auxiliary task's classes (Eq. 2–4):

    L = L_main + L_aux,   L_aux = Σ_c w^c · (1/N) Σ_{i: y_i = c} D_aux(y_i, o_i),

with N the number of all points of the batch (Eq. 4's 1/N): points without a valid auxiliary target add nothing
to the inner sums but still count in N, so with every weight at 1 the sum is the masked auxiliary loss times the
valid fraction. The classes c are the auxiliary task's own labels when it is a
label task (semantic classes when depth is the main task), or bins of its target when it is a regression (depth
quantised into K classes when segmentation is the main task; :func:`quantile_bin_edges`). D_aux stays the
auxiliary task's own per-pixel loss (cross-entropy or L1): the bins only group pixels.

After each unit of time (``interval`` batches) the weights take one Adam step (Eq. 9) on the approximate
gradient of Eq. 10 and are clipped at zero by a ReLU:

    g_t = [ (L^c_main(t) − L^c_main(t−1)) / L^c_main(0) + ε ] / [ (L^c_aux(t) − L^c_aux(t−1)) / L^c_aux(0) + ε ]
          · (1/N) Σ_{i: y_i = c} D_aux(y_i, o_i),
    w^c ← ReLU(w^c − α m̂_t / (√v̂_t + ε)).

Reading choices (the paper leaves them open; each is one line in the notebook):

- L^c_main is the main loss over the points whose *auxiliary* label is c; L^c_aux the unweighted auxiliary
  distance over the same class (the w^c factor of Eq. 4 is left out so that the update does not feed on its own
  weight). Both are per-class means over the unit of time; since Eq. 10 only uses their changes relative to time
  0, this differs from the 1/N sums of Eq. 4 only by removing the noise of how many pixels a class covers in a
  batch. The last factor of Eq. 10 is taken literally: the class's summed distance divided by all N points.
- Time 0 is the first unit of training (Algorithm 1 sets t ← 0 before the loop); the weights stay fixed for the
  first ``warmup_epochs`` epochs (Sec. 5.2: updates start after 20 epochs, 12 for Cityscapes) while L(t−1)
  keeps being tracked. A class absent from a unit skips that unit: its Adam moments and step count are kept.
- One ε serves Eq. 9 and Eq. 10, as the paper writes one symbol.

Two readings of the sign (``update=``):

- ``"literal"`` (the default): Eq. 9–10 as printed. Eq. 10 is positive when the main and auxiliary per-class
  losses move in the same direction and negative when they move apart, so the rule *lowers* a class's weight while
  both losses fall together and *raises* it when the auxiliary loss falls while the main loss rises — the opposite
  of Sec. 4's stated intent ("weights of harmful classes converge to near zero").
- ``"intent"``: the sign-corrected reading. Eq. 10 writes ∂L_main^c/∂w^c by the chain rule as
  (∂L_main^c/∂L_aux^c) · (∂L_aux^c/∂w^c) and approximates the first factor by the ratio of relative changes. The
  second factor is the effect of the weight on the auxiliary loss the network *reaches*: a larger w^c trains the
  network harder on class c, so its auxiliary loss falls, and the factor is negative, whereas Eq. 10 uses the
  positive ∂L/∂w^c = (1/N) Σ D_aux of Eq. 4 at fixed network. With the negative factor the step of Eq. 9 becomes
  w^c ← ReLU(w^c + α m̂_t/(√v̂_t + ε)): a class whose auxiliary progress comes with main progress gains weight, a
  class whose auxiliary progress comes with main regression loses it, towards zero. To first order this is the
  one-step look-ahead −η⟨∇L_main, ∇L_aux^c⟩ of the main loss after a gradient step on class c.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from paper_mtl.profiles import check_choice
from paper_mtl.tasks import Task
from paper_mtl.weighting.base import LossWeighting, StepContext

__all__ = ["UPDATES", "ClasswiseWeighting", "classwise_gradient", "quantile_bin_edges"]
UPDATES = ("literal", "intent")
"""The two readings of Eq. 9–10's sign (:class:`ClasswiseWeighting`'s ``update``)."""


def classwise_gradient(
    main_now: Tensor, main_prev: Tensor, main_0: Tensor, aux_now: Tensor, aux_prev: Tensor, aux_0: Tensor,
    distance: Tensor, eps: float = 1e-8,
) -> Tensor:
    """Eq. 10 of paper 02, per class: the ratio of the relative changes of the main and auxiliary per-class
    losses (each over its value at time 0, plus ``eps``) times the class's distance ``(1/N) Σ_{y_i=c} D_aux``."""
    numerator = (main_now - main_prev) / main_0 + eps
    denominator = (aux_now - aux_prev) / aux_0 + eps
    return numerator / denominator * distance


def quantile_bin_edges(values: Tensor, bins: int, mask: Tensor | None = None) -> list[float]:
    """``bins - 1`` inner edges splitting ``values`` (where ``mask``) into ``bins`` equally populated classes.

    Paper 02 quantises depth into classes when segmentation is the main task without saying how; equal-frequency
    bins give every class pixels to weigh. Use with ``torch.bucketize(v, edges)`` (class ids 0..bins-1).
    """
    if bins < 2:
        raise ValueError(f"bins must be >= 2, got {bins}")
    flat = values.flatten() if mask is None else values[mask.expand_as(values)].flatten()
    if flat.numel() == 0:
        raise ValueError("quantile_bin_edges got no values (empty input or an all-false mask)")
    q = torch.linspace(0, 1, bins + 1, dtype=torch.float64)[1:-1]
    flat = flat.double()
    if flat.numel() > 2**24:
        flat = flat[torch.linspace(0, flat.numel() - 1, 2**24).long()]
    edges = torch.quantile(flat, q).tolist()
    if any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"values have too few distinct levels for {bins} equally populated bins (edges {edges})")
    return edges


class ClasswiseWeighting(LossWeighting):
    """Paper 02's class-wise weighting of the auxiliary task (Eq. 2–4, updated by Eq. 9–10).

    Args:
        main: the main task's name; its loss enters unweighted (as does the loss of any task other than ``main`` and
            ``aux``: the paper trains the two alone, a benchmark may add more).
        aux: the auxiliary task's name; its per-pixel loss is weighted by the class of each pixel.
        bin_edges: when ``aux`` is a regression task, the inner edges that quantise its target into classes
            (see :func:`quantile_bin_edges`); must be ``None`` for a label task, whose labels are the classes.
        lr: the step size α of Eq. 9 (the paper: 0.0002 "generally works well", larger for small datasets).
        betas: Adam's moment decays.
        eps: ε of Eq. 9 and Eq. 10.
        warmup_epochs: epochs during which the weights stay at their initial value 1.
        interval: batches per unit of time t (the paper allows a batch or a set of batches).
        class_names: names for the step-log columns ``w.<name>``; default ``0``, ``1``, ...
        update: ``"literal"`` (Eq. 9 as printed: w ← ReLU(w − α m̂/(√v̂+ε))) or ``"intent"`` (the sign-corrected
            reading: w ← ReLU(w + α m̂/(√v̂+ε))); see the module docstring.

    The step log (``FitResult.steps``) holds every weight after every step, so the weights' history is
    ``result.steps.filter(like="w.")``; the current weights are :attr:`weights`.
    """

    name = "classwise"
    synchronises = True  # its weights live on the host (Eq. 9's Adam step), and every step logs them

    def __init__(
        self, main: str, aux: str, *, bin_edges: Sequence[float] | None = None, lr: float = 2e-4,
        betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, warmup_epochs: int = 0, interval: int = 1,
        class_names: Sequence[str] | None = None, update: str = "literal",
    ) -> None:
        check_choice("update", update, UPDATES)
        if main == aux:
            raise ValueError(f"main and aux must be different tasks, got {main!r} twice")
        if not lr > 0 or not 0 <= betas[0] < 1 or not 0 <= betas[1] < 1 or not eps > 0:
            raise ValueError(f"need lr > 0, betas in [0, 1) and eps > 0; got lr={lr}, betas={betas}, eps={eps}")
        if warmup_epochs < 0 or interval < 1:
            raise ValueError(f"need warmup_epochs >= 0 and interval >= 1; got {warmup_epochs}, {interval}")
        if bin_edges is not None and any(b <= a for a, b in zip(bin_edges, list(bin_edges)[1:])):
            raise ValueError(f"bin_edges must be strictly increasing, got {list(bin_edges)}")
        self.main, self.aux = main, aux
        self.bin_edges = None if bin_edges is None else [float(e) for e in bin_edges]
        self.lr, self.betas, self.eps = lr, (float(betas[0]), float(betas[1])), eps
        self.warmup_epochs, self.interval = warmup_epochs, interval
        self.class_names = None if class_names is None else [str(c) for c in class_names]
        self.update = update

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        if not {self.main, self.aux} <= set(tasks):
            raise ValueError(f"class-wise weighting needs main={self.main!r} and aux={self.aux!r} among the tasks; got {list(tasks)}")
        self.others = [t for t in tasks if t not in (self.main, self.aux)]
        aux = tasks[self.aux]
        if aux.is_classification:
            if self.bin_edges is not None:
                raise ValueError(f"aux task {self.aux!r} has labels; bin_edges apply only to a regression aux task")
            classes = aux.channels
        else:
            if not self.bin_edges:
                raise ValueError(f"aux task {self.aux!r} is a regression: give bin_edges to quantise it into classes")
            classes = len(self.bin_edges) + 1
        names = self.class_names or [str(c) for c in range(classes)]
        if len(names) != classes:
            raise ValueError(f"class_names has {len(names)} names for {classes} classes")
        self.class_names = names
        self.weights = torch.ones(classes, dtype=torch.float64)
        self._m = torch.zeros(classes, dtype=torch.float64)
        self._v = torch.zeros(classes, dtype=torch.float64)
        self._t = torch.zeros(classes, dtype=torch.long)
        self._ref: dict[str, Tensor] = {k: torch.full((classes,), math.nan, dtype=torch.float64) for k in ("main0", "aux0", "main_prev", "aux_prev")}
        self._acc: Tensor | None = None
        self._batches = 0
        self.updates = 0

    def class_labels(self, target: Tensor, valid: Tensor) -> Tensor:
        """The auxiliary class of every point (−1 where invalid): the label itself or the target's bin."""
        if self.bin_edges is None:
            labels = target.long()
        else:
            edges = torch.tensor(self.bin_edges, dtype=target.dtype, device=target.device)
            labels = torch.bucketize(target[:, 0] if target.dim() == valid.dim() + 1 else target, edges)
        return torch.where(valid & (labels >= 0), labels, torch.full_like(labels, -1))

    def objective(self, losses: dict[str, Tensor], ctx: StepContext) -> tuple[Tensor, dict[str, float]]:
        tasks = self.tasks
        main_map, main_valid = tasks[self.main].loss_map(ctx.outputs[self.main], ctx.targets[self.main])
        aux_map, aux_valid = tasks[self.aux].loss_map(ctx.outputs[self.aux], ctx.targets[self.aux])
        labels = self.class_labels(ctx.targets[self.aux], aux_valid).flatten()
        valid = labels >= 0
        index = labels.clamp_min(0)
        k = len(self.weights)
        aux_sums = aux_map.new_zeros(k).index_add(0, index, torch.where(valid, aux_map.flatten(), 0.0))
        n_points = torch.tensor(float(labels.numel()), device=aux_map.device)
        # a copy: the end of a unit below updates self.weights before the base back-propagates this step's objective
        weights = self.weights.to(device=aux_sums.device, dtype=aux_sums.dtype, copy=True)
        total = losses[self.main] + (weights * aux_sums).sum() / n_points  # Eq. 2-4
        for task in self.others:  # tasks beyond the paper's two enter unweighted, as in the linear sum
            total = total + losses[task]
        with torch.no_grad():
            main_in = valid & main_valid.flatten()
            stats = torch.stack([
                aux_map.new_zeros(k).index_add(0, index, torch.where(main_in, main_map.detach().flatten(), 0.0)),
                aux_map.new_zeros(k).index_add(0, index, main_in.to(aux_map.dtype)),
                aux_sums.detach(),
                aux_map.new_zeros(k).index_add(0, index, valid.to(aux_map.dtype)),
            ]).double()
            stats = torch.cat([stats.flatten(), n_points.double().reshape(1)])
            self._acc = stats if self._acc is None else self._acc.to(stats.device) + stats
        self._batches += 1
        if self._batches % self.interval == 0:
            self._end_of_unit(update=ctx.epoch >= self.warmup_epochs)
        return total, {f"w.{name}": float(w) for name, w in zip(self.class_names, self.weights)}

    def _end_of_unit(self, update: bool) -> None:
        """Close one unit of time: per-class losses, then (after warm-up) Eq. 10 and the Adam + ReLU step of Eq. 9."""
        k = len(self.weights)
        acc = self._acc.cpu()
        self._acc = None
        main_sum, main_count, aux_sum, aux_count = acc[: 4 * k].reshape(4, k)
        total_points = acc[-1]
        present = (main_count > 0) & (aux_count > 0)
        main_now = main_sum / main_count.clamp_min(1)
        aux_now = aux_sum / aux_count.clamp_min(1)
        ref = self._ref
        first = present & torch.isnan(ref["main0"])
        ref["main0"][first] = main_now[first].clamp_min(self.eps)
        ref["aux0"][first] = aux_now[first].clamp_min(self.eps)
        step = present & ~first & ~torch.isnan(ref["main_prev"])
        if update and step.any():
            g = classwise_gradient(
                main_now[step], ref["main_prev"][step], ref["main0"][step], aux_now[step], ref["aux_prev"][step],
                ref["aux0"][step], aux_sum[step] / total_points, self.eps,
            )
            if not torch.isfinite(g).all():
                raise FloatingPointError(f"Eq. 10 gave a non-finite gradient for classes {torch.nonzero(step).flatten().tolist()}")
            beta1, beta2 = self.betas
            self._t[step] += 1
            t = self._t[step].double()
            self._m[step] = beta1 * self._m[step] + (1 - beta1) * g
            self._v[step] = beta2 * self._v[step] + (1 - beta2) * g * g
            m_hat = self._m[step] / (1 - beta1**t)
            v_hat = self._v[step] / (1 - beta2**t)
            sign = -1.0 if self.update == "literal" else 1.0  # Eq. 9 as printed, or the sign-corrected reading
            self.weights[step] = torch.relu(self.weights[step] + sign * self.lr * m_hat / (v_hat.sqrt() + self.eps))
            self.updates += 1
        ref["main_prev"][present] = main_now[present]
        ref["aux_prev"][present] = aux_now[present]

    def state_dict(self) -> dict[str, Any]:
        return {
            "weights": self.weights.clone(), "m": self._m.clone(), "v": self._v.clone(), "t": self._t.clone(),
            "ref": {k: v.clone() for k, v in self._ref.items()},
            "acc": None if self._acc is None else self._acc.cpu().clone(), "batches": self._batches, "updates": self.updates,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.weights, self._m, self._v, self._t = (state[k].clone() for k in ("weights", "m", "v", "t"))
        self._ref = {k: v.clone() for k, v in state["ref"].items()}
        self._acc = None if state["acc"] is None else state["acc"].clone()
        self._batches, self.updates = state["batches"], state["updates"]
