"""The brainstem as a contact surface, linearised per slot: state a solve carries explicitly.

A contact law needs the brainstem's signed distance and normal at rod nodes many times per
solve. An exact query is costly, and a surface that moved under the iteration would make its
active set chatter, so each translational slot keeps the closest point and normal of its last
exact query and meanwhile sees the brainstem as that tangent plane. The solver decides when
the planes move (:meth:`BrainstemSurface.refresh`, at the first iteration and at convergence);
the contact laws only read them (:meth:`BrainstemSurface.query`).

The state belongs to whoever creates it (``MechanicalModel.new_surface``) and passes it to
:func:`mvd_sim.mechanics.solver.solve`: one per solve by default, or one shared by successive
solves of the same model (a pulse sweep, the starts of ``settle_from``), which then reuse
each other's closest points.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.anatomy.brainstem import Brainstem

__all__ = ["BrainstemSurface"]


class BrainstemSurface:
    """Per-slot tangent planes of the brainstem (mutable state, owned by its creator).

    A slot is re-queried exactly by :meth:`refresh` once it is more than :attr:`REQUERY_MM`
    from where it was last queried; in between the brainstem is its tangent plane at the last
    closest point (error below ``REQUERY_MM^2 / (2 R)``, about 1.3e-4 mm for a 10 mm radius
    of curvature, the brainstem's near the nerves).

    Parameters
    ----------
    brainstem : Brainstem
    n_slots : int
        Translational slots of the model it serves (rod nodes, then sponge centres).

    Attributes
    ----------
    point : (n_slots, 3) float, mm
        Where each slot was last queried (``inf`` if never).
    closest : (n_slots, 3) float, mm
        Its closest brainstem point then.
    normal : (n_slots, 3) float
        The outward unit normal there.
    """

    REQUERY_MM = 0.05

    def __init__(self, brainstem: Brainstem, n_slots: int):
        self.brainstem = brainstem
        self.point = np.full((n_slots, 3), np.inf)
        self.closest = np.zeros((n_slots, 3))
        self.normal = np.zeros((n_slots, 3))

    @property
    def n_slots(self) -> int:
        return len(self.point)

    def _requery(self, slots: np.ndarray, points: np.ndarray) -> None:
        """Exact closest points and normals of ``points`` (m, 3), mm, for ``slots`` (m,)."""
        if len(slots):
            q = self.brainstem.query(points)
            self.point[slots] = points
            self.closest[slots] = q.closest
            self.normal[slots] = q.normal

    def query(self, slots: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Signed distance to each slot's tangent plane, and its outward normal.

        A slot never queried is queried exactly first (every query is exact, however far the
        point: a point far now may come near later, and only an exact closest point gives it
        a true tangent plane); the others keep their planes, however far they have moved.

        Parameters
        ----------
        slots : (m,) int
        points : (m, 3) float, mm
            Where those slots are.

        Returns
        -------
        distance : (m,) float, mm
            Negative inside.
        normal : (m, 3) float
        """
        self.ensure(slots, points)
        normal = self.normal[slots]
        return np.einsum("ij,ij->i", points - self.closest[slots], normal), normal

    def ensure(self, slots: np.ndarray, points: np.ndarray) -> None:
        """Query exactly the slots of ``slots`` (m,) never queried, at ``points`` (m, 3), mm
        (where they are); the others keep their planes (:attr:`closest`, :attr:`normal`)."""
        new = np.isinf(self.point[slots, 0])
        if new.any():
            self._requery(slots[new], points[new])

    def refresh(self, positions: np.ndarray) -> int:
        """Re-query every queried slot more than :attr:`REQUERY_MM` from where it was
        queried; return how many were (0: the planes the caller iterated on still stand).

        Parameters
        ----------
        positions : (n_slots, 3) float, mm
            Where every slot is now.
        """
        queried = np.flatnonzero(np.isfinite(self.point[:, 0]))
        moved = np.linalg.norm(positions[queried] - self.point[queried], axis=1)
        stale = queried[moved > self.REQUERY_MM]
        self._requery(stale, positions[stale])
        return len(stale)
