"""A pad's rim share in the Newton matrix (issue #27, part 10).

A rod node against a pad's flat face pushes over the share of its section still over the
pad (:func:`~mvd_sim.mechanics.contact_kernels.pad_face_rows`):
``share = (R + r - across) / r`` clipped to [0, 1], ``across`` (mm) the node's distance from
the pad's axis within its mid-plane, ``R`` the pad's radius and ``r`` the node's. The force
``F = share f(g)`` then changes as the node slides across the rim, at
``dF / du = -(F / (share r)) t^T`` where ``0 < share < 1``, with ``t`` the row reading the
node's slide away from the axis: ``+e`` on the node, ``-e`` on the pad's centre (``e`` the
unit vector from the axis to the node's foot in the mid-plane; the pad's axis moves with its
centre). The contact's force acts along its normal row ``n``, so the Jacobian of the
gradient gains

    sum_j c_j n_j t_j^T,    c_j = F_j / (share_j r_j)  (N/mm),

a sum of rank-one terms, one per node on a rim, unsymmetric (``n`` along the pad's facing,
``t`` across it). Without it the Newton matrix is far too soft along a slide over the rim
(a finite difference of the forces along the step of a solve's tail: 16-30 times the
matrix's share there), and the line search cuts step after step to about 0.1
(README, "Measured speed", part 10). The solver adds it as a low-rank update to the LDL^T
(Woodbury), keeping the factorisation (:func:`rim_rows`, ``_Factor.solve``), on the steps
after one the line search cut: its k more solves with the factors cost 5-15% of a step
where nothing is cut. A node that comes over a rim already pressed in is beyond any
derivative: the line search cuts the step just past where it does (:func:`rim_entry`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mvd_sim.mechanics.contacts import ContactSet
    from mvd_sim.mechanics.model import MechanicalModel

__all__ = ["rim_rows", "rim_entry"]


def _footprint(model: MechanicalModel, pad: np.ndarray, x: np.ndarray, centre: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """For nodes at ``x`` (m, 3) against pads ``pad`` (m,) centred at ``centre`` (m, 3):
    ``across`` (m,), mm from the pad's axis within its mid-plane, and the vector ``away``
    (m, 3) from the axis to the node's foot there (as ``pad_face_rows`` measures them)."""
    sponges = model.sponges
    facing = np.array([sponges[k].facing for k in pad], dtype=float).reshape(-1, 3)
    half = np.array([sponges[k].half_axis for k in pad], dtype=float).reshape(-1, 3)
    height = np.sum((x - centre) * facing, axis=1)
    flat = x - height[:, None] * facing
    p0, d = centre - half, 2.0 * half
    length2 = np.sum(d * d, axis=1)
    along = np.clip(np.sum((flat - p0) * d, axis=1) / np.where(length2 > 0, length2, 1.0),
                    0.0, 1.0)
    away = flat - (p0 + along[:, None] * d)
    return np.linalg.norm(away, axis=1), away


def _pad_rod(model: MechanicalModel, contacts: ContactSet) -> np.ndarray:
    """The contacts of a rod node against a pad's face."""
    n_rods = len(model.rods)
    return np.flatnonzero((contacts.body_a >= n_rods) & (contacts.body_b >= 0)
                          & (contacts.body_b < n_rods))


def rim_rows(model: MechanicalModel, contacts: ContactSet, positions: np.ndarray,
             radii: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The contacts on a pad's rim (a node against a pad's face, pushing, with its share
    strictly between 0 and 1), their coefficients and slide directions.

    Parameters
    ----------
    model : MechanicalModel
    contacts : ContactSet
        As :func:`~mvd_sim.mechanics.contacts.detect` found them at ``positions``.
    positions : (slots, 3) float, mm
        Every translational slot (``model.positions(u)``).
    radii : (rod slots,) float, mm
        The rod radii the contacts were found with.

    Returns
    -------
    index : (m,) int
        The contacts on a rim.
    coef : (m,) float, N/mm
        ``F / (share r)``.
    slide : (m, 3) float
        The unit vector ``e`` from the pad's axis to the node's foot in its mid-plane.
    """
    on_pad = _pad_rod(model, contacts)
    force = contacts.force_n()[on_pad]
    on_pad, force = on_pad[force > 0.0], force[force > 0.0]
    if len(on_pad) == 0:
        return np.empty(0, np.intp), np.empty(0), np.empty((0, 3))
    node, pad = contacts.slots[on_pad, 2], contacts.body_a[on_pad] - len(model.rods)
    r = radii[node]
    across, away = _footprint(model, pad, positions[node], positions[contacts.slots[on_pad, 0]])
    pad_radius = np.array([model.sponges[k].radius_mm for k in pad], dtype=float)
    share = (pad_radius + r - across) / r
    rim = (share > 0.0) & (share < 1.0) & (across > 0.0)
    coef = force[rim] / (share[rim] * r[rim])
    return on_pad[rim], coef, away[rim] / across[rim, None]


def rim_entry(model: MechanicalModel, before: ContactSet, after: ContactSet,
              x0: np.ndarray, x1: np.ndarray, radii: np.ndarray) -> float:
    """How far along a straight move of every slot from ``x0`` to ``x1`` ((slots, 3), mm;
    ``before`` and ``after`` their contacts) the first rod node to push a pad's face at
    ``x1`` that is not over that face at ``x0`` comes over its rim: the fraction in (0, 1)
    where ``R + r - across``, interpolated linearly between the ends, turns positive; 1
    if no node does. A node that comes over a rim already pressed past the felt's and its
    layer's capacity carries a force at once that neither the Newton matrix nor the line
    search's contact model (:func:`~mvd_sim.mechanics.solver._model_root`) saw coming."""
    entering = _pad_rod(model, after)
    entering = entering[after.gap[entering] < 0.0]
    if len(entering) == 0:
        return 1.0
    had = set(zip(before.body_a[_pad_rod(model, before)].tolist(),
                  before.slots[_pad_rod(model, before), 2].tolist()))
    entering = np.array([i for i in entering.tolist()
                         if (int(after.body_a[i]), int(after.slots[i, 2])) not in had],
                        dtype=np.intp)
    if len(entering) == 0:
        return 1.0
    node, pad = after.slots[entering, 2], after.body_a[entering] - len(model.rods)
    centre = after.slots[entering, 0]
    reach = np.array([model.sponges[k].radius_mm for k in pad], dtype=float) + radii[node]
    inside0 = reach - _footprint(model, pad, x0[node], x0[centre])[0]
    inside1 = reach - _footprint(model, pad, x1[node], x1[centre])[0]
    coming = (inside0 <= 0.0) & (inside1 > 0.0)
    if not coming.any():
        return 1.0
    return float(np.min(inside0[coming] / (inside0[coming] - inside1[coming])))
