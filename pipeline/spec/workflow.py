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
carries ``points_per_task``. Validation happens here, before anything is scheduled or written.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import SpecError
from pipeline.models import Model, available, get_model
from pipeline.samplers import SamplerSettings, get_sampler
from pipeline.samplers import available as available_samplers

DEFAULT_ALGORITHM = "metropolis"

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


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
    reduce: dict[str, Any] = Field(default_factory=dict)
    plot: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(default="", exclude=True)
    text: str = Field(default="", exclude=True)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError("expected a non-empty name of letters, digits, '_', '-', '.' (it names the "
                             "catalog group)")
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
        for sub in self.subsets:
            idx = [np.array([self.grid[d].index(v) for v in sub[d]]) if d in sub else np.arange(len(self.grid[d]))
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


TOP_KEYS = ("name", "model", "seed", "description", "grid", "sampler", "run", "reduce", "plot")
GRID_KEYS = ("N", "T", "seeds")
SUBSET_KEY = "subset"


def _fmt(v: Any) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        s = "[" + ", ".join(_fmt(x) for x in v[:8]) + (", ..." if len(v) > 8 else "") + "]"
        return s
    return str(v).lower() if isinstance(v, bool) else repr(v)


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

    def raise_if_any(self) -> None:
        if self.items:
            raise SpecError("\n".join(self.items))


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


def _check_T(v: Any, p: _Problems) -> tuple | None:
    if isinstance(v, dict):
        try:
            r = TRange.model_validate(v)
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            p.add("grid", "T", v, f"T.{loc}: {_pydantic_why(err)}; expected {{start, stop, num}}")
            return None
        v = [float(x) for x in np.linspace(r.start, r.stop, r.num)]
    elif _is_num(v):
        v = [float(v)]
    if not isinstance(v, list) or not all(_is_num(x) for x in v):
        p.add("grid", "T", v, "expected a list of temperatures > 0 or {start, stop, num}")
        return None
    if not v:
        p.add("grid", "T", v, "empty grid: expected at least one temperature T > 0")
        return None
    bad = [x for x in v if not (np.isfinite(x) and x > 0)]
    if bad:
        p.add("grid", "T", v, f"T = {bad[0]!r} is not allowed: expected temperatures T > 0")
        return None
    if len(set(v)) != len(v):
        p.add("grid", "T", v, "expected distinct temperatures")
        return None
    return tuple(sorted(float(x) for x in v))


def _check_seeds(v: Any, p: _Problems) -> tuple | None:
    if not _is_int(v) or v < 1:
        p.add("grid", "seeds", v, "expected an integer >= 1 (the number of independent samples)")
        return None
    return tuple(range(v))


def _check_param(param, v: Any, p: _Problems) -> tuple | None:
    vals = v if isinstance(v, list) else [v]
    if not vals:
        p.add("grid", param.name, v, f"empty grid: expected at least one value, {param.allowed()}")
        return None
    for x in vals:
        why = param.check(x)
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


def parse_workflow(text: str, source: str = "<workflow>", overrides: list[str] | None = None) -> Workflow:
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
        raise SpecError(f"{source}: malformed TOML at {where}: {reason}") from None
    for ov in overrides or []:
        _apply_override(raw, ov)
    return validate(raw, source=source, text=text)


def _apply_override(raw: dict, ov: str) -> None:
    if "=" not in ov:
        raise SpecError(f"--set {ov!r}: expected key=value, e.g. sampler.sweeps=2000")
    key, val = (s.strip() for s in ov.split("=", 1))
    try:
        value = tomllib.loads(f"v = {val}")["v"]
    except tomllib.TOMLDecodeError:
        value = val
    parts = key.split(".")
    d = raw
    for part in parts[:-1]:
        d = d.setdefault(part, {})
        if not isinstance(d, dict):
            raise SpecError(f"--set {ov!r}: {part!r} is not a table")
    d[parts[-1]] = value


def validate(raw: dict, source: str = "<workflow>", text: str = "") -> Workflow:
    """Validate a parsed workflow dict; see :func:`parse_workflow`."""
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
    elif not isinstance(raw["name"], str) or not NAME_RE.match(raw["name"]):
        p.add(None, "name", raw["name"], "expected a non-empty name of letters, digits, '_', '-', '.'")
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
        if "N" in g and (v := _check_N(g["N"], model, p)) is not None:
            grid["N"] = v
        if "T" in g and (v := _check_T(g["T"], p)) is not None:
            grid["T"] = v
        if "seeds" in g and (v := _check_seeds(g["seeds"], p)) is not None:
            grid["seed"] = v
        for q in params:
            if q.name in g:
                if (v := _check_param(q, g[q.name], p)) is not None:
                    grid[q.name] = v
            elif q.default is not None:
                grid[q.name] = tuple(q.default)
            else:
                p.missing("grid", q.name, q.doc)

    subsets = ()
    if isinstance(g, dict) and SUBSET_KEY in g and model is not None:
        subsets = _check_subsets(g[SUBSET_KEY], grid, model, p)

    if model is not None and model.constraints is not None and not p.items:
        for key, value, why in model.constraints(grid):
            section, _, name = key.rpartition(".")
            p.add(section or None, name, value, why)
    sampler = _check_sampler(raw, model, grid, p)
    run = _section(raw, "run", RunSettings, p, required=False)
    for k in ("reduce", "plot"):
        if k in raw and not isinstance(raw[k], dict):
            p.add(None, k, raw[k], f"expected a table [{k}]")
    if model is not None and isinstance(raw.get("reduce", {}), dict):
        from pipeline.reduce import check_settings

        for line in check_settings(model.reductions, raw.get("reduce", {})):
            p.items.append(f"{p.source} {line}")
    p.raise_if_any()
    return Workflow(name=raw["name"], model=raw["model"], seed=raw["seed"],
                    description=raw.get("description", ""), grid=grid, subsets=subsets, sampler=sampler,
                    run=run, reduce=raw.get("reduce", {}), plot=raw.get("plot", {}),
                    source=source, text=text)


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
        elif (why := opts[k].check(x)) is not None:
            p.add("sampler.options", k, x, why)
    merged = {k: q.default[0] for k, q in opts.items()} | dict(settings.options)
    settings = settings.model_copy(update={"options": merged})
    if settings.n_measurements < 2 * settings.bins:
        p.add("sampler", "sweeps", settings.sweeps,
              f"gives {settings.n_measurements} measurements (measure_every = {settings.measure_every}); "
              f"expected at least 2 x bins = {2 * settings.bins}")
    if smp.ladder:
        R = getattr(settings, "replicas", None)
        if R is not None and R != model.replicas:
            p.add("sampler", "replicas", R, f"model {model.name!r} measures {model.replicas} replica(s) per "
                  f"temperature; expected {model.replicas}")
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
                vals = _check_T(v, _Problems(p.source)) or []
            picked = []
            for x in vals:
                hit = [g for g in grid[key] if (x == g if isinstance(g, str) or isinstance(x, str)
                                                 else np.isclose(float(x), float(g), rtol=1e-9, atol=1e-12))]
                if not hit:
                    p.add(label, key, v, f"{key} = {_fmt(x)} is not in [grid] {key} = {_fmt(list(grid[key]))}")
                    break
                picked.append(hit[0])
            else:
                if not picked:
                    p.add(label, key, v, "empty: expected at least one value of the grid")
                else:
                    checked[key] = tuple(dict.fromkeys(picked))
        out.append(checked)
    return tuple(out)


def _section(raw: dict, key: str, cls: type[BaseModel], p: _Problems, required: bool):
    v = raw.get(key, {})
    if not isinstance(v, dict):
        p.add(None, key, v, f"expected a table [{key}]")
        return None
    try:
        return cls.model_validate(v)
    except ValidationError as e:
        for err in e.errors():
            field = str(err["loc"][0]) if err["loc"] else key
            if err["type"] == "extra_forbidden":
                p.unknown(key, field, tuple(cls.model_fields))
            else:
                p.add(key, field, err.get("input"), _pydantic_why(err))
        return None


def load_workflow(path: str | Path, overrides: list[str] | None = None) -> Workflow:
    """Read and validate a workflow file.

    Raises
    ------
    SpecError
        If the file cannot be read or does not validate.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise SpecError(f"cannot read workflow {str(path)!r}: {e.strerror}") from None
    return parse_workflow(text, source=path.name, overrides=overrides)
