"""Training-time augmentation: the phone worn a little differently.

A phone clipped to another person's waist sits at a slightly different angle, which rotates
all three sensor triads alike. Rotating each training window by a small random rotation
teaches the model to look past that; it is the main gap between validation subjects and new
ones in UCI HAR. An any-orientation model is also told where the phone is worn, a guess from
how much the recording's walking moves it (``signal.calibration.POCKET_MOTION_G``) that a
slow walker's pocket can fail; flipping that input now and then teaches the model not to
lean on it alone.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def rotation_matrices(axis: Tensor, angle: Tensor) -> Tensor:
    """Rodrigues' formula: unit ``axis`` ``(B, 3)``, ``angle`` ``(B,)`` radians -> ``(B, 3, 3)``."""
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], -1).view(-1, 3, 3)
    s, c = angle.sin()[:, None, None], angle.cos()[:, None, None]
    eye = torch.eye(3, dtype=axis.dtype, device=axis.device).expand_as(k)
    return eye + s * k + (1 - c) * (k @ k)


def random_rotation(x: Tensor, max_degrees: float, generator: torch.Generator) -> Tensor:
    """Rotate each window's body_acc, body_gyro and total_acc triads by one random rotation.

    ``x`` is ``(B, T, 9)`` in ``signal.CHANNELS`` order, ``(B, T, 12)`` with the tilt triad
    of ``CALIBRATED_CHANNELS`` (a difference of two accelerations: it rotates alike), or
    ``(B, T, 13)`` in ``FRAME_CHANNELS`` order (the upright triad rotates, the placement does
    not); the axis is uniform on the sphere and the angle uniform in
    ``[-max_degrees, max_degrees]``.
    """
    B, T, C = x.shape
    n = C - C % 3  # channels in triads
    axis = torch.randn(B, 3, generator=generator, dtype=x.dtype)
    axis = axis / axis.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    angle = (torch.rand(B, generator=generator, dtype=x.dtype) * 2 - 1) * math.radians(max_degrees)
    R = rotation_matrices(axis, angle)  # (B, 3, 3)
    triads = x[..., :n].reshape(B, T, n // 3, 3)  # (B, T, n) -> (B, T, n/3 triads, xyz)
    rotated = torch.einsum("bij,btkj->btki", R, triads).reshape(B, T, n)
    return torch.cat([rotated, x[..., n:]], dim=-1)


def random_body_scale(x: Tensor, fraction: float, generator: torch.Generator) -> Tensor:
    """Scale each window's body motion by one factor in ``[1 - fraction, 1 + fraction]``.

    People walk with more or less vigour; gravity does not change. Body acceleration and the
    gyroscope are scaled, and total acceleration is rebuilt as gravity + scaled body motion.
    Calibrated windows' tilt channels (12 channels: total acceleration minus a constant, see
    ``calibration``) move with total acceleration; any other channels after the first nine
    (``FRAME_CHANNELS``' reference and placement) stay as they are.
    """
    scale = (
        1 + (torch.rand(x.shape[0], 1, 1, generator=generator, dtype=x.dtype) * 2 - 1) * fraction
    )
    body, gyro, total, rest = x[..., 0:3], x[..., 3:6], x[..., 6:9], x[..., 9:]
    scaled_total = (total - body) + body * scale  # gravity + scaled body motion
    if x.shape[-1] == 12:  # tilt = total - upright
        rest = rest + (scaled_total - total)
    return torch.cat([body * scale, gyro * scale, scaled_total, rest], dim=-1)


def flip_placement(x: Tensor, probability: float, generator: torch.Generator) -> Tensor:
    """Flip the placement (the last of ``FRAME_CHANNELS``, 1.0 = pocket) of each ``(B, T, 13)``
    window with ``probability``, for the whole window."""
    flip = torch.rand(x.shape[0], 1, generator=generator, dtype=x.dtype) < probability  # (B, 1)
    pocket = x[..., -1]  # (B, T)
    return torch.cat([x[..., :-1], torch.where(flip, 1 - pocket, pocket)[..., None]], dim=-1)
