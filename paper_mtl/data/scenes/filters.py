"""Image filters for the derived labels: Sobel edges, Shi-Tomasi keypoints and occlusion edges (torch)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


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
