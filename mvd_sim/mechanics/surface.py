"""The brainstem as a contact surface, linearised per slot: state a solve carries explicitly.

A contact law needs the brainstem's signed distance and normal at rod nodes many times per
solve. An exact query is costly, and a surface that moved under the iteration would make its
active set chatter, so each translational slot keeps the closest point and normal of its last
exact query and meanwhile sees the brainstem as that tangent plane. The solver decides when
the planes move (:meth:`BrainstemSurface.refresh`, at the first iteration and at convergence);
the contact laws only read them (:meth:`BrainstemSurface.query`). A slot queried far from the
brainstem (beyond :attr:`BrainstemSurface.FAR_MM`) has its exact query put off until it has
moved near enough for its plane to matter (:meth:`BrainstemSurface.ensure`), then made where
it was asked: most of a model's slots never come near, and the planes are the same.

The state belongs to whoever creates it (``MechanicalModel.new_surface``) and passes it to
:func:`mvd_sim.mechanics.solver.solve`: one per solve by default, or one shared by successive
solves of the same model (a pulse sweep, the starts of ``settle_from``), which then reuse
each other's closest points.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.anatomy.brainstem import Brainstem
from mvd_sim.mechanics.contact_kernels import planes_to_query

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
    far : (n_slots,) float, mm
        For a slot whose exact query at :attr:`point` is put off (found beyond
        :attr:`FAR_MM`), a lower bound of its distance from the brainstem there; ``-inf``
        for a tangent plane. Its plane meanwhile is a placeholder, through a point of the
        brainstem, its normal toward the slot: after the slot moves by ``d`` the placeholder
        and the brainstem both lie more than ``far - d`` from it.
    """

    REQUERY_MM = 0.05
    FAR_MM = 2.5

    def __init__(self, brainstem: Brainstem, n_slots: int):
        self.brainstem = brainstem
        self.point = np.full((n_slots, 3), np.inf)
        self.closest = np.zeros((n_slots, 3))
        self.normal = np.zeros((n_slots, 3))
        self.far = np.full(n_slots, -np.inf)

    @property
    def n_slots(self) -> int:
        return len(self.point)

    def _requery(self, slots: np.ndarray, points: np.ndarray) -> None:
        """Closest points and normals of ``points`` (m, 3), mm, for ``slots`` (m,): exact
        within :attr:`FAR_MM` of the brainstem (and inside it), put off beyond (a
        placeholder: the query's grid point near the slot, and its lower bound of the
        distance)."""
        if len(slots):
            q = self.brainstem.query(points, max_distance_mm=self.FAR_MM, exact_inside=True)
            self.point[slots] = points
            self.closest[slots] = q.closest
            self.normal[slots] = q.normal
            self.far[slots] = np.where(q.signed_distance > self.FAR_MM, q.signed_distance,
                                       -np.inf)

    def _resolve(self, slots: np.ndarray) -> None:
        """The put-off exact queries of ``slots`` (m,), at the points they were asked
        (:attr:`point`)."""
        if len(slots):
            q = self.brainstem.query(self.point[slots])
            self.closest[slots] = q.closest
            self.normal[slots] = q.normal
            self.far[slots] = -np.inf

    def query(self, slots: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Signed distance to each slot's tangent plane, and its outward normal.

        A slot never queried is queried exactly first, and one whose exact query was put off
        has it made (however far the point: a point far now may come near later, and only an
        exact closest point gives it a true tangent plane); the others keep their planes,
        however far they have moved.

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
        new = np.isinf(self.point[slots, 0])
        if new.any():
            self._requery(slots[new], points[new])
        self._resolve(slots[np.isfinite(self.far[slots])])
        normal = self.normal[slots]
        return np.einsum("ij,ij->i", points - self.closest[slots], normal), normal

    def ensure(self, slots: np.ndarray, positions: np.ndarray, reach: np.ndarray) -> None:
        """Query the slots of ``slots`` (m,) never queried, where they are (``positions``,
        (n_slots, 3), mm), and make the put-off queries of those whose plane may now come
        within their ``reach`` ((n_slots,) or the rod slots', mm) of them (moved by ``far -
        reach`` or more: :func:`~mvd_sim.mechanics.contact_kernels.planes_to_query`); the
        others keep their planes (:attr:`closest`, :attr:`normal`; a placeholder beyond its
        slot's reach, where it gives no contact, as the tangent plane there would not)."""
        asked = planes_to_query(slots, positions, reach, self.point, self.far)
        new = asked[np.isinf(self.point[asked, 0])]
        if len(new):
            self._requery(new, positions[new])
            # (a query put off there whose bound is already within the slot's reach is made
            # at once)
            asked = planes_to_query(asked, positions, reach, self.point, self.far)
        self._resolve(asked)

    def refresh(self, positions: np.ndarray) -> int:
        """Re-query every queried slot more than :attr:`REQUERY_MM` from where it was
        queried; return how many were (0: the planes the caller iterated on still stand).
        A put-off query is put off again at the new point (its bound less the move).

        Parameters
        ----------
        positions : (n_slots, 3) float, mm
            Where every slot is now.
        """
        queried = np.flatnonzero(np.isfinite(self.point[:, 0]))
        moved = np.linalg.norm(positions[queried] - self.point[queried], axis=1)
        stale = moved > self.REQUERY_MM
        off = stale & np.isfinite(self.far[queried])
        put_off = queried[off]
        self.point[put_off] = positions[put_off]
        self.far[put_off] -= moved[off]
        self._requery(queried[stale & ~off], positions[queried[stale & ~off]])
        return int(np.count_nonzero(stale))
