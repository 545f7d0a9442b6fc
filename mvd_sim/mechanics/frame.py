"""Linear-elastic 3D frame elements on a rod's centerline (sparse assembly).

Each segment of a centerline polyline is an Euler-Bernoulli frame element with six degrees of
freedom per node (``ux, uy, uz`` in mm, ``rx, ry, rz`` in rad, scene frame): linear axial
stretching (``EA``), Saint-Venant torsion (``GJ``) and cubic Hermite bending about both
principal axes (``EI``, isotropic section). Hermite cubics are the exact homogeneous solutions
of the beam equation, so nodal deflections under nodal loads are exact (``F L^3 / 3 E I`` for a
cantilever, ``F L^3 / 192 E I`` for a clamped-clamped beam, checked in the tests).

The kinematics are linear (small rotations); contacts are re-linearised about the deformed
configuration by :mod:`mvd_sim.mechanics.solver`. Units: N, mm, MPa (N/mm^2).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["DOF_PER_NODE", "frame_stiffness", "element_axes"]

DOF_PER_NODE = 6


def _templates() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Local 12 x 12 stiffness patterns multiplied by ``EA/L``, ``GJ/L``, ``EI/L^3``,
    ``EI/L^2`` and ``EI/L`` (local x along the element; bending in the xy and xz planes)."""
    axial, torsion = np.zeros((12, 12)), np.zeros((12, 12))
    b3, b2, b1 = np.zeros((12, 12)), np.zeros((12, 12)), np.zeros((12, 12))
    for i, j, v in ((0, 0, 1), (0, 6, -1), (6, 6, 1)):
        axial[i, j] = v
    for i, j, v in ((3, 3, 1), (3, 9, -1), (9, 9, 1)):
        torsion[i, j] = v
    # bending in the local xy plane: deflection uy (1, 7), rotation rz (5, 11)
    for i, j, v in ((1, 1, 12), (1, 7, -12), (7, 7, 12)):
        b3[i, j] = v
    for i, j, v in ((1, 5, 6), (1, 11, 6), (5, 7, -6), (7, 11, -6)):
        b2[i, j] = v
    for i, j, v in ((5, 5, 4), (5, 11, 2), (11, 11, 4)):
        b1[i, j] = v
    # bending in the local xz plane: deflection uz (2, 8), rotation ry (4, 10), signs flipped
    for i, j, v in ((2, 2, 12), (2, 8, -12), (8, 8, 12)):
        b3[i, j] = v
    for i, j, v in ((2, 4, -6), (2, 10, -6), (4, 8, 6), (8, 10, 6)):
        b2[i, j] = v
    for i, j, v in ((4, 4, 4), (4, 10, 2), (10, 10, 4)):
        b1[i, j] = v
    out = []
    for m in (axial, torsion, b3, b2, b1):
        out.append(m + np.triu(m, 1).T)
    return tuple(out)


_AXIAL, _TORSION, _BEND3, _BEND2, _BEND1 = _templates()


def element_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Element lengths (mm) and rotations ``R`` (rows: local x, y, z in the scene frame).

    Local x is the segment's direction; local y is any unit normal (the section is isotropic).
    """
    delta = np.diff(points, axis=0)
    length = np.linalg.norm(delta, axis=1)
    ex = delta / length[:, None]
    helper = np.where(np.abs(ex[:, [0]]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    ey = np.cross(ex, helper)
    ey /= np.linalg.norm(ey, axis=1, keepdims=True)
    ez = np.cross(ex, ey)
    return length, np.stack([ex, ey, ez], axis=1)


def frame_stiffness(points: np.ndarray, ea_n: np.ndarray | float, gj_nmm2: np.ndarray | float,
                    ei_nmm2: np.ndarray | float) -> sp.csr_matrix:
    """Global stiffness matrix of a chain of frame elements along ``points``.

    Parameters
    ----------
    points : (n, 3) float, mm
        Centerline nodes (stress-free configuration), ``n >= 2``, no zero-length segments.
    ea_n : float or (n - 1,) float, N
        Axial stiffness ``E A`` per element.
    gj_nmm2 : float or (n - 1,) float, N mm^2
        Torsional stiffness ``G J``.
    ei_nmm2 : float or (n - 1,) float, N mm^2
        Bending stiffness ``E I``.

    Returns
    -------
    (6 n, 6 n) csr_matrix
        Node ``i`` owns rows ``6 i .. 6 i + 5`` (``ux uy uz rx ry rz``).
    """
    points = np.asarray(points, dtype=float)
    length, rotation = element_axes(points)
    m = len(length)
    ea, gj, ei = (np.broadcast_to(np.asarray(x, dtype=float), (m,)) for x in
                  (ea_n, gj_nmm2, ei_nmm2))
    local = (np.einsum("e,ij->eij", ea / length, _AXIAL)
             + np.einsum("e,ij->eij", gj / length, _TORSION)
             + np.einsum("e,ij->eij", ei / length ** 3, _BEND3)
             + np.einsum("e,ij->eij", ei / length ** 2, _BEND2)
             + np.einsum("e,ij->eij", ei / length, _BEND1))
    # T = blockdiag(R, R, R, R); K = T^T K_local T, done block by block
    blocks = local.reshape(m, 4, 3, 4, 3)
    glob = np.einsum("eji,eajbk,ekl->eaibl", rotation, blocks, rotation,
                     optimize=True).reshape(m, 12, 12)
    dofs = DOF_PER_NODE * np.arange(m)[:, None] + np.arange(12)[None, :]
    rows = np.broadcast_to(dofs[:, :, None], (m, 12, 12)).ravel()
    cols = np.broadcast_to(dofs[:, None, :], (m, 12, 12)).ravel()
    n_dof = DOF_PER_NODE * len(points)
    return sp.csr_matrix((glob.ravel(), (rows, cols)), shape=(n_dof, n_dof))
