"""The SegNet-style network of paper 05's benchmark: resolution, unpooling, unit normals, shared layers."""

import pytest
import torch
from torch import nn

from paper_mtl.models.segnet import VGG16_STAGES, SegNet
from paper_mtl.tasks import get_tasks

TASKS = get_tasks(["segment_semantic", "depth_zbuffer", "normal"], classes={"segment_semantic": 11})


def test_outputs_at_a_quarter_of_the_input():
    net = SegNet(TASKS, width=1 / 16)
    out = net(torch.rand(2, 3, 64, 64))
    assert out["segment_semantic"].shape == (2, 11, 16, 16)
    assert out["depth_zbuffer"].shape == (2, 1, 16, 16)
    assert torch.allclose(out["normal"].norm(dim=1), torch.ones(2, 16, 16), atol=1e-5)
    assert set(net(torch.rand(1, 3, 64, 64), tasks=["depth_zbuffer"])) == {"depth_zbuffer"}


def test_encoder_is_vgg16_and_decoders_mirror_its_last_stages():
    net = SegNet(TASKS, width=1 / 16)
    convs = [m for m in net.encoder.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == sum(n for _, n in VGG16_STAGES) == 13
    assert [c.out_channels for c in convs][-1] == 512 // 16
    assert net.last_shared_layer() is convs[-1]
    assert sum(p.numel() for p in net.shared_parameters()) == sum(p.numel() for p in net.encoder.parameters())
    # a decoder unpools three times (1/32 -> 1/4) through stages 5, 4, 3: 3 + 3 + 3 convolutions and the head
    decoder = net.decoders["depth_zbuffer"]
    assert len(decoder.blocks) == 3 and len([m for m in decoder.modules() if isinstance(m, nn.Conv2d)]) == 10


def test_unpooling_puts_values_where_the_maxima_were():
    """SegNet's decoder upsamples with the encoder's pooling indices: each unpooled 2x2 cell holds the pooled value
    at the position its maximum came from, and zeros elsewhere."""
    torch.manual_seed(0)
    net = SegNet(TASKS, width=1 / 16, stages=3, output_stride=4).eval()
    seen = {}
    net.decoders["depth_zbuffer"].blocks[0].register_forward_pre_hook(lambda m, args: seen.update(unpooled=args[0]))
    x = torch.rand(1, 3, 32, 32)
    features, indices, sizes = net.encoder(x)
    net(x, tasks=["depth_zbuffer"])
    unpooled = seen["unpooled"]
    assert unpooled.shape[-2:] == sizes[-1] == (8, 8)
    assert torch.equal(torch.nn.functional.max_pool2d(unpooled, 2), features.clamp_min(0))
    flat = unpooled.flatten(2)
    assert torch.equal(flat.gather(2, indices[-1].flatten(2)), features.flatten(2))
    assert int((flat != 0).sum()) <= features.numel()


def test_bad_arguments():
    with pytest.raises(ValueError, match="output_stride"):
        SegNet(TASKS, output_stride=3)
    with pytest.raises(ValueError, match="output_stride"):
        SegNet(TASKS, stages=2, output_stride=4)
    with pytest.raises(ValueError, match="stages"):
        SegNet(TASKS, stages=6)
    with pytest.raises(ValueError, match="at least one task"):
        SegNet({})
