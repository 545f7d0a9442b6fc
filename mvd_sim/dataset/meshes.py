"""A case's labelled mesh: every structure of its scene merged into one VTP file.

Labels (codes in :data:`MESH_LABELS`, written into the manifest too):

- per cell, ``structure``: the structure the triangle belongs to (an index into
  :data:`STRUCTURES`: vessels by type, so a sampled case's vessels, one of each type, are
  told apart); the file carries the table as the field array ``structure_names`` (the name
  of code ``k`` is its ``k``-th entry);
- per vertex, ``segment``: CN VII's segment at the vertex (an index into
  :data:`~mvd_sim.anatomy.landmarks.SEGMENTS`: RExP 0, AS 1, RDP 2, CP 3), by the vertex's
  arc length on the nerve's rest course; -1 off CN VII;
- per vertex, ``contact_severity``: 0 none, 1 mild, 2 moderate, 3 severe on the nerves'
  contact patches (where a vessel touches a nerve), 0 elsewhere.

The patches are :func:`mvd_sim.contact.analysis.patch_severity`'s, which the rendered pictures paint
too: the nerve surface within the contact threshold plus a small margin of the vessel, over
the contact's arc-length interval.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mvd_sim.anatomy.context import CONTEXT_KINDS
from mvd_sim.anatomy.landmarks import SEGMENTS
from mvd_sim.core.constants import VESSEL_TYPES
from mvd_sim.contact.analysis import ContactReport, patch_severity
from mvd_sim.core.labels import SEVERITIES
from mvd_sim.mesh.meshing import Mesh, scene_meshes, tube_vertex_s
from mvd_sim.scene.scene import Scene

__all__ = ["STRUCTURES", "CONTACT_SEVERITIES", "MESH_LABELS", "TUBE_SIDES", "labelled_mesh",
           "write_case_mesh"]

#: Vertices around each tube's rings in a case's mesh (as in the rendered pictures).
TUBE_SIDES = 32

#: Structure codes of the ``structure`` cell array (the index of each name); the petrous bone
#: and the context structures of the operative field come after, then the lesions by cause
#: (a mass, an aneurysm's dome, an AVM's nidus), so earlier codes keep theirs.
STRUCTURES: tuple[str, ...] = ("brainstem", "CN7", "CN8", *VESSEL_TYPES, "sponge", "petrous",
                               *CONTEXT_KINDS, "tumour", "aneurysm", "avm")
#: Codes of the ``contact_severity`` vertex array (the index of each name; those of
#: :func:`~mvd_sim.contact.analysis.patch_severity`).
CONTACT_SEVERITIES: tuple[str, ...] = ("none", *SEVERITIES)
#: Every label array's code -> name table.
MESH_LABELS: dict[str, dict[int, str]] = {
    "structure": dict(enumerate(STRUCTURES)),
    "segment": {-1: "not CN VII", **dict(enumerate(SEGMENTS))},
    "contact_severity": dict(enumerate(CONTACT_SEVERITIES))}


def _structure_of(scene: Scene, name: str) -> str:
    """The :data:`STRUCTURES` name of a :func:`~mvd_sim.mesh.meshing.scene_meshes` key."""
    if name in ("brainstem", "petrous") or name in scene.nerves:
        return name
    if name in scene.vessels:
        return scene.vessels[name].kind
    if name in scene.context:
        return scene.context[name].kind
    if name in scene.lesions:
        return scene.lesions[name].cause
    return "sponge"


def labelled_mesh(scene: Scene, report: ContactReport
                  ) -> tuple[Mesh, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The scene's structures merged into one mesh, with its label arrays.

    Parameters
    ----------
    scene : Scene
    report : ContactReport
        ``analyze(scene)``: the contacts whose patches are labelled.

    Returns
    -------
    mesh : (vertices (v, 3) float, mm; faces (f, 3) int)
    cell_data : dict
        ``structure (f,) int8``.
    point_data : dict
        ``segment (v,) int8`` and ``contact_severity (v,) int8``.
    """
    vertices, faces, structure, segment, severity = [], [], [], [], []
    offset = 0
    for name, (points, triangles) in scene_meshes(scene, n_sides=TUBE_SIDES).items():
        kind = _structure_of(scene, name)
        vertices.append(points)
        faces.append(triangles + offset)
        structure.append(np.full(len(triangles), STRUCTURES.index(kind), dtype=np.int8))
        segment_codes = np.full(len(points), -1, dtype=np.int8)
        severity_codes = np.zeros(len(points), dtype=np.int8)
        if name in scene.nerves:
            rest_s = tube_vertex_s(scene.rest_nerves[name].s, TUBE_SIDES)
            severity_codes = patch_severity(scene, report, name, points, rest_s)
            if name == "CN7":
                segment_codes[:] = scene.landmarks[name].segment_index(rest_s)
        segment.append(segment_codes)
        severity.append(severity_codes)
        offset += len(points)
    cell_data = {"structure": np.concatenate(structure)}
    point_data = {"segment": np.concatenate(segment),
                  "contact_severity": np.concatenate(severity)}
    return (np.concatenate(vertices), np.concatenate(faces)), cell_data, point_data


def write_case_mesh(scene: Scene, report: ContactReport, path: str | os.PathLike) -> int:
    """Write the case's :func:`labelled_mesh` as VTP (atomically); returns its size (bytes)."""
    from mvd_sim.mesh.files import save_mesh

    mesh, cell_data, point_data = labelled_mesh(scene, report)
    written = save_mesh(mesh, Path(path), "vtp", cell_data=cell_data, point_data=point_data,
                        field_data={"structure_names": np.asarray(STRUCTURES)})
    return written.stat().st_size
