"""One line from a pydantic ``ValidationError``, the same whichever pydantic is installed,
and a parsed document (scenario, answer, priors) validated or refused in that line.

A document with several problems gets several errors, in an order that differs between
pydantic releases; the line reports the first by a fixed order of our own (the field's path,
then the kind of error), so a user (and a test) sees the same field named for the same file.
"""

from __future__ import annotations

import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from mvd_sim.core.errors import ScenarioError

__all__ = ["one_line", "require_mapping", "validate_document"]

Model = TypeVar("Model", bound=BaseModel)

# tags pydantic adds to error locations for unions and validators (user keys are kept)
_PYDANTIC_TAG = re.compile(r"^(function-[\w-]+|constrained-[\w-]+|(list|literal|tagged-union|"
                           r"union)\[.*\]|float|int|str|bool|none)$")


def _location(loc: tuple) -> str:
    """Dotted field path, with list indices in brackets; unusual keys are quoted.

    Examples
    --------
    >>> _location(("vessels", 0, "radius_mm"))
    'vessels[0].radius_mm'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", str(part)):
            out += ("." if out else "") + str(part)
        else:
            out += ("." if out else "") + ascii(str(part))
    return out


# our own words for the commonest problems (the rest keep pydantic's)
_OWN_WORDS = {"missing": "required field missing",
              "extra_forbidden": "unknown field (not part of the schema)"}


def _user_loc(error: dict) -> tuple:
    return tuple(p for p in error["loc"] if isinstance(p, int) or not _PYDANTIC_TAG.match(p))


def _order(error: dict) -> tuple:
    """Sort key: the field's path (indices as numbers), then the error's type."""
    return (tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p))
                  for p in _user_loc(error)), error["type"])


def one_line(error: ValidationError) -> str:
    """``"<field>: <reason> (got <value>)"`` for the first problem by :func:`_order`
    (``(top level)`` for the document as a whole; a model's own check names its field in
    its reason)."""
    first = min(error.errors(), key=_order)
    loc = _user_loc(first)
    msg = _OWN_WORDS.get(first["type"]) or \
        " ".join(str(first["msg"]).removeprefix("Value error, ").split())
    # a model's own check (no location) names its field in its message
    where = "" if not loc and first["type"] == "value_error" else \
        f"{_location(loc) or '(top level)'}: "
    shown = ""
    if first["type"] not in ("missing", "value_error", "json_invalid") and \
            not isinstance(first.get("input"), (dict, list)):
        shown = f" (got {ascii(first.get('input'))})"
    return f"{where}{msg}{shown}"


def require_mapping(data: object, source: str, what: str) -> dict:
    """``data`` (a parsed YAML document) if it is a mapping.

    Raises
    ------
    ScenarioError
        ``"{source}: (top level): expected a mapping of {what} fields, got <type>"``.
    """
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: (top level): expected a mapping of {what} fields, "
                            f"got {type(data).__name__}")
    return data


def validate_document(model: type[Model], data: object, source: str, what: str) -> Model:
    """``data`` (a parsed YAML document, a mapping of ``what`` fields) validated as ``model``.

    Raises
    ------
    ScenarioError
        One line: ``"{source}: {field}: {reason}"`` (:func:`one_line`; a document that is not
        a mapping as :func:`require_mapping` says).
    """
    try:
        return model.model_validate(require_mapping(data, source, what))
    except ValidationError as err:
        raise ScenarioError(f"{source}: {one_line(err)}") from None
