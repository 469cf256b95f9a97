"""Every label of a chunk of scenes from the nearest hit per pixel: geometry, texture, shading, saliency."""

from __future__ import annotations

import torch

from paper_mtl.data.scenes.filters import _channel_sum, _occlusion, _shi_tomasi, _sobel
from paper_mtl.data.scenes.raycast import _TILE, _cast
from paper_mtl.data.scenes.schema import (
    FAR_DEPTH, _A0, _A1, _A2, _AMB, _BOX, _C, _C1, _C2, _CHECKS, _CLASS, _COS, _CYLINDER, _DASHES, _EXT, _FREQ, _HOR,
    _LANEW, _LIGHT, _N, _NF, _NG, _O, _PH, _PLANE, _R, _SIN, _SPHERE, _STRIPES, _TAN, _TEX, _THING, _TYPE, _WAVES, _ZEN,
)


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
