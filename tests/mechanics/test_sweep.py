"""The pulse sweep: its solves share one brainstem state, made for the sweep; its worst
phase."""

from types import SimpleNamespace

import numpy as np

from mvd_sim.mechanics import sweep as pulse_sweep
from mvd_sim.mechanics.simulate import build_model, settle, start_displacement


def test_the_solves_of_a_sweep_share_one_brainstem_state(scene_of, monkeypatch):
    scene = scene_of("aica_as_moderate_right")
    model = build_model(scene)
    given = []

    def recording(*args, surface=None, **kwargs):
        given.append(surface)
        return settle(*args, surface=surface, **kwargs)

    monkeypatch.setattr(pulse_sweep, "settle", recording)
    result = pulse_sweep.sweep(scene, model, [start_displacement(model)])
    assert len(given) == len(result.phases) >= 3
    assert given[0] is not None and all(surface is given[0] for surface in given)
    assert given[0].n_slots == model.n_slots


def _sweep_of(levels, worst):
    """A PhaseSweep of phases at pulse ``levels`` whose worst clearances are ``worst``."""
    return pulse_sweep.PhaseSweep(np.linspace(0.0, 0.9, len(levels)),
                                  [SimpleNamespace(level=x) for x in levels],
                                  [{"v": w} for w in worst], 64)


def test_the_worst_phase_is_the_smallest_clearance():
    assert _sweep_of([1.0, 0.5, 0.0], [0.30, 0.20, 0.25]).worst == 1


def test_a_tie_for_the_worst_phase_goes_to_the_highest_level():
    """A clearance the pulse does not move differs between phases by rounding only."""
    tie = pulse_sweep.WORST_TIE_MM / 4
    assert _sweep_of([0.0, 1.0, 0.5], [0.2, 0.2 + tie, 0.2 + 2 * tie]).worst == 1
    assert _sweep_of([0.0, 1.0], [0.2, 0.2 + 2 * pulse_sweep.WORST_TIE_MM]).worst == 0
