"""Two tubes where their labels meet, fitted together to the label voxels there.

A label volume keeps one label a voxel, so where a vessel lies on or into a nerve (or on
another vessel) one label wins the voxels they share: the loser's surface shows a notch
that is not its own and the winner's face inside the loser touches the other label. The
section fits (:mod:`~mvd_sim.segmentation.sections`) leave both out, so a thin tube's
sections there rest on part of its circle, and at 0.6 mm voxels its radius and place come
back off by a fifth of a voxel or more, which is the depth of an indentation graded in
tenths of a millimetre.

Here both tubes' local offsets and radii are fitted to the voxels themselves about their
closest approach (:func:`refined`), so interior voxels and both faces (the loser's
outside, the winner's face within the loser) count:

- each tube near the site is its fitted centerline shifted square to it by an offset
  ``delta`` (2 unknowns) with its radii changed by ``dr`` (1 unknown): 6 unknowns a pair;
- a voxel's label is modelled as which tube holds its centre: the winner's where the
  winner's tube holds it, the loser's where only the loser's does, background elsewhere;
  the lens where the tubes overlap is given to the label the voxels there show (the one
  holding most of the lens of the sections' fit). Voxels of any third label are left out
  (what lies under them is not seen). In a segmentation of several layers a voxel may
  hold two labels (:mod:`~mvd_sim.segmentation.segments`): one the pair's and a third
  label's is kept as the pair's, and one both of the pair hold is counted as the
  winner's only, as one layer with the winner drawn last shows it, which is what the
  model predicts (the loser's voxels in the lens tell nothing the winner's do not);
- "holds" is soft: the probability a voxel centre at signed distance ``d`` from a tube's
  wall is inside is ``Phi(-d / sigma)``, ``sigma`` half a voxel (:data:`SOFTNESS_VOXELS`):
  a label tells a wall's place only to within the grid's step, so a narrower edge leaves
  the cost flat between voxel centres and a wider one blends voxels a voxel away. ``d``
  is ``(rho^2 - r^2) / (2 r0)`` for a voxel ``rho`` off the axis, ``r0`` the sections'
  radius (fixed): a tube's voxels are spread evenly in ``rho^2`` (in area) and this
  ``d`` changes with ``r`` alike for every voxel, so a symmetric edge in it pulls the
  wall neither in nor out (with the plain ``rho - r`` straight tubes of 0.725 and 1.105
  mm imaged as the phantoms at 0.5 and 0.6 mm read 0.01-0.07 mm thin; with this ``d``
  from 0.04 thin to 0.03 thick);
- the labels' indicators less the modelled probabilities are the residuals of a least
  squares fit (scipy's ``least_squares``, offsets bounded to a voxel);
- a tube under two voxels across (its median radius under a voxel) keeps its radius and
  only its offset is fitted: its label is a thread or a chain of beads there (see
  :mod:`~mvd_sim.segmentation.centerline`), whose voxels tell how thin the thresholded
  image got, not how thick the tube is;
- of the fitted offsets only the part along the line between the two axes is taken (what
  the two tubes' overlap or gap depends on): square to it a tube lying on a third
  structure (a root on the brainstem, whose voxels are left out) is seen on its flanks
  only, and moving it there moves what is measured against that structure (the RDP);
- the offset and radius change are applied over :data:`WINDOW_MM` of arc either side of
  the site and fade out linearly over :data:`TAPER_MM` beyond.

Sites are where two tubes' fitted surfaces come within :data:`NEAR_MM` (a contact or a
near miss is what the grading asks about), but not where one tube ends in the other (an
end whose surface meets the other tube's: a branch leaving its parent, a confluence; no
two tubes meeting) nor where the stretch moved would reach a tube's end (a root's start
on the brainstem, where the line is the end's extension, not a section's fit, and the
label ends in a cap). A junction is told by an end, not by depth: a vessel lying deeper
into a nerve than its own radius (its axis inside the nerve) is an indentation, fitted;
but not a tube under two voxels across (the thread the radius is kept for, below) whose
axis runs inside the other: its label there is the few voxels the other's left it, and
the offset fitted to them (up to a voxel, over the window and taper) moved it where it
meets a third tube a few millimetres on (0.6 mm voxels: a vessel-vessel touch read 0.31
mm apart instead of 0.17, its pushing vessel no culprit).

Everything is in world millimetres.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares
from scipy.spatial import cKDTree
from scipy.special import ndtr

from mvd_sim.core.geometry import curve
from mvd_sim.segmentation.centerline import Centerline
from mvd_sim.segmentation.volume import LabelVolume

__all__ = ["NEAR_MM", "WINDOW_MM", "TAPER_MM", "SOFTNESS_VOXELS", "LocalTube", "is_thread",
           "voxels_about", "refined"]

#: Pairs whose fitted surfaces come within this (mm) are fitted together there.
NEAR_MM = 1.0
#: Arc (mm) either side of the closest approach whose voxels are fitted and over which the
#: fitted offset and radius apply.
WINDOW_MM = 1.5
#: Arc (mm) beyond the window over which they fade out.
TAPER_MM = 1.5
#: The edge's softness: standard deviation (voxels) of the probit of a voxel being inside.
SOFTNESS_VOXELS = 0.5
_MARGIN_VOXELS = 2.0    # voxels up to this far outside a tube's wall are fitted
_MIN_VOXELS = 5         # fewest voxels of either label a site is fitted with
_DENSE_MM = 0.05        # the local centerlines are sampled this finely
_REACH_MM = 2.0         # ... over this much arc beyond the window


class LocalTube:
    """One tube about a site: its centerline sampled finely, the frame square to it at
    the site, and its nearest sample, tangent and radius for each fitted voxel."""

    def __init__(self, line: Centerline, s0: float):
        at = curve.arc_length(line.points)
        half = WINDOW_MM + _REACH_MM
        s = np.arange(max(s0 - half, 0.0), min(s0 + half, at[-1]) + 1e-9, _DENSE_MM)
        self.s0 = s0
        self.s = s
        # the samples at the centerline's own ends: a voxel nearest one lies on or beyond
        # an end cap, which is no tube wall
        self.caps = [k for k, end in ((0, 0.0), (len(s) - 1, at[-1]))
                     if abs(s[k] - end) < _DENSE_MM]
        self.points = np.stack([np.interp(s, at, line.points[:, c]) for c in range(3)], 1)
        self.radii = np.interp(s, at, line.radii)
        self.tangents = curve.tangents(self.points) if len(s) > 2 else np.tile(
            (self.points[-1] - self.points[0]) / max(np.linalg.norm(
                self.points[-1] - self.points[0]), 1e-9), (len(s), 1))
        u = self.tangents[int(np.argmin(np.abs(s - s0)))]
        e1 = np.cross(u, [1.0, 0.0, 0.0])
        if np.linalg.norm(e1) < 0.3:
            e1 = np.cross(u, [0.0, 1.0, 0.0])
        e1 /= np.linalg.norm(e1)
        self.frame = np.stack([e1, np.cross(u, e1)])   # (2, 3): the offset's directions
        self.tree = cKDTree(self.points)

    def attach(self, voxels: np.ndarray) -> None:
        """Each voxel's nearest sample (its tangent, point and radius kept)."""
        nearest = self.tree.query(voxels)[1]
        self.capped = np.isin(nearest, self.caps)
        self.near_s = self.s[nearest]
        self.q = self.points[nearest]
        self.t = self.tangents[nearest]
        self.r = self.radii[nearest]

    def rho2(self, voxels: np.ndarray, delta: np.ndarray | None = None) -> np.ndarray:
        """Squared distance (mm^2) of each attached voxel from the axis shifted by
        ``delta`` (2, in :attr:`frame`; None: not shifted): from the tangent line at its
        nearest sample."""
        v = voxels - self.q - (0.0 if delta is None else delta @ self.frame)
        return np.sum(v * v, axis=1) - np.sum(v * self.t, axis=1) ** 2

    def distance(self, voxels: np.ndarray, delta: np.ndarray, dr: float) -> np.ndarray:
        """Signed area distance ``(rho^2 - r^2) / (2 r0)`` (mm) of each attached voxel
        from the wall of the tube shifted by ``delta`` with radii changed by ``dr``
        (``r0``: the radius before, fixed, so the distance's change with ``dr`` is the
        same for every voxel)."""
        r = np.maximum(self.r + dr, 1e-3)
        return (self.rho2(voxels, delta) - r * r) / (2.0 * self.r)


def is_thread(line: Centerline, voxel_mm: float) -> bool:
    """Whether ``line``'s tube is under two voxels across (its median radius, mm, under
    ``voxel_mm``, the grid's largest spacing): its label is a thread or a chain of beads,
    whose voxels say how thin the thresholded image got, not the tube."""
    return bool(np.median(line.radii) < voxel_mm)


def _sites(a: Centerline, b: Centerline, voxel_mm: float) -> list[tuple[float, float]]:
    """Arcs (mm along ``a``, along ``b``) of the closest approaches where the two tubes'
    surfaces come within :data:`NEAR_MM`, nearest first, each more than twice the window
    and taper from another along either tube; none within that of where one tube ends in
    the other, where a tube under two voxels across (``voxel_mm``: the grid's largest
    step) has its axis inside the other, nor where the stretch moved would reach a tube's
    end (see the module)."""
    da = curve.resample(a.points, 0.1) if a.length_mm > 0.2 else a.points
    db = curve.resample(b.points, 0.1) if b.length_mm > 0.2 else b.points
    sa, sb = curve.arc_length(da), curve.arc_length(db)
    ra = np.interp(sa, curve.arc_length(a.points), a.radii)
    rb = np.interp(sb, curve.arc_length(b.points), b.radii)
    tree_a, tree_b = cKDTree(da), cKDTree(db)
    distance, nearest = tree_b.query(da)
    gap = distance - ra - rb[nearest]
    reach = WINDOW_MM + TAPER_MM
    blocked = np.array(_ends_in(da, sa, ra, tree_b, sb, rb)
                       + [(s_a, s_b) for s_b, s_a in _ends_in(db, sb, rb, tree_a, sa, ra)],
                       dtype=float).reshape(-1, 2)
    if is_thread(a, voxel_mm) or is_thread(b, voxel_mm):
        inside = gap < -np.minimum(ra, rb[nearest])
        blocked = np.vstack([blocked, np.column_stack([sa[inside], sb[nearest[inside]]])])
    sites: list[tuple[float, float]] = []
    for k in np.argsort(gap):
        if gap[k] > NEAR_MM:
            break
        here = np.array([sa[k], sb[nearest[k]]])
        if np.any(np.any(np.abs(blocked - here) <= 2 * reach, axis=1)):
            continue
        blocked = np.vstack([blocked, here])
        if min(here[0], sa[-1] - here[0], here[1], sb[-1] - here[1]) >= reach:
            sites.append((float(here[0]), float(here[1])))
    return sites


def _ends_in(points: np.ndarray, s: np.ndarray, radii: np.ndarray, other: cKDTree,
             other_s: np.ndarray, other_radii: np.ndarray) -> list[tuple[float, float]]:
    """Junctions: (arc along this tube, arc along the other; mm) of each end of this tube
    (``points``, their arcs and radii, world mm) whose surface meets the other's (``other``
    its points' tree): a branch leaving its parent, a vessel joining a confluence."""
    out = []
    for k in (0, len(points) - 1):
        distance, nearest = other.query(points[k])
        if distance < radii[k] + other_radii[nearest]:
            out.append((float(s[k]), float(other_s[nearest])))
    return out


def voxels_about(volume: LabelVolume, centre: np.ndarray, half_mm: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Labels (layers, n) and world centres (n, 3) of the voxels within a cube of
    half-edge ``half_mm`` about ``centre`` (world mm)."""
    inverse = np.linalg.inv(volume.affine)
    corners = centre + half_mm * np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1)
                                           for k in (-1, 1)])
    ijk = corners @ inverse[:3, :3].T + inverse[:3, 3]
    low = np.clip(np.floor(ijk.min(axis=0)).astype(int), 0, None)
    high = np.minimum(np.ceil(ijk.max(axis=0)).astype(int) + 1, volume.labels.shape)
    if np.any(high <= low):
        return np.zeros((len(volume.layers), 0), dtype=volume.labels.dtype), np.zeros((0, 3))
    box = tuple(slice(a, b) for a, b in zip(low, high))
    index = np.indices(high - low).reshape(3, -1).T + low
    return np.stack([layer[box].ravel() for layer in volume.layers]), volume.world(index)


def _fit_site(a: Centerline, b: Centerline, key_a: int, key_b: int, volume: LabelVolume,
              site: tuple[float, float]) -> tuple[np.ndarray, float, np.ndarray, float] | None:
    """The offsets (world mm) and radius changes (mm) of ``a`` and ``b`` fitted to the
    voxels about one site; None where too few voxels or the fit fails."""
    voxel_mm = float(volume.spacing_mm.max())
    la, lb = LocalTube(a, site[0]), LocalTube(b, site[1])
    # the two axes' points at the site
    pa = la.points[np.argmin(np.abs(la.s - site[0]))]
    pb = lb.points[np.argmin(np.abs(lb.s - site[1]))]
    centre = 0.5 * (pa + pb)
    half = WINDOW_MM + max(float(la.radii.max()), float(lb.radii.max())) \
        + (_MARGIN_VOXELS + 1.0) * voxel_mm
    labels, voxels = voxels_about(volume, centre, half)
    in_a, in_b = np.any(labels == key_a, axis=0), np.any(labels == key_b, axis=0)
    # a third label's voxels are left out, unless (several layers) one of the two holds them
    seen = in_a | in_b | ~np.any((labels != 0) & (labels != key_a) & (labels != key_b), axis=0)
    in_a, in_b, voxels = in_a[seen], in_b[seen], voxels[seen]
    if len(voxels) == 0:
        return None
    # the voxels within the window of either tube and a margin of its wall, none on or
    # beyond an end cap
    near = np.zeros(len(voxels), dtype=bool)
    for local in (la, lb):
        local.attach(voxels)
        near |= ((np.abs(local.near_s - local.s0) <= WINDOW_MM)
                 & (local.rho2(voxels) < (local.r + _MARGIN_VOXELS * voxel_mm) ** 2))
    near &= ~la.capped & ~lb.capped
    in_a, in_b, voxels = in_a[near], in_b[near], voxels[near]
    if in_a.sum() < _MIN_VOXELS or in_b.sum() < _MIN_VOXELS:
        return None
    for local in (la, lb):
        local.attach(voxels)
    lens = (la.rho2(voxels) < la.r ** 2) & (lb.rho2(voxels) < lb.r ** 2)
    a_wins = np.count_nonzero(in_a & lens) > np.count_nonzero(in_b & lens)
    if a_wins:   # the voxels both hold (several layers) are the winner's
        in_b = in_b & ~in_a
    else:
        in_a = in_a & ~in_b
    sigma = SOFTNESS_VOXELS * voxel_mm

    def residuals(x: np.ndarray) -> np.ndarray:
        pa = ndtr(-la.distance(voxels, x[0:2], x[2]) / sigma)
        pb = ndtr(-lb.distance(voxels, x[3:5], x[5]) / sigma)
        if a_wins:
            return np.concatenate([in_a - pa, in_b - (1.0 - pa) * pb])
        return np.concatenate([in_b - pb, in_a - (1.0 - pb) * pa])

    # a thread (its median radius along its whole length under a voxel) keeps its radius
    ra, rb = float(np.median(la.r)), float(np.median(lb.r))
    free = np.array([True, True, not is_thread(a, voxel_mm),
                     True, True, not is_thread(b, voxel_mm)])
    low = np.array([-voxel_mm, -voxel_mm, -0.5 * ra, -voxel_mm, -voxel_mm, -0.5 * rb])
    high = np.full(6, voxel_mm)

    def residuals_free(y: np.ndarray) -> np.ndarray:
        x = np.zeros(6)
        x[free] = y
        return residuals(x)

    fit = least_squares(residuals_free, np.zeros(int(free.sum())),
                        bounds=(low[free], high[free]), x_scale=0.1 * voxel_mm)
    if not fit.success:
        return None
    x = np.zeros(6)
    x[free] = fit.x
    normal = (pb - pa) / max(np.linalg.norm(pb - pa), 1e-9)
    shift_a, shift_b = x[0:2] @ la.frame, x[3:5] @ lb.frame
    return ((shift_a @ normal) * normal, float(x[2]), (shift_b @ normal) * normal,
            float(x[5]))


def _moved(line: Centerline, s0: float, delta: np.ndarray, dr: float) -> Centerline:
    """A centerline shifted by ``delta`` (world mm) and its radii changed by ``dr`` (mm)
    over :data:`WINDOW_MM` either side of ``s0``, fading out over :data:`TAPER_MM`."""
    s = curve.arc_length(line.points)
    weight = np.clip((WINDOW_MM + TAPER_MM - np.abs(s - s0)) / TAPER_MM, 0.0, 1.0)
    return Centerline(line.points + weight[:, None] * delta,
                      np.maximum(line.radii + weight * dr, 1e-3), line.surface_rms_mm)


def refined(lines: dict[str, Centerline], keys: dict[str, int], volume: LabelVolume,
            pairs: list[tuple[str, str]]) -> dict[str, Centerline]:
    """The centerlines (world mm) with each pair's tubes fitted together to the label
    voxels wherever their surfaces come within :data:`NEAR_MM` (see the module).

    Parameters
    ----------
    lines : structure id -> Centerline
        The section fits (:func:`~mvd_sim.segmentation.centerline.centerline_of`).
    keys : structure id -> label number in ``volume``
    volume : LabelVolume
    pairs : (id, id) pairs to fit where they meet, in order (a tube in several pairs is
        fitted again from where the pair before left it).
    """
    out = dict(lines)
    for id_a, id_b in pairs:
        for site in _sites(out[id_a], out[id_b], float(volume.spacing_mm.max())):
            found = _fit_site(out[id_a], out[id_b], keys[id_a], keys[id_b], volume, site)
            if found is None:
                continue
            delta_a, dr_a, delta_b, dr_b = found
            out[id_a] = _moved(out[id_a], site[0], delta_a, dr_a)
            out[id_b] = _moved(out[id_b], site[1], delta_b, dr_b)
    return out
