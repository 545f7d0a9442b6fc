"""Settling a scene at a pulse level: the pulse's arrays."""

import numpy as np

from mvd_sim.mechanics import simulate
from mvd_sim.mechanics.simulate import build_model


def test_an_arterys_pulse_is_kept_and_the_same_as_made_afresh(scene_of, monkeypatch):
    """A second model of the scene's rods at a level takes each artery's shift and load
    from the kept ones, equal to the bit to those made afresh; another level makes its own."""
    scene = scene_of("va_pushes_aica_right")
    monkeypatch.setattr(simulate, "_PULSES", simulate.Recent(simulate._PULSES_KEPT))
    made = []
    artery_pulse = simulate._artery_pulse
    monkeypatch.setattr(simulate, "_artery_pulse",
                        lambda *args: made.append(args[2]) or artery_pulse(*args))
    first = simulate._pulse(build_model(scene), scene, 1.0)
    arteries = len(made)
    assert arteries > 0 and set(made) == {1.0}
    again = simulate._pulse(build_model(scene), scene, 1.0)
    assert len(made) == arteries   # all kept
    for kept, fresh in zip(again, first):
        assert np.array_equal(kept, fresh)
    half = simulate._pulse(build_model(scene), scene, 0.5)
    assert len(made) == 2 * arteries and made[-1] == 0.5
    assert not np.array_equal(half[1], first[1])
    np.testing.assert_allclose(half[1], 0.5 * first[1], rtol=1e-12, atol=1e-15)
