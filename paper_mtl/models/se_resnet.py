"""SE-ResNet and SE-MobileNetV2 backbones whose blocks can be switched per task (paper 04, Sections 3.1-3.2).

The backbones are torchvision's own ``Bottleneck`` and ``mobilenet_v2`` (randomly initialised, nothing is
downloaded) with three task-attention mechanisms grafted on:

* **Squeeze-and-excitation** (Section 3.1, Fig. 3): an SE module (torchvision's ``SqueezeExcitation``,
  reduction 16) after the last batch-norm of every block, before the residual addition. ``se="shared"`` is the
  plain SE-ResNet ("SE-bb" of Table 3a), ``se="task"`` gives every task its own SE module (the modulation
  m_A[c] of Eq. 1 made soft and image dependent), ``se="none"`` the plain ResNet.
* **Residual adapters** (Section 3.2): ``adapter="block"`` is the paper's Eq. 2, L_A(x) = x + L(x) + RA_A(x):
  a per-task 1x1 convolution RA_A of the block input added beside the shortcut, before the block's final ReLU.
  ``adapter="conv"`` is the narrower variant of the authors' code (astmt): a per-task 1x1 convolution in
  parallel with the bottleneck's 3x3 convolution only. Adapters start at zero, so training starts from the
  shared network.
* **Per-task batch-norm** (``task_bn``): every batch-norm of the blocks gets one copy per task ("when employing
  disentangled computation graphs ... we also use task-specific batch-normalization layers").

Per-task modules are :class:`TaskSwitch` modules; :func:`set_task` selects which copy runs. The backbone returns
``(low, high)``: the first stage's features (the skip input of the DeepLab-v3+ decoder) and the last stage's,
whose last stage is dilated instead of strided as in DeepLab (output stride 4 x ``stem_stride``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import Tensor, nn
from torchvision.models import mobilenet_v2
from torchvision.models.mobilenetv2 import InvertedResidual
from torchvision.models.resnet import Bottleneck
from torchvision.ops import SqueezeExcitation

from paper_mtl.profiles import check_choice

BACKBONES: dict[str, tuple[int, ...]] = {"R-26": (2, 2, 2, 2), "R-50": (3, 4, 6, 3), "R-101": (3, 4, 23, 3)}
"""Bottleneck blocks per stage of the paper's three SE-ResNet depths."""
SE_MODES = ("none", "shared", "task")
ADAPTERS = ("none", "block", "conv")
STEM_STRIDES = (1, 2, 4)


class TaskSwitch(nn.Module):
    """One copy of a module per task; ``forward`` runs the copy of the task chosen by :func:`set_task`.

    The copies start equal (:meth:`share_initialisation`), as the paper starts every task's SE module from the
    same pre-trained one: at initialisation a task-conditioned network computes the same function for every task.
    """

    def __init__(self, factory: Callable[[], nn.Module], tasks: Sequence[str]) -> None:
        super().__init__()
        if not tasks:
            raise ValueError("TaskSwitch needs at least one task")
        self.branches = nn.ModuleDict({t: factory() for t in tasks})
        self.task: str | None = None
        self.share_initialisation()

    def share_initialisation(self) -> None:
        """Copy the first task's parameters and buffers into every other task's copy."""
        first, *others = self.branches.values()
        for other in others:
            other.load_state_dict(first.state_dict())

    def forward(self, *args: Tensor) -> Tensor:
        if self.task is None:
            raise RuntimeError(f"no active task: call set_task(model, task) with one of {list(self.branches)}")
        return self.branches[self.task](*args)


def task_switches(module: nn.Module) -> list[TaskSwitch]:
    """Every :class:`TaskSwitch` inside ``module``."""
    return [m for m in module.modules() if isinstance(m, TaskSwitch)]


def set_task(module: nn.Module, task: str) -> None:
    """Make every :class:`TaskSwitch` inside ``module`` run its copy for ``task``."""
    for switch in task_switches(module):
        if task not in switch.branches:
            raise ValueError(f"unknown task {task!r}; this network has tasks {list(switch.branches)}")
        switch.task = task


def squeeze_excitation(channels: int, mode: str, tasks: Sequence[str], reduction: int = 16) -> nn.Module:
    """An SE module (Hu et al.) of ``channels``: none (identity), shared, or one per task (``mode="task"``)."""
    check_choice("se mode", mode, SE_MODES)
    make = lambda: SqueezeExcitation(channels, max(1, channels // reduction))  # noqa: E731
    if mode == "none":
        return nn.Identity()
    return make() if mode == "shared" else TaskSwitch(make, tasks)


def norm_factory(tasks: Sequence[str], per_task: bool) -> Callable[[int], nn.Module]:
    """A ``norm_layer`` for torchvision blocks: batch-norm, or one batch-norm per task when ``per_task``."""
    if per_task:
        return lambda c: TaskSwitch(lambda: nn.BatchNorm2d(c), tasks)
    return nn.BatchNorm2d


def zero_conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    """A bias-free 1x1 convolution initialised to zero (a residual adapter that starts switched off)."""
    conv = nn.Conv2d(cin, cout, 1, stride, bias=False)
    nn.init.zeros_(conv.weight)
    return conv


class ParallelAdapter(nn.Module):
    """``layer(x) + adapter(x)``: a per-task adapter in parallel with a shared layer (astmt's variant)."""

    def __init__(self, layer: nn.Module, adapter: nn.Module) -> None:
        super().__init__()
        self.layer, self.adapter = layer, adapter

    def forward(self, x: Tensor) -> Tensor:
        return self.layer(x) + self.adapter(x)


def _scaled(channels: int, width: float) -> int:
    return max(4, int(round(channels * width)))


def se_bottleneck(
    inplanes: int, planes: int, stride: int, dilation: int, tasks: Sequence[str], se: str = "shared",
    task_bn: bool = False, adapter: str = "none", reduction: int = 16,
) -> Bottleneck:
    """torchvision's ``Bottleneck`` with SE after ``bn3``, optional per-task batch-norm and residual adapter.

    With ``adapter="block"`` the shortcut becomes ``shortcut(x) + RA_task(x)`` so the block computes
    ``relu(x + L(x) + RA_A(x))`` (Eq. 2); with ``adapter="conv"`` the 3x3 ``conv2`` becomes
    ``conv2(h) + RA_task(h)``.
    """
    check_choice("adapter", adapter, ADAPTERS)
    norm = norm_factory(tasks, task_bn)
    cout = planes * Bottleneck.expansion
    downsample = None
    if stride != 1 or inplanes != cout:
        downsample = nn.Sequential(nn.Conv2d(inplanes, cout, 1, stride, bias=False), norm(cout))
    block = Bottleneck(inplanes, planes, stride, downsample, dilation=dilation, norm_layer=norm)
    block.bn3 = nn.Sequential(block.bn3, squeeze_excitation(cout, se, tasks, reduction))
    if adapter == "conv":
        block.conv2 = ParallelAdapter(block.conv2, TaskSwitch(lambda: zero_conv1x1(planes, planes, stride), tasks))
    elif adapter == "block":
        shortcut = downsample if downsample is not None else nn.Identity()
        block.downsample = ParallelAdapter(shortcut, TaskSwitch(lambda: zero_conv1x1(inplanes, cout, stride), tasks))
    return block


class SEResNet(nn.Module):
    """A (task-conditioned) SE-ResNet trunk for dense prediction: ``forward(x) -> (low, high)``.

    ``layers`` blocks per stage (see :data:`BACKBONES`), stage widths (64, 128, 256, 512) x ``width`` with
    bottleneck expansion 4. The stem reduces the input by ``stem_stride`` (4: torchvision's 7x7 conv and
    max-pool; 2 or 1: a 3x3 conv, for small images); stages 2 and 3 halve the resolution and stage 4 is dilated,
    so ``low`` has stride ``stem_stride`` and ``high`` stride ``4 * stem_stride``.
    """

    def __init__(
        self, layers: Sequence[int], tasks: Sequence[str], width: float = 1.0, se: str = "shared",
        task_bn: bool = False, adapter: str = "none", stem_stride: int = 4, in_channels: int = 3,
        reduction: int = 16,
    ) -> None:
        super().__init__()
        check_choice("stem_stride", stem_stride, STEM_STRIDES)
        if len(layers) != 4 or min(layers) < 1:
            raise ValueError(f"layers must give 4 stages of >= 1 block, got {tuple(layers)}")
        stem_channels = _scaled(64, width)
        if stem_stride == 4:
            stem = [nn.Conv2d(in_channels, stem_channels, 7, 2, 3, bias=False), nn.BatchNorm2d(stem_channels),
                    nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        else:
            stem = [nn.Conv2d(in_channels, stem_channels, 3, stem_stride, 1, bias=False),
                    nn.BatchNorm2d(stem_channels), nn.ReLU(inplace=True)]
        self.stem = nn.Sequential(*stem)
        stages: list[nn.Module] = []
        cin = stem_channels
        for i, blocks in enumerate(layers):
            planes = _scaled(64 * 2**i, width)
            stride, dilation = ((1, 1), (2, 1), (2, 1), (1, 2))[i]
            stage = []
            for b in range(blocks):
                stage.append(se_bottleneck(cin, planes, stride if b == 0 else 1, dilation, tasks, se, task_bn, adapter,
                                           reduction))
                cin = planes * Bottleneck.expansion
            stages.append(nn.Sequential(*stage))
        self.stages = nn.ModuleList(stages)
        self.low_channels = _scaled(64, width) * Bottleneck.expansion
        self.out_channels = cin
        self.low_stride, self.stride = stem_stride, 4 * stem_stride
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in self.modules():
            if isinstance(m, ParallelAdapter):
                for p in m.adapter.parameters():
                    nn.init.zeros_(p)
        for switch in task_switches(self):
            switch.share_initialisation()

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        low = self.stages[0](self.stem(x))
        high = low
        for stage in self.stages[1:]:
            high = stage(high)
        return low, high


MOBILENET_SETTING: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 1), (6, 320, 1, 1),
)
"""MobileNetV2's (expansion t, channels c, blocks n, stride s) rows with the last strides removed, so the trunk
has output stride 16 like DeepLab's (torchvision's default setting reaches 32)."""


class SEMobileNetV2(nn.Module):
    """torchvision's MobileNetV2 trunk with SE in every inverted residual block (Appendix C's SE-MobileNet).

    SE (``se`` as in :class:`SEResNet`) follows the block's projection batch-norm, before the residual addition;
    ``task_bn`` makes every batch-norm per task. ``forward(x) -> (low, high)``: ``low`` after the 24-channel
    stage, ``high`` after the last (320-channel) stage; the final 1280-channel 1x1 convolution is dropped as in
    DeepLab's MobileNet. ``stem_stride`` is the stride of ``low`` (the first conv's stride times the 24-channel
    stage's); ``high`` has stride ``4 * stem_stride``.
    """

    def __init__(
        self, tasks: Sequence[str], width: float = 1.0, se: str = "shared", task_bn: bool = False,
        stem_stride: int = 4, reduction: int = 16,
    ) -> None:
        super().__init__()
        check_choice("stem_stride", stem_stride, STEM_STRIDES)
        setting = [list(row) for row in MOBILENET_SETTING]
        setting[1][3] = 2 if stem_stride == 4 else 1
        net = mobilenet_v2(weights=None, width_mult=width, inverted_residual_setting=setting,
                           norm_layer=norm_factory(tasks, task_bn))
        features = list(net.features.children())[:-1]
        if stem_stride == 1:
            features[0][0].stride = (1, 1)
        for block in features:
            if isinstance(block, InvertedResidual):
                block.conv.append(squeeze_excitation(block.out_channels, se, tasks, reduction))
        low_end = 1 + MOBILENET_SETTING[0][2] + MOBILENET_SETTING[1][2]
        self.low = nn.Sequential(*features[:low_end])
        self.high = nn.Sequential(*features[low_end:])
        self.low_channels = features[low_end - 1].out_channels
        self.out_channels = features[-1].out_channels
        self.low_stride, self.stride = stem_stride, 4 * stem_stride

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        low = self.low(x)
        return low, self.high(low)


def se_modules(module: nn.Module) -> list[tuple[str, SqueezeExcitation]]:
    """``(name, SE module)`` of every squeeze-and-excitation module inside ``module``, in definition order.

    A module's gates sigmoid(W2 relu(W1 avgpool(x))) are the output of its ``scale_activation`` submodule (hook it
    to record them); per-task SE modules appear once per task, named ``...branches.<task>``.
    """
    return [(name, m) for name, m in module.named_modules() if isinstance(m, SqueezeExcitation)]
