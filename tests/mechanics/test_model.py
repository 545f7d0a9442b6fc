"""The mechanical model's layout of degrees of freedom."""

import numpy as np

from mvd_sim.core.materials import DEFAULT_MATERIALS
from mvd_sim.mechanics.frame import DOF_PER_NODE
from mvd_sim.mechanics.model import MechanicalModel
from mvd_sim.scene.pads import Sponge

UP = np.array([0.0, 0.0, 1.0])


def _line(y: float, nodes: int = 11) -> np.ndarray:
    return np.stack([np.linspace(0.0, 10.0, nodes), np.full(nodes, y), np.zeros(nodes)], axis=1)


def _pad(name: str, x: float) -> Sponge:
    return Sponge(name, "ball", np.array([x, 0.0, 1.0]), np.zeros(3), 0.5, UP, "a", "brainstem",
                  "brainstem")


def test_displacements_follow_rods_and_pads_by_name(clamped_rod):
    """A model started from another takes each rod's and each pad's displacements from the
    one of its name there, whatever their order; those the other lacks start at rest."""
    a, b, c = (clamped_rod(name, _line(y)) for name, y in (("a", 0.0), ("b", 3.0), ("c", 6.0)))
    other = MechanicalModel([a, b], [_pad("pad1", 2.0)], None, DEFAULT_MATERIALS, ())
    u = np.arange(other.n_dof, dtype=float) + 1.0
    model = MechanicalModel([c, b], [_pad("pad2", 5.0), _pad("pad1", 2.0)], None,
                            DEFAULT_MATERIALS, ())
    out = model.displacements_from(other, u)

    rod_dofs = DOF_PER_NODE * b.n_nodes
    np.testing.assert_array_equal(out[:rod_dofs], 0.0)  # c: not in other
    b_other = DOF_PER_NODE * int(other.slot0[1])
    np.testing.assert_array_equal(out[rod_dofs:2 * rod_dofs], u[b_other:b_other + rod_dofs])
    pads = DOF_PER_NODE * model.sponge_slot0
    np.testing.assert_array_equal(out[pads:pads + 3], 0.0)  # pad2: new
    np.testing.assert_array_equal(out[pads + 3:pads + 6], u[-3:])  # pad1: other's only pad
