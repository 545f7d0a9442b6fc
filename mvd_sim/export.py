"""Export a scene's meshes to files, all or nothing."""

from __future__ import annotations

import os
from pathlib import Path

from mvd_sim.atomic import staged_folder
from mvd_sim.errors import MeshError
from mvd_sim.meshing import scene_meshes
from mvd_sim.scene import Scene

__all__ = ["export_meshes"]


def export_meshes(scene: Scene, out_dir: str | os.PathLike, fmt: str = "vtp") -> list[Path]:
    """Write one closed mesh per structure (``brainstem``, ``CN7``, ``CN8``, vessel ids).

    The files are written into a temporary folder beside ``out_dir`` and then moved into it
    one by one with atomic renames, so a failure leaves no partial file behind.

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
    """
    from mvd_sim.mesh_io import MESH_FORMATS, save_mesh

    if fmt not in MESH_FORMATS:
        raise MeshError(f"--format: unknown mesh format {fmt!r} (expected one of "
                        f"{', '.join(MESH_FORMATS)})")
    with staged_folder(out_dir, MeshError) as folder:
        staged = [save_mesh(mesh, folder.staging / f"{name}.{fmt}", fmt)
                  for name, mesh in scene_meshes(scene).items()]
        return folder.publish(staged)
