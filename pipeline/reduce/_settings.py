"""Building blocks of the recipes' settings schemas (pydantic) and their one-line problem messages.

A recipe's settings are a :class:`Settings` subclass: every key of the workflow's ``[reduce]`` table
that the recipe reads, with its default, and ``extra="forbid"``. Numbers are strict (a string or a
boolean is not a number; an integer is a float, a float is not an integer). :func:`problems` turns a
validation failure into ``(key, why)`` pairs, one per problem, in words a workflow author reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

__all__ = [
    "Count",
    "Fraction",
    "Init",
    "Loads",
    "PositiveFloat",
    "Seed",
    "Settings",
    "Sizes",
    "TWindow",
    "Temperatures",
    "problems",
    "toml_value",
]


class Settings(BaseModel):
    """Base of the recipes' settings: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


def _increasing(v: list) -> list:
    if any(b <= a for a, b in zip(v, v[1:], strict=False)):
        raise ValueError("expected strictly increasing values")
    return v


def _lo_hi(v: list) -> list:
    if not v[0] < v[1]:
        raise ValueError("expected [lo, hi] with lo < hi")
    return v


def _pair(v: Any) -> Any:
    if not isinstance(v, list | tuple) or len(v) != 2:
        raise ValueError("expected [lo, hi], two temperatures")
    return v


def _listify(v: Any) -> Any:
    """A single number stands for a list of one."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        return [v]
    return v


PositiveFloat = Annotated[float, Field(strict=True, gt=0)]
#: A number in (0, 1).
Fraction = Annotated[float, Field(strict=True, gt=0, lt=1)]
#: A number of bootstrap replicas (at least 10: fewer cannot give an error bar).
Count = Annotated[int, Field(strict=True, ge=10)]
#: A seed of ``numpy.random.default_rng``.
Seed = Annotated[int, Field(strict=True, ge=0)]
#: A temperature range [lo, hi], 0 < lo < hi.
TWindow = Annotated[list[PositiveFloat], BeforeValidator(_pair), AfterValidator(_lo_hi)]
#: One temperature or a list of them (> 0), distinct and increasing.
Temperatures = Annotated[list[PositiveFloat], BeforeValidator(_listify), Field(min_length=1),
                         AfterValidator(_increasing)]
#: One load α = P/N in (0, 1] or a list of them.
Loads = Annotated[list[Annotated[float, Field(strict=True, gt=0, le=1)]], BeforeValidator(_listify),
                  Field(min_length=1)]
#: System sizes (integers >= 2), at least two, strictly increasing (crossings pair successive sizes).
Sizes = Annotated[list[Annotated[int, Field(strict=True, ge=2)]], Field(min_length=2), AfterValidator(_increasing)]
#: Initial conditions of the Hopfield runs.
Init = Literal["pattern", "noisy", "random"]


# ---------------------------------------------------------------------------------------------------
# messages
# ---------------------------------------------------------------------------------------------------


def toml_value(v: Any) -> str:
    """``v`` as a TOML-ish literal: strings by ``repr``, numbers plain, booleans true/false, lists in brackets."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    return repr(v)


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, int | float) and not isinstance(x, bool) else str(x)


def _why(err: dict) -> str:
    t, ctx = err["type"], err.get("ctx") or {}
    bounds = {"greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"), "less_than": ("<", "lt"),
              "less_than_equal": ("<=", "le")}
    if t in bounds:
        op, k = bounds[t]
        return f"expected a value {op} {_num(ctx[k])}"
    if t == "literal_error":
        return f"expected {ctx['expected']}"
    if t in ("int_type", "int_from_float", "int_parsing"):
        return "expected an integer"
    if t in ("float_type", "float_parsing", "finite_number"):
        return "expected a number"
    if t in ("string_type", "string_sub_type"):
        return "expected a string"
    if t in ("bool_type", "bool_parsing"):
        return "expected true or false"
    if t in ("list_type", "tuple_type"):
        return "expected a list"
    if t == "too_short":
        return f"expected a list of at least {ctx['min_length']} value(s)"
    if t == "too_long":
        return f"expected a list of at most {ctx['max_length']} value(s)"
    if t == "value_error":
        return str(ctx.get("error", err["msg"]))
    return str(err["msg"])


def problems(settings: type[Settings], raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(key, why)`` for each problem of ``raw`` against ``settings`` (empty: valid).

    Unknown keys are the caller's business (several recipes share one table); pass only the keys that
    ``settings`` declares. An error inside a list names the item (1-based) and its value.
    """
    try:
        settings.model_validate(dict(raw))
    except ValidationError as e:
        out = []
        for err in e.errors():
            loc = err["loc"]
            key = str(loc[0]) if loc else ""
            why = _why(err)
            sub = [p for p in loc[1:] if isinstance(p, int)]
            if sub:
                why = f"item {sub[0] + 1} = {toml_value(err['input'])}: {why}"
            out.append((key, why))
        return out
    return []
