"""Export a scene's meshes to files, all or nothing."""

from __future__ import annotations

import os
from pathlib import Path

from mvd_sim.core.errors import MeshError
from mvd_sim.mesh.meshing import scene_meshes
from mvd_sim.core.output import write_folder
from mvd_sim.scene.scene import Scene

__all__ = ["export_meshes", "mesh_files"]


def mesh_files(scene: Scene, fmt: str = "vtp", folder: str = "") -> dict[str, bytes]:
    """One closed mesh file per structure, made in memory: ``{"brainstem.vtp": bytes, ...}``.

    Parameters
    ----------
    scene : Scene
    fmt : ``"vtp"``, ``"stl"``, ``"ply"`` or ``"obj"``
    folder : str
        Prefix of every name (e.g. ``"meshes/"``).

    Returns
    -------
    dict of str to bytes
        In scene order: brainstem, nerves, vessels, pads.

    Raises
    ------
    MeshError
        ``--format`` is not a mesh format.
    """
    from mvd_sim.mesh.files import MESH_FORMATS, mesh_bytes

    if fmt not in MESH_FORMATS:
        raise MeshError(f"--format: unknown mesh format {fmt!r} (expected one of "
                        f"{', '.join(MESH_FORMATS)})")
    return {f"{folder}{name}.{fmt}": mesh_bytes(mesh, fmt, name=f"{name}.{fmt}")
            for name, mesh in scene_meshes(scene).items()}


def export_meshes(scene: Scene, out_dir: str | os.PathLike, fmt: str = "vtp") -> list[Path]:
    """Write one closed mesh per structure (``brainstem``, ``CN7``, ``CN8``, vessel ids).

    Every file is made in memory first, then written by :func:`mvd_sim.core.output.write_folder`:
    staged inside ``out_dir`` and moved into place only once all are written, so a failure
    (a full disk) leaves none of them, and the error names the file (``out_dir/name``).

    Parameters
    ----------
    scene : Scene
    out_dir : path
        Created if missing.
    fmt : ``"vtp"``, ``"stl"``, ``"ply"`` or ``"obj"``

    Returns
    -------
    list of Path
        The files written, in scene order (brainstem, nerves, vessels).

    Raises
    ------
    MeshError
        One line: an unknown format, or the file that could not be written.
    """
    return write_folder(out_dir, mesh_files(scene, fmt), MeshError)
