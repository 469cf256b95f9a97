"""Scene sampling: each scene's primitives, appearance, camera and light as float32 tables (numpy, CPU)."""

from __future__ import annotations

import colorsys
import math

import numpy as np

from paper_mtl.data.scenes.schema import (
    _BOX, _CHECKS, _CLASSES, _COS, _CYLINDER, _DASHES, _EXT, _HOR, _LIGHT, _NF, _NG, _O, _PLAIN, _PLANE, _R, _SLOTS,
    _SPHERE, _STRIPES, _STUFF, _TAN, _TYPE, _WAVES, _ZEN,
)


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
