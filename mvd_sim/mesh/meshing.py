"""Triangle meshes of scene structures, as plain arrays (no VTK here).

Each function returns ``(vertices, faces)``: ``vertices`` ``(v, 3) float64`` in mm in the scene
frame, ``faces`` ``(f, 3) int64`` with counter-clockwise winding seen from outside, so the
meshes are closed (watertight), two-manifold and outward-oriented.
"""

from __future__ import annotations

import numpy as np

from mvd_sim.anatomy.avm import tangle
from mvd_sim.anatomy.brainstem import Brainstem
from mvd_sim.anatomy.context import ContextStructure, Ellipsoid, RootletBundle
from mvd_sim.anatomy.petrous import PetrousFace
from mvd_sim.scene.pads import Sponge
from mvd_sim.scene.scene import Scene
from mvd_sim.core.tube import Tube

__all__ = ["Mesh", "brainstem_mesh", "ellipsoid_mesh", "petrous_mesh", "tube_mesh",
           "tube_vertex_s", "sponge_mesh", "context_mesh", "tangle_mesh", "scene_meshes"]

Mesh = tuple[np.ndarray, np.ndarray]


def _grid_faces(rows: int, cols: int, offset: int = 0) -> np.ndarray:
    """Two triangles per cell of a ``rows x cols`` vertex grid periodic in ``cols``.

    Vertex ``(i, j)`` has index ``offset + i * cols + j``; row ``i + 1`` follows row ``i``.
    Triangles are wound ``(i, j), (i, j+1), (i+1, j)`` which is counter-clockwise when
    seen from the side of ``d/dj x d/di``.
    """
    i, j = np.meshgrid(np.arange(rows - 1), np.arange(cols), indexing="ij")
    i, j = i.ravel(), j.ravel()
    jn = (j + 1) % cols
    a = offset + i * cols + j
    b = offset + i * cols + jn
    c = offset + (i + 1) * cols + j
    d = offset + (i + 1) * cols + jn
    return np.concatenate([np.stack([a, b, c], 1), np.stack([b, d, c], 1)])


def _fan(centre: int, ring: np.ndarray, reverse: bool) -> np.ndarray:
    """Triangle fan closing a ring of vertex indices onto a centre vertex."""
    nxt = np.roll(ring, -1)
    tri = np.stack([np.full_like(ring, centre), nxt, ring], 1)
    return tri[:, ::-1] if reverse else tri


def _ring_mesh(rings: np.ndarray, first_pole: np.ndarray, last_pole: np.ndarray) -> Mesh:
    """Closed mesh of rings (rows, cols, 3) closed by a pole before the first and after the
    last; outward where ``d/dcol x d/drow`` points outward (as for the brainstem)."""
    rows, cols = rings.shape[:2]
    vertices = np.concatenate([rings.reshape(-1, 3), [first_pole, last_pole]])
    # grid i = row, j = column: seen from d/dj x d/di, i.e. from outside, the winding below is
    # counter-clockwise
    first, last = rows * cols, rows * cols + 1
    faces = [_grid_faces(rows, cols), _fan(first, np.arange(cols), reverse=False),
             _fan(last, (rows - 1) * cols + np.arange(cols), reverse=True)]
    return vertices, np.concatenate(faces).astype(np.int64)


def brainstem_mesh(brainstem: Brainstem, n_theta: int = 160, n_t: int = 200) -> Mesh:
    """Closed surface mesh of the parametric brainstem.

    Rings of ``n_theta`` vertices at ``n_t - 2`` interior values of the polar parameter, with
    one vertex at each pole. The polar parameter is spaced evenly in ``t``, which crowds rings
    near the poles and keeps the mid-body rings about ``length / n_t`` apart.
    """
    theta = np.linspace(0.0, 2 * np.pi, n_theta, endpoint=False)
    t = np.linspace(0.0, np.pi, n_t)
    th, tt = np.meshgrid(theta, t[1:-1], indexing="ij")
    poles = brainstem.surface_points(np.zeros(2), np.array([0.0, np.pi]))
    # S_theta x S_t points outward
    return _ring_mesh(brainstem.surface_points(th.T, tt.T), *poles)


def ellipsoid_mesh(solid: Ellipsoid, n_theta: int = 64, n_t: int = 48) -> Mesh:
    """Closed mesh of an ellipsoid: rings of ``n_theta`` vertices at ``n_t - 2`` interior
    values of the polar parameter, one vertex at each pole."""
    theta = np.linspace(0.0, 2 * np.pi, n_theta, endpoint=False)
    t = np.linspace(0.0, np.pi, n_t)
    th, tt = np.meshgrid(theta, t[1:-1], indexing="ij")
    poles = solid.surface_points(np.zeros(2), np.array([0.0, np.pi]))
    return _ring_mesh(solid.surface_points(th.T, tt.T), *poles)


def petrous_mesh(face: PetrousFace, n_around: int = 64) -> Mesh:
    """Closed mesh of the petrous bone around the porus: a slab behind the face, elliptic
    (``drawn_width_mm`` x ``drawn_height_mm``) and 2 mm deeper than the internal acoustic
    canal, the canal a blind elliptic hole of the porus' size ``canal_length_mm`` deep.

    Rings round the porus' axis from the canal's fundus out of the canal, across the face,
    down the slab's rim and across its back.
    """
    phi = np.linspace(0.0, 2 * np.pi, n_around, endpoint=False)
    up = face.up
    across = np.cross(face.normal, up)
    canal, slab = face.canal_length_mm, face.canal_length_mm + 2.0
    porus = 0.5 * np.array([face.porus_width_mm, face.porus_height_mm])
    rim = 0.5 * np.array([face.drawn_width_mm, face.drawn_height_mm])
    grow = np.linspace(0.0, 1.0, 7)
    # (half-width, half-height, depth) of each ring
    rings = np.concatenate([
        np.column_stack([np.full((6, 2), porus), np.linspace(canal, 0.0, 6)]),
        np.column_stack([porus + grow[1:, None] * (rim - porus), np.zeros(6)]),
        [[*rim, 0.5 * slab], [*rim, slab]],
        np.column_stack([rim * grow[-2:0:-1, None], np.full(5, slab)])])
    points = (face.porus - rings[:, 2, None, None] * face.normal
              + rings[:, 0, None, None] * np.cos(phi)[None, :, None] * across
              + rings[:, 1, None, None] * np.sin(phi)[None, :, None] * up)
    return _ring_mesh(points, face.porus - canal * face.normal, face.porus - slab * face.normal)


def tube_mesh(tube: Tube, n_sides: int = 24) -> Mesh:
    """Closed mesh of a tube: rings on parallel-transport frames, flat caps at both ends."""
    tangent, normal, binormal = tube.frames
    phi = np.linspace(0.0, 2 * np.pi, n_sides, endpoint=False)
    # ring direction rotates from normal toward binormal: counter-clockwise about the tangent
    ring_dir = (np.cos(phi)[None, :, None] * normal[:, None, :]
                + np.sin(phi)[None, :, None] * binormal[:, None, :])
    ring_pts = tube.points[:, None, :] + tube.radius[:, None, None] * ring_dir
    vertices = np.concatenate([ring_pts.reshape(-1, 3), tube.points[[0, -1]]])
    n = len(tube.points)
    # grid i = point index, j = angle: d/dj x d/di is radial outward, as for the brainstem
    faces = [_grid_faces(n, n_sides)]
    start, end = n * n_sides, n * n_sides + 1
    faces.append(_fan(start, np.arange(n_sides), reverse=False))
    faces.append(_fan(end, (n - 1) * n_sides + np.arange(n_sides), reverse=True))
    return vertices, np.concatenate(faces).astype(np.int64)


def tube_vertex_s(s_mm: np.ndarray, n_sides: int) -> np.ndarray:
    """Arc length (mm) of each vertex of a :func:`tube_mesh` with ``n_sides``, given the arc
    length ``s_mm (n,)`` of each centerline point: a ring of ``n_sides`` vertices a point,
    then the two cap centres."""
    return np.concatenate([np.repeat(s_mm, n_sides), s_mm[[0, -1]]])


def sponge_mesh(sponge: Sponge, subdivisions: int = 3) -> Mesh:
    """Closed mesh of a pad: a sphere (ball) or a capsule along its axis (cylinder)."""
    import trimesh

    length = 2.0 * float(np.linalg.norm(sponge.half_axis))
    if length > 0:
        shape = trimesh.creation.capsule(height=length, radius=sponge.radius_mm,
                                         count=[8 * subdivisions, 8 * subdivisions])
        axis = sponge.half_axis / (0.5 * length)
        shape.apply_transform(trimesh.geometry.align_vectors([0.0, 0.0, 1.0], axis))
    else:
        shape = trimesh.creation.icosphere(subdivisions=subdivisions, radius=sponge.radius_mm)
    return (np.asarray(shape.vertices, dtype=float) + sponge.centre,
            np.asarray(shape.faces, dtype=np.int64))


def _merged(meshes: list[Mesh]) -> Mesh:
    """One mesh of several closed ones (vertices stacked, faces re-indexed)."""
    offsets = np.cumsum([0] + [len(v) for v, _ in meshes[:-1]])
    return (np.concatenate([v for v, _ in meshes]),
            np.concatenate([f + k for (_, f), k in zip(meshes, offsets)]))


def tangle_mesh(nidus: Ellipsoid, n_sides: int = 12) -> Mesh:
    """An AVM nidus drawn as its tangle (:func:`mvd_sim.anatomy.avm.tangle`): one closed
    tube ``n_sides`` round per loop, in one mesh."""
    return _merged([tube_mesh(t, n_sides) for t in tangle(nidus)])


def context_mesh(structure: ContextStructure, n_sides: int = 24) -> Mesh:
    """Closed mesh of a context structure (:mod:`mvd_sim.anatomy.context`): an ellipsoid, a
    tube (``n_sides`` round), or a bundle of rootlets (one closed tube each, half as many
    sides: they are under a millimetre thick)."""
    if isinstance(structure, Ellipsoid):
        return ellipsoid_mesh(structure)
    if isinstance(structure, RootletBundle):
        return _merged([tube_mesh(t, max(n_sides // 2, 8)) for t in structure.rootlets])
    return tube_mesh(structure, n_sides)


def scene_meshes(scene: Scene, n_sides: int = 24, brainstem_resolution: tuple[int, int] =
                 (160, 200)) -> dict[str, Mesh]:
    """Closed meshes of every structure of a scene, keyed ``brainstem``, nerve, vessel and
    sponge ids, ``petrous`` (the bone round the porus), the context structures' names and
    the lesions' ids.

    Parameters
    ----------
    scene : Scene
    n_sides : int
        Vertices around each tube ring; default 24.
    brainstem_resolution : (int, int)
        Vertices around each ring and rings from pole to pole; default (160, 200).
    """
    meshes = {"brainstem": brainstem_mesh(scene.brainstem, *brainstem_resolution)}
    for name, tube in scene.tubes.items():
        meshes[name] = tube_mesh(tube, n_sides)
    for sponge in scene.sponges:
        meshes[sponge.name] = sponge_mesh(sponge)
    if scene.petrous is not None:
        meshes["petrous"] = petrous_mesh(scene.petrous)
    for name, structure in scene.context.items():
        meshes[name] = context_mesh(structure, n_sides)
    for name, lesion in scene.lesions.items():
        meshes[name] = ellipsoid_mesh(lesion.body)
    return meshes
