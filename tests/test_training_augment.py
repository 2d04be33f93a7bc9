from __future__ import annotations

import torch

from lstm_har.training.augment import random_rotation, rotation_matrices


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


def test_body_scale_keeps_gravity():
    from lstm_har.training.augment import random_body_scale

    x = torch.randn(8, 128, 9, dtype=torch.float64)
    y = random_body_scale(x, 0.3, torch.Generator().manual_seed(0))
    gravity_before = x[..., 6:9] - x[..., 0:3]
    gravity_after = y[..., 6:9] - y[..., 0:3]
    torch.testing.assert_close(gravity_after, gravity_before)
    ratio = y[..., 0:3] / x[..., 0:3]  # one factor per window, within 1 +- 0.3
    assert torch.allclose(ratio, ratio[:, :1, :1].expand_as(ratio))
    assert ((ratio > 0.7 - 1e-9) & (ratio < 1.3 + 1e-9)).all()
    torch.testing.assert_close(y[..., 3:6] / x[..., 3:6], ratio)


def test_body_scale_moves_tilt_with_total_acceleration():
    from lstm_har.training.augment import random_body_scale

    x = torch.randn(8, 128, 12, dtype=torch.float64)  # calibrated: tilt channels 9..11
    y = random_body_scale(x, 0.3, torch.Generator().manual_seed(0))
    torch.testing.assert_close(
        y[..., :9], random_body_scale(x[..., :9], 0.3, torch.Generator().manual_seed(0))
    )
    # tilt = total acceleration - a fixed reference, before and after
    torch.testing.assert_close(y[..., 9:] - y[..., 6:9], x[..., 9:] - x[..., 6:9])


def test_flip_placement_flips_whole_windows_and_nothing_else():
    from lstm_har.training.augment import flip_placement

    x = torch.randn(2000, 16, 13, dtype=torch.float64)
    x[..., 12] = (torch.arange(2000) % 2).to(x.dtype)[:, None]  # half pocket, half waist
    y = flip_placement(x, 0.2, torch.Generator().manual_seed(0))
    torch.testing.assert_close(y[..., :12], x[..., :12])
    flipped = y[..., 12] != x[..., 12]  # (B, T)
    assert (flipped == flipped[:, :1]).all()  # a window's placement flips as a whole
    torch.testing.assert_close(y[..., 12][flipped], 1 - x[..., 12][flipped])
    share = flipped[:, 0].double().mean().item()  # binomial: std 0.009 at n = 2000
    assert 0.16 < share < 0.24
    assert torch.equal(flip_placement(x, 0.0, torch.Generator().manual_seed(0)), x)


def test_augment_placement_needs_the_placement_input():
    import pytest

    from lstm_har.config import TrainConfig
    from lstm_har.errors import ConfigError

    with pytest.raises(ConfigError, match="augment_placement needs any_orientation"):
        TrainConfig(augment_placement=0.2)
    with pytest.raises(ConfigError, match=r"augment_placement must be in \[0, 0.5\]"):
        TrainConfig(any_orientation=True, augment_placement=0.7)
    assert TrainConfig(any_orientation=True, augment_placement=0.2).augment_placement == 0.2
