import pytest
import torch

from paper_mtl.tasks import available, get_task, get_tasks, loss_map


def test_registry_has_taskonomy_names_and_plain_ones():
    names = set(available())
    taskonomy = {"segment_semantic", "depth_zbuffer", "depth_euclidean", "normal", "reshading", "edge_texture",
                 "edge_occlusion", "keypoints2d", "keypoints3d", "principal_curvature", "rgb"}
    assert taskonomy | {"parts", "saliency", "albedo", "left", "right"} <= names


def test_label_task_needs_its_classes():
    with pytest.raises(ValueError, match="segment_semantic"):
        get_task("segment_semantic")
    assert get_task("segment_semantic", classes=13).channels == 13
    with pytest.raises(ValueError, match="not a label task"):
        get_task("depth_zbuffer", classes=3)


def test_unknown_task_names_the_choices():
    with pytest.raises(ValueError, match="unknown task 'dept'.*depth_zbuffer"):
        get_task("dept")


def test_cross_entropy_ignores_negative_labels():
    pred = torch.zeros(1, 3, 1, 2)
    pred[0, 1, 0, 0] = 10.0
    target = torch.tensor([[[1, -1]]])
    task = get_task("segment_semantic", classes=3)
    values, mask = task.loss_map(pred, target)
    assert mask.tolist() == [[[True, False]]]
    assert task.compute_loss(pred, target).item() == pytest.approx(values[0, 0, 0].item())
    assert values[0, 0, 0].item() == pytest.approx(-torch.log_softmax(pred[0, :, 0, 0], 0)[1].item())


def test_masked_l1_ignores_missing_pixels():
    pred = torch.ones(1, 1, 1, 2)
    target = torch.tensor([[[[3.0, 0.0]]]])
    assert get_task("depth_zbuffer").compute_loss(pred, target).item() == pytest.approx(2.0)
    assert get_task("edge_texture").compute_loss(pred, target).item() == pytest.approx(1.5)


@pytest.mark.parametrize("name", ["edge_texture", "edge_occlusion", "keypoints2d", "keypoints3d", "reshading",
                                  "principal_curvature", "rgb", "albedo"])
def test_maps_where_zero_is_a_value_score_every_pixel(name):
    """An edge map is mostly zeros: a model predicting 1 everywhere is wrong on them, in the loss and the metric."""
    task = get_task(name)
    target = torch.zeros(1, task.channels, 1, 2)
    target[:, :, 0, 0] = 1.0
    pred = torch.ones_like(target)
    assert task.compute_loss(pred, target).item() == pytest.approx(0.5)
    metric = task.new_metric()
    metric.update(pred, target)
    assert metric.compute() == pytest.approx(0.5)


@pytest.mark.parametrize("name", ["depth_zbuffer", "depth_euclidean", "normal"])
def test_depth_and_normals_are_scored_on_valid_pixels_only(name):
    task = get_task(name)
    target = torch.zeros(1, task.channels, 1, 2)
    target[:, :, 0, 0] = 0.5
    pred = torch.ones_like(target)
    metric = task.new_metric()
    metric.update(pred, target)
    assert task.compute_loss(pred, target).item() == pytest.approx(0.5)
    assert metric.compute() == pytest.approx(0.5)


def test_balanced_bce_weights_positives():
    pred = torch.zeros(1, 1, 1, 2)
    target = torch.tensor([[[[1.0, 0.0]]]])
    values, _ = loss_map("balanced_bce", pred, target, pos_weight=0.95)
    log2 = torch.log(torch.tensor(2.0)).item()
    assert values[0, 0].tolist() == pytest.approx([0.95 * log2, 0.05 * log2])


def test_get_tasks_and_unknown_loss():
    tasks = get_tasks(["left", "normal"])
    assert tasks["left"].channels == 5 and not tasks["left"].dense
    with pytest.raises(ValueError, match="unknown loss 'l3'"):
        loss_map("l3", torch.zeros(1), torch.zeros(1))


def test_a_task_takes_its_direction_from_its_metric():
    """One source for "higher is better": the metric; overriding a task's metric changes its direction."""
    assert get_task("segment_semantic", classes=3).higher_is_better
    assert not get_task("depth_zbuffer").higher_is_better
    assert get_task("depth_zbuffer", metric="delta1").higher_is_better
    assert not get_task("saliency", metric="l1").higher_is_better
    for name in available():
        task = get_task(name, classes=2) if name in ("segment_semantic", "parts") else get_task(name)
        assert task.higher_is_better == task.new_metric().higher_is_better, name


def test_the_reported_score_is_lower_better_unless_it_is_miou():
    from paper_mtl.adversarial import reported_higher_is_better

    assert reported_higher_is_better(get_task("segment_semantic", classes=3))
    assert not reported_higher_is_better(get_task("left"))  # accuracy is reported as a loss (its score is the loss)
    assert not reported_higher_is_better(get_task("depth_zbuffer", metric="delta1"))
