"""mvd-sim: microvascular decompression for hemifacial spasm, simulated.

The public API. Importing :mod:`mvd_sim` loads numpy, scipy, pydantic and PyYAML only;
VTK/pyvista load on first use of a function that writes or renders meshes.

Examples
--------
>>> import mvd_sim
>>> scene = mvd_sim.load_scene("aica_as_moderate_right")
>>> sorted(scene.nerves)
['CN7', 'CN8']
"""

from __future__ import annotations

from pathlib import Path

from mvd_sim._version import __version__
from mvd_sim.scene.build import build_scene
from mvd_sim.anatomy.landmarks import SEGMENTS, NerveLandmarks
from mvd_sim.scenario.bundled import bundled_scenarios, resolve_scenario
from mvd_sim.contact.analysis import Contact, ContactReport, analyze
from mvd_sim.surgery.decompress import DecompressionReport, decompress
from mvd_sim.core.labels import SeverityThresholds
from mvd_sim.core.errors import GeometryError, MeshError, MvdSimError, ScenarioError, SolverError
from mvd_sim.mesh.export import export_meshes
from mvd_sim.core.materials import Materials
from mvd_sim.scenario import ScenarioSpec, SpongeSpec, load_scenario, parse_scenario
from mvd_sim.scene.scene import MeshVessel, Scene
from mvd_sim.core.tube import Tube

__all__ = ["__version__", "load_scenario", "parse_scenario", "build_scene", "load_scene",
           "bundled_scenarios", "resolve_scenario", "export_meshes", "analyze",
           "ContactReport", "Contact", "SeverityThresholds", "Scene", "MeshVessel", "Tube",
           "decompress", "DecompressionReport", "SpongeSpec", "Materials",
           "ScenarioSpec", "NerveLandmarks", "SEGMENTS", "MvdSimError", "ScenarioError",
           "GeometryError", "MeshError", "SolverError"]


def load_scene(scenario: str | Path, postop: bool = True) -> Scene:
    """Load, validate and build a scenario given by path or bundled name.

    A scenario with ``sponges`` is a post-operative case: with ``postop`` (default) the
    decompression is solved and the scene returned at the worst phase of the pulse, pads
    included; ``postop=False`` gives the pre-operative anatomy.

    Raises
    ------
    ScenarioError
        With the file name prefixed to the field and reason.
    SolverError
        If the post-operative equilibrium does not converge.
    """
    path = resolve_scenario(scenario)
    spec = load_scenario(path)
    try:
        scene = build_scene(spec, name=path.stem)
        if postop and spec.sponges:
            from mvd_sim.surgery.postop import postop_scene

            scene = postop_scene(scene, spec)[0]
        return scene
    except ScenarioError as err:
        raise ScenarioError(f"{path}: {err}") from None
