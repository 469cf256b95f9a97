"""Paper 05's MultiDigit network (Sec. 4): a two-layer shared convolutional encoder and per-task classifiers.

"The shared encoder consists of two convolutional layers, while the decoders have one convolutional and two fully
connected layers. [...] our convolutional layers lack bias terms and use stride to replace maxpooling layers."
Every convolution has ``filters`` output channels (the paper's 20 for Table 1; varied in Figure 3). The paper does
not give kernel sizes, hidden width, or where dropout and batch-norm sit; our choices: 5x5 kernels with stride 2
and padding 2 (64x64 -> 32 -> 16 in the encoder, 8x8 after the decoder's convolution), 50 hidden units, and in the
variants a dropout (p = 0.25) or a batch-norm layer after every hidden layer (before the ReLU for batch-norm, after
it for dropout). The network is a :class:`~paper_mtl.models.multitask.HardSharingNet`, so its
``last_shared_layer()`` is the encoder's second convolution, where the paper measures task-gradient cosines.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from paper_mtl.models.multitask import HardSharingNet
from paper_mtl.profiles import check_choice

VARIANTS = ("plain", "dropout", "batchnorm")


def _conv_block(cin: int, cout: int, kernel_size: int, variant: str, dropout: float) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel_size, stride=2, padding=kernel_size // 2, bias=False)]
    if variant == "batchnorm":
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU(inplace=True))
    if variant == "dropout":
        layers.append(nn.Dropout(dropout))
    return layers


def _conv_output(size: int, kernel_size: int) -> int:
    return (size + 2 * (kernel_size // 2) - kernel_size) // 2 + 1


class MultiDigitEncoder(nn.Sequential):
    """Two bias-free stride-2 convolutions with ``filters`` channels each (the shared encoder)."""

    def __init__(self, in_channels: int = 1, filters: int = 20, kernel_size: int = 5, variant: str = "plain", dropout: float = 0.25) -> None:
        check_choice("variant", variant, VARIANTS)
        super().__init__(
            *_conv_block(in_channels, filters, kernel_size, variant, dropout),
            *_conv_block(filters, filters, kernel_size, variant, dropout),
        )
        self.out_channels = filters
        self.stride = 4


class MultiDigitDecoder(nn.Sequential):
    """One bias-free stride-2 convolution and two fully connected layers (``hidden`` units, then the logits)."""

    def __init__(
        self,
        filters: int,
        classes: int,
        feature_size: int,
        hidden: int = 50,
        kernel_size: int = 5,
        variant: str = "plain",
        dropout: float = 0.25,
    ) -> None:
        check_choice("variant", variant, VARIANTS)
        side = _conv_output(feature_size, kernel_size)
        layers = _conv_block(filters, filters, kernel_size, variant, dropout)
        layers += [nn.Flatten(), nn.Linear(filters * side * side, hidden)]
        if variant == "batchnorm":
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.ReLU(inplace=True))
        if variant == "dropout":
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(hidden, classes))
        super().__init__(*layers)


def multidigit_net(
    tasks: Sequence[str] = ("left", "right"),
    classes: int = 5,
    filters: int = 20,
    variant: str = "plain",
    size: int = 64,
    in_channels: int = 1,
    hidden: int = 50,
    kernel_size: int = 5,
    dropout: float = 0.25,
) -> HardSharingNet:
    """The MultiDigit network for images of ``size`` x ``size``: shared :class:`MultiDigitEncoder` and one
    :class:`MultiDigitDecoder` with ``classes`` outputs per task. ``variant``: ``"plain"`` (the paper's "No reg"),
    ``"dropout"`` or ``"batchnorm"``."""
    check_choice("variant", variant, VARIANTS)
    if filters < 1 or hidden < 1 or classes < 2 or not tasks:
        raise ValueError(f"need filters >= 1, hidden >= 1, classes >= 2 and tasks; got {filters}, {hidden}, {classes}, {tasks}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    encoder = MultiDigitEncoder(in_channels, filters, kernel_size, variant, dropout)
    feature_size = _conv_output(_conv_output(size, kernel_size), kernel_size)
    decoders = {t: MultiDigitDecoder(filters, classes, feature_size, hidden, kernel_size, variant, dropout) for t in tasks}
    return HardSharingNet(encoder, decoders)
