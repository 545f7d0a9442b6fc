"""Quasi-static equilibrium with non-penetrating contacts (sparse Newton on the active set).

The energy is the rods' linear frame energy plus tethers, the sponges' hold, and a piecewise
quadratic penalty for every contact (:mod:`mvd_sim.mechanics.contacts`). Each iteration
detects contacts in the current configuration, linearises their gaps about it (normals and
closest points updated: a contact can slide and open), and solves the resulting sparse
symmetric positive-definite system exactly. Iteration stops when the displacement update is
below ``tol_mm`` and the active set (open / compliant / saturated) is unchanged; an
unconverged solve raises :class:`~mvd_sim.errors.SolverError`, never returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from mvd_sim.errors import SolverError
from mvd_sim.mechanics.contacts import ContactSet, detect
from mvd_sim.mechanics.model import MechanicalModel

__all__ = ["Equilibrium", "solve", "DETECT_MARGIN_MM"]

DETECT_MARGIN_MM = 0.3  # contacts are tracked within this gap (mm); only overlaps push
FORCE_TOL_N = 2e-5  # contacts carrying less may flicker at convergence (contacts carry mN)


@dataclass(frozen=True, eq=False)
class Equilibrium:
    """A converged equilibrium.

    Attributes
    ----------
    u : (n_dof,) float
        Displacements (mm) and rotations (rad) from the stress-free configuration.
    positions : (slots, 3) float, mm
    radii : (rod slots,) float, mm
        Rod radii used (pulse phase included).
    contacts : ContactSet
        Contacts at equilibrium (gaps exact, not linearised).
    iterations : int
    residual : float
        Largest out-of-balance force on a free DOF (N or N mm) at the returned state.
    """

    u: np.ndarray
    positions: np.ndarray
    radii: np.ndarray
    contacts: ContactSet
    iterations: int
    residual: float

    def forces_n(self) -> np.ndarray:
        """(c,) compressive force of each contact, N."""
        return self.contacts.force_n()


def _contacts(model: MechanicalModel, u: np.ndarray, radii: np.ndarray) -> ContactSet:
    positions = model.positions(u)
    rod_x, centres = model.split(positions)
    rod_r, _ = model.split(np.concatenate([radii, np.zeros(len(model.sponges))]))
    return detect(model.rods, rod_x, rod_r, model.sponges, centres, model.surface,
                  model.slot0, model.sponge_slot0, model.tributaries, model.materials,
                  DETECT_MARGIN_MM)


def _gradient_matrix(model: MechanicalModel, contacts: ContactSet) -> sp.csr_matrix:
    """(c, n_dof): row ``i`` maps displacements to the change of contact ``i``'s gap."""
    c = len(contacts)
    used = contacts.slots >= 0
    rows = np.repeat(np.repeat(np.arange(c)[:, None], 3, axis=1)[used], 3)
    base = model.slot_dof[contacts.slots[used]]
    cols = (base[:, None] + np.arange(3)[None, :]).ravel()
    vals = (contacts.weights[used][:, None]
            * np.repeat(contacts.normal[:, None, :], 3, axis=1)[used]).ravel()
    return sp.csr_matrix((vals, (rows, cols)), shape=(c, model.n_dof))


def _state(contacts: ContactSet) -> np.ndarray:
    return (contacts.gap < 0).astype(np.int8) + (-contacts.gap > contacts.capacity)


def _active_key(contacts: ContactSet, state: np.ndarray) -> dict:
    """The active set: which point pairs touch, and how (compliant/saturated), with their
    forces (N)."""
    active = state > 0
    return dict(zip(zip(map(tuple, contacts.slots[active]), state[active]),
                    contacts.force_n()[active]))


def _same_state(key: dict, previous: dict | None, force_tol: float) -> bool:
    """Whether two active sets agree, up to contacts carrying at most ``force_tol``: a point
    resting on a surface with no load, or at the rim of a pad, flickers between touching and
    not without changing the balance of forces."""
    if previous is None:
        return False
    changed = key.keys() ^ previous.keys()
    return all(key.get(k, previous.get(k)) <= force_tol for k in changed)


def _residual(model: MechanicalModel, u: np.ndarray, offset: np.ndarray, load: np.ndarray,
              contacts: ContactSet) -> float:
    g = _gradient_matrix(model, contacts)
    r = model.stiffness @ (u - offset) - load - g.T @ contacts.force_n()
    return float(np.max(np.abs(r[model.free]), initial=0.0))


def solve(model: MechanicalModel, radii: np.ndarray, u0: np.ndarray | None = None,
          offset: np.ndarray | None = None, load: np.ndarray | None = None,
          tol_mm: float = 1e-5, max_iter: int = 80) -> Equilibrium:
    """Equilibrium of ``model``.

    Parameters
    ----------
    radii : (rod slots,) float, mm
        Rod radii (a pulse phase scales the arteries').
    u0 : (n_dof,) float, optional
        Starting displacements (a deviated nerve, a retracted vessel); zero by default.
    offset : (n_dof,) float, optional
        Displacement of the stress-free configuration (pulsatile translation); zero on
        clamped DOFs.
    load : (n_dof,) float, optional
        External forces (N) and moments (N mm).
    tol_mm : float
        Convergence tolerance on the displacement update.

    Raises
    ------
    SolverError
        If the iteration does not converge within ``max_iter`` steps.
    """
    n = model.n_dof
    free = model.free
    u = np.zeros(n) if u0 is None else np.array(u0, dtype=float)
    u[~free] = 0.0
    offset = np.zeros(n) if offset is None else offset
    load = np.zeros(n) if load is None else load
    k_static = model.stiffness
    f_static = k_static @ offset + load
    k_ff = k_static[free][:, free]
    relax, previous_step, previous_key = 1.0, np.inf, None
    surface = model.surface
    for iteration in range(1, max_iter + 1):
        surface.frozen = iteration > 1
        contacts = _contacts(model, u, radii)
        state = _state(contacts)
        active = state > 0
        g = _gradient_matrix(model, contacts)[active]
        k_eff = contacts.k_soft[active] + np.where(state[active] == 2,
                                                   contacts.k_hard[active], 0.0)
        c_sat = np.where(state[active] == 2, contacts.k_hard[active] *
                         contacts.capacity[active], 0.0)
        g_free = g[:, free]
        lhs = (k_ff + g_free.T @ sp.diags(k_eff) @ g_free).tocsc()
        rhs = f_static - g.T @ (k_eff * (contacts.gap[active] - g @ u) + c_sat)
        u_new = np.zeros(n)
        u_new[free] = spsolve(lhs, rhs[free], permc_spec="NATURAL")
        step = u_new - u
        size = float(np.max(np.abs(step), initial=0.0))
        key = _active_key(contacts, state)
        same = _same_state(key, previous_key, FORCE_TOL_N)
        # with the active set unchanged the linear step is exact: take it whole; while the
        # set keeps changing and the steps grow, damp them (contact chatter)
        relax = 1.0 if same else (max(relax * 0.5, 1.0 / 16) if size > previous_step else relax)
        previous_step, previous_key = size, key
        u = u + relax * step
        if size * relax < tol_mm and same:
            surface.frozen = False
            final = _contacts(model, u, radii)
            surface.frozen = True
            if surface.requeried == 0:
                return Equilibrium(u, model.positions(u), radii, final, iteration,
                                   _residual(model, u, offset, load, final))
            previous_key = None  # the surface moved under the state: iterate on it
    raise SolverError(f"equilibrium did not converge in {max_iter} iterations "
                      f"(last update {size:.2e} mm)")
