"""Paper 05's MultiDigit network (Sec. 4): layer structure, variants, shapes, last shared layer, argument checks."""

import pytest
import torch
from torch import nn

from paper_mtl.models.multidigit import multidigit_net


def layers(module: nn.Module, kind: type) -> list[nn.Module]:
    return [m for m in module.modules() if isinstance(m, kind)]


@pytest.mark.parametrize("size", [64, 32])
def test_structure_of_the_paper(size):
    net = multidigit_net(filters=20, size=size)
    convs = layers(net.encoder, nn.Conv2d)
    assert len(convs) == 2  # "the shared encoder consists of two convolutional layers"
    assert all(c.bias is None and c.stride == (2, 2) and c.out_channels == 20 for c in convs)  # no bias, stride
    assert not layers(net, nn.MaxPool2d)
    for decoder in net.decoders.values():
        assert len(layers(decoder, nn.Conv2d)) == 1 and len(layers(decoder, nn.Linear)) == 2
        assert layers(decoder, nn.Conv2d)[0].bias is None
    assert net.last_shared_layer() is convs[1]
    out = net(torch.rand(3, 1, size, size))
    assert set(out) == {"left", "right"} and out["left"].shape == (3, 5)
    # 64 -> 32 -> 16 in the encoder, 8x8 after the decoder convolution: 20 * 8 * 8 inputs to the first FC layer
    first_fc = layers(net.decoders["left"], nn.Linear)[0]
    assert first_fc.in_features == 20 * (size // 8) ** 2 and first_fc.out_features == 50


def test_variants():
    plain, dropout, bn = (multidigit_net(filters=8, variant=v) for v in ("plain", "dropout", "batchnorm"))
    assert not layers(plain, nn.Dropout) and not layers(plain, nn.BatchNorm2d)
    assert len(layers(dropout, nn.Dropout)) == 2 + 2 * 2  # after every hidden layer
    assert all(d.p == 0.25 for d in layers(dropout, nn.Dropout))
    assert len(layers(bn, nn.BatchNorm2d)) == 2 + 2 and len(layers(bn, nn.BatchNorm1d)) == 2
    # the same seed gives the same convolution weights whatever the variant (normalisation layers come after)
    torch.manual_seed(1)
    a = multidigit_net(filters=8, variant="plain")
    torch.manual_seed(1)
    b = multidigit_net(filters=8, variant="dropout")
    assert torch.equal(a.last_shared_layer().weight, b.last_shared_layer().weight)
    # dropout changes the training-mode output, not the eval-mode one
    x = torch.rand(4, 1, 64, 64)
    b.eval()
    assert torch.equal(a(x)["left"], b(x)["left"])


def test_filters_and_parameter_count():
    net = multidigit_net(filters=10, size=64, hidden=50)
    encoder = 1 * 10 * 25 + 10 * 10 * 25
    decoder = 10 * 10 * 25 + (10 * 64 * 50 + 50) + (50 * 5 + 5)
    assert sum(p.numel() for p in net.parameters()) == encoder + 2 * decoder
    assert sum(p.numel() for p in net.shared_parameters()) == encoder


def test_bad_arguments():
    with pytest.raises(ValueError, match="variant"):
        multidigit_net(variant="layernorm")
    with pytest.raises(ValueError, match="filters"):
        multidigit_net(filters=0)
    with pytest.raises(ValueError, match="dropout"):
        multidigit_net(variant="dropout", dropout=1.0)
