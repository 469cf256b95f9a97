"""Procedural scenes: every label's shape and range, physical consistency between labels, determinism."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from paper_mtl.data import scenes
from paper_mtl.data.scenes import FAMILIES, FAR_DEPTH, LABEL_KEYS, classes, part_classes, render
from paper_mtl.plots.scenes import plot_scene

N, SIZE = 6, 32
CHANNELS = {"rgb": 3, "depth_zbuffer": 1, "depth_euclidean": 1, "normal": 3, "reshading": 1, "edge_texture": 1,
            "edge_occlusion": 1, "keypoints2d": 1, "keypoints3d": 1, "principal_curvature": 2, "albedo": 3}


@pytest.fixture(scope="module", params=FAMILIES)
def rendered(request):
    return request.param, render(N, size=SIZE, family=request.param, seed=7)


def camera_rays(labels: dict[str, np.ndarray]) -> np.ndarray:
    """Unit view rays (n, 3, H, W) in the camera frame, with tan(fov/2) recovered from the two depths.

    With pixel-centre coordinates (a, b) in [-1, 1], the ray is (a t, b t, 1) / norm, and
    euclidean / zbuffer = sqrt(1 + t^2 (a^2 + b^2)); the corner pixel gives t.
    """
    size = labels["rgb"].shape[-1]
    coord = (np.arange(size) + 0.5) * (2.0 / size) - 1.0
    ratio = labels["depth_euclidean"][:, 0, 0, 0].astype(np.float64) / labels["depth_zbuffer"][:, 0, 0, 0]
    tan = np.sqrt((ratio**2 - 1.0) / (2 * coord[0] ** 2))
    a = coord[None, None, :] * tan[:, None, None]
    b = coord[None, :, None] * tan[:, None, None]
    rays = np.stack(np.broadcast_arrays(a, b, np.ones_like(a)), axis=1)
    return rays / np.linalg.norm(rays, axis=1, keepdims=True)


def test_shapes_dtypes_and_ranges(rendered):
    family, labels = rendered
    assert tuple(labels) == LABEL_KEYS
    for key, channels in CHANNELS.items():
        assert labels[key].shape == (N, channels, SIZE, SIZE), key
        assert labels[key].dtype == np.float32, key
        assert np.isfinite(labels[key]).all(), key
    for key in ("segment_semantic", "parts", "saliency"):
        assert labels[key].shape == (N, SIZE, SIZE), key
        assert labels[key].dtype == np.int64, key
    assert 0 <= labels["segment_semantic"].min() and labels["segment_semantic"].max() < len(classes(family))
    assert 0 <= labels["parts"].min() and labels["parts"].max() < len(part_classes(family))
    assert set(np.unique(labels["saliency"])) <= {0, 1}
    for key in ("rgb", "albedo", "reshading", "edge_texture", "edge_occlusion", "keypoints2d", "keypoints3d"):
        assert labels[key].min() >= 0.0 and labels[key].max() <= 1.0, key
    assert labels["principal_curvature"].min() >= 0.0  # every primitive is convex seen from outside


def test_depths_positive_and_euclidean_at_least_zbuffer(rendered):
    family, labels = rendered
    z, e = labels["depth_zbuffer"], labels["depth_euclidean"]
    assert (z > 0).all() and (e >= z).all() and z.max() <= FAR_DEPTH
    # The ratio is the ray's cos to the optical axis: the same tan(fov/2) explains every pixel.
    rays = camera_rays(labels)
    np.testing.assert_allclose(z / e, rays[:, 2:3], rtol=2e-5)
    if family == "street":  # the sky is the far plane
        sky = labels["segment_semantic"] == classes(family).index("sky")
        assert sky.any()
        np.testing.assert_array_equal(z[:, 0][sky], FAR_DEPTH)
        np.testing.assert_array_equal(np.moveaxis(labels["normal"], 1, -1)[sky], [[0.0, 0.0, -1.0]] * sky.sum())
        assert (z[:, 0][~sky] < FAR_DEPTH).all()


def test_normals_are_unit_and_face_the_camera(rendered):
    _, labels = rendered
    n = labels["normal"].astype(np.float64)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-5)
    facing = (n * camera_rays(labels)).sum(axis=1)
    assert facing.max() <= 1e-5
    assert np.median(facing) < -0.2


def test_planar_stuff_has_one_normal_per_scene(rendered):
    family, labels = rendered
    ground = classes(family).index("floor" if family == "indoor" else "road")
    for i in range(N):
        mask = labels["segment_semantic"][i] == ground
        if mask.sum() >= 2:
            normals = labels["normal"][i][:, mask]
            np.testing.assert_allclose(normals, normals[:, :1].repeat(mask.sum(), axis=1), atol=1e-5)


def test_floor_depth_matches_the_closed_form():
    """Euclidean depth of floor pixels = camera height / (downward component of the world ray)."""
    labels = render(4, size=SIZE, family="indoor", seed=2)
    _, cams = scenes._scene_tables("indoor", seed=2, first=0, count=4)
    rays = camera_rays(labels).astype(np.float64)
    floor = labels["segment_semantic"] == classes("indoor").index("floor")
    assert floor.sum() > 200
    for i in range(4):
        rot = cams[i, scenes._R:scenes._R + 9].reshape(3, 3).astype(np.float64)
        world_y = np.einsum("j,jhw->hw", rot[1], rays[i])
        expected = cams[i, scenes._O + 1] / -world_y
        np.testing.assert_allclose(labels["depth_euclidean"][i, 0][floor[i]], expected[floor[i]], rtol=1e-4)


def test_rgb_is_albedo_times_reshading(rendered):
    _, labels = rendered
    np.testing.assert_array_equal(labels["rgb"], labels["albedo"] * labels["reshading"])
    assert labels["reshading"].min() > 0.0  # the ambient term


def test_curvature_matches_primitives(rendered):
    _, labels = rendered
    k1, k2 = labels["principal_curvature"][:, 0], labels["principal_curvature"][:, 1]
    parts = labels["parts"]
    names = part_classes("indoor")
    assert (k1 >= k2).all()
    sphere = np.isin(parts, [names.index("sphere_upper"), names.index("sphere_lower")])
    cylinder_side = parts == names.index("cylinder_side")
    flat = ~sphere & ~cylinder_side
    assert sphere.any() and cylinder_side.any()
    np.testing.assert_array_equal(k1[sphere], k2[sphere])
    assert (k1[sphere] > 0).all()
    assert (k1[cylinder_side] > 0).all() and (k2[cylinder_side] == 0).all()
    assert (k1[flat] == 0).all() and (k2[flat] == 0).all()
    # 1/k is the radius: spheres (balls, lamps, bushes) 0.1-1.8 m, cylinder sides (bins, pillars, poles,
    # people) 0.06-0.35 m
    assert 0.1 <= (1 / k1[sphere]).min() and (1 / k1[sphere]).max() <= 1.8
    assert 0.06 <= (1 / k1[cylinder_side]).min() and (1 / k1[cylinder_side]).max() <= 0.35


def neighbours_differ(x: np.ndarray, differ) -> np.ndarray:
    """(n, H, W) mask of pixels where ``differ(a, b)`` holds with a 4-neighbour; x is (n, C, H, W)."""
    out = np.zeros((x.shape[0], *x.shape[2:]), dtype=bool)
    for axis in (2, 3):
        a = np.take(x, range(x.shape[axis] - 1), axis=axis)
        b = np.take(x, range(1, x.shape[axis]), axis=axis)
        flag = differ(a, b)
        for pad in ((0, 1), (1, 0)):
            widths = [(0, 0)] * 3
            widths[axis - 1] = pad
            out |= np.pad(flag, widths)
    return out


def test_occlusion_edges_where_depth_jumps(rendered):
    _, labels = rendered
    jump = neighbours_differ(labels["depth_zbuffer"], lambda a, b: (np.maximum(a, b) / np.minimum(a, b) > 1.3)[:, 0])
    crease = neighbours_differ(labels["normal"], lambda a, b: (a * b).sum(axis=1) < 0.98)
    smooth = ~jump & ~crease
    edges = labels["edge_occlusion"][:, 0]
    assert jump.sum() > 20 and smooth.sum() > 1000
    assert edges[jump].mean() > 0.4
    assert edges[jump].mean() > 20 * edges[smooth].mean()
    assert edges[crease & ~jump].mean() > 0.2


def test_texture_edges_exist_apart_from_geometry(rendered):
    _, labels = rendered
    texture_only = (labels["edge_texture"] > 0.15) & (labels["edge_occlusion"] < 0.02)
    assert texture_only.sum() > 10


def test_keypoints_respond_to_corners_not_to_flat_regions(rendered):
    _, labels = rendered
    curved = labels["principal_curvature"][:, 0] > 0
    for key, edge_key in (("keypoints2d", "edge_texture"), ("keypoints3d", "edge_occlusion")):
        k, edges = labels[key][:, 0], labels[edge_key][:, 0]
        assert k.max() > 0.3, key
        # flat (planar, edge-free) surroundings of radius 4 have no interest points
        flat = np.ones_like(edges, dtype=bool)
        for dr in range(-4, 5):
            for dc in range(-4, 5):
                shifted = (np.roll(edges, (dr, dc), axis=(1, 2)) < 0.02) & ~np.roll(curved, (dr, dc), axis=(1, 2))
                flat &= shifted
        assert flat.sum() > 50, key
        assert k[flat].max() < 0.02, key


def test_saliency_is_one_whole_object(rendered):
    family, labels = rendered
    for i in range(N):
        salient = labels["saliency"][i] == 1
        things = labels["parts"][i] > 0
        assert salient.any() == things.any()
        if salient.any():
            assert (labels["parts"][i][salient] > 0).all()
            assert len(np.unique(labels["segment_semantic"][i][salient])) == 1


def test_same_seed_same_arrays_and_other_seed_differs():
    a = render(3, size=16, family="street", seed=11)
    b = render(3, size=16, family="street", seed=11)
    c = render(3, size=16, family="street", seed=12)
    for key in LABEL_KEYS:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["rgb"], c["rgb"])
    assert not np.array_equal(a["depth_zbuffer"], c["depth_zbuffer"])


def test_scene_depends_only_on_seed_and_index(monkeypatch):
    """Prefix property, also when the scenes are split into other chunks."""
    whole = render(5, size=16, family="indoor", seed=3)
    monkeypatch.setattr(scenes.api, "_CHUNK_PIXELS", 2 * 16 * 16)
    chunked = render(5, size=16, family="indoor", seed=3)
    prefix = render(3, size=16, family="indoor", seed=3)
    for key in LABEL_KEYS:
        np.testing.assert_array_equal(whole[key], chunked[key])
        np.testing.assert_array_equal(whole[key][:3], prefix[key])
    assert not np.array_equal(whole["rgb"][0], whole["rgb"][1])


@pytest.mark.parametrize("family", FAMILIES)
def test_tile_culling_changes_nothing(family, monkeypatch):
    """Casting every ray against every primitive gives the same arrays as the culled cast."""
    culled = render(4, size=SIZE, family=family, seed=9)

    def every_tile(s, kind, cam, cones):
        return (s[:, :, scenes._ACTIVE:scenes._ACTIVE + 1] > 0).expand(-1, -1, cones[0].shape[-1])

    monkeypatch.setattr(scenes.raycast, "_candidates", every_tile)
    brute = render(4, size=SIZE, family=family, seed=9)
    for key in LABEL_KEYS:
        np.testing.assert_array_equal(culled[key], brute[key], err_msg=key)


def test_geometry_does_not_depend_on_resolution():
    """The same scenes at 10 and 30 pixels: coarse pixel i has the centre of fine pixel 3 i + 1."""
    coarse = render(3, size=10, family="street", seed=5)
    fine = render(3, size=30, family="street", seed=5)
    same = coarse["segment_semantic"] == fine["segment_semantic"][..., 1::3, 1::3]
    assert same.mean() > 0.98
    for key in ("depth_euclidean", "normal"):
        np.testing.assert_allclose(np.moveaxis(coarse[key], 1, -1)[same],
                                   np.moveaxis(fine[key][..., 1::3, 1::3], 1, -1)[same], rtol=1e-4, atol=1e-5)


def test_pinned_class_histogram():
    """Regression pin: the scene sampler and the ray caster, for seed 0 at 16 x 16."""
    for family, expected in PINNED.items():
        seg = render(2, size=16, family=family, seed=0)["segment_semantic"]
        counts = np.bincount(seg.ravel(), minlength=len(classes(family))).tolist()
        assert counts == expected, family


PINNED = {
    "indoor": [134, 167, 6, 58, 82, 0, 10, 21, 25, 9, 0],
    "street": [245, 15, 111, 91, 0, 36, 11, 3, 0],
}


def test_families_have_distinct_class_lists():
    indoor, street = classes("indoor"), classes("street")
    assert len(indoor) >= 6 and len(street) >= 6
    assert not set(indoor) & set(street)
    assert "unlabeled" not in indoor + street
    assert part_classes("indoor")[0] == part_classes("street")[0] == "background"


def test_every_class_is_generated():
    """Every class has primitives in a few scenes' parameter tables (the sky is the absence of one)."""
    for family in FAMILIES:
        slots, _ = scenes._scene_tables(family, seed=1, first=0, count=8)
        generated = set(slots[..., scenes._CLASS][slots[..., scenes._ACTIVE] > 0].astype(int).tolist())
        expected = set(range(len(classes(family)))) - ({classes(family).index("sky")} if family == "street" else set())
        assert generated == expected, family


def test_sizes_not_multiple_of_the_tile():
    labels = render(2, size=13, family="indoor", seed=4)
    assert labels["rgb"].shape == (2, 3, 13, 13) and labels["segment_semantic"].shape == (2, 13, 13)
    assert (labels["depth_euclidean"] >= labels["depth_zbuffer"]).all()


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [
        ({"n": 0}, "n=0"),
        ({"n": 2.5}, "n=2.5"),
        ({"size": 4}, "size=4"),
        ({"family": "kitchen"}, "'kitchen'"),
        ({"seed": -1}, "seed=-1"),
        ({"device": "not-a-device"}, "'not-a-device'"),
        ({"device": "meta"}, "'meta'"),
    ],
)
def test_bad_arguments_raise(kwargs, bad):
    args = {"n": 1, "size": 8} | kwargs
    with pytest.raises(ValueError, match=bad.replace(".", r"\.")) as err:
        render(**args)
    if "family" in kwargs:
        assert "indoor" in str(err.value) and "street" in str(err.value)


def test_unknown_family_in_class_lists():
    with pytest.raises(ValueError, match="'garden'"):
        classes("garden")
    with pytest.raises(ValueError, match="'garden'"):
        part_classes("garden")


def test_cuda_request_without_cuda_is_refused_or_honoured():
    if torch.cuda.is_available():
        on_gpu = render(2, size=16, family="indoor", seed=0, device="cuda")
        on_cpu = render(2, size=16, family="indoor", seed=0)
        same = on_gpu["segment_semantic"] == on_cpu["segment_semantic"]
        assert same.mean() > 0.999
        np.testing.assert_allclose(on_gpu["depth_euclidean"][:, 0][same], on_cpu["depth_euclidean"][:, 0][same],
                                   rtol=1e-5)
    else:
        with pytest.raises(ValueError, match="'cuda'"):
            render(1, size=8, device="cuda")


def test_render_restores_the_thread_count():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        render(1, size=8)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_plot_scene_has_one_titled_axes_per_label(rendered):
    _, labels = rendered
    fig = plot_scene(labels, index=1)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == list(LABEL_KEYS)
    with pytest.raises(ValueError, match="index=6"):
        plot_scene(labels, index=N)
