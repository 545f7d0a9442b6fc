"""mvd-sim: microvascular decompression for hemifacial spasm, simulated.

The public API. Importing :mod:`mvd_sim` loads numpy, scipy, pydantic and PyYAML only;
VTK/pyvista load on first use of a function that writes or renders meshes.

Examples
--------
>>> import mvd_sim
>>> case = mvd_sim.load_case("aica_as_moderate_right")
>>> sorted(case.scene.nerves), mvd_sim.analyze(case.scene).pattern
(['CN7', 'CN8'], 'single')
"""

from __future__ import annotations

from mvd_sim._version import __version__
from mvd_sim.anatomy.landmarks import SEGMENTS, NerveLandmarks
from mvd_sim.case import Case, load_case, load_scene
from mvd_sim.contact.analysis import Contact, ContactReport, analyze
from mvd_sim.core.errors import (GeometryError, MeshError, MvdSimError, ScenarioError,
                                 SegmentationError, SolverError)
from mvd_sim.core.labels import SeverityThresholds
from mvd_sim.core.materials import Materials
from mvd_sim.core.tube import Tube
from mvd_sim.mesh.export import export_meshes
from mvd_sim.scenario import (ScenarioSpec, SpongeSpec, TranspositionSpec, bundled_scenarios,
                              load_scenario, parse_scenario, resolve_scenario)
from mvd_sim.scene.build import build_scene
from mvd_sim.scene.scene import MeshVessel, Scene
from mvd_sim.segmentation import ImportResult, import_case
from mvd_sim.surgery.decompress import DecompressionReport, decompress
from mvd_sim.surgery.operation import Operation
from mvd_sim.surgery.planner import Plan, plan

__all__ = ["__version__", "Case", "load_case", "load_scene", "load_scenario", "parse_scenario",
           "build_scene", "bundled_scenarios", "resolve_scenario", "export_meshes", "analyze",
           "ContactReport", "Contact", "SeverityThresholds", "Scene", "MeshVessel", "Tube",
           "decompress", "DecompressionReport", "Operation", "plan", "Plan", "SpongeSpec",
           "TranspositionSpec", "Materials",
           "ScenarioSpec", "NerveLandmarks", "SEGMENTS", "MvdSimError", "ScenarioError",
           "GeometryError", "MeshError", "SolverError", "SegmentationError", "import_case",
           "ImportResult"]
