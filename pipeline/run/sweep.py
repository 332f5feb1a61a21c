"""What a workflow's sweep looks like in the store: its layout and its attributes.

Built here, from the model and the sampler, when a sweep is created; the store keeps both and reads
them back (it never imports a model).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from pipeline.samplers import get_sampler
from pipeline.samplers.driver import N_WINDOWS, stored_variables
from pipeline.spec.workflow import Workflow
from pipeline.store import provenance
from pipeline.store.layout import Layout, Variable


def layout_for(wf: Workflow) -> Layout:
    """The store layout of ``wf``'s sweep: grid dims, per-point variables and the sampler's ladder variables."""
    model = wf.model_def
    sampler = get_sampler(wf.sampler.algorithm)
    dims = model.dims
    coords: dict[str, list] = {d: list(wf.grid[d]) for d in dims}
    coords["bin"] = list(range(wf.sampler.bins))
    attrs = {"T": {"long_name": "temperature", "units": "J/k_B"}, "N": {"long_name": "number of spins"},
             "bin": {"long_name": "measurement bin"},
             "seed": {"long_name": "independent sample index: its own quenched disorder (shared by every T) "
                                   "and thermal history" if model.disorder else
                                   "independent chain index (its own thermal history)"}}
    for o in model.observables:
        for d, vals in o.coords.items():
            coords[d] = [float(v) for v in np.asarray(vals)]
            attrs[d] = {"long_name": f"coordinate of {o.name} (bin centres)"}
    if model.windows:
        coords["window"] = list(range(N_WINDOWS))
        attrs["window"] = {"long_name": "logarithmic window of the measurements: w holds measurements "
                                        "n/2^(w+1) .. n/2^w (0: the last half)"}
    variables = {name: Variable(dims + extra, dtype, a) for name, (extra, dtype, a) in stored_variables(model).items()}
    if sampler.ladder:
        coords["T_pair"] = list(wf.grid["T"][:-1])
        attrs["T_pair"] = {"long_name": "lower temperature of a pair of neighbouring ladder temperatures",
                           "units": "J/k_B"}
        ladder_dims = tuple(d for d in dims if d != "T")
        for name, (extra, dtype, a) in sampler.ladder_variables.items():
            variables[name] = Variable(ladder_dims + extra, dtype, a, ladder=True)
    return Layout(dims=dims, n_outer=1 + len(model.outer_params), coords=coords, variables=variables,
                  coord_attrs=attrs)


def sweep_attrs(wf: Workflow) -> dict[str, Any]:
    """The group attributes of ``wf``'s sweep: specification, named recipes and provenance."""
    model = wf.model_def
    return {
        "spinsweep_sweep": wf.name,
        "model": wf.model,
        "model_doc": model.doc.strip().splitlines()[0],
        "sampler": wf.sampler.algorithm,
        "workflow_seed": str(wf.seed),
        "spec_hash": wf.spec_hash(),
        "spec": json.dumps(wf.spec_dict(), default=float),
        "workflow_text": wf.text,
        "workflow_source": wf.source,
        "reductions": json.dumps(list(model.reductions)),
        "plots": json.dumps(list(model.figures)),
        "reduce_settings": json.dumps(wf.reduce),
        "plot_settings": json.dumps(wf.plot),
        "conventions": "sigma_i = +-1, k_B = 1, T = 1/beta; intensive quantities per spin",
        "created": provenance.now(),
        "versions": json.dumps(provenance.versions()),
        "host": provenance.host(),
    }


def ladder_values(layout: Layout, ladder: dict[str, Any]) -> dict[str, Any]:
    """A ladder result with its pair arrays placed on the sweep's ``T_pair`` coordinate (NaN elsewhere)."""
    out = {}
    pairs = layout.coords.get("T_pair", [])
    for name in layout.ladder_variables():
        v = ladder[name]
        if "T_pair" in layout.variables[name].dims:
            arr = np.full(len(pairs), np.nan)
            for T, x in zip(ladder["T_pair"], v, strict=True):
                arr[int(np.argmin(np.abs(np.asarray(pairs) - T)))] = x
            v = arr
        out[name] = v
    return out
