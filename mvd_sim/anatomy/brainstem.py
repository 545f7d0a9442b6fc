"""Parametric brainstem: pons and medulla as one smooth closed surface with exact queries.

Frame
-----
The builder works in the *midline frame*: ``x`` to the patient's right, ``y`` anterior, ``z``
rostral, mm, with ``x = 0`` the midsagittal plane and ``z = 0`` the pons' inferior border
(half-maximum of its profile); the floor of the pontomedullary sulcus lies a little below.
A :class:`Brainstem` also carries the offset of the scene frame (origin at the RExP), so its
public queries take and return scene-frame points.

Shape
-----
Every axial cross-section is an ellipse ``x = a(z) cos(theta)``,
``y = y_mid(z) + b(z) sin(theta)``. The half-width ``a`` and the anterior and posterior
extents are each the smooth maximum (log-sum-exp, sharpness ``sulcus_fillet_mm``) of a column
(medulla below, midbrain stump above) and the pons, whose rostro-caudal profile is a
generalised bell. Where the pons' rounded inferior border meets the narrower medulla, the smooth
maximum leaves a filleted groove: the pontomedullary sulcus. The ends are closed by
half-ellipsoidal caps, so the surface is one closed C1 sheet, parameterised by
``(theta, t)`` with ``t`` in ``[0, pi]`` from the caudal to the rostral pole.

Queries
-------
Closest points are exact on this analytic surface: the nearest sample of a dense parameter grid
gives a start, then damped Newton steps minimise ``|S(theta, t) - p|^2``, one compiled loop
per query (:mod:`mvd_sim.anatomy.surface_kernels`). The nearest sample is found by branch
and bound over a tree of the grid's tiles, which also screens out the points a query does not
need exactly (beyond its reach). The sign comes from an inside test: is ``p`` inside
the ellipse of its own axial level?

The surface depends on ``t`` only through three profiles, ``A = cap * half_width``, the
section's centre ``Y`` and ``B = cap * half_depth`` (``z`` is ``z_mid - half cos t``). The
Newton solve reads them, and their first and second derivatives, from piecewise quintic
interpolants tabulated once per shape, with breakpoints where the profiles are only C1 (the
caps' junctions and the olives' ends), sampled finely enough to match the closed form to
1e-10 mm (tests check the default shape and sharp overrides to 1e-9), and the derivatives
are analytic instead of finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from mvd_sim.core._typing import Points
from mvd_sim.anatomy import surface_kernels as kernels
from mvd_sim.core.constants import TOL, BrainstemParams
from mvd_sim.core.errors import ScenarioError
from mvd_sim.core.recent import Recent
from mvd_sim.core.geometry.curve import smooth_bump
from mvd_sim.core.geometry.vec import cross, norm

__all__ = ["BrainstemShape", "Brainstem", "SurfaceQuery", "kernel_surface"]

_CAP_LENGTH_MM = 6.0       # length of the half-ellipsoid closing each end
_SAMPLE_GRID = (512, 384)   # (theta, t) samples of the grid Newton starts from
_TABLE_STEP = np.pi / 4096  # sample spacing in t of the profile interpolants (rad)
_TABLE_TOL_MM = 1e-10       # largest interpolation error of a profile table ...
_TABLE_REFINEMENTS = 8      # ... reached within this many doublings of a piece's samples
_NEWTON_CONVERGED = 1e-11   # |d theta| + |d t| (rad) at which a point's solve stops
# ... or, after a full undamped Newton step, this: convergence is quadratic from the grid
# start (steps of about 6e-3, 2e-4, 8e-7, 9e-12 rad), so the step after it would be ~1e-11
_NEWTON_QUADRATIC = 1e-6


def _smooth_max(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Log-sum-exp smooth maximum with sharpness ``k`` (mm); within ``k log 2`` of max."""
    m = np.maximum(a, b)
    return m + k * np.log(np.exp((a - m) / k) + np.exp((b - m) / k))


def _outward_normal(d_theta: np.ndarray, d_t: np.ndarray) -> np.ndarray:
    """Unit outward normal from the parameter derivatives.

    theta runs counter-clockwise seen from above and t runs caudal to rostral, so
    ``S_theta x S_t`` points outward.
    """
    normal = cross(d_theta, d_t)
    return normal / norm(normal)[:, None]


def _sigmoid(u: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(u))


@dataclass(frozen=True)
class BrainstemShape(BrainstemParams):
    """The brainstem's shape: :class:`~mvd_sim.core.constants.BrainstemParams` plus geometry."""

    # -- extent along z -------------------------------------------------------------------
    @property
    def z_bottom_mm(self) -> float:
        """Caudal pole (end of the modelled medulla)."""
        return -self.medulla_length_mm

    @property
    def z_top_mm(self) -> float:
        """Rostral pole (top of the midbrain stump)."""
        return self.pons_length_mm + self.midbrain_length_mm

    # -- profiles ---------------------------------------------------------------------------
    def _pons_profile(self, z: np.ndarray) -> np.ndarray:
        """Generalised-bell profile in (0, 1] of the pons along z: 1/2 at z = 0 and z = L.

        ``1 / (1 + u^(2m))`` with ``u = (z - L/2) / (L/2)`` is smooth everywhere, flat along
        the pons and falls off over a few mm at its borders.
        """
        half = 0.5 * self.pons_length_mm
        u = (z - half) / half
        return 1.0 / (1.0 + u ** (2 * self.pons_profile_exponent))

    def _column(self, z: np.ndarray, medulla: float, midbrain: float,
                olive: float = 0.0) -> np.ndarray:
        """Medulla value (plus ``olive`` at the olives) below the pons, midbrain value above."""
        w = _sigmoid((z - self.pons_length_mm) / 3.0)
        olive_bump = olive * smooth_bump(z, -self.olive_centre_below_sulcus_mm,
                                         self.olive_half_length_mm)
        return medulla + olive_bump + (midbrain - medulla) * w

    def profiles(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Half-width, anterior and posterior extents of the axial ellipse at ``z``.

        Returns
        -------
        half_width, y_anterior, y_posterior : (n,) float, mm
            The ellipse at level ``z`` spans ``|x| <= half_width`` and
            ``y_posterior <= y <= y_anterior`` (before the polar caps).
        """
        z = np.asarray(z, dtype=float)
        k = self.sulcus_fillet_mm
        p = self._pons_profile(z)
        med_half_depth = 0.5 * self.medulla_depth_mm
        half_width = _smooth_max(
            self._column(z, self.medulla_half_width_mm, self.midbrain_half_width_mm,
                         self.olive_bulge_mm),
            self.pons_half_width_mm * p, k)
        # Pons dorsal surface sits pons_dorsal_step behind the medulla's; it bulges anteriorly.
        pons_post = -(med_half_depth + self.pons_dorsal_step_mm)
        pons_ant = pons_post + self.pons_depth_mm
        y_ant = _smooth_max(
            self._column(z, med_half_depth, self.midbrain_depth_mm / 2,
                         self.pyramid_bulge_mm), pons_ant * p, k)
        y_post = -_smooth_max(
            self._column(z, med_half_depth, self.midbrain_depth_mm / 2),
            -pons_post * p, k)
        return half_width, y_ant, y_post

    def section(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Axial ellipse at ``z`` before the caps: half-width, centre ``y`` and half-depth (mm)."""
        half_width, y_ant, y_post = self.profiles(z)
        return half_width, 0.5 * (y_ant + y_post), 0.5 * (y_ant - y_post)

    # -- parameterisation -------------------------------------------------------------------
    def cap_scale(self, z: np.ndarray) -> np.ndarray:
        """Cap factor in [0, 1]: 1 along the body, closing each end as a half-ellipsoid of
        length :data:`_CAP_LENGTH_MM` (C1 where it meets the body; with ``z = z_mid -
        half cos t`` the radius grows linearly in ``t`` from each pole, a regular chart)."""
        z_mid = 0.5 * (self.z_top_mm + self.z_bottom_mm)
        half = 0.5 * (self.z_top_mm - self.z_bottom_mm)
        x = np.clip((np.abs(z - z_mid) - (half - _CAP_LENGTH_MM)) / _CAP_LENGTH_MM, 0.0, 1.0)
        return np.sqrt(1.0 - x * x)

    def _z_and_cap(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Level ``z`` and cap scale in [0, 1] for polar parameter ``t`` in [0, pi]."""
        z_mid = 0.5 * (self.z_top_mm + self.z_bottom_mm)
        half = 0.5 * (self.z_top_mm - self.z_bottom_mm)
        z = z_mid - half * np.cos(t)
        return z, self.cap_scale(z)

    def surface(self, theta: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Surface points ``S(theta, t)`` in the midline frame.

        Parameters
        ----------
        theta : (...) float, rad
            Angle around the axial ellipse, 0 = right lateral, pi/2 = anterior.
        t : (...) float, rad
            Polar parameter, 0 = caudal pole, pi = rostral pole.

        Returns
        -------
        (..., 3) float, mm
        """
        z, cap = self._z_and_cap(t)
        half_width, y_mid, half_depth = self.section(z)
        return np.stack([cap * half_width * np.cos(theta),
                         y_mid + cap * half_depth * np.sin(theta), z], axis=-1)

    def sulcus_points(self, theta: np.ndarray) -> np.ndarray:
        """Floor of the pontomedullary sulcus in directions ``theta`` (midline frame, mm).

        The groove floor is the local minimum, between z = -6 and z = 4 mm, of the
        cross-section's radius along ``theta``; found on a 0.01 mm grid then refined
        parabolically.

        Parameters
        ----------
        theta : (n,) float, rad

        Returns
        -------
        (n, 3) float, mm
        """
        theta = np.atleast_1d(np.asarray(theta, dtype=float))
        z, radius = self._sulcus_radii(theta)
        i = np.clip(np.argmin(radius, axis=1), 1, len(z) - 2)
        rows = np.arange(len(theta))
        r0, r1, r2 = radius[rows, i - 1], radius[rows, i], radius[rows, i + 1]
        denom = r0 - 2 * r1 + r2
        shift = np.where(denom > 0, 0.5 * (r0 - r2) / np.where(denom > 0, denom, 1.0), 0.0)
        z_floor = z[i] + np.clip(shift, -1.0, 1.0) * (z[1] - z[0])
        return self.surface(theta, self.t_of_z(z_floor))

    def has_sulcus(self, theta: np.ndarray) -> np.ndarray:
        """(n,) bool: is there a groove between the pons and the medulla in directions
        ``theta`` (rad), a radius minimum inside z = -6 to 4 mm rather than at its ends?"""
        z, radius = self._sulcus_radii(np.atleast_1d(np.asarray(theta, dtype=float)))
        i = np.argmin(radius, axis=1)
        return (i > 0) & (i < len(z) - 1)

    def _sulcus_radii(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The levels searched for the sulcus floor and, for each direction ``theta``, the
        section's radius along it from the axial centre (0, y_mid), mm."""
        z, half_width, y_mid, half_depth = _sulcus_sections(self)
        return z, np.hypot(half_width[None] * np.cos(theta)[:, None],
                           half_depth[None] * np.sin(theta)[:, None])

    def t_of_z(self, z: np.ndarray | float) -> np.ndarray:
        """Polar parameter whose level is ``z`` (inverse of the cap parameterisation)."""
        z_mid = 0.5 * (self.z_top_mm + self.z_bottom_mm)
        half = 0.5 * (self.z_top_mm - self.z_bottom_mm)
        return np.arccos(np.clip((z_mid - np.asarray(z)) / half, -1.0, 1.0))

    def root_exit(self, arc_from_midline_mm: float) -> tuple[float, np.ndarray]:
        """The facial nerve's root exit point: its angle ``theta`` and midline-frame point.

        Walks the floor of the pontomedullary sulcus from the anterior midline toward the
        right lateral side and stops after ``arc_from_midline_mm`` of arc (LaRouere & Lundy
        1994 give 9.5-14.5 mm, default 12).

        Raises
        ------
        ScenarioError
            If the sulcus is shorter than that: the nerve would miss the brainstem.
        """
        if not np.isfinite(arc_from_midline_mm) or arc_from_midline_mm <= 0:
            raise ScenarioError(f"facial nerve exit distance from the midline must be a "
                                f"positive number of mm, got {arc_from_midline_mm!r}")
        thetas, arc, grooved = _sulcus_arc(self)
        if arc_from_midline_mm >= arc[-1]:
            raise ScenarioError(
                f"facial nerve exit at {arc_from_midline_mm:g} mm from the midline misses the "
                f"brainstem: the pontomedullary sulcus is only {arc[-1]:.1f} mm long from the "
                "anterior midline to the dorsal midline")
        theta = float(np.interp(arc_from_midline_mm, arc, thetas))
        if not grooved[np.count_nonzero(thetas >= theta) - 1]:
            raise ScenarioError(
                "the brainstem has no pontomedullary sulcus between the anterior midline and "
                "the facial nerve's exit: the medulla there is as wide as the pons' border "
                "(check the olive and pyramid overrides)")
        return theta, self.sulcus_points(np.array([theta]))[0]

    def root_exit_point(self, arc_from_midline_mm: float) -> np.ndarray:
        """Midline-frame point of :meth:`root_exit` (mm)."""
        return self.root_exit(arc_from_midline_mm)[1]


@lru_cache(maxsize=16)
def _sulcus_sections(shape: BrainstemShape) -> tuple[np.ndarray, ...]:
    """The levels z = -6 to 4 mm (0.01 mm apart, midline frame) where the sulcus floor is
    sought and the axial sections there (:meth:`BrainstemShape.section`), cached per shape."""
    z = np.linspace(-6.0, 4.0, 1001)
    return (z, *shape.section(z))


@lru_cache(maxsize=16)
def _sulcus_arc(shape: BrainstemShape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directions ``theta`` from the anterior to the dorsal midline (721 samples, rad), the
    arc (mm) along the sulcus floor to each, and whether the sulcus is a groove all the way
    from the anterior midline to each (:meth:`BrainstemShape.has_sulcus`), cached per
    shape."""
    thetas = np.linspace(np.pi / 2, -np.pi / 2, 721)
    floor = shape.sulcus_points(thetas)
    arc = np.concatenate(([0.0], np.cumsum(np.linalg.norm(np.diff(floor, axis=0), axis=1))))
    return thetas, arc, np.logical_and.accumulate(shape.has_sulcus(thetas))


@dataclass(frozen=True)
class SurfaceQuery:
    """Result of a closest-point query on the brainstem (scene frame, mm).

    Attributes
    ----------
    signed_distance : (n,) float, mm
        Negative inside the brainstem.
    closest : (n, 3) float, mm
        Closest surface points.
    normal : (n, 3) float
        Outward unit surface normals at ``closest``.
    """

    signed_distance: np.ndarray
    closest: np.ndarray
    normal: np.ndarray


@dataclass(frozen=True, eq=False)
class _SampleGrid:
    """Surface samples on a parameter grid (midline frame, mm), and the same samples as a tree
    of tiles for the nearest-sample search
    (:func:`mvd_sim.anatomy.surface_kernels.nearest_sample`).

    Attributes
    ----------
    samples : (n_theta, n_t, 3) float, mm
    theta, t : (n_theta,), (n_t,) float, rad
        The grid's parameters.
    tree_samples : (tops * FAN^6, 3) float, mm
        The samples depth first (the grid padded to whole tops).
    leaves, mids, tops : (tops * FAN^4, 8), (tops * FAN^2, 8), (tops, 8) float
        Each tile's bounding ball (centre, radius, mm) and a slab about its centre holding
        its samples (unit normal, half-thickness in mm), depth first.
    top_columns : int
        Tops a row (along ``t``).
    cover_mm : float
        Covering radius: every surface point lies within it of a sample (half the longest
        cell diagonal, or the polar caps'), so ``|p - S| >= d_sample - cover_mm``.
    """

    samples: np.ndarray
    theta: np.ndarray
    t: np.ndarray
    tree_samples: np.ndarray
    leaves: np.ndarray
    mids: np.ndarray
    tops: np.ndarray
    top_columns: int
    cover_mm: float


def _tiles(grid: np.ndarray, size: int) -> np.ndarray:
    """(rows, columns, size * size, ...): the ``size`` x ``size`` tiles of a grid (rows *
    size, columns * size, ...), each row-major."""
    rows, columns = grid.shape[0] // size, grid.shape[1] // size
    tiled = grid.reshape(rows, size, columns, size, *grid.shape[2:]).swapaxes(1, 2)
    return tiled.reshape(rows, columns, size * size, *grid.shape[2:])


def _depth_first(grid: np.ndarray, levels: int) -> np.ndarray:
    """The nodes of a grid (rows, columns, ...) of one level, ordered depth first through
    ``levels`` levels of FAN x FAN parents above it: (rows * columns, ...)."""
    for _ in range(levels):
        grid = _tiles(grid, kernels.FAN)
    return grid.reshape(-1, *grid.shape[2 + levels:])


def _tile_nodes(grid: np.ndarray, size: int) -> np.ndarray:
    """(rows, columns, 8) for the ``size`` x ``size`` tiles of a sample grid (..., 3): the
    centre of each tile's bounding box and the radius about it holding its samples, then the
    unit normal across the tile's diagonals and the half-thickness of the slab about the
    centre holding them (mm, radius and half-thickness padded by 1e-9 mm)."""
    tiles = _tiles(grid, size)
    centres = 0.5 * (tiles.min(axis=2) + tiles.max(axis=2))
    radii = norm(tiles - centres[:, :, None]).max(axis=2) + 1e-9
    normal = cross(tiles[:, :, -1] - tiles[:, :, 0], tiles[:, :, size - 1] - tiles[:, :, -size])
    normal /= norm(normal)[..., None]
    height = np.abs(np.einsum("rcki,rci->rck", tiles - centres[:, :, None], normal))
    return np.concatenate([centres, radii[..., None], normal,
                           height.max(axis=2)[..., None] + 1e-9], axis=-1)


@lru_cache(maxsize=16)
def _sample_grid(shape: BrainstemShape) -> _SampleGrid:
    """The :data:`_SAMPLE_GRID` of ``shape``, as a tree too, with its covering radius. Cached
    per shape: the cases of a scenario set or dataset mostly share one."""
    theta = np.linspace(-np.pi, np.pi, _SAMPLE_GRID[0], endpoint=False)
    t = np.linspace(0.0, np.pi, _SAMPLE_GRID[1])[1:-1]
    samples = shape.surface(*np.meshgrid(theta, t, indexing="ij"))
    wrapped = np.concatenate([samples, samples[:1]], axis=0)
    diagonals = np.concatenate([
        np.linalg.norm(wrapped[1:, 1:] - wrapped[:-1, :-1], axis=-1).ravel(),
        np.linalg.norm(wrapped[1:, :-1] - wrapped[:-1, 1:], axis=-1).ravel()])
    poles = shape.surface(np.zeros(2), np.array([0.0, np.pi]))
    cap = max(np.linalg.norm(samples[:, 0] - poles[0], axis=1).max(),
              np.linalg.norm(samples[:, -1] - poles[1], axis=1).max())
    # pad to whole tops by repeating the last samples (which leaves every tile's ball and
    # slab as they are: the repeats sit in their originals' tiles)
    top = kernels.FAN ** 3
    padded = np.pad(samples, ((0, -samples.shape[0] % top), (0, -samples.shape[1] % top),
                              (0, 0)), mode="edge")
    return _SampleGrid(
        samples, theta, t, np.ascontiguousarray(_depth_first(padded, 3)),
        *(np.ascontiguousarray(_depth_first(_tile_nodes(padded, kernels.FAN ** level),
                                            3 - level)) for level in (1, 2, 3)),
        padded.shape[1] // top, max(0.5 * float(diagonals.max()), float(cap)))


@dataclass(frozen=True, eq=False)
class _ProfileTable:
    """``A``, ``Y``, ``B`` of ``t`` (mm) as piecewise polynomials over ``[0, pi]``.

    ``coefficients[i]`` holds piece ``i``'s local power-basis coefficients, highest power
    first, of the profiles (6 rows), then of their first (5) and second (4) derivatives,
    columns A, Y, B: shape (pieces, 15, 3). Piece ``i`` starts at ``knots[i]``.
    """

    coefficients: np.ndarray
    knots: np.ndarray
    z_mid_mm: float
    half_length_mm: float


def _profiles_of(shape: BrainstemShape, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """The closed-form profiles ``A``, ``Y``, ``B`` (mm) at polar parameters ``t``."""
    z, cap = shape._z_and_cap(t)
    half_width, y_mid, half_depth = shape.section(z)
    return cap * half_width, y_mid, cap * half_depth


@lru_cache(maxsize=16)
def _profile_table(shape: BrainstemShape) -> _ProfileTable:
    """Piecewise quintic interpolants of the profiles of ``shape``, one piece between each
    pair of consecutive C1 breakpoints (cap junctions, olive ends), so every piece
    interpolates an analytic function. A piece's samples are doubled until the interpolant
    is within :data:`_TABLE_TOL_MM` of the closed form halfway between them (sharp shape
    overrides need more than the default :data:`_TABLE_STEP`)."""
    # imported here: scipy.interpolate is a third of the package's import time, and the CLI's
    # first-run notice comes after the import
    from scipy.interpolate import PPoly, make_interp_spline

    z_bottom, z_top = shape.z_bottom_mm, shape.z_top_mm
    olive = -shape.olive_centre_below_sulcus_mm
    kinks = np.array([z_bottom + _CAP_LENGTH_MM, olive - shape.olive_half_length_mm,
                      olive + shape.olive_half_length_mm, z_top - _CAP_LENGTH_MM])
    kinks = np.unique(kinks[(kinks > z_bottom) & (kinks < z_top)])
    breaks = np.concatenate(([0.0], shape.t_of_z(kinks), [np.pi]))
    coefficients, knots = [], []
    for lo, hi in zip(breaks[:-1], breaks[1:]):
        count = max(int(np.ceil((hi - lo) / _TABLE_STEP)) + 1, 16)
        for _ in range(_TABLE_REFINEMENTS):
            t = np.linspace(lo, hi, count)
            splines = [make_interp_spline(t, v, k=kernels.TABLE_DEGREE)
                       for v in _profiles_of(shape, t)]
            middle = 0.5 * (t[:-1] + t[1:])
            error = max(float(np.max(np.abs(s(middle) - v)))
                        for s, v in zip(splines, _profiles_of(shape, middle)))
            if error <= _TABLE_TOL_MM:
                break
            count = 2 * count - 1
        columns = [PPoly.from_spline(s) for s in splines]
        # drop the zero-length pieces the spline's repeated end knots leave
        keep = np.diff(columns[0].x) > 0
        coefficients.append(np.stack([c.c[:, keep] for c in columns], axis=-1))
        knots.append(columns[0].x[:-1][keep])
    value = np.concatenate(coefficients, axis=1)
    powers = np.arange(kernels.TABLE_DEGREE, -1, -1)[:, None, None]
    first = (value * powers)[:-1]
    second = (first * powers[1:])[:-1]
    return _ProfileTable(np.concatenate([value, first, second]).transpose(1, 0, 2).copy(),
                         np.append(np.concatenate(knots), np.pi),
                         0.5 * (z_top + z_bottom), 0.5 * (z_top - z_bottom))


def _surface_frame(shape: BrainstemShape, theta: np.ndarray, t: np.ndarray,
                   order: int = 2) -> np.ndarray:
    """``S`` (midline frame, mm) and its parameter derivatives from the profile table.

    Returns (n, rows, 3): rows ``S`` for ``order=0``; ``S, S_theta, S_t`` for 1;
    ``S, S_theta, S_t, S_theta_theta, S_t_t, S_theta_t`` for 2.

    ``S = (A cos theta, Y + B sin theta, z_mid - half cos t)``; a row differentiated ``i``
    times in ``theta`` and ``j`` times in ``t`` takes the ``j``-th derivatives of the
    profiles and the ``i``-th of the trigonometric factors; ``Y`` and ``z`` do not depend on
    ``theta`` (:func:`mvd_sim.anatomy.surface_kernels.frames`).
    """
    table = _profile_table(shape)
    return kernels.frames(table.coefficients, table.knots, table.z_mid_mm,
                          table.half_length_mm, np.ascontiguousarray(theta, dtype=float),
                          np.ascontiguousarray(t, dtype=float), order)


@lru_cache(maxsize=16)
def kernel_surface(shape: BrainstemShape) -> tuple:
    """What the compiled closest-point query needs of ``shape``, in its order
    (:func:`mvd_sim.anatomy.surface_kernels.query`): the profile table, the polar map, the
    poles, the start grid and its tree, its covering radius, and Newton's settings."""
    table, grid = _profile_table(shape), _sample_grid(shape)
    return (table.coefficients, table.knots, table.z_mid_mm, table.half_length_mm,
            shape.z_bottom_mm, shape.z_top_mm, grid.samples, grid.theta, grid.t,
            grid.tree_samples, grid.leaves, grid.mids, grid.tops, grid.top_columns,
            grid.cover_mm, TOL.newton_steps, _NEWTON_CONVERGED, _NEWTON_QUADRATIC)


#: How many :meth:`Brainstem.offset_points` answers are kept (a case's default courses ask
#: about ten).
_OFFSET_LIMIT = 32
_RECENT_OFFSETS: Recent[tuple, np.ndarray] = Recent(_OFFSET_LIMIT)


@dataclass(frozen=True, eq=False)
class Brainstem:
    """A brainstem placed in a scene frame.

    Attributes
    ----------
    shape : BrainstemShape
    origin_midline_mm : (3,) float
        The scene origin (the RExP) expressed in the midline frame; scene point ``p`` is
        midline point ``p + origin_midline_mm``. The brainstem is symmetric about ``x = 0``,
        so the same shape serves left and right cases.
    """

    shape: BrainstemShape
    origin_midline_mm: np.ndarray

    def to_midline(self, points: Points) -> np.ndarray:
        """Scene-frame points to midline-frame points."""
        return np.asarray(points, dtype=float) + self.origin_midline_mm

    def surface_points(self, theta: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Surface points ``S(theta, t)`` in the scene frame."""
        return self.shape.surface(theta, t) - self.origin_midline_mm

    def offset_points(self, theta: np.ndarray, z_midline_mm: np.ndarray,
                      height_mm: np.ndarray) -> np.ndarray:
        """Scene points ``height_mm`` above the surface along its outward normal.

        A pure function of the shape, the placement and the arguments' values, which the
        default courses of a dataset's cases ask again and again (the basilar artery's, a
        PICA's vertebral artery's, the vertebrobasilar junction): the last
        :data:`_OFFSET_LIMIT` answers are kept by value (a fresh array each call).

        Parameters
        ----------
        theta : (n,) float, rad
            Angle around the axial section (0 right lateral, pi/2 anterior).
        z_midline_mm : (n,) float, mm
            Level in the midline frame (0 = pons' inferior border).
        height_mm : (n,) float, mm
        """
        theta = np.atleast_1d(np.asarray(theta, dtype=float))
        z = np.atleast_1d(np.asarray(z_midline_mm, dtype=float))
        height = np.asarray(height_mm, dtype=float)
        key = (self.shape, np.asarray(self.origin_midline_mm, dtype=float).tobytes(),
               *((a.shape, a.tobytes()) for a in (theta, z, height)))
        return _RECENT_OFFSETS.fetch(key, lambda: self._offset_points(theta, z, height)).copy()

    def _offset_points(self, theta: np.ndarray, z_midline_mm: np.ndarray,
                       height_mm: np.ndarray) -> np.ndarray:
        t = self.shape.t_of_z(z_midline_mm)
        s0, d_th, d_t = _surface_frame(self.shape, theta, t, order=1).transpose(1, 0, 2)
        return s0 + height_mm[..., None] * _outward_normal(d_th, d_t) - self.origin_midline_mm

    def query(self, points: Points, max_distance_mm: float = np.inf,
              exact_inside: bool = False) -> SurfaceQuery:
        """Exact signed distance, closest point and outward normal for scene points.

        Parameters
        ----------
        points : (n, 3) float, mm, scene frame
        max_distance_mm : float, optional
            Only points that may lie within this distance of the surface are solved
            exactly. For the others ``|signed_distance|`` is a lower bound (still above
            ``max_distance_mm``, with the right sign), and ``closest``/``normal`` are only
            indicative: a sample of the start grid near the point (often some mm from its
            true closest point) and the direction from it to the point. Default: every point
            exact; ask for that wherever closest points or normals matter.
        exact_inside : bool, optional
            Also solve every point inside the brainstem exactly, however deep: for checks
            that only care how far something enters it, and for pushing points out.

        Returns
        -------
        SurfaceQuery

        Notes
        -----
        One compiled loop (:func:`mvd_sim.anatomy.surface_kernels.query`) finds each point's
        nearest sample of a dense surface grid by branch and bound over a tree of its tiles,
        which also tells the points beyond reach without finding theirs, and starts Newton
        there (the grid is dense enough that the start lies in the global
        minimum's basin, which a test checks against VTK).
        """
        signed, closest, normal = self._solved(points, max_distance_mm, exact_inside)
        return SurfaceQuery(signed, closest - self.origin_midline_mm, normal)

    def _solved(self, points: Points, max_distance_mm: float, exact_inside: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The compiled query's signed distances, closest points and normals, the closest
        points in the midline frame (:meth:`query` moves them to the scene frame; the
        distance checks need only the first)."""
        midline = np.ascontiguousarray(self.to_midline(np.atleast_2d(points)))
        return kernels.query(kernel_surface(self.shape), midline, float(max_distance_mm),
                             bool(exact_inside))

    def signed_distance(self, points: Points, max_distance_mm: float = np.inf) -> np.ndarray:
        """(n,) float, mm: signed distance to the surface, negative inside (exact within
        ``max_distance_mm``, a lower bound of its magnitude beyond; see :meth:`query`)."""
        return self._solved(points, max_distance_mm, False)[0]

    def clearance(self, points: Points, radius_mm: float | np.ndarray) -> np.ndarray:
        """(n,) float, mm: how far balls of ``radius_mm`` (scalar or (n,)) centred on scene
        ``points`` clear the surface; negative, how deep they enter it. Exact wherever a ball
        touches or enters the brainstem; elsewhere a lower bound, above 0 (the checks that
        refuse structures entering it need no more)."""
        radius = np.asarray(radius_mm, dtype=float)
        return self._solved(points, float(np.max(radius)), True)[0] - radius
