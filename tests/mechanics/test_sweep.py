"""The pulse sweep: its solves share one brainstem state, made for the sweep."""

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
