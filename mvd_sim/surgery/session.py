"""A planning session: one case, the pads placed so far and the phase of the pulse shown.

:class:`Session` is what ``mvd-sim serve`` shows and changes, with no user interface in it.
It is frozen: placing or removing a pad, or stepping the pulse, returns a new session (so an
undo is the session before). Two things are solved from it, each once per session:

- :attr:`Session.scene`: the case with its pads in, settled at the phase shown (the
  picture; :func:`~mvd_sim.surgery.postop.scene_at_level`);
- :attr:`Session.report`: the decompression through the whole pulse
  (:func:`~mvd_sim.surgery.decompress.decompress`), summed up in one line by
  :attr:`Session.verdict`; it does not depend on the phase shown.

A pad placed at a point of a vessel (:meth:`Session.with_pad_at`, a click on the picture)
goes on CN VII where that vessel point faces it, between the two (``seat: nerve``, ``side:
vessel``), sized by the planner's rule for that vessel (:func:`~mvd_sim.surgery.planner.
pad_sizes`, the smallest) unless a diameter is given.

Examples
--------
>>> from mvd_sim.case import Case
>>> session = Session.start(Case.bundled("aica_as_moderate_right"))
>>> session.report.status
'not_decompressed'
>>> aica = session.scene.vessels["aica"]
>>> session = session.with_pad_at("aica", aica.point_at(22.5))
>>> session.report.status, [pad.diameter_mm for pad in session.pads]
('decompressed', [1.0])
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mvd_sim.case import Case
from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.geometry.closest import point_polyline
from mvd_sim.mechanics.pulse import pulse_level
from mvd_sim.scenario import SpongeSpec
from mvd_sim.scene.scene import Scene
from mvd_sim.surgery.decompress import DecompressionReport, decompress
from mvd_sim.surgery.operation import Operation, operate
from mvd_sim.surgery.pads import SEAT_REACH_MM
from mvd_sim.surgery.planner import pad_sizes
from mvd_sim.surgery.postop import scene_at_level

__all__ = ["Session", "STATUS_WORDS"]

#: How a verdict's status reads.
STATUS_WORDS = {"decompressed": "Decompressed",
                "decompressed_at_a_cost": "Decompressed at a cost",
                "not_decompressed": "Not decompressed"}


@dataclass(frozen=True, eq=False)
class Session:
    """A case, the pads placed in it and the cardiac phase shown (frozen).

    Attributes
    ----------
    case : Case
    pads : tuple[SpongeSpec, ...]
        In the order placed, each with its id (``pad1``, ``pad2`` ...).
    phase : float
        Cardiac phase shown, in [0, 1) (0: end-diastole).
    """

    case: Case
    pads: tuple[SpongeSpec, ...] = ()
    phase: float = 0.0

    @classmethod
    def start(cls, case: Case) -> Session:
        """A session on ``case`` with its own pads (none before surgery), at phase 0."""
        pads = tuple(pad if pad.id else pad.model_copy(update={"id": f"pad{k + 1}"})
                     for k, pad in enumerate(case.pads))
        return cls(case, pads)

    @property
    def operation(self) -> Operation:
        """The pads, with the case's own transpositions and divided veins."""
        return Operation(self.pads, self.case.spec.transpositions, self.case.spec.divided)

    @cached_property
    def scene(self) -> Scene:
        """The case with its operation made, settled at :attr:`phase` (solved once)."""
        return scene_at_level(self.case, self.operation, float(pulse_level(self.phase)))

    @cached_property
    def report(self) -> DecompressionReport:
        """The decompression with these pads, solved through the whole pulse (once)."""
        return decompress(self.case, self.operation)

    @property
    def verdict(self) -> str:
        """The verdict in one line: its status, then why (the failed checks' texts, or CN
        VII's clearance when every check passes)."""
        report = self.report
        return f"{STATUS_WORDS[report.status]}: {'; '.join(report.reasons)}"

    def at_phase(self, phase: float) -> Session:
        """The same session shown at another cardiac phase (taken modulo 1); the verdict
        already solved is kept."""
        moved = dataclasses.replace(self, phase=float(phase) % 1.0)
        if "report" in self.__dict__:
            moved.__dict__["report"] = self.report
        return moved

    def with_pad_at(self, vessel: str, point: np.ndarray, diameter_mm: float | None = None
                    ) -> Session:
        """The session with one more pad: on CN VII where the point of ``vessel`` nearest
        ``point`` faces it, between the two.

        Parameters
        ----------
        vessel : str
            The vessel's id.
        point : (3,) float, mm
            A point on (or near) that vessel in :attr:`scene` (as shown: settled at
            :attr:`phase`, with the pads so far); its arc length along the vessel is carried
            over to the vessel as built by the ratio of the two lengths.
        diameter_mm : float, optional
            The pad's diameter; default the smallest the planner tries for that vessel.

        Raises
        ------
        ScenarioError
            One line: an unknown vessel, a vessel point farther from CN VII than the pad's
            diameter plus :data:`~mvd_sim.surgery.pads.SEAT_REACH_MM` (a pad there holds
            nothing off), or a pad that cannot go there
            (:func:`~mvd_sim.surgery.pads.place_sponges`).
        """
        if vessel not in self.scene.vessels:
            raise ScenarioError(f"{vessel!r}: no such vessel in {self.case.name} (vessels: "
                                f"{', '.join(self.scene.vessels) or 'none'})")
        shown, built = self.scene.vessels[vessel], self.case.scene.vessels[vessel]
        _, seg, u, _ = point_polyline(np.asarray(point, dtype=float)[None], shown.points)
        s_shown = shown.s[seg[0]] + u[0] * (shown.s[seg[0] + 1] - shown.s[seg[0]])
        s_mm = round(float(np.clip(s_shown * built.length_mm / shown.length_mm, 0.0,
                                   built.length_mm)), 3)
        if diameter_mm is None:
            diameter_mm = pad_sizes(2.0 * float(built.radius_at(s_mm)))[0]
        nerve = self.case.scene.nerves["CN7"]
        dist, seg, u, _ = point_polyline(built.point_at(s_mm)[None], nerve.points)
        gap = float(dist[0] - built.radius_at(s_mm)
                    - ((1.0 - u[0]) * nerve.radius[seg[0]] + u[0] * nerve.radius[seg[0] + 1]))
        if gap > diameter_mm + SEAT_REACH_MM:
            raise ScenarioError(f"{vessel} at {s_mm:.1f} mm along it lies {gap:.1f} mm from CN "
                                f"VII, more than the pad's diameter plus {SEAT_REACH_MM:g} mm: "
                                "a pad there would hold nothing off")
        taken = {pad.id for pad in self.pads}
        name = next(f"pad{k}" for k in range(1, len(taken) + 2) if f"pad{k}" not in taken)
        pad = SpongeSpec(id=name, diameter_mm=diameter_mm, vessel=vessel, vessel_s_mm=s_mm)
        placed = dataclasses.replace(self, pads=self.pads + (pad,))
        # refused here, in one line naming the pad, if it cannot go there
        operate(self.case.scene, placed.operation, {"pads": [p.id for p in placed.pads]})
        return placed

    def without_pad(self, pad_id: str) -> Session:
        """The session without the pad of that id.

        Raises
        ------
        ScenarioError
            If no pad has that id.
        """
        if pad_id not in {pad.id for pad in self.pads}:
            raise ScenarioError(f"{pad_id!r}: no such pad (pads: "
                                f"{', '.join(pad.id for pad in self.pads) or 'none'})")
        return dataclasses.replace(self, pads=tuple(p for p in self.pads if p.id != pad_id))
