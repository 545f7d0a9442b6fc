"""Compiled kernels of the brainstem surface: its profile table, its frame, and the damped
Newton solve for closest points (:mod:`mvd_sim.anatomy.brainstem` wraps them).

Scene placement asks the brainstem for closest points some forty times a case, for a few to a
few hundred points at a time; as numpy array operations each solve cost about a millisecond
whatever its size (some two hundred small array calls over its Newton steps). Compiled with
numba, a point's whole solve runs as one scalar loop, in microseconds.

Frames and units are those of :mod:`mvd_sim.anatomy.brainstem`: the midline frame, mm, and the
surface parameters ``theta`` (around the axial section, rad) and ``t`` (polar, rad, 0 at the
caudal pole).

The profile table (``coefficients`` (pieces, 15, 3), ``knots`` (pieces + 1,)) holds, for each
piece, the local power-basis coefficients, highest power first, of the profiles ``A``, ``Y``,
``B`` (rows 0-5: quintic, :data:`TABLE_DEGREE`), of their first derivatives (rows 6-10) and of
their second (rows 11-14).
"""

from __future__ import annotations

import numpy as np

from mvd_sim._numba import compiled

__all__ = ["TABLE_DEGREE", "profiles", "frames", "closest_points"]

#: Degree of the profile table's pieces.
TABLE_DEGREE = 5
#: first coefficient row of the profiles' k-th derivative, and its polynomial degree
_ROW_START = (0, TABLE_DEGREE + 1, 2 * TABLE_DEGREE + 1)
_DEGREE = (TABLE_DEGREE, TABLE_DEGREE - 1, TABLE_DEGREE - 2)
#: how far from the poles ``t`` is kept (rad): the chart is singular at them
_POLE_MARGIN = 1e-7


@compiled
def _profile_rows(coefficients: np.ndarray, knots: np.ndarray, t: float, order: int,
                  out: np.ndarray) -> None:
    """``out[k, c]``: the k-th derivative (k <= order) of profile c (A, Y, B) at ``t``."""
    # the piece holding t (the first or last piece beyond the ends)
    piece = np.searchsorted(knots[1:-1], t, side="right")
    x = t - knots[piece]
    for k in range(order + 1):
        start = _ROW_START[k]
        for c in range(3):
            value = coefficients[piece, start, c]
            for j in range(1, _DEGREE[k] + 1):
                value = value * x + coefficients[piece, start + j, c]
            out[k, c] = value


@compiled
def _frame(coefficients: np.ndarray, knots: np.ndarray, z_mid: float, half: float,
           theta: float, t: float, order: int, profile: np.ndarray, out: np.ndarray) -> None:
    """Rows of ``out``: ``S`` (order 0); and ``S_theta, S_t`` (1); and ``S_theta_theta,
    S_t_t, S_theta_t`` (2), with ``S = (A cos theta, Y + B sin theta, z_mid - half cos t)``."""
    _profile_rows(coefficients, knots, t, order, profile)
    c, s = np.cos(theta), np.sin(theta)
    a, y, b = profile[0, 0], profile[0, 1], profile[0, 2]
    out[0, 0], out[0, 1], out[0, 2] = a * c, y + b * s, z_mid - half * np.cos(t)
    if order == 0:
        return
    a1, y1, b1 = profile[1, 0], profile[1, 1], profile[1, 2]
    out[1, 0], out[1, 1], out[1, 2] = -a * s, b * c, 0.0
    out[2, 0], out[2, 1], out[2, 2] = a1 * c, y1 + b1 * s, half * np.sin(t)
    if order == 1:
        return
    a2, y2, b2 = profile[2, 0], profile[2, 1], profile[2, 2]
    out[3, 0], out[3, 1], out[3, 2] = -a * c, -b * s, 0.0
    out[4, 0], out[4, 1], out[4, 2] = a2 * c, y2 + b2 * s, half * np.cos(t)
    out[5, 0], out[5, 1], out[5, 2] = -a1 * s, b1 * c, 0.0


@compiled
def profiles(coefficients: np.ndarray, knots: np.ndarray, t: np.ndarray,
             order: int) -> np.ndarray:
    """The profiles and their derivatives up to ``order`` at ``t``: (n, order + 1, 3),
    ``[:, k]`` the k-th derivative in ``t`` of columns A, Y, B (mm per rad^k)."""
    out = np.empty((len(t), order + 1, 3))
    for i in range(len(t)):
        _profile_rows(coefficients, knots, t[i], order, out[i])
    return out


@compiled
def frames(coefficients: np.ndarray, knots: np.ndarray, z_mid: float, half: float,
           theta: np.ndarray, t: np.ndarray, order: int) -> np.ndarray:
    """``S`` and its parameter derivatives at ``(theta, t)``: (n, (1, 3, 6)[order], 3), mm
    (rows as in :func:`_frame`)."""
    rows = (1, 3, 6)[order]
    out = np.empty((len(t), rows, 3))
    profile = np.empty((3, 3))
    for i in range(len(t)):
        _frame(coefficients, knots, z_mid, half, theta[i], t[i], order, profile, out[i])
    return out


@compiled
def _dot(u: np.ndarray, v: np.ndarray) -> float:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


@compiled
def _copy_rows(source: np.ndarray, target: np.ndarray, rows: int) -> None:
    """``target[:rows] = source[:rows]`` as a loop (numba compiles array assignment slowly)."""
    for r in range(rows):
        for c in range(3):
            target[r, c] = source[r, c]


@compiled
def _squared_gap(frame: np.ndarray, p: np.ndarray) -> float:
    dx, dy, dz = frame[0, 0] - p[0], frame[0, 1] - p[1], frame[0, 2] - p[2]
    return dx * dx + dy * dy + dz * dz


@compiled
def closest_points(coefficients: np.ndarray, knots: np.ndarray, z_mid: float, half: float,
                   points: np.ndarray, theta: np.ndarray, t: np.ndarray, max_steps: int,
                   converged: float, quadratic: float) -> np.ndarray:
    """Damped Newton minimising ``|S(theta, t) - p|^2`` for each point from its start.

    A point iterates until its step is below ``converged`` (rad, ``|d theta| + |d t|``), or
    until a full undamped Newton step shorter than ``quadratic`` has been taken
    (convergence is quadratic from there), at most ``max_steps`` steps. Levenberg damping
    keeps each step a descent direction where the Hessian is not positive definite (far
    points near concave regions); a full step is taken unless it goes uphill (beyond
    rounding), then a half, then a quarter, else the point stays.

    Parameters
    ----------
    points : (n, 3) float, mm, midline frame
    theta, t : (n,) float, rad
        Starts, e.g. the nearest point of a parameter grid.

    Returns
    -------
    (n, 3, 3) float: ``S``, ``S_theta``, ``S_t`` at each point's solution (mm, mm/rad).
    """
    lo, hi = _POLE_MARGIN, np.pi - _POLE_MARGIN
    out = np.empty((len(points), 3, 3))
    frame, trial = np.empty((6, 3)), np.empty((6, 3))
    profile = np.empty((3, 3))
    f = np.empty(3)
    for i in range(len(points)):
        p = points[i]
        th, tp = theta[i], t[i]
        _frame(coefficients, knots, z_mid, half, th, tp, 2, profile, frame)
        for _ in range(max_steps):
            for c in range(3):
                f[c] = frame[0, c] - p[c]
            f2, g1, g2 = _dot(f, f), _dot(f, frame[1]), _dot(f, frame[2])
            h11 = _dot(frame[1], frame[1]) + _dot(f, frame[3])
            h22 = _dot(frame[2], frame[2]) + _dot(f, frame[4])
            h12 = _dot(frame[1], frame[2]) + _dot(f, frame[5])
            lam = max(0.0, -min(h11, h22))
            det = (h11 + lam) * (h22 + lam) - h12 * h12
            if det <= 0.0:
                lam += abs(h12) + 1.0
                det = (h11 + lam) * (h22 + lam) - h12 * h12
            step_theta = -((h22 + lam) * g1 - h12 * g2) / det
            step_t = -((h11 + lam) * g2 - h12 * g1) / det
            # near convergence the squared distance stalls at its last bits
            allowed = f2 * (1.0 + 1e-12) + 1e-24
            new_th, new_t = th + step_theta, min(max(tp + step_t, lo), hi)
            _frame(coefficients, knots, z_mid, half, new_th, new_t, 2, profile, trial)
            full = _squared_gap(trial, p) <= allowed
            if full:
                _copy_rows(trial, frame, 6)
            else:
                new_th, new_t = th, tp
                frac = 0.5
                while frac > 0.2:           # half, then quarter steps
                    cand_th = th + frac * step_theta
                    cand_t = min(max(tp + frac * step_t, lo), hi)
                    _frame(coefficients, knots, z_mid, half, cand_th, cand_t, 0, profile, trial)
                    if _squared_gap(trial, p) <= allowed:
                        new_th, new_t = cand_th, cand_t
                        _frame(coefficients, knots, z_mid, half, new_th, new_t, 2, profile,
                               frame)
                        break
                    frac *= 0.5
            taken = abs(new_th - th) + abs(new_t - tp)
            th, tp = new_th, new_t
            if taken < converged or (full and lam == 0.0
                                     and abs(step_theta) + abs(step_t) < quadratic):
                break
        _copy_rows(frame, out[i], 3)
    return out
