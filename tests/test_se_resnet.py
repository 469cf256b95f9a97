import pytest
import torch
from torch import nn
from torchvision.models import mobilenet_v2
from torchvision.models.resnet import Bottleneck, resnet50
from torchvision.ops import SqueezeExcitation

from paper_mtl.models.se_resnet import (
    BACKBONES,
    SEMobileNetV2,
    SEResNet,
    TaskSwitch,
    se_bottleneck,
    se_modules,
    set_task,
    task_switches,
)
from paper_mtl.models.task_conditioned import build_single_tasking
from paper_mtl.tasks import get_tasks

TASKS = ("a", "b")


def tiny(**kwargs):
    torch.manual_seed(0)
    return SEResNet((1, 1, 1, 1), TASKS, width=1 / 16, stem_stride=2, **kwargs)


def count(module):
    return sum(p.numel() for p in module.parameters())


def test_resnet50_trunk_matches_torchvision_and_se_adds_the_se_resnet_parameters():
    with torch.device("meta"):  # shapes only: no memory, no initialisation work
        plain = SEResNet(BACKBONES["R-50"], TASKS, se="none")
        reference = resnet50(weights=None)
        shared = SEResNet(BACKBONES["R-50"], TASKS, se="shared")
    assert count(plain) == count(reference) - count(reference.fc) == 23_508_032
    # SE-ResNet-50 (Hu et al.): 28,088,024 parameters with its 2,049,000-parameter classifier.
    assert count(shared) == 28_088_024 - 2_049_000


@pytest.mark.parametrize("name, blocks", [("R-26", 8), ("R-50", 16), ("R-101", 33)])
def test_depths_have_the_papers_number_of_bottlenecks(name, blocks):
    net = SEResNet(BACKBONES[name], TASKS, width=1 / 16)
    assert sum(isinstance(m, Bottleneck) for m in net.modules()) == blocks
    assert len(se_modules(net)) == blocks


@pytest.mark.parametrize("stem_stride", [1, 2, 4])
def test_low_and_high_feature_strides(stem_stride):
    net = SEResNet((1, 1, 1, 1), TASKS, width=1 / 16, stem_stride=stem_stride)
    low, high = net(torch.rand(2, 3, 32, 32))
    assert low.shape == (2, net.low_channels, 32 // stem_stride, 32 // stem_stride)
    assert high.shape == (2, net.out_channels, 8 // stem_stride, 8 // stem_stride)
    assert (net.low_stride, net.stride) == (stem_stride, 4 * stem_stride)


def test_se_sits_after_the_last_batch_norm_before_the_residual_addition():
    block = se_bottleneck(32, 8, 1, 1, TASKS, se="shared")
    assert isinstance(block.bn3[0], nn.BatchNorm2d) and isinstance(block.bn3[1], SqueezeExcitation)
    block.eval()
    x = torch.rand(2, 32, 6, 6)
    h = block.relu(block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x))))))
    h = block.bn3[0](block.conv3(h))
    gate = torch.sigmoid(block.bn3[1].fc2(torch.relu(block.bn3[1].fc1(h.mean((2, 3), keepdim=True)))))
    torch.testing.assert_close(block(x), torch.relu(h * gate + x))


def test_block_adapter_is_eq2_x_plus_L_plus_RA():
    block = se_bottleneck(32, 8, 1, 1, TASKS, se="none", adapter="block")
    adapter_a = block.downsample.adapter.branches["a"]
    assert adapter_a.weight.abs().sum() == 0  # zero-initialised: starts as the shared block
    nn.init.normal_(adapter_a.weight)
    block.eval()
    set_task(block, "a")
    x = torch.rand(2, 32, 6, 6)
    residual = block.bn3(block.conv3(block.relu(block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x))))))))
    expected = torch.relu(x + residual + nn.functional.conv2d(x, adapter_a.weight))
    torch.testing.assert_close(block(x), expected)
    set_task(block, "b")  # task b's adapter is still zero
    torch.testing.assert_close(block(x), torch.relu(x + residual))


def test_conv_adapter_sits_beside_the_3x3_convolution():
    block = se_bottleneck(32, 8, 2, 1, TASKS, se="none", adapter="conv")
    conv2 = block.conv2
    assert conv2.adapter.branches["a"].stride == conv2.layer.stride == (2, 2)
    nn.init.normal_(conv2.adapter.branches["b"].weight)
    set_task(block, "b")
    h = torch.rand(2, 8, 6, 6)
    torch.testing.assert_close(conv2(h), conv2.layer(h) + nn.functional.conv2d(h, conv2.adapter.branches["b"].weight, stride=2))


def used_parameters(net, task, x):
    set_task(net, task)
    low, high = net(x)
    grads = torch.autograd.grad(high.square().sum() + low.sum(), list(net.parameters()), allow_unused=True)
    return {name for (name, _), g in zip(net.named_parameters(), grads) if g is not None and g.abs().sum() > 0}


@pytest.mark.parametrize("options", [dict(se="task"), dict(se="task", task_bn=True), dict(se="shared", adapter="block", task_bn=True)])
def test_task_modules_are_used_only_by_their_task_and_everything_else_is_shared(options):
    net = tiny(**options)
    for switch in task_switches(net):
        for p in switch.branches.parameters():
            nn.init.normal_(p, 0.0, 0.5)
    x = torch.rand(2, 3, 16, 16)
    used_a, used_b = used_parameters(net, "a", x), used_parameters(net, "b", x)
    specific = {n for n, _ in net.named_parameters() if ".branches." in n}
    assert used_a - specific == used_b - specific == {n for n, _ in net.named_parameters()} - specific
    assert all(".branches.a." in n for n in used_a & specific)
    assert all(".branches.b." in n for n in used_b & specific)
    assert used_a & specific and used_b & specific


def features_per_task(net, x):
    out = {}
    for task in TASKS:
        set_task(net, task)
        out[task] = net(x)[1]
    return out


def test_per_task_se_starts_shared_and_then_changes_the_features_per_task():
    x = torch.rand(2, 3, 16, 16)
    net = tiny(se="task", task_bn=True).eval()
    start = features_per_task(net, x)
    torch.testing.assert_close(start["a"], start["b"])  # every task's copy starts from the same SE
    for p in task_switches(net)[0].branches["b"].parameters():
        nn.init.normal_(p, 0.0, 0.5)
    trained = features_per_task(net, x)
    torch.testing.assert_close(trained["a"], start["a"])
    assert not torch.allclose(trained["a"], trained["b"])
    shared = tiny(se="shared").eval()
    assert task_switches(shared) == []


def test_per_task_batch_norm_keeps_separate_running_statistics():
    net = tiny(se="shared", task_bn=True).train()
    set_task(net, "a")
    net(torch.rand(4, 3, 16, 16) + 3.0)
    bn = task_switches(net)[0].branches
    assert not torch.equal(bn["a"].running_mean, bn["b"].running_mean)
    assert torch.equal(bn["b"].running_mean, torch.zeros_like(bn["b"].running_mean))


def test_task_switch_errors():
    net = tiny(se="task")
    with pytest.raises(RuntimeError, match="no active task"):
        net(torch.rand(2, 3, 16, 16))
    with pytest.raises(ValueError, match="unknown task 'c'"):
        set_task(net, "c")
    with pytest.raises(ValueError, match="stem_stride"):
        SEResNet((1, 1, 1, 1), TASKS, stem_stride=3)
    with pytest.raises(ValueError, match="adapter"):
        se_bottleneck(8, 2, 1, 1, TASKS, adapter="serial")
    with pytest.raises(ValueError):
        TaskSwitch(nn.Identity, [])


def test_mobilenet_trunk_matches_torchvision_and_has_se_in_every_block():
    with torch.device("meta"):
        plain = SEMobileNetV2(TASKS, se="none")
        reference = mobilenet_v2(weights=None).features
    assert count(plain) == count(reference) - count(reference[-1])
    shared = SEMobileNetV2(TASKS, se="shared")
    assert len(se_modules(shared)) == 17
    low, high = shared(torch.rand(2, 3, 32, 32))
    assert low.shape == (2, 24, 8, 8) and high.shape == (2, 320, 2, 2)


def test_mobilenet_per_task_se_and_batch_norm():
    net = SEMobileNetV2(TASKS, width=0.25, se="task", task_bn=True, stem_stride=2)
    assert len(se_modules(net)) == 17 * len(TASKS)
    set_task(net, "b")
    low, high = net(torch.rand(2, 3, 32, 32))
    assert (low.shape[-1], high.shape[-1]) == (16, 4)


def test_build_single_tasking_options():
    tasks = get_tasks(["segment_semantic", "depth_zbuffer"], {"segment_semantic": 3})
    common = dict(width=1 / 16, decoder_width=8, stem_stride=2, layers=(1, 1, 1, 1), rates=(1, 2, 3))
    mt = build_single_tasking(tasks, se_encoder="shared", **common)
    assert not mt.encoder_per_task and not mt.decoder_per_task
    dec = build_single_tasking(tasks, se_encoder="shared", se_decoder="task", **common)
    assert not dec.encoder_per_task and dec.decoder_per_task
    enc = build_single_tasking(tasks, se_encoder="task", se_decoder="task", **common)
    assert enc.encoder_per_task and enc.decoder_per_task
    out = enc(torch.rand(2, 3, 16, 16))
    assert out["segment_semantic"].shape == (2, 3, 16, 16) and out["depth_zbuffer"].shape == (2, 1, 16, 16)
    def per_task_bn(net):
        return sum(isinstance(next(iter(sw.branches.values())), nn.BatchNorm2d) for sw in task_switches(net))

    assert per_task_bn(mt) == 0 and per_task_bn(enc) > 0  # per-task SE brings per-task batch-norm (Sec. 3.2)
    bn_only = build_single_tasking(tasks, se_encoder="shared", task_bn=True, **common)  # switched on alone
    assert per_task_bn(bn_only) == per_task_bn(enc) and not any(
        isinstance(next(iter(sw.branches.values())), SqueezeExcitation) for sw in task_switches(bn_only))
    assert per_task_bn(build_single_tasking(tasks, se_encoder="task", se_decoder="task", task_bn=False, **common)) == 0
    with pytest.raises(ValueError, match="backbone"):
        build_single_tasking(tasks, backbone="R-152")
    with pytest.raises(ValueError, match="se_decoder"):
        build_single_tasking(tasks, decoder="uber", se_decoder="task", **common)
    with pytest.raises(ValueError, match="MobileNetV2"):
        build_single_tasking(tasks, backbone="MobileNetV2", adapters="block")
