from __future__ import annotations

import torch

from lstm_har.augment import random_rotation, rotation_matrices


def test_rotations_are_proper_and_keep_triad_norms():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 128, 9, dtype=torch.float64)
    y = random_rotation(x, 30.0, g)
    for k in range(3):
        torch.testing.assert_close(
            y[..., 3 * k : 3 * k + 3].norm(dim=-1), x[..., 3 * k : 3 * k + 3].norm(dim=-1)
        )
    axis = torch.nn.functional.normalize(torch.randn(5, 3, dtype=torch.float64), dim=-1)
    R = rotation_matrices(axis, torch.full((5,), 0.4, dtype=torch.float64))
    torch.testing.assert_close(
        R @ R.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(5, 3, 3)
    )
    torch.testing.assert_close(torch.linalg.det(R), torch.ones(5, dtype=torch.float64))
    torch.testing.assert_close(R @ axis[..., None], axis[..., None])  # the axis stays put


def test_zero_angle_is_identity_and_same_seed_same_rotation():
    x = torch.randn(4, 128, 9)
    torch.testing.assert_close(random_rotation(x, 0.0, torch.Generator().manual_seed(1)), x)
    a = random_rotation(x, 20.0, torch.Generator().manual_seed(3))
    b = random_rotation(x, 20.0, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and not torch.allclose(a, x)
