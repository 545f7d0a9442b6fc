"""``Tube``: the core value type, a named tube on a polyline centerline with per-point radius.

Nerves and vessels are tubes. A tube never changes after construction; its arrays are
read-only copies, and derived quantities (arc length, tangents, frames, curvature) are
computed on first access and cached. "Changes" return new tubes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from mvd_sim.core._typing import Points, Radii
from mvd_sim.core.constants import TOL
from mvd_sim.core.errors import GeometryError
from mvd_sim.core.geometry import curve, rings
from mvd_sim.core.geometry.closest import SegmentSet
from mvd_sim.core.geometry.rings import SurfaceSamples
from mvd_sim.core.geometry.vec import norm

__all__ = ["Tube"]

_MIRROR_X = np.array([-1.0, 1.0, 1.0])


def _readonly(array: np.ndarray) -> np.ndarray:
    out = np.array(array, dtype=np.float64, copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Tube:
    """A tube around a centerline.

    Attributes
    ----------
    name : str
        Identifier, unique within a scene (e.g. ``"CN7"``, ``"aica"``).
    kind : str
        What it is: ``"CN7"``, ``"CN8"`` or a vessel type (``"AICA"``, ``"PICA"``, ``"VA"``,
        ``"BA"``, ``"vein"``).
    points : (n, 3) float, mm
        Centerline in the scene frame, ``n >= 2``, no zero-length segments.
    radius : (n,) float, mm
        Outer radius at each centerline point, positive.
    """

    name: str
    kind: str
    points: Points
    radius: Radii = field(repr=False)

    def __post_init__(self) -> None:
        pts = np.asarray(self.points, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 3 or pts.shape[0] < 2:
            raise GeometryError(
                f"tube {self.name!r}: points must be an (n, 3) array with n >= 2, "
                f"got shape {pts.shape}")
        s = curve.arc_length(pts)
        if not np.isfinite(s[-1]):      # a sum of lengths: finite iff every point is
            raise GeometryError(f"tube {self.name!r}: points must be finite")
        seg = np.diff(s)
        if np.any(seg <= TOL.zero_segment_mm):
            raise GeometryError(
                f"tube {self.name!r}: centerline has a zero-length segment at index "
                f"{int(np.argmin(seg))}")
        rad = np.asarray(self.radius, dtype=float)
        if rad.ndim > 1 or rad.size not in (1, len(pts)):
            raise GeometryError(f"tube {self.name!r}: radius must be a scalar or an "
                                f"({len(pts)},) array, got shape {rad.shape}")
        if rad.shape != (len(pts),):      # a scalar (broadcast_to costs 2 us: most are not)
            rad = np.broadcast_to(rad, (len(pts),))
        if not (np.isfinite(rad).all() and (rad > 0).all()):
            raise GeometryError(f"tube {self.name!r}: radius must be positive and finite, "
                                f"got min {float(np.min(rad))!r}")
        object.__setattr__(self, "points", _readonly(pts))
        object.__setattr__(self, "radius", _readonly(rad))
        self.__dict__["s"] = _readonly(s)     # the cached arc lengths, already at hand

    # -- named constructors -------------------------------------------------------------
    @classmethod
    def from_points(cls, name: str, kind: str, points: Points,
                    radius_mm: float | Radii, spacing_mm: float | None = None) -> Tube:
        """Tube through ``points``, optionally resampled to ``spacing_mm``.

        A scalar ``radius_mm`` gives a uniform tube; an ``(n,)`` array is interpolated by arc
        length when resampling.
        """
        tube = cls(name, kind, points, radius_mm)
        return tube if spacing_mm is None else tube.resampled(spacing_mm)

    # -- cached derived quantities --------------------------------------------------------
    @cached_property
    def s(self) -> np.ndarray:
        """(n,) float, mm: arc length of each centerline point from the first."""
        return _readonly(curve.arc_length(self.points))

    @property
    def length_mm(self) -> float:
        """Centerline length, mm."""
        return float(self.s[-1])

    @cached_property
    def tangents(self) -> np.ndarray:
        """(n, 3) unit tangents."""
        return _readonly(curve.tangents(self.points))

    @cached_property
    def frames(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Parallel-transport frames ``(tangent, normal, binormal)``, each (n, 3)."""
        return tuple(_readonly(a) for a in curve.parallel_transport_frames(self.points))

    @cached_property
    def segment_frames(self) -> np.ndarray:
        """(n - 1, 2, 3): for each segment, two orthonormal vectors spanning the plane normal
        to it: the parallel-transport normal at its start made exactly normal to the segment,
        and the binormal completing the frame (rings around the tube lie in these planes)."""
        tangent = np.diff(self.points, axis=0)
        tangent /= norm(tangent)[:, None]
        normal = np.array(self.frames[1][:-1])
        binormal = curve.complete_frames(tangent, normal)
        return _readonly(np.stack([normal, binormal], axis=1))

    @cached_property
    def segments(self) -> SegmentSet:
        """The tube's segments with a k-d tree over their midpoints (for gap queries)."""
        return SegmentSet.of(self.points, self.radius)

    @cached_property
    def curvature(self) -> np.ndarray:
        """(n,) float, 1/mm."""
        return _readonly(curve.curvature(self.points))

    # -- queries -----------------------------------------------------------------------
    def point_at(self, s_mm: float | np.ndarray) -> np.ndarray:
        """Centerline point(s) at arc length ``s_mm`` (clipped to the tube's ends)."""
        return curve.point_at(self.points, self.s, s_mm)

    def radius_at(self, s_mm: float | np.ndarray) -> float | np.ndarray:
        """Radius (mm) at arc length ``s_mm``, linearly interpolated."""
        return np.interp(s_mm, self.s, self.radius)

    def smooth_tangent_at(self, s_mm: float) -> np.ndarray:
        """Unit tangent at ``s_mm``, continuous along the tube: the vertices' tangents
        (:attr:`tangents`) interpolated linearly and normalised. Unlike :meth:`tangent_at`
        it does not jump at a vertex, so quantities measured with it (a crossing angle, say)
        do not either."""
        t = curve.point_at(self.tangents, self.s, s_mm)
        length = np.sqrt(np.dot(t, t))
        # two vertex tangents that cancel (a polyline doubling back on itself) have no mean
        return t / length if length > 1e-9 else self.tangent_at(s_mm)

    def tangent_at(self, s_mm: float) -> np.ndarray:
        """Unit tangent of the polyline segment containing ``s_mm``."""
        return curve.segment_tangent(self.points, self.s, float(s_mm))

    # -- new tubes ---------------------------------------------------------------------
    def surface_samples(self, s0: float, s1: float, ds: float = 0.05,
                        n_around: int = 48) -> SurfaceSamples:
        """Rings of samples of the tube's surface between arc lengths ``s0`` and ``s1`` (mm),
        with the area each stands for (:func:`mvd_sim.core.geometry.rings.surface_samples`)."""
        return rings.surface_samples(self.s, self.points, self.radius, self.segment_frames,
                                     s0, s1, ds, n_around)

    def resampled(self, spacing_mm: float) -> Tube:
        """Same tube with its centerline resampled to at most ``spacing_mm`` spacing."""
        if not spacing_mm > 0:
            raise GeometryError(f"tube {self.name!r}: resampling spacing must be positive, "
                                f"got {spacing_mm!r}")
        pts = curve.resample(self.points, spacing_mm)
        s_new = curve.arc_length(pts) * (self.length_mm / curve.arc_length(pts)[-1])
        return Tube(self.name, self.kind, pts, np.interp(s_new, self.s, self.radius))

    def translated(self, offset_mm: np.ndarray) -> Tube:
        """Same tube moved by ``offset_mm`` (3,)."""
        return Tube(self.name, self.kind, self.points + np.asarray(offset_mm), self.radius)

    def mirrored_x(self) -> Tube:
        """Mirror image through the plane ``x = 0`` (right case to left case), made once and
        kept (tubes never change: a dataset worker mirrors the same context rootlets case
        after case)."""
        return self._mirror_x

    @cached_property
    def _mirror_x(self) -> Tube:
        """:meth:`mirrored_x`, not validated again: a mirror keeps every segment's length to
        the bit (each difference only changes sign), so it has this tube's arc lengths and is
        valid as this tube is; it shares the read-only radii and arc lengths. The segments and
        tangents already found are mirrored too (a left scene's are placed on the right, then
        mirrored): each is the mirror's own to the bit (sums of the points' coordinates
        times factors of the arc lengths, and norms, whose rounding does not see the sign)."""
        mirror = object.__new__(Tube)
        for name, value in (("name", self.name), ("kind", self.kind),
                            ("points", _readonly(self.points * _MIRROR_X)),
                            ("radius", self.radius)):
            object.__setattr__(mirror, name, value)
        cached = self.__dict__
        mirror.__dict__["s"] = self.s
        if "segments" in cached:
            mirror.__dict__["segments"] = cached["segments"].mirrored_x()
        if "tangents" in cached:
            mirror.__dict__["tangents"] = _readonly(cached["tangents"] * _MIRROR_X)
        mirror.__dict__["_mirror_x"] = self   # the mirror's mirror is this tube, to the bit
        return mirror

    def with_points(self, points: Points) -> Tube:
        """Same name, kind and radius (by index) on new centerline points."""
        return Tube(self.name, self.kind, points, self.radius)
