"""The operated case: the scene with its operation solved in, and saving it to disk.

An operated scenario is the original scenario plus its moves: ``sponges``,
``transpositions``, ``divided`` and ``cut_bands``
(:class:`~mvd_sim.surgery.operation.Operation`). Building its case
(:class:`~mvd_sim.case.Case`) never solves; :func:`operated_scene` does, returning the scene
at the worst phase of the pulse after the operation, so it can be re-analysed, rendered or
exported like any other.
"""

from __future__ import annotations

import os
from pathlib import Path

from mvd_sim.case import Case
from mvd_sim.core.output import write_folder
from mvd_sim.mechanics.simulate import build_model, settle
from mvd_sim.mesh.export import mesh_files
from mvd_sim.scenario import ScenarioSpec, scenario_to_yaml
from mvd_sim.scene.scene import Scene
from mvd_sim.surgery.decompress import decompress_states, settle_postop
from mvd_sim.surgery.operation import Operation, operate

__all__ = ["operated_scene", "postop_spec", "postop_files", "save_postop", "scene_at_level"]


def postop_spec(spec: ScenarioSpec, operation: Operation) -> ScenarioSpec:
    """The scenario with ``operation`` made: its pads, transpositions, divided veins and cut
    arachnoid bands (``cut_bands``: the bands stay listed, as the divided veins do; its
    findings describe the pre-op case, so they are dropped)."""
    return spec.model_copy(update={"sponges": list(operation.pads),
                                   "transpositions": list(operation.transpositions),
                                   "divided": list(operation.divided), "findings": None,
                                   "cut_bands": list(operation.cut_bands)})


def operated_scene(case: Case) -> Scene:
    """The case as a surgeon would find it now: its scene as built, or, for an operated case
    (one with pads, transpositions, divided veins or cut bands), the scene after its
    decompression, at the worst phase of the pulse.

    Raises
    ------
    ScenarioError, SolverError
        As :func:`~mvd_sim.surgery.decompress.decompress` (prefixed with the case's file).
    """
    if Operation.of_case(case).is_empty:
        return case.scene
    return decompress_states(case)[2].scene


def scene_at_level(case: Case, operation: Operation, level: float) -> Scene:
    """The case solved at one pulse level (0 diastole, 1 systole), after ``operation``."""
    scene = case.scene
    before_model = build_model(scene, (), case.materials)
    before = settle(scene, level=level, model=before_model)
    if operation.is_empty:
        return before.scene
    operated = operate(scene, operation)
    return settle_postop(operated.scene, before_model, operated.model(before_model),
                         operated.holds_off, before, level).scene


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
