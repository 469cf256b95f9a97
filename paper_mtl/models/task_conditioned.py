"""Single-tasking multiple tasks (paper 04): one network, one forward pass per task.

:class:`TaskConditionedNet` holds a backbone, a decoder and a 1x1 head per task. ``forward(x, tasks)`` runs each
requested task's own pass with that task's :class:`~paper_mtl.models.se_resnet.TaskSwitch` copies selected (its
SE modules, batch-norms, adapters); a part of the network without per-task modules is computed once and shared
by all tasks of the call, so the plain multi-task baseline costs one pass plus T heads, decoder-only modulation
one encoder pass plus T decoder passes, and encoder modulation T full passes (what Fig. 5 counts).

It follows the library's network protocol (``forward(x, tasks=None) -> {task: output}``,
``shared_parameters()``) and adds ``task_parameters(task)``, ``param_groups(lr)`` (the shared layers' learning
rate divided by T, Appendix D) and ``interface(task)``: the head whose input is the last decoder feature map,
where the adversarial discriminator reads the task gradients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from paper_mtl.models.deeplab import DeepLabV3PlusDecoder, UberNetDecoder
from paper_mtl.models.se_resnet import (
    ADAPTERS,
    BACKBONES,
    SE_MODES,
    SEMobileNetV2,
    SEResNet,
    set_task,
    task_switches,
)
from paper_mtl.profiles import check_choice
from paper_mtl.tasks import Task

DECODERS = ("deeplab", "uber")
MOBILENET = "MobileNetV2"


class TaskConditionedNet(nn.Module):
    """Backbone ``encoder`` (``x -> (low, high)``), ``decoder`` (``(low, high) -> features``), a head per task."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, channels: Mapping[str, int]) -> None:
        super().__init__()
        if not channels:
            raise ValueError("TaskConditionedNet needs at least one task")
        self.encoder, self.decoder = encoder, decoder
        self.heads = nn.ModuleDict({t: nn.Conv2d(decoder.out_channels, c, 1) for t, c in channels.items()})
        self.encoder_per_task = bool(task_switches(encoder))
        self.decoder_per_task = self.encoder_per_task or bool(task_switches(decoder))

    @property
    def tasks(self) -> list[str]:
        return list(self.heads)

    @property
    def interface_channels(self) -> int:
        return self.decoder.out_channels

    def forward(self, x: Tensor, tasks: Sequence[str] | None = None) -> dict[str, Tensor]:
        tasks = list(tasks) if tasks is not None else self.tasks
        unknown = [t for t in tasks if t not in self.heads]
        if unknown:
            raise ValueError(f"unknown task(s) {unknown}; this network has tasks {self.tasks}")
        outputs: dict[str, Tensor] = {}
        backbone: tuple[Tensor, Tensor] | None = None
        features: Tensor | None = None
        for task in tasks:
            set_task(self, task)
            if backbone is None or self.encoder_per_task:
                backbone = self.encoder(x)
            if features is None or self.decoder_per_task:
                features = self.decoder(*backbone)
            outputs[task] = F.interpolate(self.heads[task](features), size=x.shape[-2:], mode="bilinear",
                                          align_corners=False)
        return outputs

    def task_parameters(self, task: str) -> list[nn.Parameter]:
        """The parameters only ``task`` uses: its copies in every task switch and its head."""
        if task not in self.heads:
            raise ValueError(f"unknown task {task!r}; this network has tasks {self.tasks}")
        params = [p for s in task_switches(self) for p in s.branches[task].parameters()]
        return params + list(self.heads[task].parameters())

    def shared_parameters(self) -> list[nn.Parameter]:
        """The parameters every task's pass uses."""
        specific = {id(p) for t in self.tasks for p in self.task_parameters(t)}
        return [p for p in self.parameters() if id(p) not in specific]

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        """Optimiser groups: shared layers at ``lr / T`` (T updates per mini-batch reach them), the rest at ``lr``."""
        shared = self.shared_parameters()
        ids = {id(p) for p in shared}
        return [{"params": shared, "lr": lr / len(self.tasks)}, {"params": [p for p in self.parameters() if id(p) not in ids]}]

    def interface(self, task: str) -> nn.Module:
        """The module whose input is ``task``'s last decoder feature map (its 1x1 head)."""
        return self.heads[task]


def build_single_tasking(
    tasks: Mapping[str, Task],
    backbone: str = "R-26",
    se_encoder: str = "shared",
    se_decoder: str = "none",
    adapters: str = "none",
    decoder: str = "deeplab",
    width: float = 1.0,
    decoder_width: int = 256,
    uber_width: int = 8,
    stem_stride: int = 4,
    layers: Sequence[int] | None = None,
    rates: Sequence[int] = (6, 12, 18),
    in_channels: int = 3,
    task_bn: bool | None = None,
) -> TaskConditionedNet:
    """The network of one row of paper 04's tables.

    Args:
        tasks: the tasks, each getting a 1x1 head of ``task.channels`` outputs.
        backbone: ``"R-26"``, ``"R-50"``, ``"R-101"`` (SE-ResNet, :data:`BACKBONES`) or ``"MobileNetV2"``.
        se_encoder, se_decoder: ``"none"``, ``"shared"`` or ``"task"`` (per-task SE, Section 3.1). A per-task SE
            or adapter brings per-task batch-norm to that part of the network (Section 3.2) unless ``task_bn``
            says otherwise: ``True`` / ``False`` switches per-task batch-norm on / off in encoder and decoder.
        adapters: ``"none"``, ``"block"`` (Eq. 2 in every encoder block) or ``"conv"`` (astmt's variant beside the
            3x3 convolution); either also adds parallel 1x1 adapters to the DeepLab decoder's convolutions
            (the UberNet decoder is per task already).
        decoder: ``"deeplab"`` (DeepLab-v3+, ``decoder_width`` channels) or ``"uber"`` (UberNet light heads of
            ``uber_width`` channels per branch, Appendix B).
        width: SE-ResNet / MobileNetV2 width multiplier; ``layers`` overrides the blocks per stage (small
            stand-ins of the named depths); ``rates`` the ASPP dilation rates.
    """
    check_choice("backbone", backbone, [*BACKBONES, MOBILENET])
    check_choice("se_encoder", se_encoder, SE_MODES)
    check_choice("se_decoder", se_decoder, SE_MODES)
    check_choice("adapters", adapters, ADAPTERS)
    check_choice("decoder", decoder, DECODERS)
    if not tasks:
        raise ValueError("build_single_tasking needs at least one task")
    names = list(tasks)
    adapted = adapters != "none"
    encoder_bn = se_encoder == "task" or adapted if task_bn is None else task_bn
    decoder_bn = se_decoder == "task" or adapted if task_bn is None else task_bn
    if backbone == MOBILENET:
        if adapted or in_channels != 3:
            raise ValueError(f"MobileNetV2 supports adapters='none' and in_channels=3, got {adapters!r}, {in_channels}")
        encoder: nn.Module = SEMobileNetV2(names, width, se_encoder, encoder_bn, stem_stride)
    else:
        encoder = SEResNet(layers or BACKBONES[backbone], names, width, se_encoder, encoder_bn, adapters, stem_stride,
                           in_channels)
    if decoder == "uber":
        if se_decoder != "none":
            raise ValueError(f"the UberNet decoder is already per task: se_decoder must be 'none', got {se_decoder!r}")
        dec: nn.Module = UberNetDecoder(encoder.low_channels, encoder.out_channels, names, uber_width)
    else:
        dec = DeepLabV3PlusDecoder(encoder.low_channels, encoder.out_channels, names, decoder_width, rates, se_decoder,
                                   decoder_bn, adapted, mobile=backbone == MOBILENET)
    return TaskConditionedNet(encoder, dec, {name: task.channels for name, task in tasks.items()})
