"""Every model family and every loss-combination strategy trains under CPU bf16 autocast with channels-last.

``fit(..., device="cpu", amp=True, channels_last=True)`` takes the code paths of a CUDA run (bf16 casts, double
backward through bf16 activations, channels-last kernels), so a model or strategy that gives a non-finite loss or
gradient here would fail on the GPU too. Each case trains 2 optimiser steps on tiny procedural data and evaluates
once under autocast; forward hooks check that the convolutions really computed in bf16 on channels-last inputs.

The case lists are checked against the library: every ``Strategy`` subclass in :mod:`paper_mtl.weighting`, every
``nn.Module`` class of :mod:`paper_mtl.models` and every encoder / variant / backbone / decoder / SE / adapter
choice of the builders must be exercised, so a new one without a case fails here.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

import paper_mtl.models
import paper_mtl.weighting
from paper_mtl.data import MultiTaskData
from paper_mtl.experiments.single_tasking import EDGE, GRADIENT_DEPTH, UNIT_NORMAL
from paper_mtl.models import build_hard_sharing
from paper_mtl.models.encoders import ENCODERS
from paper_mtl.models.multidigit import VARIANTS, multidigit_net
from paper_mtl.models.se_resnet import ADAPTERS, SE_MODES
from paper_mtl.models.segnet import SegNet
from paper_mtl.models.task_conditioned import DECODERS, MOBILENET, build_single_tasking
from paper_mtl.models.unet import build_unet
from paper_mtl.tasks import Task, get_task
from paper_mtl.training import evaluate, fit
from paper_mtl.weighting import (
    DWA,
    IMTLG,
    AlignedMTL,
    CAGrad,
    ClasswiseWeighting,
    CosineMonitor,
    CosReg,
    GradNorm,
    NashMTL,
    ParetoMTL,
    PCGrad,
    StepContext,
    Strategy,
    Uncertainty,
    UPGrad,
    WeightedSum,
    quantile_bin_edges,
)
from paper_mtl.weighting.discriminator import AdversarialGradients, SingleTaskSteps
from paper_mtl.weighting.mgda import MGDA

N_TRAIN, N_VAL, BATCH = 8, 4, 4  # 2 optimiser steps per epoch
SIZE = 16


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors gain nothing from intra-op threads, and on a shared CPU extra threads only contend."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

# ----------------------------------------------------------------------------------------------------------
# Task sets (the losses of every experiment: CE, L1, masked L1, masked MSE, balanced BCE, image-level CE and
# paper 04's custom unit-normal / gradient-depth / edge tasks)
# ----------------------------------------------------------------------------------------------------------

SEG = get_task("segment_semantic", classes=3)
DEPTH = get_task("depth_zbuffer")
NORMAL = get_task("normal")
RESHADING = get_task("reshading")
LEFT, RIGHT = get_task("left"), get_task("right")
SCENE = {"segment_semantic": SEG, "depth_zbuffer": get_task("depth_zbuffer", loss="masked_mse", metric="rmse"),
         "normal": get_task("normal", loss="masked_mse", metric="one_minus_abs_cos")}  # paper 05, Table 2
HARD = {"segment_semantic": SEG, "depth_zbuffer": DEPTH, "reshading": RESHADING, "left": LEFT}
DIGITS = {"left": LEFT, "right": RIGHT}
UNET = {"segment_semantic": SEG, "depth_zbuffer": DEPTH}  # paper 02's T_s, T_d
PASCAL = {"seg": SEG, "edge": EDGE, "normal_unit": UNIT_NORMAL}  # paper 04
NYUD = {"seg": SEG, "depth_gradient": GRADIENT_DEPTH, "sal": get_task("saliency", channels=1, loss="balanced_bce",
                                                                      metric="max_f")}


def make_data(tasks: Mapping[str, Task], n: int, seed: int, in_channels: int = 3, size: int = SIZE,
              out_size: int | None = None) -> MultiTaskData:
    """Random inputs and procedural targets of the right kind for every task (with some invalid entries)."""
    g = torch.Generator().manual_seed(seed)
    out = out_size or size
    x = torch.rand(n, in_channels, size, size, generator=g)
    cue = F.adaptive_avg_pool2d(x[:, :1], out)  # targets depend on the input, so there is something to learn
    targets: dict[str, Tensor] = {}
    for name, task in tasks.items():
        noise = torch.rand(n, task.channels, out, out, generator=g)
        if task.is_classification and not task.dense:
            targets[name] = torch.randint(0, task.channels, (n,), generator=g)
        elif task.is_classification:
            labels = (cue[:, 0] * task.channels).long().clamp(max=task.channels - 1)
            labels[:, 0, 0] = -1  # ignored pixels
            targets[name] = labels
        elif task.loss == "balanced_bce":
            targets[name] = (noise > 0.7).float()
        else:
            values = noise + cue if task.channels == 1 else F.normalize(noise - 0.5, dim=1)
            if task.loss in ("masked_l1", "masked_mse"):
                values[:, :, :, 0] = 0.0  # missing geometry
            targets[name] = values
    return MultiTaskData(x, targets)


# ----------------------------------------------------------------------------------------------------------
# Model cases: every builder and architectural choice, at tiny widths
# ----------------------------------------------------------------------------------------------------------


def _single_tasking(tasks: Mapping[str, Task], **kwargs: Any) -> nn.Module:
    options = dict(width=1 / 16, decoder_width=8, uber_width=4, stem_stride=2, layers=(1, 1, 1, 1), rates=(1, 2, 3))
    if kwargs.get("backbone") == MOBILENET:
        options.update(width=0.25, layers=None)
    options.update(kwargs)
    return build_single_tasking(tasks, **options)


@dataclass
class ModelCase:
    build: Callable[[Mapping[str, Task]], nn.Module]
    tasks: Mapping[str, Task]
    in_channels: int = 3
    out_stride: int = 1
    options: dict[str, Any] = field(default_factory=dict)  # the builder choices this case covers


MODEL_CASES: dict[str, ModelCase] = {
    **{
        f"hard_sharing-{encoder}": ModelCase(
            lambda t, e=encoder: build_hard_sharing(t, e, width=1 / 16 if e != "small" else 0.25, decoder_width=8),
            HARD, options={"encoder": encoder})
        for encoder in ENCODERS
    },
    **{
        f"multidigit-{variant}": ModelCase(
            lambda t, v=variant: multidigit_net(list(t), filters=4, variant=v, size=SIZE, hidden=8), DIGITS,
            in_channels=1, options={"variant": variant})
        for variant in VARIANTS
    },
    "segnet": ModelCase(lambda t: SegNet(t, width=1 / 16, stages=3, output_stride=4), SCENE, out_stride=4),
    "unet": ModelCase(lambda t: build_unet(t, width=4, depth=2), UNET),
    "single_tasking-R26-deeplab-se_shared": ModelCase(
        lambda t: _single_tasking(t, se_encoder="shared"), PASCAL,
        options={"backbone": "R-26", "decoder": "deeplab", "se_encoder": "shared", "se_decoder": "none"}),
    "single_tasking-R26-deeplab-se_none-se_dec_task": ModelCase(
        lambda t: _single_tasking(t, se_encoder="none", se_decoder="task"), NYUD,
        options={"se_encoder": "none", "se_decoder": "task"}),
    "single_tasking-R26-deeplab-se_task-dec_shared": ModelCase(
        lambda t: _single_tasking(t, se_encoder="task", se_decoder="shared"), PASCAL,
        options={"se_encoder": "task", "se_decoder": "shared"}),
    "single_tasking-R26-task_bn": ModelCase(
        lambda t: _single_tasking(t, task_bn=True), NYUD, options={"task_bn": True}),
    "single_tasking-R26-adapters_block": ModelCase(
        lambda t: _single_tasking(t, adapters="block"), PASCAL, options={"adapters": "block"}),
    "single_tasking-R26-adapters_conv": ModelCase(
        lambda t: _single_tasking(t, adapters="conv"), NYUD, options={"adapters": "conv"}),
    "single_tasking-R26-uber": ModelCase(
        lambda t: _single_tasking(t, decoder="uber"), PASCAL, options={"decoder": "uber"}),
    "single_tasking-R26-stem4": ModelCase(
        lambda t: _single_tasking(t, stem_stride=4), NYUD, options={"stem_stride": 4}),
    "single_tasking-MobileNetV2-deeplab": ModelCase(
        lambda t: _single_tasking(t, backbone=MOBILENET), PASCAL, options={"backbone": MOBILENET}),
    "single_tasking-MobileNetV2-se_task": ModelCase(
        lambda t: _single_tasking(t, backbone=MOBILENET, se_encoder="task", se_decoder="task"), NYUD,
        options={"backbone": MOBILENET, "se_encoder": "task", "se_decoder": "task"}),
    "single_tasking-MobileNetV2-uber": ModelCase(
        lambda t: _single_tasking(t, backbone=MOBILENET, decoder="uber"), PASCAL,
        options={"backbone": MOBILENET, "decoder": "uber"}),
}


def model_data(case: ModelCase, n: int, seed: int) -> MultiTaskData:
    return make_data(case.tasks, n, seed, case.in_channels, SIZE, SIZE // case.out_stride)


# ----------------------------------------------------------------------------------------------------------
# Checks shared by both parametrisations
# ----------------------------------------------------------------------------------------------------------


class GradProbe(Strategy):
    """Runs ``inner`` and records, after each of its backward passes, every gradient it left on the model's and
    the strategy's own parameters (so strategies that write ``p.grad`` directly are seen too), and its logs."""

    def __init__(self, inner: Strategy) -> None:
        self.inner = inner
        self.name = inner.name
        self.records: list[dict[str, Any]] = []

    def setup(self, model: nn.Module, tasks: Mapping[str, Task]) -> None:
        super().setup(model, tasks)
        self.inner.setup(model, tasks)

    def parameters(self) -> list[nn.Parameter]:
        return self.inner.parameters()

    def named_parameters(self, model: nn.Module) -> dict[str, nn.Parameter]:
        named = dict(model.named_parameters())
        named.update({f"strategy.{i}": p for i, p in enumerate(self.inner.parameters())})
        return named

    def backward(self, losses: dict[str, Tensor], ctx: StepContext) -> dict[str, float | Tensor]:
        logs = self.inner.backward(losses, ctx)
        self.records.append({
            "tasks": list(losses),
            "losses": {t: float(v.detach().float()) for t, v in losses.items()},
            "loss_dtypes": {t: v.dtype for t, v in losses.items()},
            "grads": {n: p.grad.detach().float().clone() for n, p in self.named_parameters(ctx.model).items()
                      if p.grad is not None},
            "logs": {k: float(v.detach().float()) if isinstance(v, Tensor) else float(v) for k, v in logs.items()},
        })
        return logs

    def state_dict(self) -> dict[str, Any]:
        return self.inner.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.inner.load_state_dict(state)


class Bf16Watch:
    """Forward hooks on every convolution / linear layer: output dtypes seen, and whether the first convolution
    that ran received a channels-last input."""

    def __init__(self, model: nn.Module) -> None:
        self.dtypes: set[torch.dtype] = set()
        self.first_input_channels_last: bool | None = None
        layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
        assert layers, f"{type(model).__name__} has no convolution or linear layer to watch"
        self.handles = [m.register_forward_hook(self._hook) for m in layers]

    def _hook(self, module: nn.Module, args: tuple[Tensor, ...], output: Tensor) -> None:
        self.dtypes.add(output.dtype)
        if self.first_input_channels_last is None and isinstance(module, nn.Conv2d) and args[0].dim() == 4:
            self.first_input_channels_last = args[0].is_contiguous(memory_format=torch.channels_last)

    def reset(self) -> None:
        self.dtypes.clear()

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def run_bf16(model: nn.Module, tasks: Mapping[str, Task], train: MultiTaskData, val: MultiTaskData,
             strategy: Strategy | None = None, **fit_kwargs: Any) -> GradProbe:
    """Two bf16-autocast, channels-last training steps and one autocast evaluation, with every check."""
    probe = GradProbe(strategy or WeightedSum())
    watch = Bf16Watch(model)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    options = dict(epochs=1, batch_size=BATCH, eval_batch_size=BATCH, lr=1e-3, seed=0)
    options.update(fit_kwargs)
    result = fit(model, tasks, train, val, strategy=probe, device="cpu", amp=True, channels_last=True,
                 progress=False, **options)

    # the forward really ran under bf16 autocast, on channels-last inputs and weights
    assert torch.bfloat16 in watch.dtypes, f"no bf16 conv/linear output in training: {watch.dtypes}"
    assert watch.first_input_channels_last, "the first convolution did not receive a channels-last input"
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1) and m.groups == 1]
    assert all(m.weight.is_contiguous(memory_format=torch.channels_last) for m in convs)

    # every step: finite losses (computed in float32 from bf16 outputs), finite gradients, finite logs
    assert len(probe.records) >= 2, f"expected 2 steps, got {len(probe.records)} backward passes"
    for i, record in enumerate(probe.records):
        bad = {t: v for t, v in record["losses"].items() if not math.isfinite(v)}
        assert not bad, f"backward {i}: non-finite losses {bad}"
        assert record["grads"], f"backward {i}: no parameter received a gradient"
        bad_grads = [n for n, g in record["grads"].items() if not torch.isfinite(g).all()]
        assert not bad_grads, f"backward {i}: non-finite gradients in {bad_grads[:5]} ({len(bad_grads)} tensors)"
        bad_logs = {k: v for k, v in record["logs"].items() if not math.isfinite(v)}
        assert not bad_logs, f"backward {i}: non-finite logs {bad_logs}"
    # every parameter of the model and of the strategy received a gradient in some step
    named = probe.named_parameters(model)
    reached = set().union(*(r["grads"] for r in probe.records))
    missing = [n for n, p in named.items() if p.requires_grad and n not in reached]
    assert not missing, f"parameters that never received a gradient: {missing[:5]} ({len(missing)})"
    assert any(float(g.abs().sum()) > 0 for r in probe.records for g in r["grads"].values())

    # the weights stayed finite and moved
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert any(not torch.equal(before[n], p.detach()) for n, p in model.named_parameters())
    assert all(torch.isfinite(p).all() for p in probe.parameters())

    # the history: finite training and validation losses
    history = result.history
    assert len(history) == 1 and int(history["step"].iloc[-1]) == 2
    for column in [c for c in history.columns if c.startswith(("train_loss.", "val_loss."))]:
        assert math.isfinite(float(history[column].iloc[-1])), f"{column} is not finite: {history[column].tolist()}"
    assert {f"train_loss.{t}" for t in tasks} <= set(history.columns)
    assert {f"val_loss.{t}" for t in tasks} <= set(history.columns)

    # evaluation under autocast
    watch.reset()
    scores = evaluate(model, tasks, val, batch_size=BATCH, device="cpu", amp=True)
    assert torch.bfloat16 in watch.dtypes, f"no bf16 conv/linear output in evaluation: {watch.dtypes}"
    assert set(scores["loss"]) == set(tasks)
    bad = {t: v for t, v in scores["loss"].items() if not math.isfinite(v)}
    assert not bad, f"non-finite evaluation losses {bad}"
    watch.remove()
    return probe


# ----------------------------------------------------------------------------------------------------------
# Every model family
# ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODEL_CASES))
def test_model_trains_under_bf16_autocast(name: str) -> None:
    case = MODEL_CASES[name]
    torch.manual_seed(0)
    model = case.build(case.tasks)
    run_bf16(model, case.tasks, model_data(case, N_TRAIN, 0), model_data(case, N_VAL, 1))


def _library_classes(package: Any, base: type) -> set[type]:
    """Concrete subclasses of ``base`` defined in the modules of ``package``."""
    found: set[type] = set()
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, base) and cls.__module__ == module.__name__ and not inspect.isabstract(cls):
                found.add(cls)
    return found


def test_model_cases_cover_every_model_class_and_builder_choice() -> None:
    used: set[type] = set()
    for case in MODEL_CASES.values():
        used |= {type(m) for m in case.build(case.tasks).modules()}
    missing = sorted(c.__name__ for c in _library_classes(paper_mtl.models, nn.Module) - used)
    assert not missing, f"model classes with no bf16 autocast case in MODEL_CASES: {missing}"
    options: dict[str, set[Any]] = {}
    for case in MODEL_CASES.values():
        for key, value in case.options.items():
            options.setdefault(key, set()).add(value)
    assert set(ENCODERS) <= options["encoder"]
    assert set(VARIANTS) <= options["variant"]
    assert set(DECODERS) <= options["decoder"]
    assert set(ADAPTERS) - {"none"} <= options["adapters"]
    assert set(SE_MODES) <= options["se_encoder"] and set(SE_MODES) <= options["se_decoder"]
    assert {"R-26", MOBILENET} <= options["backbone"]  # are R-26 with more of the same blocks


# ----------------------------------------------------------------------------------------------------------
# Every strategy
# ----------------------------------------------------------------------------------------------------------


@dataclass
class StrategyCase:
    strategy: Callable[[MultiTaskData], Strategy]  # given the training data (for bin edges)
    model: str  # a key of MODEL_CASES
    tasks: Mapping[str, Task] | None = None  # default: the model case's tasks
    fit_kwargs: Callable[[nn.Module], dict[str, Any]] = lambda model: {}


def _depth_bins(train: MultiTaskData) -> list[float]:
    depth = train.targets["depth_zbuffer"]
    return quantile_bin_edges(depth, 3, depth != 0)


def _single_task_steps(model: nn.Module) -> dict[str, Any]:  # paper 04's training (train_row)
    return {"batch_plan": SingleTaskSteps(list(model.tasks)), "optimizer": "sgd", "momentum": 0.9,
            "weight_decay": 1e-4, "param_groups": lambda m: m.param_groups(1e-3)}


STRATEGY_CASES: dict[str, StrategyCase] = {
    "WeightedSum": StrategyCase(lambda d: WeightedSum({"segment_semantic": 1.0, "depth_zbuffer": 2.0, "reshading": 0.5,
                                                       "left": 1.0}), "hard_sharing-small"),
    "Uncertainty": StrategyCase(lambda d: Uncertainty(), "hard_sharing-small"),
    "GradNorm-last_shared_layer": StrategyCase(lambda d: GradNorm(1.5), "hard_sharing-resnet18"),
    "GradNorm-shared-segnet": StrategyCase(lambda d: GradNorm(1.5, on="shared"), "segnet"),
    "MGDA": StrategyCase(lambda d: MGDA(), "hard_sharing-resnet26"),
    "ParetoMTL-phase1": StrategyCase(
        lambda d: ParetoMTL((0.71, 0.71), task_order=["segment_semantic", "depth_zbuffer"]), "unet"),
    "ParetoMTL-phase2": StrategyCase(
        lambda d: ParetoMTL((0.38, 0.92), task_order=["segment_semantic", "depth_zbuffer"], phase1_epochs=0), "unet"),
    "ClasswiseWeighting-aux_labels": StrategyCase(
        lambda d: ClasswiseWeighting("depth_zbuffer", "segment_semantic", lr=0.1), "unet"),
    "ClasswiseWeighting-aux_bins": StrategyCase(
        lambda d: ClasswiseWeighting("segment_semantic", "depth_zbuffer", bin_edges=_depth_bins(d), lr=0.1), "unet"),
    "CosReg-multidigit": StrategyCase(lambda d: CosReg(10.0), "multidigit-batchnorm"),
    "CosReg-segnet-scaled": StrategyCase(lambda d: CosReg(10.0, scale_by_loss=True), "segnet"),
    "CosineMonitor": StrategyCase(lambda d: CosineMonitor(WeightedSum()), "multidigit-dropout"),
    "AdversarialGradients-single_task_steps": StrategyCase(
        lambda d: AdversarialGradients({"seg": 1.0, "edge": 50.0, "normal_unit": 10.0}),
        "single_tasking-R26-deeplab-se_task-dec_shared", fit_kwargs=_single_task_steps),
    "AdversarialGradients-joint-uber": StrategyCase(
        lambda d: AdversarialGradients(kernel_size=3), "single_tasking-MobileNetV2-uber"),
    "DWA": StrategyCase(lambda d: DWA(), "hard_sharing-small"),
    # torchjd's aggregations write a flat update back into channels-last shared weights
    **{cls.__name__: StrategyCase(lambda d, cls=cls: cls(), "hard_sharing-resnet18")
       for cls in (PCGrad, CAGrad, NashMTL, IMTLG, AlignedMTL, UPGrad)},
}


@pytest.mark.parametrize("name", list(STRATEGY_CASES))
def test_strategy_trains_under_bf16_autocast(name: str) -> None:
    case = STRATEGY_CASES[name]
    model_case = MODEL_CASES[case.model]
    tasks = case.tasks or model_case.tasks
    train, val = model_data(model_case, N_TRAIN, 0), model_data(model_case, N_VAL, 1)
    torch.manual_seed(0)
    model = model_case.build(tasks)
    strategy = case.strategy(train)
    probe = run_bf16(model, tasks, train, val, strategy, **case.fit_kwargs(model))
    if isinstance(strategy, ClasswiseWeighting):  # Eq. 10's update ran on the bf16 step statistics
        assert strategy.updates >= 1 and torch.isfinite(strategy.weights).all()
    if isinstance(strategy, MGDA):  # the min-norm solver got finite gradients (no equal-weight fallback)
        assert all(r["logs"]["mgda_fallback"] == 0.0 for r in probe.records)
    if isinstance(strategy, AdversarialGradients):
        assert all("discriminator_loss" in r["logs"] for r in probe.records)


def test_strategy_cases_cover_every_strategy_class() -> None:
    strategies = _library_classes(paper_mtl.weighting, Strategy)
    assert {WeightedSum, CosReg, MGDA, AdversarialGradients} <= strategies  # the discovery itself works
    train = model_data(MODEL_CASES["unet"], N_TRAIN, 0)
    covered = {type(case.strategy(train)) for case in STRATEGY_CASES.values()}
    missing = sorted(c.__name__ for c in strategies - covered)
    assert not missing, f"strategies with no bf16 autocast case in STRATEGY_CASES: {missing}"
