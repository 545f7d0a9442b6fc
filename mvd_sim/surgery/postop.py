"""The post-operative case: the scene with its pads in place, and saving it to disk.

A post-operative scenario is the original scenario plus a ``sponges`` list; loading it
(:func:`mvd_sim.load_scene`) re-solves the decompression and returns the scene at the worst
phase of the pulse, so it can be re-analysed, rendered or exported like any other.
"""

from __future__ import annotations

import os
from pathlib import Path

from mvd_sim.surgery.decompress import DecompressionReport, decompress_states, settle_postop
from mvd_sim.mesh.export import mesh_files
from mvd_sim.core.labels import DEFAULT_THRESHOLDS, SeverityThresholds
from mvd_sim.core.materials import DEFAULT_MATERIALS, Materials
from mvd_sim.mechanics.simulate import build_model, settle
from mvd_sim.core.output import write_folder
from mvd_sim.scenario import ScenarioSpec, SpongeSpec, materials_of, scenario_to_yaml
from mvd_sim.scene.scene import Scene
from mvd_sim.surgery.pads import place_sponges

__all__ = ["postop_scene", "postop_spec", "postop_files", "save_postop", "scene_at_level"]


def postop_spec(spec: ScenarioSpec, sponges: list[SpongeSpec] | tuple[SpongeSpec, ...]
                ) -> ScenarioSpec:
    """The scenario with ``sponges`` in place (its findings describe the pre-op case, so
    they are dropped)."""
    return spec.model_copy(update={"sponges": list(sponges), "findings": None})


def postop_scene(scene: Scene, spec: ScenarioSpec,
                 thresholds: SeverityThresholds = DEFAULT_THRESHOLDS
                 ) -> tuple[Scene, DecompressionReport]:
    """The scene after placing the scenario's sponges, at the worst phase, and the report."""
    report, _, after = decompress_states(scene, spec.sponges, materials_of(spec), thresholds)
    return after.scene, report


def scene_at_level(scene: Scene, sponges: list[SpongeSpec] | tuple[SpongeSpec, ...],
                   level: float, materials: Materials = DEFAULT_MATERIALS) -> Scene:
    """The case solved at one pulse level (0 diastole, 1 systole), with ``sponges`` in."""
    before_model = build_model(scene, (), materials)
    before = settle(scene, level=level, model=before_model)
    if not sponges:
        return before.scene
    bodies, holds_off = place_sponges(scene, sponges)
    model = build_model(scene, bodies, materials)
    return settle_postop(scene, before_model, model, holds_off, before, level).scene


def postop_files(spec: ScenarioSpec, scene_after: Scene, name: str) -> dict[str, bytes]:
    """``{name}_postop.yaml`` and ``meshes/*.vtp`` of the post-operative scene, made in
    memory (see :func:`save_postop`)."""
    return {f"{name}_postop.yaml": scenario_to_yaml(spec).encode("utf-8"),
            **mesh_files(scene_after, "vtp", folder="meshes/")}


def save_postop(spec: ScenarioSpec, scene_after: Scene, out_dir: str | os.PathLike,
                name: str) -> list[Path]:
    """Write ``{name}_postop.yaml`` and ``meshes/`` (VTP) of the post-operative scene.

    Everything is made in memory, then written by :func:`mvd_sim.core.output.write_folder`: all
    or nothing, the error naming the file that could not be written.
    """
    return write_folder(out_dir, postop_files(spec, scene_after, name))
