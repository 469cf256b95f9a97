"""Procedural 3-D scenes with every Taskonomy-style dense label, computed exactly from one geometry.

Each image is one random scene (units: metres, y up), ray-cast (nearest hit) against analytic primitives:
infinite planes, yaw-rotated boxes, spheres and vertical cylinders, one class per primitive.

- ``indoor`` (stands in for NYUv2/Taskonomy): a closed room of 4-8 m x 4-8 m x 2.5-3.2 m (floor, four walls,
  ceiling) with tables, cabinets, a bed, crates (boxes), balls and a ceiling lamp (spheres), a pillar and
  bins (cylinders); a point light under the ceiling (just below the lamp, if any); the camera 1.1-1.8 m
  high, looking roughly across the room and slightly down.
- ``street`` (stands in for Cityscapes/Virtual KITTI): a road plane, raised sidewalks and buildings (boxes),
  cars and a truck (boxes), poles and people (cylinders), bushes (spheres), the sky; the sun as a directional
  light; a car-mounted camera 1.2-1.8 m high looking down the road.

Each class has its own shape and size range and colour/texture statistics, so classes are learnable from
appearance. Stuff classes (floor, wall, ceiling; road, sidewalk, building, sky) are background for ``parts``
and ``saliency``; the other classes are objects ("things"). The camera has a random pose and a horizontal
field of view of 48-77 degrees (OpenCV camera frame: x right, y down, z forward). Every label is a function of
the one hit per pixel, so the labels agree with each other exactly:

=================== =========== ====================================================================================
key                 shape       definition
=================== =========== ====================================================================================
rgb                 (n,3,H,W)   ``albedo * reshading`` in [0, 1] (also the autoencoding target)
segment_semantic    (n,H,W)     class id of the hit primitive (``classes(family)``); every pixel is labelled
parts               (n,H,W)     object-part id (``part_classes(family)``): box top, box side (normal across the
                                box's longer horizontal axis) or box end (normal along it), upper or lower
                                hemisphere of a sphere, side or top cap of a cylinder; 0 on stuff and sky
saliency            (n,H,W)     1 on the most salient object: the object ("thing" class) with the largest
                                projected area in the image, ties to the lower slot; all 0 if no object is seen
depth_zbuffer       (n,1,H,W)   camera-frame z of the hit, metres
depth_euclidean     (n,1,H,W)   distance from the camera centre to the hit, metres (>= depth_zbuffer)
normal              (n,3,H,W)   unit surface normal in the camera frame (x right, y down, z forward), facing the
                                camera: ``dot(normal, ray) <= 0``
reshading           (n,1,H,W)   ``ambient + (1 - ambient) * max(0, n . l)``: Lambertian shading of the
                                untextured geometry under the scene's one light (no shadows), in [0, 1]
edge_texture        (n,1,H,W)   colour Sobel magnitude of ``rgb``, scaled so a unit step gives 1, clipped to 1
edge_occlusion      (n,1,H,W)   ``max(depth term, normal term)`` in [0, 1]: the depth term is 4 x the relative
                                second difference of inverse z-depth (exactly 0 inside a plane,
                                ``4 (1 - z_near/z_far)`` at an occlusion), the normal term ``|n_i - n_j| / 2``
                                (max over the 4-neighbours; 0.71 at a right-angled crease), both clipped to 1
keypoints2d         (n,1,H,W)   Shi-Tomasi response of ``rgb``: ``2 sqrt(lambda_min)`` of the colour structure
                                tensor (Sobel of the 3x3-smoothed image, 5x5 binomial window), clipped to 1
keypoints3d         (n,1,H,W)   the same Shi-Tomasi response computed on the geometry: camera-frame normals
                                and the bounded depth ``4 z / (z + 2 m)``, clipped to 1
principal_curvature (n,2,H,W)   (k1, k2), k1 >= k2, in 1/metre, analytic: planes and box faces (0, 0),
                                spheres (1/r, 1/r), cylinder sides (1/r, 0), cylinder caps and sky (0, 0)
albedo              (n,3,H,W)   surface colour without shading, in [0, 1]
=================== =========== ====================================================================================

Sky (street scenes only): the world is clipped at the far plane ``depth_zbuffer = FAR_DEPTH`` (100 m; so the
infinite road ends before the horizon), and rays that hit nothing in front of it see the sky, which is that far
plane: ``depth_zbuffer = FAR_DEPTH``, ``depth_euclidean = FAR_DEPTH / cos(angle to the optical axis)``, normal
(0, 0, -1) in the camera frame, reshading 1, curvature (0, 0), parts 0, and its albedo a per-scene blue gradient.

Textures (stripes, checks, triangle-wave interference, dashed lane marks) are solid textures in the object's
own frame, so texture edges exist apart from geometry edges; they fade to their mean where one period covers
fewer than 4 pixels (an analytic anti-aliasing), so far textures do not alias into noise.

Determinism: scene ``i`` of ``render(n, seed=s)`` is drawn by ``np.random.default_rng`` from the child seed
``SeedSequence(s, spawn_key=(i,))`` (what ``SeedSequence(s).spawn`` gives), so it depends on ``(s, i, family)``
only and ``render(10, seed=0)[k][:5] == render(5, seed=0)[k]`` exactly. Scene parameters use only
arithmetic of the generator's uniform draws (no trigonometry), and rendering uses only correctly rounded
float32 operations (add, multiply, divide, sqrt, floor, min/max) with no float reductions whose order could
depend on the batch, so that a CPU gives the same bits on any machine (a test pins a class histogram); a GPU
gives the same labels up to rounding.

Speed: rays are cast in 8 x 8 pixel tiles, each against only the primitives whose bounding sphere meets the
tile's cone of rays; the benchmark ``benchmarks/bench_render.py`` measures scenes per second.
"""

from __future__ import annotations

import colorsys
import contextlib
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FAMILIES: tuple[str, ...] = ("indoor", "street")
LABEL_KEYS: tuple[str, ...] = (
    "rgb",
    "segment_semantic",
    "parts",
    "saliency",
    "depth_zbuffer",
    "depth_euclidean",
    "normal",
    "reshading",
    "edge_texture",
    "edge_occlusion",
    "keypoints2d",
    "keypoints3d",
    "principal_curvature",
    "albedo",
)
FAR_DEPTH = 100.0

_CLASSES: dict[str, tuple[str, ...]] = {
    "indoor": ("floor", "wall", "ceiling", "table", "cabinet", "bed", "crate", "ball", "pillar", "bin", "lamp"),
    "street": ("road", "sidewalk", "building", "sky", "car", "truck", "pole", "person", "vegetation"),
}
_STUFF: dict[str, frozenset[str]] = {
    "indoor": frozenset({"floor", "wall", "ceiling"}),
    "street": frozenset({"road", "sidewalk", "building", "sky"}),
}
# Class of a ray that hits nothing: the sky outdoors; indoors every ray leaves the closed room through a wall,
# floor or ceiling, so "wall" is only a formal default there.
_BACKGROUND_CLASS = {"indoor": "wall", "street": "sky"}
_PARTS: tuple[str, ...] = (
    "background",
    "box_top",
    "box_side",
    "box_end",
    "sphere_upper",
    "sphere_lower",
    "cylinder_side",
    "cylinder_top",
)

# Primitive types, in the order of their slot blocks.
_PLANE, _BOX, _SPHERE, _CYLINDER = 0, 1, 2, 3
_SLOTS = {"indoor": (6, 8, 4, 3), "street": (1, 15, 3, 8)}

# Texture types.
_PLAIN, _STRIPES, _CHECKS, _WAVES, _DASHES = 0, 1, 2, 3, 4

# Columns of the per-slot parameter table.
_TYPE, _ACTIVE, _CLASS, _THING = 0, 1, 2, 3
_C, _COS, _SIN, _EXT, _N, _OFF = 4, 7, 8, 9, 12, 15
_TEX, _FREQ, _A0, _A1, _A2, _PH, _C1, _C2, _LANEW = 16, 17, 18, 21, 24, 27, 30, 33, 36
_NF = 37
# Columns of the per-scene camera table: origin, camera-to-world rotation (row major), tan(fov/2), ambient,
# light (x, y, z, w: w=1 point light at xyz, w=0 directional light towards xyz), sky zenith and horizon colours.
_O, _R, _TAN, _AMB, _LIGHT, _ZEN, _HOR = 0, 3, 12, 13, 14, 18, 21
_NG = 24

_EPS = 1e-4
_CHUNK_PIXELS = 1 << 17  # pixels rendered at once on the CPU (cache-friendly); on CUDA, larger chunks
_CHUNK_PIXELS_CUDA = 1 << 21


def _check_family(family: str) -> str:
    if family not in FAMILIES:
        raise ValueError(f"family={family!r} is not one of {FAMILIES}")
    return family


def classes(family: str) -> list[str]:
    """Semantic class names of ``family``; the index is the class id (every pixel has one, no 'unlabeled')."""
    return list(_CLASSES[_check_family(family)])


def part_classes(family: str) -> list[str]:
    """Object-part names; the index is the part id, 0 = background (not an object, or a stuff class)."""
    _check_family(family)
    return list(_PARTS)


# ----------------------------------------------------------------------------------------------------------
# Scene parameters (numpy, CPU, one generator per scene)
# ----------------------------------------------------------------------------------------------------------

# Appearance per class: hue, saturation and value ranges of the base colour, texture choices with their
# probabilities, texture frequency (periods per metre), value factor of the second colour, stripe direction
# ("h": horizontal stripes, "v": vertical stripes, "floor": boards along x or z, None: random).
_LOOK: dict[str, dict[str, dict]] = {
    "indoor": {
        "floor": dict(h=(0.05, 0.12), s=(0.2, 0.6), v=(0.35, 0.8), tex={_CHECKS: 0.5, _STRIPES: 0.5},
                      freq=(1.0, 3.0), k=(0.55, 0.8), dir="floor"),
        "wall": dict(h=(0.0, 1.0), s=(0.05, 0.3), v=(0.7, 0.95), tex={_PLAIN: 0.4, _STRIPES: 0.3, _WAVES: 0.3},
                     freq=(1.0, 3.0), k=(0.8, 0.92), dir="v"),
        "ceiling": dict(h=(0.1, 0.15), s=(0.0, 0.08), v=(0.85, 1.0), tex={_PLAIN: 1.0}, freq=(1.0, 1.0),
                        k=(1.0, 1.0), dir=None),
        "table": dict(h=(0.05, 0.1), s=(0.45, 0.75), v=(0.3, 0.6), tex={_WAVES: 0.6, _STRIPES: 0.4},
                      freq=(3.0, 6.0), k=(0.7, 0.85), dir=None),
        "cabinet": dict(h=(0.0, 1.0), s=(0.0, 0.12), v=(0.45, 0.95), tex={_PLAIN: 0.5, _STRIPES: 0.5},
                        freq=(1.5, 3.0), k=(0.6, 0.8), dir="v"),
        "bed": dict(h=(0.5, 0.95), s=(0.35, 0.7), v=(0.5, 0.9), tex={_CHECKS: 0.6, _STRIPES: 0.4},
                    freq=(2.0, 4.0), k=(0.5, 0.75), dir=None),
        "crate": dict(h=(0.07, 0.11), s=(0.5, 0.8), v=(0.55, 0.85), tex={_CHECKS: 0.5, _STRIPES: 0.5},
                      freq=(3.0, 6.0), k=(0.55, 0.75), dir=None),
        "ball": dict(h=(0.0, 1.0), s=(0.75, 1.0), v=(0.75, 1.0), tex={_PLAIN: 0.5, _STRIPES: 0.5},
                     freq=(3.0, 6.0), k=(0.3, 0.5), dir=None),
        "pillar": dict(h=(0.08, 0.15), s=(0.0, 0.1), v=(0.55, 0.8), tex={_WAVES: 1.0}, freq=(1.5, 3.0),
                       k=(0.75, 0.9), dir=None),
        "bin": dict(h=(0.3, 0.7), s=(0.6, 0.9), v=(0.25, 0.5), tex={_PLAIN: 1.0}, freq=(1.0, 1.0),
                    k=(1.0, 1.0), dir=None),
        "lamp": dict(h=(0.12, 0.16), s=(0.2, 0.5), v=(0.95, 1.0), tex={_PLAIN: 1.0}, freq=(1.0, 1.0),
                     k=(1.0, 1.0), dir=None),
    },
    "street": {
        "road": dict(h=(0.55, 0.65), s=(0.0, 0.08), v=(0.2, 0.35), tex={_DASHES: 1.0}, freq=(0.15, 0.3),
                     k=(1.0, 1.0), dir=None),
        "sidewalk": dict(h=(0.05, 0.12), s=(0.0, 0.15), v=(0.55, 0.75), tex={_CHECKS: 1.0}, freq=(1.0, 2.0),
                         k=(0.75, 0.9), dir=None),
        "building": dict(h=(0.0, 0.12), s=(0.1, 0.55), v=(0.4, 0.85), tex={_CHECKS: 0.5, _STRIPES: 0.3, _WAVES: 0.2},
                         freq=(0.3, 0.6), k=(0.4, 0.7), dir="h"),
        "car": dict(h=(0.0, 1.0), s=(0.6, 1.0), v=(0.45, 0.95), tex={_PLAIN: 0.8, _STRIPES: 0.2},
                    freq=(1.0, 2.0), k=(0.3, 0.5), dir="h"),
        "truck": dict(h=(0.55, 0.65), s=(0.0, 0.35), v=(0.7, 0.95), tex={_PLAIN: 0.5, _STRIPES: 0.5},
                      freq=(0.3, 0.6), k=(0.5, 0.7), dir="h"),
        "pole": dict(h=(0.25, 0.45), s=(0.0, 0.3), v=(0.15, 0.4), tex={_PLAIN: 1.0}, freq=(1.0, 1.0),
                     k=(1.0, 1.0), dir=None),
        "person": dict(h=(0.0, 1.0), s=(0.3, 0.9), v=(0.3, 0.9), tex={_PLAIN: 0.5, _STRIPES: 0.5},
                       freq=(3.0, 6.0), k=(0.3, 0.6), dir="h"),
        "vegetation": dict(h=(0.22, 0.38), s=(0.5, 0.85), v=(0.25, 0.6), tex={_WAVES: 1.0}, freq=(2.0, 4.0),
                           k=(0.5, 0.75), dir=None),
    },
}


class _Draws:
    """Uniform draws of one scene's generator, consumed as Python floats (cheap scalar sampling).

    The generator is ``np.random.default_rng(SeedSequence(seed, spawn_key=(index,)))``; numbers are drawn in
    blocks with ``Generator.random`` and every sample below is arithmetic on them (no trigonometry, no
    platform-dependent transcendental functions).
    """

    def __init__(self, seed: int, index: int) -> None:
        self._rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
        self._buf: list[float] = []
        self._pos = 0

    def __call__(self, lo: float = 0.0, hi: float = 1.0) -> float:
        if self._pos == len(self._buf):
            self._buf, self._pos = self._rng.random(256).tolist(), 0
        u = self._buf[self._pos]
        self._pos += 1
        return lo + (hi - lo) * u

    def integer(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi] (both included)."""
        return min(hi, lo + int(self() * (hi - lo + 1)))

    def sign(self) -> float:
        return 1.0 if self() < 0.5 else -1.0

    def unit(self) -> list[float]:
        """A random unit 3-vector (z uniform, azimuth from a rational half-angle parametrisation)."""
        z = self(-1.0, 1.0)
        c, s = self.half_angle(-1.0, 1.0)
        rho = math.sqrt(max(0.0, 1.0 - z * z)) * self.sign()
        return [rho * c, rho * s, z]

    def half_angle(self, lo: float, hi: float) -> tuple[float, float]:
        """(cos, sin) of an angle whose tan(angle/2) is uniform in [lo, hi]: rational, no trigonometry."""
        t = self(lo, hi)
        return (1.0 - t * t) / (1.0 + t * t), 2.0 * t / (1.0 + t * t)


def _unit(v: list[float]) -> list[float]:
    norm = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    return [v[0] / norm, v[1] / norm, v[2] / norm]


def _cross(a: list[float], b: list[float]) -> list[float]:
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def _appearance(rng: _Draws, spec: dict) -> dict:
    """Texture type, frequency, directions, phases and the two colours of one surface of a class."""
    u = rng()
    for tex, prob in spec["tex"].items():
        u -= prob
        if u < 0:
            break
    h, s, v = rng(*spec["h"]), rng(*spec["s"]), rng(*spec["v"])
    c1 = list(colorsys.hsv_to_rgb(h % 1.0, s, v))
    c2 = list(colorsys.hsv_to_rgb((h + rng(-0.03, 0.03)) % 1.0, s, min(1.0, v * rng(*spec["k"]))))
    direction = spec["dir"]
    if direction == "h":
        a0 = [0.0, 1.0, 0.0]
    elif direction == "v":
        a0 = [math.sqrt(0.5), 0.0, math.sqrt(0.5)]
    elif direction == "floor":
        a0 = [1.0, 0.0, 0.0] if rng() < 0.5 else [0.0, 0.0, 1.0]
    else:
        a0 = rng.unit()
    a1, a2 = rng.unit(), rng.unit()
    if tex == _WAVES:  # three wave vectors of random lengths (wavelengths)
        a0, a1, a2 = ([x * k for x in a] for a, k in ((a0, rng(0.7, 1.4)), (a1, rng(0.7, 1.4)), (a2, rng(0.7, 1.4))))
    return dict(tex=tex, freq=rng(*spec["freq"]), a0=a0, a1=a1, a2=a2, ph=[rng(), rng(), rng()], c1=c1, c2=c2,
                lanew=0.0)


def _slot(rng: _Draws, family: str, kind: int, cls: str, centre=(0.0, 0.0, 0.0), yaw=(1.0, 0.0),
          ext=(1.0, 1.0, 1.0), normal=(0.0, 0.0, 0.0), off: float = 0.0, look: dict | None = None) -> list[float]:
    """One primitive's row of the slot table; ``look`` overrides the class's sampled appearance."""
    app = _appearance(rng, _LOOK[family][cls]) if look is None else look
    return [kind, 1.0, _CLASSES[family].index(cls), float(cls not in _STUFF[family]), *centre, *yaw, *ext, *normal,
            off, app["tex"], app["freq"], *app["a0"], *app["a1"], *app["a2"], *app["ph"], *app["c1"], *app["c2"],
            app["lanew"]]


def _camera(rng: _Draws, origin: list[float], forward: list[float], tan_range: tuple[float, float],
            ambient: tuple[float, float]) -> list[float]:
    """Camera row: OpenCV camera frame (x right, y down, z forward) in a y-up world, small random roll."""
    f = _unit(forward)
    right = _unit(_cross(f, [0.0, 1.0, 0.0]))
    down = _cross(f, right)
    roll = rng(-0.06, 0.06)
    right = _unit([right[k] + roll * down[k] for k in range(3)])
    down = _cross(f, right)
    rot = [right[0], down[0], f[0], right[1], down[1], f[1], right[2], down[2], f[2]]
    return [*origin, *rot, rng(*tan_range), rng(*ambient), *([0.0] * (_NG - _LIGHT))]


def _place(rng: _Draws, cam: list[float], radius: float, bounds: tuple[float, float, float, float],
           taken: list[tuple[float, float, float]], front: float = 0.85) -> tuple[float, float] | None:
    """A ground position (x, z) for a footprint of ``radius`` inside ``bounds`` (x0, x1, z0, z1), clear of the
    camera and of the footprints already ``taken``; mostly in front of the camera. None after 30 failures."""
    ox, oz = cam[_O], cam[_O + 2]
    fwd = _unit([cam[_R + 2], 0.0, cam[_R + 8]])
    x0, x1, z0, z1 = bounds
    for _ in range(30):
        if rng() < front:
            dist = rng(1.0, 5.0)
            lateral = rng(-0.8, 0.8) * dist * cam[_TAN]
            x, z = ox + dist * fwd[0] - lateral * fwd[2], oz + dist * fwd[2] + lateral * fwd[0]
        else:
            x, z = rng(x0, x1), rng(z0, z1)
        x, z = min(max(x, x0 + radius), x1 - radius), min(max(z, z0 + radius), z1 - radius)
        if math.hypot(x - ox, z - oz) < radius + 0.6:
            continue
        if all(math.hypot(x - tx, z - tz) >= radius + tr for tx, tz, tr in taken):
            taken.append((x, z, radius))
            return x, z
    return None


def _indoor_scene(rng: _Draws) -> tuple[list[list[float]], list[float]]:
    fam = "indoor"
    hx, hz, height = rng(2.0, 4.0), rng(2.0, 4.0), rng(2.5, 3.2)
    origin = [rng(-hx + 0.4, hx - 0.4), rng(1.1, 1.8), rng(-hz + 0.4, hz - 0.4)]
    # Look roughly towards the room's centre (within about +-50 degrees), so that the room is in view.
    to_centre = [-origin[0], 0.0, -origin[2]]
    if math.hypot(to_centre[0], to_centre[2]) < 0.5:
        to_centre = [rng(-1.0, 1.0), 0.0, rng(-1.0, 1.0)]
    to_centre = _unit(to_centre)
    yc, ys = rng.half_angle(-0.45, 0.45)
    forward = [yc * to_centre[0] - ys * to_centre[2], -rng(0.05, 0.45), ys * to_centre[0] + yc * to_centre[2]]
    cam = _camera(rng, origin, forward, (0.45, 0.75), (0.2, 0.35))
    wall = _appearance(rng, _LOOK[fam]["wall"])
    slots = [
        _slot(rng, fam, _PLANE, "floor", normal=(0, 1, 0), off=0.0),
        _slot(rng, fam, _PLANE, "ceiling", normal=(0, -1, 0), off=-height),
        _slot(rng, fam, _PLANE, "wall", normal=(-1, 0, 0), off=-hx, look=wall),
        _slot(rng, fam, _PLANE, "wall", normal=(1, 0, 0), off=-hx, look=wall),
        _slot(rng, fam, _PLANE, "wall", normal=(0, 0, -1), off=-hz, look=wall),
        _slot(rng, fam, _PLANE, "wall", normal=(0, 0, 1), off=-hz, look=wall),
    ]
    bounds = (-hx, hx, -hz, hz)
    taken: list[tuple[float, float, float]] = []
    box_sizes = {"table": ((0.4, 0.8), (0.35, 0.4), (0.3, 0.5)), "cabinet": ((0.25, 0.6), (0.7, 1.0), (0.2, 0.3)),
                 "bed": ((0.7, 1.0), (0.2, 0.3), (1.0, 1.1)), "crate": ((0.15, 0.3), (0.15, 0.3), (0.15, 0.3))}
    for cls, count in (("table", 2), ("cabinet", 2), ("bed", 1), ("crate", 3)):
        for _ in range(rng.integer(0, count)):
            ext = [rng(*r) for r in box_sizes[cls]]
            yaw = rng.half_angle(-1.0, 1.0) if rng() < 0.5 else (1.0, 0.0)
            pos = _place(rng, cam, math.hypot(ext[0], ext[2]), bounds, taken)
            if pos is not None:
                slots.append(_slot(rng, fam, _BOX, cls, (pos[0], ext[1], pos[1]), yaw, ext))
    light = [rng(-hx + 0.5, hx - 0.5), height - 0.65, rng(-hz + 0.5, hz - 0.5)]
    cam[_LIGHT:_LIGHT + 4] = [*light, 1.0]
    for _ in range(rng.integer(0, 3)):
        r = rng(0.1, 0.35)
        pos = _place(rng, cam, r, bounds, taken)
        if pos is not None:
            slots.append(_slot(rng, fam, _SPHERE, "ball", (pos[0], r, pos[1]), ext=(r, r, r)))
    if rng() < 0.8:  # a lamp just above the light (its bottom above any camera), so that its lower half is lit
        r = rng(0.15, 0.3)
        slots.append(_slot(rng, fam, _SPHERE, "lamp", (light[0], light[1] + r + 0.02, light[2]), ext=(r, r, r)))
        taken.append((light[0], light[2], r))  # keeps pillars out of it
    for cls, count in (("pillar", 1), ("bin", 2)):
        for _ in range(rng.integer(0, count)):
            r = rng(0.15, 0.35) if cls == "pillar" else rng(0.15, 0.3)
            half_h = height / 2 if cls == "pillar" else rng(0.15, 0.35)
            pos = _place(rng, cam, r, bounds, taken)
            if pos is not None:
                slots.append(_slot(rng, fam, _CYLINDER, cls, (pos[0], half_h, pos[1]), ext=(r, half_h, r)))
    return slots, cam


def _street_scene(rng: _Draws) -> tuple[list[list[float]], list[float]]:
    fam = "street"
    road, walk, curb = rng(3.0, 6.0), rng(2.0, 4.0), 0.15
    origin = [rng(-road + 1.0, road - 1.0), rng(1.2, 1.8), rng(-2.0, 2.0)]
    yc, ys = rng.half_angle(-0.15, 0.15)
    cam = _camera(rng, origin, [ys, rng(-0.15, 0.05), yc], (0.5, 0.8), (0.3, 0.45))
    cam[_LIGHT:_LIGHT + 4] = [*_unit([rng(-1.0, 1.0), rng(0.4, 1.6), rng(-1.0, 1.0)]), 0.0]
    cam[_ZEN:_ZEN + 3] = colorsys.hsv_to_rgb(rng(0.55, 0.62), rng(0.3, 0.65), rng(0.75, 0.95))
    cam[_HOR:_HOR + 3] = colorsys.hsv_to_rgb(rng(0.5, 0.6), rng(0.0, 0.15), rng(0.85, 1.0))
    road_look = _appearance(rng, _LOOK[fam]["road"])
    road_look.update(a0=[1.0, 0.0, 0.0], a1=[0.0, 0.0, 1.0], lanew=rng(0.06, 0.1), ph=[rng(-0.3, 0.3), rng(), 0.0],
                     c2=list(colorsys.hsv_to_rgb(rng(0.12, 0.16), 0.8 if rng() < 0.5 else 0.0, 0.95)))
    slots = [_slot(rng, fam, _PLANE, "road", normal=(0, 1, 0), off=0.0, look=road_look)]
    walk_look = _appearance(rng, _LOOK[fam]["sidewalk"])
    for side in (-1.0, 1.0):
        slots.append(_slot(rng, fam, _BOX, "sidewalk", (side * (road + walk / 2), curb / 2, 65.0),
                           ext=(walk / 2, curb / 2, 85.0), look=walk_look))
    for side in (-1.0, 1.0):
        z = rng(-10.0, 5.0)
        for _ in range(rng.integer(2, 4)):
            half = [rng(4.0, 7.0), rng(3.0, 12.5), rng(4.0, 10.0)]
            x = side * (road + walk + rng(0.0, 2.0) + half[0])
            slots.append(_slot(rng, fam, _BOX, "building", (x, half[1], z + half[2]), ext=half))
            z += 2 * half[2] + (rng(1.0, 4.0) if rng() < 0.4 else 0.0)
    taken: list[tuple[float, float, float]] = []
    for cls, count, zr in (("truck", 1, (8.0, 35.0)), ("car", 4, (5.0, 30.0))):
        for _ in range(rng.integer(0, count)):
            if cls == "car":
                half = [rng(0.8, 0.95), rng(0.65, 0.8), rng(1.8, 2.3)]
            else:
                half = [rng(1.15, 1.25), rng(1.4, 1.7), rng(3.0, 4.5)]
            lane = (road / 2 + rng(-0.4, 0.4)) * rng.sign()
            pos = _place(rng, cam, half[2], (lane - half[2], lane + half[2], *zr), taken, front=0.0)
            if pos is not None:
                slots.append(_slot(rng, fam, _BOX, cls, (lane, half[1], pos[1]), rng.half_angle(-0.05, 0.05), half))
    for _ in range(rng.integer(0, 3)):
        r = rng(0.8, 1.8)
        x = rng.sign() * (road + walk - rng(0.0, 0.6) * r)
        pos = _place(rng, cam, r, (x - r, x + r, 3.0, 50.0), taken, front=0.0)
        if pos is not None:
            slots.append(_slot(rng, fam, _SPHERE, "vegetation", (x, 0.6 * r, pos[1]), ext=(r, r, r)))
    for cls, count in (("pole", 4), ("person", 4)):
        for _ in range(rng.integer(0, count)):
            side = rng.sign()
            if cls == "pole":
                r, half_h = rng(0.06, 0.12), rng(2.0, 3.5)
                x, zr = side * (road + rng(0.3, 0.6)), (3.0, 50.0)
            else:
                r, half_h = rng(0.2, 0.28), rng(0.75, 0.95)
                x, zr = side * (road + rng(0.5, walk - 0.3)), (3.0, 20.0)
            pos = _place(rng, cam, r, (x - r, x + r, *zr), taken, front=0.0)
            if pos is not None:
                slots.append(_slot(rng, fam, _CYLINDER, cls, (x, curb + half_h, pos[1]), ext=(r, half_h, r)))
    return slots, cam


_SCENE = {"indoor": _indoor_scene, "street": _street_scene}


def _scene_tables(family: str, seed: int, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Slot table (count, S, _NF) and camera table (count, _NG), float32, of scenes first..first+count-1.

    Slots are grouped in blocks by primitive type (sizes ``_SLOTS[family]``), each block filled from its start;
    unused slots are inactive (and have unit extents, so no division by zero touches them).
    """
    blocks = _SLOTS[family]
    starts = np.cumsum((0, *blocks))
    slots = np.zeros((count, starts[-1], _NF))
    slots[..., _EXT:_EXT + 3] = 1.0
    slots[..., _COS] = 1.0
    cams = np.zeros((count, _NG))
    for j in range(count):
        rows, cams[j] = _SCENE[family](_Draws(seed, first + j))
        fill = list(starts[:-1])
        for row in rows:
            kind = int(row[_TYPE])
            if fill[kind] >= starts[kind + 1]:
                raise RuntimeError(f"scene {first + j}: more than {blocks[kind]} primitives of type {kind}")
            slots[j, fill[kind]] = row
            fill[kind] += 1
    return slots.astype(np.float32), cams.astype(np.float32)


# ----------------------------------------------------------------------------------------------------------
# Rendering (torch, vectorised over (scene, primitive, 8x8 tile) candidates x pixels, then over pixels)
# ----------------------------------------------------------------------------------------------------------


def _col(table: torch.Tensor, col: int) -> torch.Tensor:
    """Column ``col`` of a (..., F) slot table as (..., 1), ready to broadcast over pixels."""
    return table[..., col:col + 1]


# Ray-primitive distances: ``s`` holds primitive parameters (..., F), ``o`` the ray origin and ``d`` the unit ray
# directions (x, y, z components, broadcastable); each returns the nearest positive distance, inf on a miss.


def _hit_planes(s: torch.Tensor, o: list[torch.Tensor], d: list[torch.Tensor]) -> torch.Tensor:
    """Front side of the plane n . x = off (n points into the free space)."""
    n = [_col(s, _N + k) for k in range(3)]
    denom = n[0] * d[0] + n[1] * d[1] + n[2] * d[2]
    t = (_col(s, _OFF) - (n[0] * o[0] + n[1] * o[1] + n[2] * o[2])) / denom
    return torch.where((denom < -1e-7) & (t > _EPS), t, torch.inf)


def _hit_spheres(s: torch.Tensor, o: list[torch.Tensor], d: list[torch.Tensor]) -> torch.Tensor:
    """Entry point of the sphere |x - c| = r (the camera is never inside one)."""
    oc = [o[k] - _col(s, _C + k) for k in range(3)]
    r = _col(s, _EXT)
    b = oc[0] * d[0] + oc[1] * d[1] + oc[2] * d[2]
    disc = b * b - (oc[0] * oc[0] + oc[1] * oc[1] + oc[2] * oc[2] - r * r)
    t = -b - torch.sqrt(disc.clamp(min=0.0))
    return torch.where((disc > 0) & (t > _EPS), t, torch.inf)


def _hit_boxes(s: torch.Tensor, o: list[torch.Tensor], d: list[torch.Tensor]) -> torch.Tensor:
    """Slab test in the box frame (yaw about y); a ray parallel to a slab divides by zero, and the inf or nan
    it makes fails the near <= far test, which is a miss."""
    cos, sin = _col(s, _COS), _col(s, _SIN)
    oc = [o[k] - _col(s, _C + k) for k in range(3)]
    local_o = [cos * oc[0] + sin * oc[2], oc[1], cos * oc[2] - sin * oc[0]]
    local_d = [cos * d[0] + sin * d[2], d[1], cos * d[2] - sin * d[0]]
    near, far = None, None
    for k in range(3):
        inv = 1.0 / local_d[k]
        h = _col(s, _EXT + k)
        t1, t2 = (-h - local_o[k]) * inv, (h - local_o[k]) * inv
        lo, hi = torch.minimum(t1, t2), torch.maximum(t1, t2)
        near = lo if near is None else torch.maximum(near, lo)
        far = hi if far is None else torch.minimum(far, hi)
    return torch.where((near <= far) & (near > _EPS), near, torch.inf)


def _hit_cylinders(s: torch.Tensor, o: list[torch.Tensor], d: list[torch.Tensor]) -> torch.Tensor:
    """Vertical cylinder (axis y, half-height ext_y) with its top cap; its bottom rests on the ground and is
    never seen."""
    oc = [o[k] - _col(s, _C + k) for k in range(3)]
    r, half_h = _col(s, _EXT), _col(s, _EXT + 1)
    a = (d[0] * d[0] + d[2] * d[2]).clamp(min=1e-12)
    b = oc[0] * d[0] + oc[2] * d[2]
    disc = b * b - a * (oc[0] * oc[0] + oc[2] * oc[2] - r * r)
    t_side = (-b - torch.sqrt(disc.clamp(min=0.0))) / a
    y = oc[1] + t_side * d[1]
    t_side = torch.where((disc > 0) & (t_side > _EPS) & (y.abs() <= half_h), t_side, torch.inf)
    t_cap = (half_h - oc[1]) / d[1]
    x, z = oc[0] + t_cap * d[0], oc[2] + t_cap * d[2]
    t_cap = torch.where((d[1] < 0) & (t_cap > _EPS) & (x * x + z * z <= r * r), t_cap, torch.inf)
    return torch.minimum(t_side, t_cap)


_HITS = (_hit_planes, _hit_boxes, _hit_spheres, _hit_cylinders)
_TILE = 8


def _bounding_radius(s: torch.Tensor, kind: int) -> torch.Tensor:
    """Radius (B, K) of a sphere around each primitive's centre that contains it (boxes, spheres, cylinders)."""
    h = [s[:, :, _EXT + k] for k in range(3)]
    if kind == _BOX:
        return torch.sqrt(h[0] * h[0] + h[1] * h[1] + h[2] * h[2])
    if kind == _SPHERE:
        return h[0]
    return torch.sqrt(h[0] * h[0] + h[1] * h[1])


def _candidates(s: torch.Tensor, kind: int, cam: list[torch.Tensor], cones: list[torch.Tensor]) -> torch.Tensor:
    """(B, K, T) mask of the tiles whose cone of rays may meet each active primitive of one type.

    A primitive's bounding sphere (centre at angle theta from a tile's axis, angular radius beta) meets the
    tile's cone (half-angle alpha) iff theta <= alpha + beta, tested as cos(theta) >= cos(alpha + beta); planes
    meet every tile.
    """
    active = s[:, :, _ACTIVE:_ACTIVE + 1] > 0
    if kind == _PLANE:
        return active.expand(-1, -1, cones[0].shape[-1])
    rel = [s[:, :, _C + k] - cam[_O + k].view(-1, 1) for k in range(3)]
    v = [rel[0] * cam[_R + j].view(-1, 1) + rel[1] * cam[_R + 3 + j].view(-1, 1) + rel[2] * cam[_R + 6 + j].view(-1, 1)
         for j in range(3)]
    dist = torch.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).clamp(min=1e-6)
    radius = _bounding_radius(s, kind) * 1.001 + 1e-3
    sin_b = (radius / dist).clamp(max=1.0)
    cos_b = torch.sqrt(1.0 - sin_b * sin_b)
    axis_x, axis_y, axis_z, cos_a, sin_a = cones
    cos_theta = (v[0].unsqueeze(-1) * axis_x + v[1].unsqueeze(-1) * axis_y + v[2].unsqueeze(-1) * axis_z) \
        / dist.unsqueeze(-1)
    meets = cos_theta >= cos_a * cos_b.unsqueeze(-1) - sin_a * sin_b.unsqueeze(-1)
    return active & ((dist <= radius).unsqueeze(-1) | meets)


def _cast(slots: torch.Tensor, cam: list[torch.Tensor], d: list[torch.Tensor], limit: torch.Tensor,
          cones: list[torch.Tensor], blocks: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest hit in front of the far plane per ray: distance (B, T, P) (inf: none) and slot index (B, T, P).

    ``d`` holds the world ray directions per tile, (B, T, P) each, and ``limit`` the distance along each ray to
    the far plane ``z = FAR_DEPTH``. Only (scene, primitive, tile) triples whose
    bounding volumes meet are intersected; the nearest hit is a scatter-min over a key that packs the float32
    bits of the distance (monotonic for positive floats) above the slot index, so ties go to the lower slot
    and the result does not depend on the order of the candidates.
    """
    bsz, ntiles, npix = d[0].shape
    best = torch.full((bsz * ntiles, npix), torch.iinfo(torch.int64).max, dtype=torch.int64, device=slots.device)
    start = 0
    for kind, count in enumerate(blocks):
        s = slots[:, start:start + count]
        b, j, tile = _candidates(s, kind, cam, cones).nonzero(as_tuple=True)
        params = s[b, j]
        o = [cam[_O + k].view(-1)[b].unsqueeze(1) for k in range(3)]
        t = _HITS[kind](params, o, [dk[b, tile] for dk in d])
        t = torch.where(t <= limit[b, tile], t, torch.inf)
        key = (t.view(torch.int32).to(torch.int64) << 8) | (start + j).unsqueeze(1)
        best.scatter_reduce_(0, (b * ntiles + tile).unsqueeze(1).expand(-1, npix), key, reduce="amin")
        start += count
    best = best.view(bsz, ntiles, npix)
    far = best >= (torch.tensor(torch.inf).view(torch.int32).to(torch.int64).item() << 8)
    t = torch.where(far, torch.inf, (best >> 8).to(torch.int32).view(torch.float32))
    return t, torch.where(far, 0, best & 255)


def _pad_linear(x: torch.Tensor) -> torch.Tensor:
    """Pad (B, C, H, W) by one pixel with linear extrapolation (second differences vanish at the border)."""
    x = torch.cat([2 * x[..., :1] - x[..., 1:2], x, 2 * x[..., -1:] - x[..., -2:-1]], dim=-1)
    return torch.cat([2 * x[..., :1, :] - x[..., 1:2, :], x, 2 * x[..., -1:, :] - x[..., -2:-1, :]], dim=-2)


def _sobel(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sobel derivatives of (B, C, H, W), replicate border, divided by 4 so a unit step gives 1."""
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    dx = p[..., :, 2:] - p[..., :, :-2]
    dy = p[..., 2:, :] - p[..., :-2, :]
    gx = (dx[..., :-2, :] + 2 * dx[..., 1:-1, :] + dx[..., 2:, :]) * 0.25
    gy = (dy[..., :, :-2] + 2 * dy[..., :, 1:-1] + dy[..., :, 2:]) * 0.25
    return gx, gy


def _binomial(x: torch.Tensor) -> torch.Tensor:
    """3x3 binomial smoothing ([1, 2, 1] / 4 in each direction), replicate border."""
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    p = (p[..., :, :-2] + 2 * p[..., :, 1:-1] + p[..., :, 2:]) * 0.25
    return (p[..., :-2, :] + 2 * p[..., 1:-1, :] + p[..., 2:, :]) * 0.25


def _channel_sum(x: torch.Tensor) -> torch.Tensor:
    """Sum over dim 1 in a fixed order (no reduction kernel whose order could depend on the machine)."""
    total = x[:, :1]
    for c in range(1, x.shape[1]):
        total = total + x[:, c:c + 1]
    return total


def _shi_tomasi(channels: torch.Tensor) -> torch.Tensor:
    """``2 sqrt(lambda_min)`` of the structure tensor of (B, C, H, W) channels, clipped to [0, 1].

    Gradients are Sobel derivatives of the 3x3-binomial-smoothed channels; the tensor (summed over channels) is
    integrated with a 5x5 binomial window (two 3x3 passes).
    """
    gx, gy = _sobel(_binomial(channels))
    products = torch.cat([_channel_sum(gx * gx), _channel_sum(gy * gy), _channel_sum(gx * gy)], dim=1)
    jxx, jyy, jxy = _binomial(_binomial(products)).unbind(dim=1)
    half_diff = (jxx - jyy) * 0.5
    lam = (jxx + jyy) * 0.5 - torch.sqrt(half_diff * half_diff + jxy * jxy)
    return (2 * torch.sqrt(lam.clamp(min=0.0))).clamp(max=1.0).unsqueeze(1)


def _neighbour_chord(n: torch.Tensor) -> torch.Tensor:
    """Max over the 4-neighbours of ``|n_i - n_j| / 2`` for unit vectors (B, 3, H, W); replicate border."""
    p = F.pad(n, (1, 1, 1, 1), mode="replicate")
    centre = p[..., 1:-1, 1:-1]
    best = None
    for shifted in (p[..., :-2, 1:-1], p[..., 2:, 1:-1], p[..., 1:-1, :-2], p[..., 1:-1, 2:]):
        diff = centre - shifted
        chord = torch.sqrt(_channel_sum(diff * diff)) * 0.5
        best = chord if best is None else torch.maximum(best, chord)
    return best


def _occlusion(z: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
    q = _pad_linear(1.0 / z)
    d2x = (q[..., 1:-1, :-2] - 2 * q[..., 1:-1, 1:-1] + q[..., 1:-1, 2:]).abs()
    d2y = (q[..., :-2, 1:-1] - 2 * q[..., 1:-1, 1:-1] + q[..., 2:, 1:-1]).abs()
    depth_term = (torch.maximum(d2x, d2y) * z * 4.0).clamp(max=1.0)
    return torch.maximum(depth_term, _neighbour_chord(n))


def _frac(x: torch.Tensor) -> torch.Tensor:
    return x - torch.floor(x)


def _render_chunk(slots: torch.Tensor, cams: torch.Tensor, blocks: tuple[int, ...], size: int,
                  background: int) -> dict[str, torch.Tensor]:
    """All labels of B scenes as torch tensors (B, C, H, W) (class maps (B, H, W)).

    Pixels are cast in 8 x 8 tiles (the image padded to a multiple of 8, the padding cropped at the end); until
    then per-pixel tensors are (B, 1, N) in tile-major order.
    """
    dev = slots.device
    bsz = slots.shape[0]
    cam = [cams[:, k].view(bsz, 1, 1) for k in range(_NG)]
    across = -(-size // _TILE)
    padded = across * _TILE
    grid = torch.arange(padded, device=dev, dtype=torch.float32).view(across, 1, _TILE)
    rows = grid.view(across, 1, _TILE, 1).expand(across, across, _TILE, _TILE).reshape(1, 1, -1)
    cols = grid.view(1, across, 1, _TILE).expand(across, across, _TILE, _TILE).reshape(1, 1, -1)
    scale = 2.0 / size

    def camera_dirs(r: torch.Tensor, c: torch.Tensor) -> list[torch.Tensor]:
        u, v = ((c + 0.5) * scale - 1.0) * cam[_TAN], ((r + 0.5) * scale - 1.0) * cam[_TAN]
        inv_len = 1.0 / torch.sqrt(u * u + v * v + 1.0)
        return [u * inv_len, v * inv_len, inv_len]

    dc = camera_dirs(rows, cols)
    rot = [[cam[_R + 3 * i + j] for j in range(3)] for i in range(3)]
    d = [rot[i][0] * dc[0] + rot[i][1] * dc[1] + rot[i][2] * dc[2] for i in range(3)]
    o = [cam[_O + k] for k in range(3)]

    # Tile cones in the camera frame: axis through the tile centre, half-angle to its farthest corner pixel.
    first = torch.arange(across, device=dev, dtype=torch.float32) * _TILE
    tile_r = first.view(across, 1).expand(across, across).reshape(1, 1, -1)
    tile_c = first.view(1, across).expand(across, across).reshape(1, 1, -1)
    axis = camera_dirs(tile_r + (_TILE - 1) / 2, tile_c + (_TILE - 1) / 2)
    cos_a = None
    for dr in (0, _TILE - 1):
        for dcol in (0, _TILE - 1):
            corner = camera_dirs(tile_r + dr, tile_c + dcol)
            cos_c = axis[0] * corner[0] + axis[1] * corner[1] + axis[2] * corner[2]
            cos_a = cos_c if cos_a is None else torch.minimum(cos_a, cos_c)
    cos_a = cos_a - 1e-5
    cones = [*axis, cos_a, torch.sqrt((1.0 - cos_a * cos_a).clamp(min=0.0))]
    tiled = (bsz, across * across, _TILE * _TILE)
    far = FAR_DEPTH / dc[2]
    t, idx = _cast(slots, cam, [dk.view(tiled) for dk in d], far.expand(bsz, 1, -1).reshape(tiled), cones, blocks)
    t, idx = t.view(bsz, 1, -1), idx.view(bsz, 1, -1)
    hit = torch.isfinite(t)
    t = torch.where(hit, t, far)

    g = torch.gather(slots.transpose(1, 2), 2, idx.expand(bsz, _NF, idx.shape[-1]))
    a = [g[:, k:k + 1] for k in range(_NF)]
    kind = a[_TYPE]
    p = [o[k] + t * d[k] for k in range(3)]
    q = [p[k] - a[_C + k] for k in range(3)]
    cos, sin = a[_COS], a[_SIN]
    loc = [cos * q[0] + sin * q[2], q[1], cos * q[2] - sin * q[0]]
    ext = [a[_EXT + k] for k in range(3)]

    # Local normals per primitive type: box faces by the largest normalised coordinate, cylinder side vs cap.
    rel = [loc[k].abs() / ext[k] for k in range(3)]
    face_x = (rel[0] >= rel[1]) & (rel[0] >= rel[2])
    face_y = ~face_x & (rel[1] >= rel[2])
    face_z = ~face_x & ~face_y
    rho = torch.sqrt(loc[0] * loc[0] + loc[2] * loc[2]).clamp(min=1e-12)
    side = rho / ext[0] >= loc[1] / ext[1]
    box = [torch.sign(loc[0]) * face_x, torch.sign(loc[1]) * face_y, torch.sign(loc[2]) * face_z]
    sphere = [loc[k] / ext[0] for k in range(3)]
    cyl = [torch.where(side, loc[0] / rho, 0.0), torch.where(side, 0.0, 1.0), torch.where(side, loc[2] / rho, 0.0)]
    nl = [torch.where(kind == _PLANE, a[_N + k], torch.where(kind == _BOX, box[k],
          torch.where(kind == _SPHERE, sphere[k], cyl[k]))) for k in range(3)]
    nw = [cos * nl[0] - sin * nl[2], nl[1], sin * nl[0] + cos * nl[2]]
    inv_n = 1.0 / torch.sqrt(nw[0] * nw[0] + nw[1] * nw[1] + nw[2] * nw[2])
    facing = torch.where(nw[0] * d[0] + nw[1] * d[1] + nw[2] * d[2] > 0, -inv_n, inv_n)
    nw = [torch.where(hit, nw[k] * facing, -rot[k][2]) for k in range(3)]

    # Curvature and parts.
    is_sphere, is_cyl_side = hit & (kind == _SPHERE), hit & (kind == _CYLINDER) & side
    inv_r = 1.0 / ext[0]
    k1 = torch.where(is_sphere | is_cyl_side, inv_r, 0.0)
    k2 = torch.where(is_sphere, inv_r, 0.0)
    end = (face_x & (ext[0] >= ext[2])) | (face_z & (ext[2] > ext[0]))
    part_box = torch.where(face_y, 1, torch.where(end, 3, 2))
    part_sphere = torch.where(loc[1] >= 0, 4, 5)
    part_cyl = torch.where(side, 6, 7)
    part = torch.where(kind == _BOX, part_box, torch.where(kind == _SPHERE, part_sphere, part_cyl))
    thing = hit & (a[_THING] > 0)
    part = torch.where(thing, part, 0)

    # Texture mask in the local frame, faded to its mean where a period spans fewer than 4 pixels.
    tex, freq = a[_TEX], a[_FREQ]
    dots = [sum(a[base + k] * loc[k] for k in range(3)) for base in (_A0, _A1, _A2)]
    ph = [a[_PH + k] for k in range(3)]
    stripes = (_frac(freq * dots[0] + ph[0]) < 0.5).float()
    checks = torch.remainder(torch.floor(freq * loc[0] + ph[0]) + torch.floor(freq * loc[1] + ph[1])
                             + torch.floor(freq * loc[2] + ph[2]), 2.0)
    tri = [(2 * _frac(freq * dots[k] + ph[k]) - 1).abs() for k in range(3)]
    waves = (tri[0] + tri[1] + tri[2]) * (1.0 / 3.0)
    lanew = a[_LANEW]
    dashes = (((dots[0] - ph[0]).abs() < lanew) & (_frac(freq * dots[1] + ph[1]) < 0.5)).float()
    mask = torch.where(tex == _STRIPES, stripes, torch.where(tex == _CHECKS, checks,
                       torch.where(tex == _WAVES, waves, torch.where(tex == _DASHES, dashes, 0.0))))
    cos_in = (nw[0] * d[0] + nw[1] * d[1] + nw[2] * d[2]).abs().clamp(min=0.15)
    footprint = t * (2.0 * cam[_TAN] / size) / cos_in
    f_eff = torch.where(tex == _WAVES, 1.4 * freq, torch.where(tex == _DASHES,
                        torch.maximum(freq, 0.25 / lanew.clamp(min=1e-3)), freq))
    fade = (2.0 - 4.0 * f_eff * footprint).clamp(0.0, 1.0)
    mean = torch.where(tex == _DASHES, 0.0, 0.5)
    mask = mean + (mask - mean) * fade
    sky_mix = (d[1] * 1.5).clamp(0.0, 1.0)
    albedo = [torch.where(hit, a[_C1 + k] + (a[_C2 + k] - a[_C1 + k]) * mask,
                          cam[_HOR + k] + (cam[_ZEN + k] - cam[_HOR + k]) * sky_mix) for k in range(3)]

    # Lambertian shading under the one light.
    light = [cam[_LIGHT + k] - cam[_LIGHT + 3] * p[k] for k in range(3)]
    inv_l = 1.0 / torch.sqrt(light[0] * light[0] + light[1] * light[1] + light[2] * light[2]).clamp(min=1e-6)
    lam = ((nw[0] * light[0] + nw[1] * light[1] + nw[2] * light[2]) * inv_l).clamp(min=0.0)
    amb = cam[_AMB]
    shading = torch.where(hit, amb + (1.0 - amb) * lam, 1.0).clamp(0.0, 1.0)

    # Camera-frame normals: R^T n.
    nc = [rot[0][j] * nw[0] + rot[1][j] * nw[1] + rot[2][j] * nw[2] for j in range(3)]
    inv_nc = 1.0 / torch.sqrt(nc[0] * nc[0] + nc[1] * nc[1] + nc[2] * nc[2])
    nc = [torch.where(hit, c * inv_nc, sky) for c, sky in zip(nc, (0.0, 0.0, -1.0))]

    def img(chs: list[torch.Tensor]) -> torch.Tensor:
        """Tile-major (B, 1, N) channels to a cropped raster image (B, C, size, size)."""
        x = torch.cat(chs, dim=1).view(bsz, len(chs), across, across, _TILE, _TILE)
        return x.permute(0, 1, 2, 4, 3, 5).reshape(bsz, len(chs), padded, padded)[..., :size, :size]

    # Saliency: the thing slot covering the most pixels (ties: the lower slot).
    nslots = slots.shape[1]
    idx_img, thing_img = img([idx]).reshape(bsz, -1), img([thing]).reshape(bsz, -1)
    counts = torch.zeros(bsz, nslots + 1, dtype=torch.int64, device=dev)
    counts.scatter_add_(1, torch.where(thing_img, idx_img, nslots), torch.ones_like(idx_img))
    best = counts[:, :nslots].argmax(dim=1, keepdim=True)
    salient = thing_img & (idx_img == best) & (counts[:, :nslots].amax(dim=1, keepdim=True) > 0)

    albedo_img = img(albedo).clamp(0.0, 1.0)
    shading_img = img([shading])
    rgb = albedo_img * shading_img
    z = img([torch.where(hit, t * dc[2], FAR_DEPTH)])
    normal = img(nc)
    gx, gy = _sobel(rgb)
    edge_texture = (torch.sqrt(_channel_sum(gx * gx + gy * gy) * (1.0 / 3.0))).clamp(max=1.0)
    bounded_depth = 4.0 * z / (z + 2.0)
    return {
        "rgb": rgb,
        "segment_semantic": img([torch.where(hit, a[_CLASS].long(), background)])[:, 0],
        "parts": img([part.long()])[:, 0],
        "saliency": salient.view(bsz, size, size).long(),
        "depth_zbuffer": z,
        "depth_euclidean": img([t]),
        "normal": normal,
        "reshading": shading_img,
        "edge_texture": edge_texture,
        "edge_occlusion": _occlusion(z, normal),
        "keypoints2d": _shi_tomasi(rgb),
        "keypoints3d": _shi_tomasi(torch.cat([normal, bounded_depth], dim=1)),
        "principal_curvature": img([k1, k2]),
        "albedo": albedo_img,
    }


def _check_device(device: str | torch.device | None) -> torch.device:
    choices = "None (the CPU), 'cpu', 'cuda' or 'cuda:<index>' (when CUDA is available)"
    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device={device!r} is not a valid device; choose one of {choices}") from err
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device={device!r} is not supported; choose one of {choices}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} requested but CUDA is not available; choose one of {choices}")
    return dev


def render(n: int, size: int = 64, family: str = "indoor", seed: int = 0,
           device: str | torch.device | None = None) -> dict[str, np.ndarray]:
    """Render ``n`` random scenes of ``family`` at ``size`` x ``size`` with every label of ``LABEL_KEYS``.

    Returns numpy arrays, channel-first (see the module docstring for each key). Scene ``i`` depends only on
    ``(seed, i, family)`` (its geometry is independent of ``size``), so a prefix of a larger render equals a
    smaller render, and the labels do not depend on how scenes are grouped into chunks. ``device`` selects where
    the rays are cast (CPU by default). The geometry of a scene does not depend on ``size`` either; only the
    texture anti-aliasing fade does (it depends on the pixel footprint), so rgb/albedo of far textures differ
    slightly between sizes.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n={n!r} must be an integer >= 1")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 8:
        raise ValueError(f"size={size!r} must be an integer >= 8")
    _check_family(family)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed={seed!r} must be an integer >= 0")
    dev = _check_device(device)
    n, size = int(n), int(size)
    background = _CLASSES[family].index(_BACKGROUND_CLASS[family])
    channels = {"rgb": 3, "depth_zbuffer": 1, "depth_euclidean": 1, "normal": 3, "reshading": 1,
                "edge_texture": 1, "edge_occlusion": 1, "keypoints2d": 1, "keypoints3d": 1,
                "principal_curvature": 2, "albedo": 3}
    out: dict[str, np.ndarray] = {}
    for key in LABEL_KEYS:
        if key in channels:
            out[key] = np.empty((n, channels[key], size, size), dtype=np.float32)
        else:
            out[key] = np.empty((n, size, size), dtype=np.int64)
    chunk = max(1, (_CHUNK_PIXELS_CUDA if dev.type == "cuda" else _CHUNK_PIXELS) // (size * size))
    with _one_cpu_thread(dev):
        for first in range(0, n, chunk):
            count = min(chunk, n - first)
            slots, cams = _scene_tables(family, int(seed), first, count)
            labels = _render_chunk(torch.from_numpy(slots).to(dev), torch.from_numpy(cams).to(dev),
                                   _SLOTS[family], size, background)
            for key, value in labels.items():
                out[key][first:first + count] = value.cpu().numpy()
    return out


@contextlib.contextmanager
def _one_cpu_thread(dev: torch.device) -> Iterator[None]:
    """Run torch's CPU ops on one intra-op thread for the duration (restored afterwards).

    Rendering is thousands of small elementwise ops; on a shared 2-core machine two intra-op threads waiting
    for each other at every op made it 8-10x slower than one thread (benchmarks/bench_render.py), while one
    thread meets the speed goal with the other core left to the rest of the machine.
    """
    threads = torch.get_num_threads()
    if dev.type == "cpu" and threads > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def plot_scene(labels: dict[str, np.ndarray], index: int = 0) -> Figure:
    """A matplotlib Figure showing scene ``index`` of ``render``'s output, one titled panel per label.

    Class maps use the tab20 colours, depths log scale, normals (n + 1) / 2 as RGB, curvature k/(1 + k) as
    (red = k1, green = k2); the other maps are grey levels over [0, 1].
    """
    from matplotlib.figure import Figure

    missing = [key for key in LABEL_KEYS if key not in labels]
    if missing:
        raise ValueError(f"labels lacks keys {missing}; expected the keys of render(): {LABEL_KEYS}")
    n = len(labels["rgb"])
    if not 0 <= index < n:
        raise ValueError(f"index={index!r} is out of range for {n} scenes")
    cols = 5
    rows = -(-len(LABEL_KEYS) // cols)
    fig = Figure(figsize=(2.2 * cols, 2.3 * rows), layout="constrained")
    for i, key in enumerate(LABEL_KEYS):
        ax = fig.add_subplot(rows, cols, i + 1)
        x = labels[key][index]
        if key in ("rgb", "albedo"):
            ax.imshow(x.transpose(1, 2, 0))
        elif key == "normal":
            ax.imshow((x.transpose(1, 2, 0) + 1) / 2)
        elif key == "principal_curvature":
            ax.imshow(np.concatenate([x / (1 + x), np.zeros_like(x[:1])]).transpose(1, 2, 0))  # k1 red, k2 green
        elif key == "saliency":
            ax.imshow(x, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        elif x.ndim == 2:
            ax.imshow(x, cmap="tab20", vmin=0, vmax=19, interpolation="nearest")
        elif key.startswith("depth"):
            ax.imshow(np.log(x[0]), cmap="magma_r")
        else:
            ax.imshow(x[0], cmap="gray", vmin=0, vmax=1)
        ax.set_title(key, fontsize=8)
        ax.set_axis_off()
    return fig
