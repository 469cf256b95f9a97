"""Dense decoders of paper 04: DeepLab-v3+ (ASPP and skip decoder, Fig. 3) and UberNet-style light heads.

Both take the backbone's ``(low, high)`` features and return the last decoder feature map at the resolution of
``low``; a 1x1 convolution per task (the network's head) turns it into predictions. That last feature map is the
interface between shared and task-specific processing where the adversarial discriminator reads the task
gradients (Section 4).

In the DeepLab-v3+ decoder every convolution is a :class:`ConvUnit` (conv, batch-norm, ReLU, then SE, as in the
authors' code: SE after the ReLU of each ASPP branch and decoder convolution). ``se="task"`` gives each unit one
SE module per task (Table 3c, "dec"), ``task_bn`` per-task batch-norm, ``adapters`` a zero-initialised per-task
1x1 convolution in parallel with each convolution (residual adapters in the decoder). ``mobile=True`` makes the
3x3 convolutions depthwise-separable and the activations ReLU6 (Appendix C's MobileNet decoder).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paper_mtl.models.se_resnet import ParallelAdapter, TaskSwitch, norm_factory, squeeze_excitation, zero_conv1x1


class ConvUnit(nn.Module):
    """``SE(act(BN(conv(x) [+ adapter_task(x)])))`` with shared or per-task SE / batch-norm / adapter."""

    def __init__(
        self, cin: int, cout: int, kernel: int, tasks: Sequence[str], dilation: int = 1, se: str = "none",
        task_bn: bool = False, adapters: bool = False, mobile: bool = False, reduction: int = 16,
    ) -> None:
        super().__init__()
        padding = dilation * (kernel // 2)
        if mobile and kernel > 1:
            conv: nn.Module = nn.Sequential(
                nn.Conv2d(cin, cin, kernel, 1, padding, dilation, groups=cin, bias=False),
                nn.Conv2d(cin, cout, 1, bias=False),
            )
        else:
            conv = nn.Conv2d(cin, cout, kernel, 1, padding, dilation, bias=False)
        if adapters:
            conv = ParallelAdapter(conv, TaskSwitch(lambda: zero_conv1x1(cin, cout), tasks))
        self.conv = conv
        self.norm = norm_factory(tasks, task_bn)(cout)
        self.act = nn.ReLU6(inplace=True) if mobile else nn.ReLU(inplace=True)
        self.se = squeeze_excitation(cout, se, tasks, reduction)

    def forward(self, x: Tensor) -> Tensor:
        return self.se(self.act(self.norm(self.conv(x))))


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling (DeepLab-v3): a 1x1 branch, three 3x3 branches at ``rates``, an image-pooling
    branch, concatenated and projected by a 1x1 unit to ``width`` channels."""

    def __init__(self, cin: int, width: int, rates: Sequence[int], tasks: Sequence[str], **unit: object) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            [ConvUnit(cin, width, 1, tasks, **unit)] + [ConvUnit(cin, width, 3, tasks, r, **unit) for r in rates]
        )
        pool_unit = {k: v for k, v in unit.items() if k != "adapters"}
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), ConvUnit(cin, width, 1, tasks, **pool_unit))
        self.project = ConvUnit(width * (len(rates) + 2), width, 1, tasks, **unit)

    def forward(self, x: Tensor) -> Tensor:
        pooled = self.pool(x).expand(-1, -1, x.shape[-2], x.shape[-1])
        return self.project(torch.cat([b(x) for b in self.branches] + [pooled], 1))


class DeepLabV3PlusDecoder(nn.Module):
    """DeepLab-v3+ decoder: ASPP on ``high``, upsampled to ``low`` (reduced to 48/256 of ``width`` channels),
    concatenated, then two 3x3 units. Output: ``width`` channels at ``low``'s resolution."""

    def __init__(
        self, low_channels: int, high_channels: int, tasks: Sequence[str], width: int = 256,
        rates: Sequence[int] = (6, 12, 18), se: str = "none", task_bn: bool = False, adapters: bool = False,
        mobile: bool = False,
    ) -> None:
        super().__init__()
        unit = dict(se=se, task_bn=task_bn, adapters=adapters, mobile=mobile)
        low_width = max(4, round(48 * width / 256))
        self.low_reduce = ConvUnit(low_channels, low_width, 1, tasks, reduction=4, **unit)
        self.aspp = ASPP(high_channels, width, rates, tasks, **unit)
        self.concat = ConvUnit(width + low_width, width, 3, tasks, **unit)
        self.process = ConvUnit(width, width, 3, tasks, **unit)
        self.out_channels = width

    def forward(self, low: Tensor, high: Tensor) -> Tensor:
        low = self.low_reduce(low)
        high = F.interpolate(self.aspp(high), size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.process(self.concat(torch.cat([high, low], 1)))


class UberNetHead(nn.Module):
    """One task's light UberNet head (Appendix B): 1x1 conv-BN-ReLU on ``low`` and on ``high`` (upsampled),
    concatenated: ``2 * width`` channels at ``low``'s resolution."""

    def __init__(self, low_channels: int, high_channels: int, width: int) -> None:
        super().__init__()
        self.low = nn.Sequential(nn.Conv2d(low_channels, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.high = nn.Sequential(nn.Conv2d(high_channels, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True))

    def forward(self, low: Tensor, high: Tensor) -> Tensor:
        low = self.low(low)
        high = F.interpolate(self.high(high), size=low.shape[-2:], mode="bilinear", align_corners=False)
        return torch.cat([low, high], 1)


class UberNetDecoder(nn.Module):
    """UberNet-style decoder: one :class:`UberNetHead` per task (skip connection and 1x1 convolutions only).

    The authors' heads have as many channels as the task has outputs; here every head has ``width`` channels
    so that one discriminator can read every task's gradient at the same interface."""

    def __init__(self, low_channels: int, high_channels: int, tasks: Sequence[str], width: int = 16) -> None:
        super().__init__()
        self.heads = TaskSwitch(lambda: UberNetHead(low_channels, high_channels, width), tasks)
        self.out_channels = 2 * width

    def forward(self, low: Tensor, high: Tensor) -> Tensor:
        return self.heads(low, high)
