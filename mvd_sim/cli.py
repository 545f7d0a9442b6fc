"""The ``mvd-sim`` command line: one subcommand per API call, one line per error.

Examples
--------
::

    mvd-sim list
    mvd-sim validate scenarios/*.yaml
    mvd-sim export-meshes aica_as_moderate_right -o out/ --format stl
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

import mvd_sim
from mvd_sim.errors import MvdSimError

__all__ = ["main"]

_EXAMPLES = """examples:
  mvd-sim list
  mvd-sim validate scenarios/*.yaml
  mvd-sim export-meshes aica_as_moderate_right -o meshes_out --format vtp
"""


def _cmd_list(args: argparse.Namespace) -> int:
    for name, path in mvd_sim.bundled_scenarios().items():
        spec = mvd_sim.load_scenario(path)
        print(f"{name:<34} {spec.side:<5}  {spec.title}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    failed = 0
    for item in args.files:
        try:
            scene = mvd_sim.load_scene(item)
        except MvdSimError as err:
            print(f"invalid  {err}", file=sys.stderr)
            failed += 1
        else:
            print(f"ok       {item}: {scene.side} side, vessels: "
                  f"{', '.join(scene.vessels) or 'none'}")
    return 1 if failed else 0


def _cmd_export(args: argparse.Namespace) -> int:
    scene = mvd_sim.load_scene(args.scenario)
    for path in mvd_sim.export_meshes(scene, args.output, args.format):
        print(path)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mvd-sim", description="Microvascular decompression simulator for hemifacial "
        "spasm. Lengths in mm.", epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"mvd-sim {mvd_sim.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list the bundled scenarios")
    p.set_defaults(run=_cmd_list)

    p = sub.add_parser("validate", help="validate scenario files (schema and anatomy)",
                       epilog="example: mvd-sim validate scenarios/*.yaml")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario file or bundled name")
    p.set_defaults(run=_cmd_validate)

    p = sub.add_parser("export-meshes", help="write closed meshes of a scenario's structures",
                       epilog="example: mvd-sim export-meshes vein_rexp_mild_left -o out")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or bundled name")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    p.add_argument("--format", default="vtp", choices=("vtp", "stl", "ply", "obj"),
                   help="mesh file format (default: vtp)")
    p.set_defaults(run=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 bad input, 130 interrupted)."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except MvdSimError as err:
        print(f"mvd-sim: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mvd-sim: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - last line of defence: one line, no traceback
        if os.environ.get("MVD_SIM_DEBUG"):
            traceback.print_exc()
        print(f"mvd-sim: internal error: {type(err).__name__}: {err} "
              "(set MVD_SIM_DEBUG=1 for a traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
