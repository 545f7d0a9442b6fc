"""Scenarios: the strict schema of a case (:mod:`~mvd_sim.scenario.schema`), its files on
disk (:mod:`~mvd_sim.scenario.files`) and the bundled cases (:mod:`~mvd_sim.scenario.bundled`).
"""

from mvd_sim.scenario.bundled import bundled_scenarios, resolve_scenario
from mvd_sim.scenario.files import MAX_YAML_DEPTH, load_scenario, read_yaml, scenario_to_yaml
from mvd_sim.scenario.schema import (MAX_TOTAL_COURSE_MM, MAX_VESSEL_COURSE_MM, NERVES,
                                     SCHEMA_VERSION, SEATS, ContactSpec, FindingsSpec,
                                     ScenarioSpec, SpongeSpec, TranspositionSpec, VesselSpec,
                                     case_fingerprint, check_divided, check_sponges,
                                     check_transpositions, materials_of, parse_scenario,
                                     parse_sponge, parse_transposition)

__all__ = ["bundled_scenarios", "resolve_scenario", "MAX_YAML_DEPTH", "load_scenario",
           "read_yaml", "scenario_to_yaml", "MAX_TOTAL_COURSE_MM", "MAX_VESSEL_COURSE_MM",
           "NERVES", "SCHEMA_VERSION", "SEATS", "ContactSpec", "FindingsSpec", "ScenarioSpec",
           "SpongeSpec", "TranspositionSpec", "VesselSpec", "case_fingerprint",
           "check_divided", "check_sponges", "check_transpositions", "materials_of",
           "parse_scenario", "parse_sponge", "parse_transposition"]
