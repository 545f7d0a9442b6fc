"""The contact engine's mesh path: vessels known only as closed triangle meshes.

Imported patient geometry arrives as surfaces, not centerlines. Such a vessel is queried with
VTK's signed distance to its mesh (:class:`vtkImplicitPolyDataDistance`, negative inside for
an outward-oriented closed mesh), and its contact regions with a nerve are found by sampling
the nerve's surface on rings, so every field of :class:`~mvd_sim.contact.analysis.Contact`
is reported the same way as on the tube path, to within the sampling (0.1 mm x 36 per ring)
and the mesh's chord error.

VTK is imported on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree

from mvd_sim.core.constants import BRANCH_ORIGIN_MM, VESSEL_PARENT
from mvd_sim.contact.regions import PATCH_RING_SPACING_MM, PATCH_SAMPLES_AROUND, Region
from mvd_sim.mesh.meshing import tube_mesh
from mvd_sim.scene.scene import MeshVessel
from mvd_sim.core.tube import Tube

__all__ = ["MeshSurface", "mesh_regions", "mesh_vessel_contacts"]

#: Radius (mm) of the neighbourhood whose vertex normals give a mesh vessel's local axis.
AXIS_NEIGHBOURHOOD_MM = 2.5
#: A branch's vertices this deep (mm) inside its trunk mark where it arises. *estimate*: a
#: vessel pressing on another indents it far less.
JUNCTION_DEPTH_MM = 0.5


@dataclass(frozen=True, eq=False)
class MeshSurface:
    """A scene's mesh vessel seen as a surface: signed distances, local axis.

    Attributes
    ----------
    vessel : MeshVessel
        Closed, outward-oriented triangle mesh (scene frame, mm), its id and type.
    """

    vessel: MeshVessel

    @property
    def name(self) -> str:
        return self.vessel.name

    @property
    def kind(self) -> str:
        return self.vessel.kind

    @property
    def vertices(self) -> np.ndarray:
        return self.vessel.vertices

    @property
    def faces(self) -> np.ndarray:
        return self.vessel.faces

    @cached_property
    def _implicit(self):
        from vtkmodules.vtkFiltersCore import vtkImplicitPolyDataDistance

        from mvd_sim.mesh.files import to_polydata
        implicit = vtkImplicitPolyDataDistance()
        implicit.SetInput(to_polydata((self.vertices, self.faces)))
        return implicit

    @cached_property
    def vertex_tree(self) -> cKDTree:
        """k-d tree over the vertices."""
        return cKDTree(self.vertices)

    @cached_property
    def longest_edge_mm(self) -> float:
        """Longest triangle edge (mm): every surface point is this close to a vertex."""
        corners = self.vertices[self.faces]
        return float(np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=2).max())

    def signed_gap(self, points: np.ndarray) -> np.ndarray:
        """(m,) mm: signed distance of points to the mesh, negative inside."""
        from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
        from vtkmodules.vtkCommonCore import vtkDoubleArray

        source = numpy_to_vtk(np.ascontiguousarray(points, dtype=np.float64), deep=True)
        values = vtkDoubleArray()
        self._implicit.FunctionValue(source, values)
        return vtk_to_numpy(values).copy()

    @cached_property
    def vertex_normals(self) -> np.ndarray:
        """(v, 3) unit vertex normals (area-weighted face normals)."""
        corners = self.vertices[self.faces]
        face = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        normals = np.zeros_like(self.vertices)
        for k in range(3):
            np.add.at(normals, self.faces[:, k], face)
        return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-300)

    def axis_near(self, point: np.ndarray) -> np.ndarray:
        """Direction of the vessel's axis near ``point``: the direction the surface normals
        within :data:`AXIS_NEIGHBOURHOOD_MM` are all perpendicular to (the least principal
        direction of the normals), which holds for thin and thick tubes alike."""
        near = np.linalg.norm(self.vertices - point, axis=1) <= AXIS_NEIGHBOURHOOD_MM
        if np.count_nonzero(near) < 3:
            near = np.ones(len(self.vertices), dtype=bool)
        _, _, vt = np.linalg.svd(self.vertex_normals[near], full_matrices=False)
        return vt[-1]


def mesh_regions(nerve: Tube, surface: MeshSurface, margin: float) -> list[Region]:
    """Regions where a mesh vessel comes within ``margin`` of a nerve, by ring sampling.

    Every ring of the nerve's surface (0.1 mm apart, 36 samples) gets its least signed gap
    to the mesh; runs of rings within the margin are regions, each deepest at its least
    sample.
    """
    rings = nerve.surface_samples(0.0, nerve.length_mm, PATCH_RING_SPACING_MM,
                            PATCH_SAMPLES_AROUND)
    # only rings that can reach the mesh need the exact query: a ring's centre is at least
    # (distance to the nearest vertex - longest edge) from the surface
    vertex_distance, _ = surface.vertex_tree.query(rings.centre)
    near = vertex_distance - surface.longest_edge_mm <= float(nerve.radius.max()) + margin
    gap = np.full(rings.points.shape[:2], np.inf)
    if np.any(near):
        samples = rings.points[near]
        gap[near] = surface.signed_gap(samples.reshape(-1, 3)).reshape(samples.shape[:2])
    ring_gap = gap.min(axis=1)
    inside = np.flatnonzero(ring_gap <= margin)
    out = []
    if len(inside) == 0:
        return out
    for run in np.split(inside, np.flatnonzero(np.diff(inside) > 1) + 1):
        k = run[np.argmin(ring_gap[run])]
        j = int(np.argmin(gap[k]))
        centre, sample = rings.centre[k], rings.points[k, j]
        direction = (sample - centre) / np.linalg.norm(sample - centre)
        half = 0.5 * PATCH_RING_SPACING_MM
        out.append(Region(
            placed_s=float(rings.s[k]), gap=float(gap[k, j]), nerve_centre=centre,
            vessel_centre=sample + gap[k, j] * direction,
            vessel_axis=surface.axis_near(sample + gap[k, j] * direction),
            span=(float(rings.s[run[0]] - half), float(rings.s[run[-1]] + half)),
            surface=surface))
    return out


def mesh_vessel_contacts(meshes: list[MeshSurface], others: list, contact_mm: float
                         ) -> list[tuple[str, str, float, np.ndarray]]:
    """Contacts of mesh vessels with each other and with other vessels, from vertices.

    For each pair, one vessel's surface points (a mesh's vertices, a tube's mesh vertices)
    are measured against the other's surface; a contact is a point within ``contact_mm`` of
    it. Where a branch and its trunk (by type) meet, the branch is the one measured: it starts
    inside the trunk, so its points deeper than :data:`JUNCTION_DEPTH_MM` seed the junction,
    and points within :data:`~mvd_sim.core.constants.BRANCH_ORIGIN_MM` of a seed are left out.

    Returns
    -------
    list of (vessel a, vessel b, least gap in mm, surface point where it is reached)
    """
    out = []
    everyone = list(meshes) + list(others)
    for k, mesh in enumerate(meshes):
        for other in everyone[k + 1:]:
            branch, trunk = mesh, other
            if VESSEL_PARENT.get(other.kind) == mesh.kind:
                branch, trunk = other, mesh  # measure the branch, which starts in the trunk
            points = _surface_points(branch)
            gap = trunk.signed_gap(points)
            related = VESSEL_PARENT.get(branch.kind) == trunk.kind
            seeds = points[gap < -JUNCTION_DEPTH_MM]
            if related and len(seeds):
                d, _ = cKDTree(seeds).query(points)
                gap = np.where(d <= BRANCH_ORIGIN_MM, np.inf, gap)
            if gap.min() <= contact_mm:
                j = int(np.argmin(gap))
                out.append((mesh.name, other.name, float(gap[j]), points[j]))
    return out


def _surface_points(vessel) -> np.ndarray:
    """Points on a vessel's surface: a mesh's vertices, or a tube's mesh vertices."""
    if isinstance(vessel, MeshSurface):
        return vessel.vertices
    tube = Tube(vessel.name, vessel.kind, vessel.points, vessel.radius)
    return tube_mesh(tube, 24)[0]
