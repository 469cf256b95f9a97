"""Ray casting: ray-primitive intersections and the nearest hit per ray over 8 x 8 pixel tiles (torch)."""

from __future__ import annotations

import torch

from paper_mtl.data.scenes.schema import _ACTIVE, _BOX, _C, _COS, _EXT, _N, _O, _OFF, _PLANE, _R, _SIN, _SPHERE

_EPS = 1e-4


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
