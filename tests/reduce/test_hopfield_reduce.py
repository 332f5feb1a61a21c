"""Hopfield reduction on synthetic catalog-layout datasets with planted boundaries."""

import json

import numpy as np
import pytest
import xarray as xr

from pipeline.errors import ReductionError
from pipeline.reduce.hopfield import (
    FORMS,
    alpha_c_T0,
    extrapolate_alpha_c,
    reduce_hopfield,
    retrieval_line,
    spin_glass_line,
)

AC, A1 = 0.138, 0.25  # planted alpha_M(N) = AC + A1 N^-1/2


def planted_alpha(N):
    return AC + A1 / np.sqrt(N)


def synth(N=(500, 1000, 2000, 4000), alpha=(0.05, 0.1, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.2),
          T=(0.05, 1.1, 1.2, 1.3, 1.4, 1.5), seeds=64, width=0.004, q_noise=0.05, n_bins=4, rng=1):
    """Catalog-layout dataset: retrieval planted at planted_alpha(N) (each seed's own threshold
    alpha_M(N) + width * logistic noise) at T < 0.5 from pattern starts; N^(2/3) q2 crossing at
    T_g = 1 + sqrt(alpha) from random starts."""
    rng = np.random.default_rng(rng)
    N, alpha, T = (np.asarray(v, float) for v in (N, alpha, T))
    shape = (N.size, alpha.size, T.size, seeds, 2)
    m = np.full(shape, 0.05)
    q2 = np.zeros(shape)
    z = rng.logistic(size=(N.size, alpha.size, seeds))
    thr = planted_alpha(N)[:, None, None] + width * z  # (nN, na, ns)
    keep = alpha[None, :, None] < thr
    for iT, t in enumerate(T):
        if t < 0.5:
            m[:, :, iT, :, 0] = np.where(keep, 0.97, 0.2)
        Tg = 1 + np.sqrt(alpha)[None, :, None]
        x = (t - Tg) * N[:, None, None] ** (1 / 3)
        f = np.log1p(np.exp(-3 * x)) + 0.5 * np.exp(-0.5 * x)  # decreasing: N^(2/3) q2 grows with N below T_g
        noise = 1 + q_noise * rng.standard_normal((N.size, alpha.size, seeds))
        q2[:, :, iT, :, 1] = N[:, None, None] ** (-2 / 3) * f * noise
    m_bins = np.repeat(m[..., None], n_bins, axis=-1)
    q2_bins = np.repeat(q2[..., None], n_bins, axis=-1)
    dims = ("N", "alpha", "T", "seed", "init")
    return xr.Dataset(
        {"m": (dims, m), "m_bins": (dims + ("bin",), m_bins), "q2": (dims, q2), "q2_bins": (dims + ("bin",), q2_bins)},
        coords={"N": N.astype(int), "alpha": alpha, "T": T, "seed": np.arange(seeds), "init": ["pattern", "random"],
                "bin": np.arange(n_bins)},
    )


@pytest.fixture(scope="module")
def ds():
    return synth()


def test_retrieval_line_finds_planted_alpha_M(ds):
    pts = retrieval_line(ds, T=0.05, n_boot=200)
    assert [p.N for p in pts] == [500, 1000, 2000, 4000]
    for p in pts:
        assert abs(p.alpha - planted_alpha(p.N)) < 3 * p.err + 0.002
        assert 0 < p.err < 0.01
        assert p.fraction[0] == 1.0 and p.fraction[-1] == 0.0


def test_retrieval_line_mean_criterion(ds):
    pts = retrieval_line(ds, T=0.05, criterion="mean", threshold=0.5, n_boot=100)
    for p in pts:
        assert abs(p.alpha - planted_alpha(p.N)) < 0.01


def test_extrapolation_exact_form_recovers_alpha_c():
    N = np.array([500.0, 1000, 2000, 4000, 8000])
    a = planted_alpha(N)
    ex = extrapolate_alpha_c(N, a, np.full(N.size, 1e-4), forms=["N^-1/2"])
    assert ex["value"] == pytest.approx(AC, abs=1e-9)
    assert ex["forms"]["N^-1/2"]["chi2"] == pytest.approx(0, abs=1e-12)
    # wrong forms disagree: their spread enters the error
    ex3 = extrapolate_alpha_c(N, a, np.full(N.size, 1e-4), forms=["N^-1/2", "N^-1", "N^-1/2+N^-1"])
    vals = [f["value"] for f in ex3["forms"].values()]
    assert ex3["err_sys"] == pytest.approx(0.5 * np.ptp(vals))
    assert ex3["err"] >= ex3["err_sys"]
    assert abs(ex3["value"] - AC) <= 2 * ex3["err"]


def test_extrapolation_skips_forms_without_dof():
    N = np.array([500.0, 1000, 2000])
    ex = extrapolate_alpha_c(N, planted_alpha(N), np.full(3, 1e-3), forms=["N^-1/2", "N^-1/2+N^-1"])
    assert "N^-1/2+N^-1" in ex["skipped"] and "N^-1/2" in ex["forms"]


def test_extrapolation_with_bootstrap_samples():
    rng = np.random.default_rng(3)
    N = np.array([500.0, 1000, 2000, 4000])
    a = planted_alpha(N)
    S = a[None] + 0.002 * rng.standard_normal((300, N.size))
    ex = extrapolate_alpha_c(N, a, np.full(N.size, 0.002), S, forms=["N^-1/2"])
    # analytic error of the intercept for equal errors
    X = np.column_stack([np.ones(4), N**-0.5])
    sig = 0.002 * np.sqrt(np.linalg.inv(X.T @ X)[0, 0])
    assert ex["forms"]["N^-1/2"]["err"] == pytest.approx(sig, rel=0.2)


def test_spin_glass_line_finds_planted_Tg(ds):
    res = spin_glass_line(ds, alphas=[0.05, 0.1], T_window=(1.0, 1.6), n_boot=100)
    for r in res:
        assert r["theory"] == pytest.approx(1 + np.sqrt(r["alpha"]))
        assert abs(r["value"] - r["theory"]) < 0.02
        assert r["err"] < 0.05
        assert len(r["crossings"]) == 3


def test_reduce_hopfield_json(ds):
    out = reduce_hopfield(ds, {"Tg_alpha": [0.05, 0.1], "n_boot": 100})
    s = json.dumps({k: out[k] for k in ("alpha_c", "T_g", "T_M", "sizes")})
    back = json.loads(s)
    assert set(back["alpha_c"]) >= {"value", "err"}
    assert abs(out["alpha_c"]["value"] - 0.1379) < 0.01
    assert abs(out["alpha_c"]["value"] - 0.1379) <= 2 * out["alpha_c"]["err"] + 1e-3
    assert [g["alpha"] for g in back["T_g"]] == [0.05, 0.1]
    assert all({"alpha", "value", "err"} <= set(g) for g in back["T_g"])
    assert back["T_M"][0]["T"] == 0.05 and {"T", "alpha", "err"} <= set(back["T_M"][0])
    assert back["sizes"] == [500, 1000, 2000, 4000]
    assert "logistic" in out["method"]["retrieval"]
    json.dumps(out)  # everything JSON-ready


def test_rs_correction():
    from pipeline.theory.hopfield_rs import alpha_M

    r = alpha_c_T0([0.1], [0.1351], [0.002], method="rs")
    assert r["value"] == pytest.approx(0.1351 + alpha_M(0.0) - alpha_M(0.1))
    assert r["err"] > 0.002
    lin = alpha_c_T0([0.05, 0.1], [0.137, 0.135], [0.001, 0.001], method="linear")
    assert lin["value"] == pytest.approx(0.139)
    with pytest.raises(ReductionError, match="at least 2 retrieval temperatures"):
        alpha_c_T0([0.1], [0.135], [0.001], method="linear")


# ----------------------------------------------------------------------------------------- refusals


def test_refuses_alpha_grid_not_bracketing(ds):
    small = ds.sel(alpha=[0.05, 0.1, 0.12, 0.13])  # N = 500 still retains at 0.13
    with pytest.raises(ReductionError, match=r"does not bracket the retrieval loss at N=500.*extend the alpha grid"):
        retrieval_line(small, T=0.05)


def test_refuses_missing_init(ds):
    with pytest.raises(ReductionError, match="needs init = 'pattern'"):
        retrieval_line(ds.sel(init=["random"]), T=0.05)


def test_refuses_few_alphas(ds):
    with pytest.raises(ReductionError, match="at least 3 alpha values"):
        retrieval_line(ds.sel(alpha=[0.1, 0.2]), T=0.05)


def test_refuses_one_size():
    with pytest.raises(ReductionError, match="at least 2 sizes"):
        extrapolate_alpha_c([1000], [0.14], [0.001])
    with pytest.raises(ReductionError, match="no finite-size form"):
        extrapolate_alpha_c([500, 1000], [0.15, 0.145], [0.001, 0.001], forms=["N^-1/2+N^-1"])
    with pytest.raises(ReductionError, match="unknown form"):
        extrapolate_alpha_c([500, 1000, 2000], [0.15, 0.145, 0.14], [0.001] * 3, forms=["log"])


def test_refuses_T_grid_not_bracketing_Tg(ds):
    with pytest.raises(ReductionError, match=r"do not cross inside T = \[1.3, 1.5\].*bracket T_g"):
        spin_glass_line(ds, alphas=[0.05], T_window=(1.25, 1.6))


def test_refuses_unknown_setting_and_missing_retrieval_T(ds):
    with pytest.raises(ReductionError, match="unknown setting"):
        reduce_hopfield(ds, {"treshold": 0.5})
    with pytest.raises(ReductionError, match="no retrieval temperature"):
        reduce_hopfield(ds.sel(T=[1.1, 1.2, 1.3]))


def test_known_forms():
    assert FORMS["N^-1/2"] == (0.5,) and FORMS["N^-1/2+N^-1"] == (0.5, 1.0)


def test_spin_glass_line_largest_pair_and_errors(ds):
    res = spin_glass_line(ds, alphas=[0.1], estimate="largest", n_boot=100)
    r = res[0]
    assert r["value"] == r["crossings"][-1]["T"]
    assert r["err"] == pytest.approx(np.hypot(r["err_stat"], r["err_sys"]))
    assert abs(r["value"] - r["theory"]) < 0.03
    with pytest.raises(ReductionError, match="estimate = 'median'"):
        spin_glass_line(ds, alphas=[0.1], estimate="median")


def test_spin_glass_line_refusals(ds):
    with pytest.raises(ReductionError, match="at least 2 sizes"):
        spin_glass_line(ds, sizes=[1000])
    with pytest.raises(ReductionError, match="alpha = 0.3 is not in the sweep"):
        spin_glass_line(ds, alphas=[0.3])
    with pytest.raises(ReductionError, match="needs the two-replica overlap moment 'q2'"):
        spin_glass_line(ds.drop_vars(["q2", "q2_bins"]))


def test_retrieval_refuses_unfinished_points(ds):
    d = ds.copy(deep=True)
    d["m_bins"][0, 3, 0, 0, 0, -1] = np.nan
    with pytest.raises(ReductionError, match="missing .*finish the sweep"):
        retrieval_line(d, T=0.05, n_boot=10)


def _subsets(ds):
    """NaN (not run) outside two sub-grids: pattern starts at T = 0.05 for alpha >= 0.1; random starts at
    T >= 1 for alpha <= 0.12 and N <= 2000 (as a workflow with [[grid.subset]] tables stores it)."""
    d = ds.copy(deep=True)
    A, T = d["alpha"], d["T"]
    run_p = (d["init"] == "pattern") & (T < 0.5) & (A >= 0.1)
    run_r = (d["init"] == "random") & (T > 0.5) & (A <= 0.12) & (d["N"] <= 2000)
    run = run_p | run_r
    for v in ("m", "m_bins", "q2", "q2_bins"):
        d[v] = d[v].where(run)
    d["done"] = run.broadcast_like(d["m"])
    return d


def test_reduce_skips_points_outside_subsets(ds):
    d = _subsets(ds)
    out = reduce_hopfield(d, {"n_boot": 50})
    assert [g["alpha"] for g in out["T_g"]] == [0.05, 0.1, 0.12]
    assert all(len(g["crossings"]) == 2 for g in out["T_g"])  # N = 500/1000, 1000/2000: no random runs at 4000
    assert sorted({p["N"] for p in out["per_size"]["T_M"]}) == [500, 1000, 2000, 4000]
    pts = out["per_size"]["T_M"]
    assert all(c["alpha"][0] == 0.1 for c in out["retrieval_curves"])
    for p in pts:
        assert abs(p["alpha"] - planted_alpha(p["N"])) < 0.01
    # a point that was requested but is not done is refused
    d2 = d.copy(deep=True)
    d2["done"][0, 4, 0, 0, 0] = False
    with pytest.raises(ReductionError, match=r"alpha = \[0.14\] have missing points"):
        reduce_hopfield(d2, {"n_boot": 10})


def test_summary_text_and_dataset(ds):
    from pipeline.reduce.hopfield import reduction_dataset, summary_text

    out = reduce_hopfield(ds, {"Tg_alpha": [0.05, 0.1], "n_boot": 50})
    txt = summary_text(out)
    assert "alpha_c (T -> 0)" in txt and "T_g (alpha = 0.05)" in txt
    red = reduction_dataset(out)
    assert float(red["alpha_c"]) == out["alpha_c"]["value"]
    assert red.sizes["pair"] == 6 and red.sizes["point"] == 4
    assert list(red["alpha_sg"].values) == [0.05, 0.1]


@pytest.mark.parametrize("name", ["hopfield_phase_diagram", "hopfield_phase_diagram_full"])
def test_shipped_workflows_reduce_settings_are_known(name):
    from pathlib import Path

    from pipeline.reduce.hopfield import DEFAULTS
    from pipeline.spec.workflow import load_workflow

    wf = load_workflow(Path(__file__).parents[2] / "workflows" / f"{name}.toml")
    assert set(wf.reduce) <= set(DEFAULTS)
    for a in wf.reduce["Tg_alpha"]:
        assert a in wf.grid["alpha"]
    for t in wf.reduce["T_retrieval"]:
        assert t in wf.grid["T"]


def test_run_length_check_finds_planted_drift(ds):
    """Early bins retain up to a load 0.01 higher (planted): the check reports end - early = -0.01 per
    size within its paired bootstrap error, and the same value where nothing drifts is exactly 0."""
    d = ds.copy(deep=True)
    rng = np.random.default_rng(7)
    N = d["N"].values.astype(float)
    thr = planted_alpha(N)[:, None, None] + 0.01 + 0.004 * rng.logistic(size=(N.size, d.sizes["alpha"], d.sizes["seed"]))
    early = np.where(d["alpha"].values[None, :, None] < thr, 0.97, 0.2)
    iT = int(np.argmin(abs(d["T"].values - 0.05)))
    d["m_bins"][:, :, iT, :, 0, :2] = early[..., None]
    out = reduce_hopfield(d, {"Tg_alpha": [0.05], "n_boot": 200, "T_retrieval": [0.05], "check_end_bin": 1})
    rl = out["run_length"]
    assert rl["end_bin"] == 1 and len(rl["per_size"]) == 4
    for p in rl["per_size"]:
        # paired error is the relevant one; 4 sigma + the logistic fit's small bias on a 0.01 grid step
        assert abs(p["diff"] + 0.01) < 4 * p["err"] + 0.002, p
        assert p["err"] > 0
    assert abs(rl["T_M_early"][0]["alpha"] - out["T_M"][0]["alpha"] - 0.01) < 0.006
    same = reduce_hopfield(ds, {"Tg_alpha": [0.05], "n_boot": 50, "T_retrieval": [0.05], "check_end_bin": 3})
    assert all(p["diff"] == 0 and p["err"] == 0 for p in same["run_length"]["per_size"])
    assert "run-length check" in __import__("pipeline.reduce.hopfield", fromlist=["x"]).summary_text(same)


def test_run_length_check_out_of_range_is_reported_not_fatal(ds):
    out = reduce_hopfield(ds, {"Tg_alpha": [0.05], "n_boot": 50, "T_retrieval": [0.05], "check_end_bin": 9})
    assert "stores bins 0 ... 3" in out["run_length"]["error"]
    assert out["T_M"][0]["alpha"] > 0  # the reduction itself is unaffected
