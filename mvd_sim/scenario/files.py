"""Scenario files on disk: a safe YAML loader for untrusted files, and writing a spec back.

Scenario files are untrusted: they are read with ``yaml.safe_load`` semantics, refused above
:data:`~mvd_sim.core.constants.MAX_SCENARIO_BYTES`, refused if they use YAML anchors or aliases
(which can expand exponentially), and validated with pydantic models that forbid unknown keys.
Every problem becomes one :class:`~mvd_sim.core.errors.ScenarioError` line naming the file, the
field and the reason.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from mvd_sim.core.constants import MAX_SCENARIO_BYTES
from mvd_sim.core.errors import ScenarioError
from mvd_sim.scenario.schema import ScenarioSpec, parse_scenario

__all__ = ["MAX_YAML_DEPTH", "read_yaml", "load_scenario", "scenario_to_yaml"]


#: Deepest nesting of mappings and lists accepted in a YAML file (a scenario needs 6).
MAX_YAML_DEPTH = 32


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML loader that refuses anchors, aliases, duplicate keys and deep nesting."""

    def construct_mapping(self, node, deep=False):  # noqa: D102 - PyYAML hook
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML hook
        # PyYAML composes recursively: bound the nesting before Python's stack does
        depth = getattr(self, "_depth", 0)
        if depth >= MAX_YAML_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"nested deeper than {MAX_YAML_DEPTH} levels",
                self.peek_event().start_mark)
        self._depth = depth + 1
        try:
            return self._compose_checked(parent, index)
        finally:
            self._depth = depth

    def _compose_checked(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases are not allowed in scenario files", event.start_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise yaml.constructor.ConstructorError(
                None, None, "YAML anchors are not allowed in scenario files", event.start_mark)
        return super().compose_node(parent, index)


def load_scenario(path: str | Path) -> ScenarioSpec:
    """Read and validate a scenario YAML file.

    Raises
    ------
    ScenarioError
        If the file is missing, too large, not UTF-8 YAML, uses aliases, or fails the schema.
    """
    return parse_scenario(read_yaml(path, "scenarios"), str(path))


def read_yaml(path: str | Path, kind: str) -> object:
    """Parse an untrusted YAML file: a regular file of at most
    :data:`~mvd_sim.core.constants.MAX_SCENARIO_BYTES` (checked before reading), UTF-8, safe
    YAML without anchors, aliases or duplicate keys.

    Raises
    ------
    ScenarioError
        One line naming the file and what is wrong (``kind`` names the files in the size
        message, e.g. ``"scenarios"``).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ScenarioError(f"{path}: not a regular file")
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioError(f"{path}: file is {size} bytes, over the "
                                f"{MAX_SCENARIO_BYTES}-byte limit for {kind}")
        text = path.read_bytes().decode("utf-8")
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(f"{path}: invalid YAML{where}: {problem}") from None
    return data


#: libyaml's emitter where PyYAML was built with it (its wheels are), else the pure-Python one:
#: the same text (a test checks), the first 8 times faster (a dataset writes every case's).
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def scenario_to_yaml(spec: ScenarioSpec, exclude_defaults: bool = False) -> str:
    """Serialise a spec back to YAML (round-trips through :func:`parse_scenario`); with
    ``exclude_defaults``, fields left at their defaults (empty lists among them) are left
    out."""
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True,
                           exclude_defaults=exclude_defaults)
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=96)

