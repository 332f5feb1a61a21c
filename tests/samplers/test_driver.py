"""The driver's stored statistics: array observables (Hopfield's P(q)) beside the scalar ones."""

from __future__ import annotations

import numpy as np

from pipeline.models import get_model
from pipeline.models.hopfield import Q_CENTRES
from pipeline.samplers import make_settings
from pipeline.samplers.driver import run_point, stored_variables

HOP = get_model("hopfield")


def test_P_q_is_declared_over_q_and_its_moments_match_q2_and_q_abs():
    """Σ_q q² P(q) and Σ_q |q| P(q) of the stored histogram against the stored q2 and q_abs of the same chains.

    Both come from the same measurements; they differ only by the binning of q (51 centres, width
    w = 0.04). Tolerance: 3 standard errors of q2 (q_abs) plus the largest error the binning can make,
    Σ_c P_c max_{q in bin c} |q² − q_c²| = Σ_c P_c (w|q_c| + w²/4) (and Σ_c P_c w/2 for |q|), a bound, not
    a statistical estimate; it is computed from the histogram itself, so a wrong histogram fails.
    """
    var = stored_variables(HOP)
    assert var["P_q"][0] == ("q",) and var["P_q_err"][0] == ("q",) and "P_q_bins" not in var
    w = float(Q_CENTRES[1] - Q_CENTRES[0])
    assert Q_CENTRES[0] == -1 and Q_CENTRES[-1] == 1 and Q_CENTRES[Q_CENTRES.size // 2] == 0
    smp = make_settings("metropolis", thermalize=300, sweeps=3000, bins=16, options={"noise": 0.2})
    for coords in ({"N": 60, "alpha": 0.1, "T": 0.4, "seed": 1, "init": "random"},    # glassy: broad P(q)
                   {"N": 60, "alpha": 0.1, "T": 1.6, "seed": 2, "init": "random"},    # paramagnet: narrow
                   {"N": 100, "alpha": 0.05, "T": 0.3, "seed": 0, "init": "pattern"}):  # retrieval: q near ±1
        res = run_point(HOP, coords, smp, 9)
        P = res["P_q"]
        assert P.shape == Q_CENTRES.shape and abs(P.sum() - 1) < 1e-12 and np.all(res["P_q_err"] >= 0)
        q2 = float((Q_CENTRES**2 * P).sum())
        qa = float((np.abs(Q_CENTRES) * P).sum())
        bound2 = float((P * (w * np.abs(Q_CENTRES) + w**2 / 4)).sum())
        assert abs(q2 - res["q2"]) < 3 * res["q2_err"] + bound2, (coords, q2, res["q2"], res["q2_err"], bound2)
        assert abs(qa - res["q_abs"]) < 3 * res["q_abs_err"] + w / 2, (coords, qa, res["q_abs"])


def test_P_q_opens_with_plain_xarray(tmp_path, client):
    """Through the pipeline: P_q is a variable over the q coordinate that plain xarray.open_zarr reads."""
    import textwrap

    import xarray as xr

    from pipeline.run.graph import run_workflow
    from pipeline.spec.workflow import load_workflow
    from pipeline.store.catalog import Catalog

    path = tmp_path / "h.toml"
    path.write_text(textwrap.dedent("""
        name = "h"
        model = "hopfield"
        seed = 3
        [grid]
        N = [40]
        alpha = [0.1]
        T = [0.5, 1.5]
        seeds = 2
        init = ["random"]
        [sampler]
        thermalize = 50
        sweeps = 400
        bins = 8
    """))
    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(load_workflow(path), cat, client, progress=False)
    ds = xr.open_zarr(str(tmp_path / "c.zarr"), group="h")
    assert ds["P_q"].dims == ("N", "alpha", "T", "seed", "init", "q")
    np.testing.assert_allclose(ds["q"].values, Q_CENTRES)
    np.testing.assert_allclose(ds["P_q"].sum("q").values, 1.0)
    q2 = (ds["q"] ** 2 * ds["P_q"]).sum("q")
    assert float(abs(q2 - ds["q2"]).max()) < 0.01


def test_log_windows_cover_doubling_windows_from_the_end():
    """Window w holds measurements n/2^(w+1) .. n/2^w: the last half, the quarter before it, ..."""
    from pipeline.samplers.driver import log_windows

    x = np.repeat([4.0, 3.0, 2.0, 1.0], [64, 64, 128, 256])  # n = 512: windows [256:], [128:256], [64:128], [32:64]
    m, e, k = log_windows(x)
    assert np.allclose(m, [1.0, 2.0, 3.0, 4.0]) and np.allclose(e, 0) and list(k) == [16, 16, 16, 16]


def test_deliberately_short_runs_are_flagged_and_long_ones_pass():
    """Must-show 2: an SK ladder at N = 256 down to T = 0.3 with no thermalisation and 100 sweeps still relaxes
    (q^2 rising from its random start, energy falling) and its lowest point is flagged by the log-binning
    check; the same ladder after 4000 thermalising sweeps, 6000 measured, passes at every T. The
    disorder-level check of the reduction catches milder cases (tests/reduce/test_sk.py)."""
    from pipeline.models import get_model
    from pipeline.samplers import get_sampler
    from pipeline.samplers.driver import run_unit

    model, pt = get_model("sk"), get_sampler("parallel_tempering")
    cl = [{"N": 256, "T": T, "seed": 0, "couplings": "gaussian"} for T in (0.3, 0.4, 0.5, 0.65, 0.8, 1.0)]
    short = make_settings("parallel_tempering", thermalize=0, sweeps=100, bins=16)
    _, pts, _ = run_unit(model, pt, cl, short, 1)
    assert not pts[0]["equilibrated"]
    long = make_settings("parallel_tempering", thermalize=4000, sweeps=6000, measure_every=2, bins=16)
    _, pts, _ = run_unit(model, pt, cl, long, 1)
    assert all(p["equilibrated"] for p in pts)
