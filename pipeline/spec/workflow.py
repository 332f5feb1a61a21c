"""Workflow files: TOML → a validated, frozen :class:`Workflow`, or one clear message per problem.

A workflow names a sweep, a model, a workflow seed, the grid and the sampler settings::

    name = "curie_weiss"
    model = "curie_weiss"
    seed = 20261127

    [grid]
    N = [16, 32, 64]
    T = { start = 0.6, stop = 1.6, num = 21 }   # or a list
    seeds = 4                                   # independent samples: the `seed` dimension

    [sampler]
    algorithm = "metropolis" # or "heatbath", "parallel_tempering" (pipeline.samplers)
    thermalize = 2000        # sweeps before measuring
    sweeps = 20000           # measurement sweeps
    measure_every = 1        # sweeps between measurements
    bins = 32                # bins for errors; their means are stored

Model parameters (e.g. ``alpha``) sit in ``[grid]`` beside N and T; the model declares them. By default
every point of the product grid is run; ``[[grid.subset]]`` tables restrict the sweep to a union of
sub-products, each naming values of some dimensions (the others take all their values)::

    [[grid.subset]]          # low-T retrieval scan from pattern starts
    init = "pattern"
    T = [0.1]
    [[grid.subset]]          # the spin-glass onset from random starts
    init = "random"
    alpha = [0.05, 0.1]

Optional
tables ``[reduce]`` and ``[plot]`` carry settings of the model's reduction and figures; ``[run]``
carries ``points_per_task``; ``[cluster]`` says where the sweep runs (:mod:`pipeline.spec.cluster`).
Validation happens here, before anything is scheduled or written: the schema, then what it does not say
(a name that is a safe directory, finite temperatures, a readable UTF-8 file of at most 1 MiB) and the
limits of :mod:`pipeline.spec.limits` (grid points, memory of one sample, total cost).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import re
import stat
import tomllib
import typing
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import SpecError
from pipeline.models import MEASUREMENTS, Model, available, get_model
from pipeline.samplers import SamplerSettings, get_sampler
from pipeline.samplers import available as available_samplers
from pipeline.spec.cluster import ClusterSettings
from pipeline.spec.limits import Limits, estimate, sci

DEFAULT_ALGORITHM = "metropolis"

MAX_NAME = 100
NAME_RE = re.compile(rf"\A[A-Za-z0-9_](?:[A-Za-z0-9_.-]{{0,{MAX_NAME - 2}}}[A-Za-z0-9_-])?\Z")
"""A sweep's name (a directory of the catalog): 1 to 100 letters, digits, '_', '-', '.', not starting
with '.' or '-' (the catalog's own ``.lock-*`` files, options) nor ending with '.'."""
NAME_RULE = (f"expected a non-empty name of at most {MAX_NAME} letters, digits, '_', '-' or '.', starting "
             "with a letter, digit or '_' and not ending with '.' (the name becomes a directory of the "
             "catalog)")
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"{d}{i}" for d in ("com", "lpt") for i in range(10))})

T_MAX = 1e6
"""Highest temperature allowed: every model here is at infinite temperature long before, and the integer
acceptance tables (k up to 20·N·T) would overflow."""
T_RULE = f"expected temperatures T > 0 and T <= {T_MAX:.0e}".replace("e+0", "e")
MAX_DEPTH = 16
"""Tables and arrays nested within one another (a workflow needs 5)."""
MAX_WORKFLOW_BYTES = 2**20
"""Workflow files are small text files: larger ones are refused unread."""


def name_problem(name: Any) -> str | None:
    """Why ``name`` cannot name a sweep (see :data:`NAME_RE`), or ``None``."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        if isinstance(name, str) and len(name) > MAX_NAME:
            return f"{len(name)} characters; {NAME_RULE}"
        return NAME_RULE if isinstance(name, str) else NAME_RULE.replace("a non-empty name", "a string", 1)
    stem = name.split(".")[0].lower()
    if stem in _RESERVED:
        return f"{name.split('.')[0]!r} is a reserved device name on Windows; {NAME_RULE}"
    if name.startswith("__"):
        return f"names starting with '__' are reserved by zarr; {NAME_RULE}"
    if name.lower() == "zarr.json":
        return f"'zarr.json' is the catalog's own metadata file; {NAME_RULE}"
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class TRange(_Strict):
    """An evenly spaced temperature grid, ``numpy.linspace(start, stop, num)``."""

    start: float
    stop: float
    num: int = Field(ge=1)


class RunSettings(_Strict):
    """How a run proceeds.

    ``points_per_task`` = 0 chooses the task size from the cost of a point; ``reduce`` and ``plot``
    make ``spinsweep run`` go on to the model's reduction and figures once the sweep is complete.
    """

    points_per_task: int = Field(default=0, ge=0)
    reduce: bool = False
    plot: bool = False


class Workflow(_Strict):
    """A validated workflow; ``grid`` holds expanded coordinate lists."""

    name: str
    model: str
    seed: int = Field(ge=0, lt=2**63)
    description: str = ""
    grid: dict[str, tuple]
    subsets: tuple[dict[str, tuple], ...] = ()
    sampler: SamplerSettings
    run: RunSettings = RunSettings()
    cluster: ClusterSettings = ClusterSettings()
    reduce: dict[str, Any] = Field(default_factory=dict)
    plot: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(default="", exclude=True)
    text: str = Field(default="", exclude=True)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if (why := name_problem(v)) is not None:
            raise ValueError(why)
        return v

    @property
    def model_def(self) -> Model:
        return get_model(self.model)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(self.grid[d]) for d in self.model_def.dims)

    @property
    def n_points(self) -> int:
        """Points to run: the whole product grid, or the union of its subsets."""
        return int(self.requested().sum())

    def requested(self) -> np.ndarray:
        """Boolean mask over the product grid (``model.dims`` order) of the points the sweep runs."""
        dims = self.model_def.dims
        if not self.subsets:
            return np.ones(self.shape, dtype=bool)
        mask = np.zeros(self.shape, dtype=bool)
        where = {d: {v: i for i, v in enumerate(self.grid[d])} for d in dims}
        for sub in self.subsets:
            idx = [np.array([where[d][v] for v in sub[d]]) if d in sub else np.arange(len(self.grid[d]))
                   for d in dims]
            mask[np.ix_(*idx)] = True
        return mask

    def spec_dict(self) -> dict[str, Any]:
        """What determines the data: model, seed, grid, sampler (not description/reduce/plot/run)."""
        out = {"name": self.name, "model": self.model, "seed": self.seed,
               "grid": {k: list(v) for k, v in self.grid.items()},
               "sampler": _sampler_spec(self.sampler)}
        if self.subsets:
            out["subsets"] = [{k: list(v) for k, v in sub.items()} for sub in self.subsets]
        return out

    def spec_hash(self) -> str:
        """Stable hash of :meth:`spec_dict`; a changed hash means a different sweep."""
        blob = json.dumps(self.spec_dict(), sort_keys=True, default=float).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


_COMMON = tuple(SamplerSettings.model_fields)


def _sampler_spec(settings: SamplerSettings) -> dict[str, Any]:
    """The sampler's part of the spec: the common keys always, a sampler's own keys where not default.

    So a workflow written before a sampler grew a setting keeps its spec hash (and its stored sweep).
    """
    out = {k: getattr(settings, k) for k in _COMMON}
    for k, f in type(settings).model_fields.items():
        if k not in _COMMON and getattr(settings, k) != f.default:
            out[k] = getattr(settings, k)
    return out


TOP_KEYS = ("name", "model", "seed", "description", "grid", "sampler", "run", "cluster", "reduce", "plot")
GRID_KEYS = ("N", "T", "seeds")
SUBSET_KEY = "subset"


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _fmt(v: Any, depth: int = 0) -> str:
    """A value as the message shows it: short (8 items of a list or table, 60 characters of a string, 3
    levels), on one line."""
    if isinstance(v, str):
        return repr(v) if len(v) <= 60 else repr(v[:57]) + "..."
    if isinstance(v, dict | list) and depth >= 3:
        return "{...}" if isinstance(v, dict) else "[...]"
    if isinstance(v, dict):
        items = list(v.items())
        keys = [k if isinstance(k, str) and _BARE_KEY.fullmatch(k) and len(k) <= 60 else _fmt(k)
                for k, _ in items[:8]]
        return ("{" + ", ".join(f"{k} = {_fmt(x, depth + 1)}" for k, (_, x) in zip(keys, items, strict=False))
                + (", ..." if len(items) > 8 else "") + "}")
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x, depth + 1) for x in v[:8]) + (", ..." if len(v) > 8 else "") + "]"
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**40:
        return f"<an integer of about {int(abs(v).bit_length() * math.log10(2)) + 1} digits>"
    if isinstance(v, datetime.date | datetime.time):
        return v.isoformat()
    return str(v).lower() if isinstance(v, bool) else repr(v)


_BREAKS = {c: f"\\x{c:02x}" for c in (*range(32), 127, 0x85)} | {0x2028: "\\u2028", 0x2029: "\\u2029"}


def _one_line(text: str, limit: int = 1000) -> str:
    """``text`` with control characters and line breaks escaped, cut to ``limit`` characters: one line."""
    text = text.translate(_BREAKS)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _where(section: str | None, key: str) -> str:
    return f"[{section}] {key}" if section else key


class _Problems:
    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, section: str | None, key: str, value: Any, why: str) -> None:
        self.items.append(f"{self.source} {_where(section, key)} = {_fmt(value)}: {why}")

    def unknown(self, section: str | None, key: str, allowed) -> None:
        where = f"in [{section}]" if section else "at top level"
        self.items.append(f"{self.source}: unknown key {key!r} {where}; allowed: {', '.join(allowed)}")

    def missing(self, section: str | None, key: str, why: str = "") -> None:
        where = f"in [{section}]" if section else "at top level"
        self.items.append(f"{self.source}: missing key {key!r} {where}{': ' + why if why else ''}")

    def raise_if_any(self, most: int = 20) -> None:
        if self.items:
            lines = [_one_line(x) for x in self.items[:most]]
            if len(self.items) > most:
                lines.append(f"{self.source}: ... and {len(self.items) - most} more problems")
            raise SpecError("\n".join(lines))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_N(v: Any, model: Model | None, p: _Problems) -> tuple | None:
    lo = model.min_N if model else 2
    if _is_int(v):
        v = [v]
    if not isinstance(v, list) or not all(_is_int(x) for x in v):
        p.add("grid", "N", v, f"expected a list of integers >= {lo}")
        return None
    if not v:
        p.add("grid", "N", v, f"empty grid: expected at least one size, integers >= {lo}")
        return None
    bad = [x for x in v if x < lo]
    if bad:
        p.add("grid", "N", v, f"N = {bad[0]} is too small: expected integers N >= {lo}")
        return None
    if len(set(v)) != len(v):
        p.add("grid", "N", v, "expected distinct sizes")
        return None
    return tuple(sorted(v))


def _bad_T(x: float) -> bool:
    return not (math.isfinite(x) and 0 < x <= T_MAX and math.isfinite(1.0 / x))


def _check_T(v: Any, p: _Problems) -> tuple | TRange | None:
    """The temperatures: a sorted tuple, or a validated :class:`TRange` (expanded by :func:`_expand_T`
    once the grid's size is known to be within the limit)."""
    if isinstance(v, dict):
        lax = _lax_inputs(TRange, v)
        if lax:
            key, _, why = lax[0]
            p.add("grid", "T", v, f"T.{key}: {why}; expected {{start, stop, num}}")
            return None
        try:
            r = TRange.model_validate(v)
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            p.add("grid", "T", v, f"T.{loc}: {_pydantic_why(err)}; expected {{start, stop, num}}")
            return None
        ends = (r.start, r.stop) if r.num > 1 else (r.start,)
        if bad := [x for x in ends if _bad_T(x)]:
            p.add("grid", "T", v, f"T = {bad[0]!r} is not allowed: {T_RULE}")
            return None
        return r
    if _is_num(v):
        v = [float(v)]
    if not isinstance(v, list) or not all(_is_num(x) for x in v):
        p.add("grid", "T", v, "expected a list of temperatures > 0 or {start, stop, num}")
        return None
    if not v:
        p.add("grid", "T", v, "empty grid: expected at least one temperature T > 0")
        return None
    bad = [x for x in v if _bad_T(float(x))]
    if bad:
        p.add("grid", "T", v, f"T = {bad[0]!r} is not allowed: {T_RULE}")
        return None
    if len(set(v)) != len(v):
        p.add("grid", "T", v, "expected distinct temperatures")
        return None
    return tuple(sorted(float(x) for x in v))


def _expand_T(r: TRange, raw: Any, p: _Problems) -> tuple | None:
    v = [float(x) for x in np.linspace(r.start, r.stop, r.num)]
    if len(set(v)) != len(v):
        p.add("grid", "T", raw, "expected distinct temperatures (start = stop, or a step below the "
              "resolution of floating point)")
        return None
    return tuple(sorted(v))


def _check_seeds(v: Any, p: _Problems) -> int | None:
    """The number of samples (expanded to ``range(v)`` once the grid's size is within the limit)."""
    if not _is_int(v) or v < 1:
        p.add("grid", "seeds", v, "expected an integer >= 1 (the number of independent samples)")
        return None
    return v


_GRID_KEY = {"seed": "seeds"}


def _expand_grid(pending: dict[str, Any], g: dict, limits: Limits, p: _Problems) -> dict[str, tuple]:
    """The grid's axes, checked in size before any is expanded: ``pending`` holds tuples, a :class:`TRange`
    (T) and an int (seeds). Over ``limits.max_points`` the problem names the longest axis, and the
    T range and seeds are left unexpanded (out of the grid)."""
    sizes = {d: v.num if isinstance(v, TRange) else v if isinstance(v, int) else len(v)
             for d, v in pending.items()}
    total = math.prod(sizes.values())
    if total > limits.max_points:
        d = max(sizes, key=sizes.get)
        key = _GRID_KEY.get(d, d)
        p.add("grid", key, g.get(key), f"the grid would have {sci(total)} points, above the limit of "
              f"{sci(limits.max_points)} (raise it with --max-points)")
        return {d: v for d, v in pending.items() if isinstance(v, tuple)}
    grid: dict[str, tuple] = {}
    for d, v in pending.items():
        if isinstance(v, TRange):
            if (t := _expand_T(v, g.get("T"), p)) is not None:
                grid[d] = t
        elif isinstance(v, int):
            grid[d] = tuple(range(v))
        else:
            grid[d] = v
    return grid


def _lax_inputs(cls: type[BaseModel], v: dict) -> list[tuple[str, Any, str]]:
    """What pydantic's lax mode would coerce but a workflow must not hold: a boolean or a string for a
    number (``sweeps = true`` is not 1), or an integer beyond int64 for an integer setting."""
    out = []
    for k, x in v.items():
        f = cls.model_fields.get(k) if isinstance(k, str) else None
        if f is None:
            continue
        types = {f.annotation, *typing.get_args(f.annotation)}
        if bool in types or not types & {int, float}:
            continue
        integer = int in types and float not in types
        if isinstance(x, bool | str):
            out.append((k, x, "expected an integer" if integer else "expected a number"))
        elif integer and _is_int(x) and not -(2**63) <= x < 2**63:
            out.append((k, x, "expected an integer below 2**63"))
    return out


def _param_why(param, x: Any) -> str | None:
    """``param.check(x)``, with integers beyond int64 refused first (numpy cannot test them)."""
    if _is_int(x) and not -(2**63) <= x < 2**63:
        return f"expected {param.allowed()}"
    return param.check(x)


def _check_param(param, v: Any, p: _Problems) -> tuple | None:
    vals = v if isinstance(v, list) else [v]
    if not vals:
        p.add("grid", param.name, v, f"empty grid: expected at least one value, {param.allowed()}")
        return None
    for x in vals:
        why = _param_why(param, x)
        if why:
            p.add("grid", param.name, v, f"{param.name} = {_fmt(x)} is not allowed: {why}")
            return None
    if len(set(vals)) != len(vals):
        p.add("grid", param.name, v, "expected distinct values")
        return None
    if param.kind == "str":
        return tuple(vals)
    cast = int if param.kind == "int" else float
    return tuple(sorted(cast(x) for x in vals))


def _pydantic_why(err: dict) -> str:
    t, ctx = err.get("type", ""), err.get("ctx", {}) or {}
    if t in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than": "<", "less_than_equal": "<="}[t]
        bound = next(iter(ctx.values()), "?")
        return f"expected a value {op} {bound}"
    if t.startswith("int"):
        return "expected an integer"
    if t.startswith("float"):
        return "expected a number"
    if t.startswith("string"):
        return "expected a string"
    return err.get("msg", "invalid").replace("Value error, ", "")


def parse_workflow(text: str, source: str = "<workflow>", overrides: list[str] | None = None,
                   limits: Limits | None = None) -> Workflow:
    """Parse and validate workflow TOML ``text``.

    Parameters
    ----------
    text : str
        The TOML document.
    source : str
        File name used in messages.
    overrides : list of str
        ``key=value`` pairs (dotted keys, TOML values) applied before validation, e.g.
        ``sampler.sweeps=2000``.
    limits : Limits, optional
        The most the workflow may ask for (grid points, memory of a unit, total cost); default
        :class:`~pipeline.spec.limits.Limits()`.

    Raises
    ------
    SpecError
        With one line per problem, each naming the field, the value and what is allowed.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        where = f"line {m.group(1)}, column {m.group(2)}" if m else "line ?"
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise SpecError(_one_line(f"{source}: malformed TOML at {where}: {reason}")) from None
    except RecursionError:
        raise SpecError(_one_line(f"{source}: malformed TOML: arrays or inline tables nested too deeply "
                                  f"(a workflow needs at most {MAX_DEPTH} levels)")) from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise SpecError(_one_line(f"{source}: malformed TOML: {e}")) from None
    for ov in overrides or []:
        _apply_override(raw, ov)
    _check_depth(raw, source)
    return validate(raw, source=source, text=text, limits=limits)


def _check_depth(raw: dict, source: str) -> None:
    """Refuse tables and arrays nested more than :data:`MAX_DEPTH` deep (walked without recursion)."""
    stack = [(raw, 1)]
    while stack:
        x, d = stack.pop()
        if d > MAX_DEPTH:
            raise SpecError(_one_line(f"{source}: tables and arrays nested more than {MAX_DEPTH} levels "
                                      "deep; a workflow needs 5"))
        if isinstance(x, dict):
            stack.extend((y, d + 1) for y in x.values())
        elif isinstance(x, list):
            stack.extend((y, d + 1) for y in x)


def _apply_override(raw: dict, ov: str) -> None:
    if "=" not in ov:
        raise SpecError(f"--set {ov!r}: expected key=value, e.g. sampler.sweeps=2000")
    key, val = (s.strip() for s in ov.split("=", 1))
    try:
        parsed = tomllib.loads(f"v = {val}")
        value = parsed["v"] if len(parsed) == 1 else val  # a newline in the value: not one TOML value
    except RecursionError:
        raise SpecError(f"--set {_one_line(repr(ov), 200)}: arrays or inline tables nested too "
                        "deeply") from None
    except ValueError:  # not a TOML value (TOMLDecodeError): the text itself
        value = val
    parts = key.split(".")
    d = raw
    for part in parts[:-1]:
        d = d.setdefault(part, {})
        if not isinstance(d, dict):
            raise SpecError(f"--set {ov!r}: {part!r} is not a table")
    d[parts[-1]] = value


def validate(raw: dict, source: str = "<workflow>", text: str = "", limits: Limits | None = None) -> Workflow:
    """Validate a parsed workflow dict; see :func:`parse_workflow`."""
    limits = Limits() if limits is None else limits
    p = _Problems(source)
    for k in raw:
        if k not in TOP_KEYS:
            p.unknown(None, k, TOP_KEYS)

    model: Model | None = None
    if "model" not in raw:
        p.missing(None, "model", f"expected one of {', '.join(available())}")
    elif not isinstance(raw["model"], str) or raw["model"] not in available():
        p.add(None, "model", raw["model"], f"not registered; available: {', '.join(available())}")
    else:
        model = get_model(raw["model"])

    if "name" not in raw:
        p.missing(None, "name", "the sweep's name in the catalog")
    elif (why := name_problem(raw["name"])) is not None:
        p.add(None, "name", raw["name"], why)
    if "seed" not in raw:
        p.missing(None, "seed", "the workflow seed, an integer >= 0")
    elif not _is_int(raw["seed"]) or not 0 <= raw["seed"] < 2**63:
        p.add(None, "seed", raw["seed"], "expected an integer 0 <= seed < 2**63")
    if "description" in raw and not isinstance(raw["description"], str):
        p.add(None, "description", raw["description"], "expected a string")

    grid: dict[str, tuple] = {}
    g = raw.get("grid")
    if not isinstance(g, dict):
        p.missing(None, "grid", "a table [grid] with N, T and seeds") if g is None else p.add(
            None, "grid", g, "expected a table [grid]")
    else:
        params = model.params if model else ()
        allowed = (*GRID_KEYS, *(q.name for q in params), SUBSET_KEY)
        for k in g:
            if k not in allowed:
                p.unknown("grid", k, allowed)
        for k in GRID_KEYS:
            if k not in g:
                p.missing("grid", k)
        pending: dict[str, Any] = {}
        if "N" in g and (v := _check_N(g["N"], model, p)) is not None:
            pending["N"] = v
        if "T" in g and (v := _check_T(g["T"], p)) is not None:
            pending["T"] = v
        if "seeds" in g and (v := _check_seeds(g["seeds"], p)) is not None:
            pending["seed"] = v
        for q in params:
            if q.name in g:
                if (v := _check_param(q, g[q.name], p)) is not None:
                    pending[q.name] = v
            elif q.default is not None:
                pending[q.name] = tuple(q.default)
            else:
                p.missing("grid", q.name, q.doc)
        grid = _expand_grid(pending, g, limits, p)

    subsets = ()
    if isinstance(g, dict) and SUBSET_KEY in g and model is not None:
        subsets = _check_subsets(g[SUBSET_KEY], grid, model, p)

    if model is not None and model.constraints is not None and not p.items:
        for key, value, why in model.constraints(grid):
            section, _, name = key.rpartition(".")
            p.add(section or None, name, value, why)
    sampler = _check_sampler(raw, model, grid, p)
    run = _section(raw, "run", RunSettings, p, required=False)
    cluster = _section(raw, "cluster", ClusterSettings, p, required=False)
    for k in ("reduce", "plot"):
        if k in raw and not isinstance(raw[k], dict):
            p.add(None, k, raw[k], f"expected a table [{k}]")
    if model is not None and isinstance(raw.get("reduce", {}), dict):
        from pipeline.reduce import check_settings

        for line in check_settings(model.reductions, raw.get("reduce", {})):
            p.items.append(f"{p.source} {line}")
    p.raise_if_any()
    wf = Workflow(name=raw["name"], model=raw["model"], seed=raw["seed"],
                  description=raw.get("description", ""), grid=grid, subsets=subsets, sampler=sampler,
                  run=run, cluster=cluster, reduce=raw.get("reduce", {}), plot=raw.get("plot", {}),
                  source=source, text=text)
    _check_resources(wf, limits, p)
    p.raise_if_any()
    return wf


def _check_resources(wf: Workflow, limits: Limits, p: _Problems) -> None:
    """The largest unit's memory, then the sweep's cost, against ``limits``: the first one over is the
    problem (they grow together: N = 10**9 is too big in memory before it is in time)."""
    est = estimate(wf)
    s = wf.sampler
    if est.memory > limits.max_memory_bytes:
        what = max(est.memory_parts, key=est.memory_parts.get)
        unit = f"one ladder of {est.temperatures} temperatures" if est.temperatures > 1 else "one sample"
        at = ", ".join(f"{k} = {_fmt(v)}" for k, v in est.memory_at.items())
        src = "half this machine's memory; " if limits.memory_is_default else ""
        over = (f"needs ~{sci(est.memory)} bytes ({what}), above the limit of {sci(limits.max_memory_bytes)} "
                f"bytes ({src}raise it with --max-memory)")
        if what == MEASUREMENTS:
            p.add("sampler", "sweeps", s.sweeps, f"{unit} at {at} keeps {s.n_measurements} measurements "
                  f"(measure_every = {s.measure_every}): it {over}")
        else:
            p.add("grid", "N", list(wf.grid["N"]), f"{unit} at {at} {over}")
        return
    if est.cost > limits.max_cost:
        key = "thermalize" if s.thermalize > s.sweeps else "sweeps"
        points = f"{est.points} point{'s' if est.points != 1 else ''}"
        p.add("sampler", key, getattr(s, key), f"the sweep would cost ~{sci(est.cost)} work units (the model's "
              f"cost summed over its {points}), above the limit of {sci(limits.max_cost)} (raise it with "
              "--max-cost)")


def _check_sampler(raw: dict, model: Model | None, grid: dict[str, tuple], p: _Problems) -> SamplerSettings | None:
    """``[sampler]``: the algorithm (a registered sampler the model can serve) and that sampler's settings."""
    v = raw.get("sampler", {})
    if not isinstance(v, dict):
        p.add(None, "sampler", v, "expected a table [sampler]")
        return None
    algo = v.get("algorithm", DEFAULT_ALGORITHM)
    if not isinstance(algo, str) or algo not in available_samplers():
        p.add("sampler", "algorithm", algo, f"expected one of {', '.join(available_samplers())}")
        return None
    smp = get_sampler(algo)
    if model is not None and (why := smp.missing(model)) is not None:
        p.add("sampler", "algorithm", algo, f"model {model.name!r} cannot serve sampler {algo!r}: it lacks {why}")
        return None
    settings = _section({"sampler": {**v, "algorithm": algo}}, "sampler", smp.settings, p, required=False)
    if settings is None or model is None:
        return None
    opts = dict(model.sampler_options)
    for k, x in settings.options.items():
        if k not in opts:
            p.unknown("sampler.options", k, tuple(opts) or ("(none)",))
        elif (why := _param_why(opts[k], x)) is not None:
            p.add("sampler.options", k, x, why)
    merged = {k: q.default[0] for k, q in opts.items()} | dict(settings.options)
    settings = settings.model_copy(update={"options": merged})
    if settings.n_measurements < 2 * settings.bins:
        p.add("sampler", "sweeps", settings.sweeps,
              f"gives {settings.n_measurements} measurements (measure_every = {settings.measure_every}); "
              f"expected at least 2 x bins = {2 * settings.bins}")
    if smp.ladder:
        R = getattr(settings, "replicas", None)
        if R is not None and R != model.replicas and not callable(model.replicas):
            p.add("sampler", "replicas", R, f"model {model.name!r} measures {model.replicas} replica(s) per "
                  f"temperature; expected {model.replicas}")
        elif R is not None and callable(model.replicas):
            p.add("sampler", "replicas", R, f"model {model.name!r} sets its chains per temperature from each "
                  "disorder sample; expected no replicas key")
        if "T" in grid and len(grid["T"]) < 2:
            p.add("grid", "T", list(grid["T"]), f"sampler {algo!r} needs a ladder: expected at least 2 temperatures")
    return settings


def _check_subsets(raw: Any, grid: dict[str, tuple], model: Model, p: _Problems) -> tuple:
    """``[[grid.subset]]`` tables: each names grid values of some dimensions (not ``seed``)."""
    where = f"grid.{SUBSET_KEY}"
    if not isinstance(raw, list) or not raw or not all(isinstance(x, dict) for x in raw):
        p.add("grid", SUBSET_KEY, raw, "expected one or more [[grid.subset]] tables")
        return ()
    dims = tuple(d for d in model.dims if d != "seed")
    out = []
    for k, sub in enumerate(raw):
        label = f"{where}][{k}"
        checked: dict[str, tuple] = {}
        for key, v in sub.items():
            if key not in dims:
                p.unknown(label, key, dims)
                continue
            if key not in grid:
                continue  # the grid's own problem is reported already
            vals = v if isinstance(v, list) else [v]
            if isinstance(v, dict) and key == "T":
                r = _check_T(v, _Problems(p.source))
                if isinstance(r, TRange) and r.num > len(grid[key]):
                    p.add(label, key, v, f"{r.num} temperatures, more than [grid] T has ({len(grid[key])})")
                    continue
                vals = list(np.linspace(r.start, r.stop, r.num)) if isinstance(r, TRange) else []
            picked = []
            find = _finder(grid[key])
            for x in vals:
                hit = find(x)
                if hit is None:
                    p.add(label, key, v, f"{key} = {_fmt(x)} is not in [grid] {key} = {_fmt(list(grid[key]))}")
                    break
                picked.append(hit)
            else:
                if not picked:
                    p.add(label, key, v, "empty: expected at least one value of the grid")
                else:
                    checked[key] = tuple(dict.fromkeys(picked))
        out.append(checked)
    return tuple(out)


def _finder(values: tuple):
    """``find(x)``: the value of ``values`` (a grid axis) equal to ``x`` (numbers: within 1e-9 relative), or
    ``None``; O(log n) per look-up."""
    if values and isinstance(values[0], str):
        have = set(values)
        return lambda x: x if isinstance(x, str) and x in have else None
    order = np.argsort(np.asarray(values, dtype=float), kind="stable")
    arr = np.asarray(values, dtype=float)[order]

    def find(x):
        if not _is_num(x):
            return None
        x = float(x)
        i = int(np.searchsorted(arr, x))
        for j in (i - 1, i):
            if 0 <= j < arr.size and np.isclose(x, arr[j], rtol=1e-9, atol=1e-12):
                return values[order[j]]
        return None

    return find


def _section(raw: dict, key: str, cls: type[BaseModel], p: _Problems, required: bool):
    v = raw.get(key, {})
    if not isinstance(v, dict):
        p.add(None, key, v, f"expected a table [{key}]")
        return None
    lax = _lax_inputs(cls, v)
    for field, x, why in lax:
        p.add(key, field, x, why)
    try:
        out = cls.model_validate(v)
    except ValidationError as e:
        seen = {f for f, _, _ in lax}
        for err in e.errors():
            field = str(err["loc"][0]) if err["loc"] else key
            if field in seen:
                continue
            if err["type"] == "extra_forbidden":
                p.unknown(key, field, tuple(cls.model_fields))
            else:
                p.add(key, field, err.get("input"), _pydantic_why(err))
        return None
    return None if lax else out


def load_workflow(path: str | Path, overrides: list[str] | None = None,
                  limits: Limits | None = None) -> Workflow:
    """Read and validate a workflow file (see :func:`parse_workflow` for ``overrides`` and ``limits``).

    Raises
    ------
    SpecError
        If the file cannot be read (missing, a directory, not a regular file, over
        :data:`MAX_WORKFLOW_BYTES`, not UTF-8 text) or does not validate.
    """
    path = Path(path)
    text = read_workflow_text(path)
    return parse_workflow(text, source=_one_line(path.name, 200), overrides=overrides, limits=limits)


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def read_workflow_text(path: Path) -> str:
    """The text of a workflow file: a regular file of at most :data:`MAX_WORKFLOW_BYTES` of UTF-8 (a
    leading byte-order mark is dropped) without NUL bytes. Never blocks on a FIFO or reads a device."""
    shown = _one_line(repr(str(path)), 300)

    def fail(why: str):
        return SpecError(f"cannot read workflow {shown}: {why}")

    def kind(mode: int) -> str | None:
        if stat.S_ISREG(mode):
            return None
        return next((name for test, name in _KINDS if test(mode)), "not a regular file")

    try:
        st = os.stat(path)
        if (what := kind(st.st_mode)) is not None:
            raise fail(f"{what}, not a workflow file (a TOML text file)")
        if st.st_size > MAX_WORKFLOW_BYTES:
            raise fail(f"{st.st_size} bytes, above the limit of {MAX_WORKFLOW_BYTES // 2**20} MiB (workflow "
                       "files are small text files)")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as f:
            if (what := kind(os.fstat(f.fileno()).st_mode)) is not None:  # replaced since the stat
                raise fail(f"{what}, not a workflow file (a TOML text file)")
            data = f.read(MAX_WORKFLOW_BYTES + 1)
    except OSError as e:
        raise fail(e.strerror or type(e).__name__) from None
    if len(data) > MAX_WORKFLOW_BYTES:
        raise fail(f"more than {MAX_WORKFLOW_BYTES // 2**20} MiB (workflow files are small text files)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        hint = "; it starts with a UTF-16 byte-order mark: save it as UTF-8" if utf16 else ""
        raise fail(f"not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}{hint})") from None
    if (nul := text.find("\x00")) >= 0:
        raise fail(f"not a text file (a NUL byte at offset {len(text[:nul].encode())})")
    return text.removeprefix("\ufeff")
