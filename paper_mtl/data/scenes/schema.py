"""Names, label keys, classes and the column layouts of the slot and camera tables shared by the renderer."""

from __future__ import annotations

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
