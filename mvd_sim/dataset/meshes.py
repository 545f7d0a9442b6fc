"""A case's labelled mesh: every structure of its scene merged into one VTP file.

Labels (codes in :data:`MESH_LABELS`, written into the manifest too):

- per cell, ``structure``: the structure the triangle belongs to (an index into
  :data:`STRUCTURES`: vessels by type, so a sampled case's vessels, one of each type, are
  told apart), and ``structure_name``: the same as text, so the file carries its own table;
- per vertex, ``segment``: CN VII's segment at the vertex (an index into
  :data:`~mvd_sim.anatomy.landmarks.SEGMENTS`: RExP 0, AS 1, RDP 2, CP 3), by the vertex's
  arc length on the nerve's rest course; -1 off CN VII;
- per vertex, ``contact_severity``: 0 none, 1 mild, 2 moderate, 3 severe on the nerves'
  contact patches (where a vessel touches a nerve), 0 elsewhere.

The patches are those the rendered pictures paint (:mod:`mvd_sim.render`): the nerve
surface within the contact threshold plus a small margin of the vessel, over the contact's
arc-length interval; so a picture and a mesh of a case agree vertex for vertex.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mvd_sim.anatomy.landmarks import SEGMENTS
from mvd_sim.constants import VESSEL_TYPES
from mvd_sim.contact import ContactReport
from mvd_sim.meshing import Mesh, scene_meshes
from mvd_sim.render import SEVERITY_COLORS, TUBE_SIDES, _patch_colors, _vertex_rest_s
from mvd_sim.scene import Scene

__all__ = ["STRUCTURES", "CONTACT_SEVERITIES", "MESH_LABELS", "labelled_mesh",
           "write_case_mesh"]

#: Structure codes of the ``structure`` cell array (the index of each name).
STRUCTURES: tuple[str, ...] = ("brainstem", "CN7", "CN8", *VESSEL_TYPES, "sponge")
#: Codes of the ``contact_severity`` vertex array (the index of each name).
CONTACT_SEVERITIES: tuple[str, ...] = ("none", "mild", "moderate", "severe")
#: Every label array's code -> name table.
MESH_LABELS: dict[str, dict[int, str]] = {
    "structure": dict(enumerate(STRUCTURES)),
    "segment": {-1: "not CN VII", **dict(enumerate(SEGMENTS))},
    "contact_severity": dict(enumerate(CONTACT_SEVERITIES))}


def _structure_of(scene: Scene, name: str) -> str:
    """The :data:`STRUCTURES` name of a :func:`~mvd_sim.meshing.scene_meshes` key."""
    if name == "brainstem" or name in scene.nerves:
        return name
    if name in scene.vessels:
        return scene.vessels[name].kind
    return "sponge"


def _contact_severity(scene: Scene, report: ContactReport, nerve: str,
                      vertices: np.ndarray) -> np.ndarray:
    """``(v,) int8`` severity codes of a nerve mesh's vertices: the patches the pictures
    paint (one definition of a patch), read back from their colours."""
    colors = _patch_colors(scene, report, nerve, vertices)
    codes = np.zeros(len(vertices), dtype=np.int8)
    for severity, color in SEVERITY_COLORS.items():
        codes[np.all(colors == color, axis=1)] = CONTACT_SEVERITIES.index(severity)
    return codes


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
        ``structure (f,) int8`` and ``structure_name (f,) str``.
    point_data : dict
        ``segment (v,) int8`` and ``contact_severity (v,) int8``.
    """
    vertices, faces, structure, segment, severity = [], [], [], [], []
    offset = 0
    # nerves as rings of TUBE_SIDES, the layout the rest arc lengths of vertices assume
    for name, (points, triangles) in scene_meshes(scene, n_sides=TUBE_SIDES).items():
        kind = _structure_of(scene, name)
        vertices.append(points)
        faces.append(triangles + offset)
        structure.append(np.full(len(triangles), STRUCTURES.index(kind), dtype=np.int8))
        codes = np.full(len(points), -1, dtype=np.int8)
        if name == "CN7":
            rest_s = _vertex_rest_s(scene, name, len(points))
            codes[:] = scene.landmarks[name].segment_index(rest_s)
        segment.append(codes)
        severity.append(_contact_severity(scene, report, name, points) if name in scene.nerves
                        else np.zeros(len(points), dtype=np.int8))
        offset += len(points)
    structure_codes = np.concatenate(structure)
    cell_data = {"structure": structure_codes,
                 "structure_name": np.asarray(STRUCTURES)[structure_codes]}
    point_data = {"segment": np.concatenate(segment),
                  "contact_severity": np.concatenate(severity)}
    return (np.concatenate(vertices), np.concatenate(faces)), cell_data, point_data


def write_case_mesh(scene: Scene, report: ContactReport, path: str | os.PathLike) -> int:
    """Write the case's :func:`labelled_mesh` as VTP (atomically); returns its size (bytes)."""
    from mvd_sim.mesh_io import save_mesh

    mesh, cell_data, point_data = labelled_mesh(scene, report)
    written = save_mesh(mesh, Path(path), "vtp", cell_data=cell_data, point_data=point_data)
    return written.stat().st_size
