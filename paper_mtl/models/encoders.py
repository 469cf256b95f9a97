"""Shared encoders. Each has ``out_channels`` and ``stride`` (input size / feature size) attributes.

``width`` scales every layer's channels: paper 03's "half-size" networks (half the encoder's cost) use a
width of about 1/sqrt(2), since a convolution's multiply-adds grow with the square of its width.
"""

from __future__ import annotations

from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock, Bottleneck


def _scaled(channels: int, width: float) -> int:
    return max(4, int(round(channels * width)))


def conv_bn_relu(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SmallConvEncoder(nn.Sequential):
    """A small VGG-like encoder: ``depth`` stages of two 3x3 conv-BN-ReLU, each stage halving resolution.

    Channels double per stage from ``base * width``. Output stride 2**depth.
    """

    def __init__(self, in_channels: int = 3, base: int = 16, depth: int = 3, width: float = 1.0) -> None:
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        layers: list[nn.Module] = []
        cin = in_channels
        for stage in range(depth):
            cout = _scaled(base * 2**stage, width)
            layers += [conv_bn_relu(cin, cout, stride=2), conv_bn_relu(cout, cout)]
            cin = cout
        super().__init__(*layers)
        self.out_channels = cin
        self.stride = 2**depth


class ResNetEncoder(nn.Module):
    """A ResNet trunk built from torchvision's blocks, randomly initialised (nothing is downloaded).

    ``layers`` gives the number of blocks per stage ((2, 2, 2, 2) is ResNet-18, (2, 2, 2, 2) with bottlenecks
    ResNet-26); ``width`` scales the stage widths (64, 128, 256, 512); ``stem_stride`` 4 as in torchvision
    (conv stride 2 + max-pool) or 2 for small inputs. Output stride ``stem_stride * 2 ** (len(layers) - 1)``.
    """

    def __init__(
        self,
        layers: tuple[int, ...] = (2, 2, 2, 2),
        block: str = "basic",
        width: float = 1.0,
        in_channels: int = 3,
        stem_stride: int = 4,
    ) -> None:
        super().__init__()
        if block not in ("basic", "bottleneck"):
            raise ValueError(f"unknown block {block!r}; expected 'basic' or 'bottleneck'")
        if stem_stride not in (2, 4):
            raise ValueError(f"stem_stride must be 2 or 4, got {stem_stride}")
        block_cls = BasicBlock if block == "basic" else Bottleneck
        stem_channels = _scaled(64, width)
        stem: list[nn.Module] = [
            nn.Conv2d(in_channels, stem_channels, 7 if stem_stride == 4 else 3, 2, 3 if stem_stride == 4 else 1, bias=False),
            nn.BatchNorm2d(stem_channels),
            nn.ReLU(inplace=True),
        ]
        if stem_stride == 4:
            stem.append(nn.MaxPool2d(3, 2, 1))
        self.stem = nn.Sequential(*stem)
        stages = []
        cin = stem_channels
        for i, blocks in enumerate(layers):
            planes = _scaled(64 * 2**i, width)
            stride = 1 if i == 0 else 2
            stage = []
            for b in range(blocks):
                s = stride if b == 0 else 1
                cout = planes * block_cls.expansion
                down = None
                if s != 1 or cin != cout:
                    down = nn.Sequential(nn.Conv2d(cin, cout, 1, s, bias=False), nn.BatchNorm2d(cout))
                stage.append(block_cls(cin, planes, s, down))
                cin = cout
            stages.append(nn.Sequential(*stage))
        self.stages = nn.Sequential(*stages)
        self.out_channels = cin
        self.stride = stem_stride * 2 ** (len(layers) - 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        return self.stages(self.stem(x))


ENCODERS = ("small", "resnet18", "resnet26")


def make_encoder(name: str, in_channels: int = 3, width: float = 1.0) -> nn.Module:
    """Encoder by name: ``small`` (:class:`SmallConvEncoder`), ``resnet18`` or ``resnet26`` (bottleneck)."""
    if name == "small":
        return SmallConvEncoder(in_channels, width=width)
    if name == "resnet18":
        return ResNetEncoder((2, 2, 2, 2), "basic", width, in_channels, stem_stride=2)
    if name == "resnet26":
        return ResNetEncoder((2, 2, 2, 2), "bottleneck", width, in_channels, stem_stride=2)
    raise ValueError(f"unknown encoder {name!r}; expected one of {ENCODERS}")
