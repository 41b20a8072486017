"""Published evaluations re-run on the book's data: estimators, the two designs, and what the page shows.

Estimators (tested on hand-made panels in tests/test_evaluations.py):
    ratio_of_ratios   the difference-in-differences ratio of four counts, (T_after/T_before)/(C_after/C_before),
                      with the 95% interval of a Poisson model (log scale, variance = sum of 1/count).
    poisson_did       Poisson regression of counts on area and period fixed effects and a treatment indicator
                      (staggered adoption allowed); exp(coefficient) with a 95% interval whose standard error is
                      robust to over-dispersion and to correlation within an area (clustered by area).
For one treated group and two periods both give the same ratio; the intervals differ: the Poisson interval
assumes each count is Poisson, the clustered one lets areas vary more than that.

Designs:
    metrocable_panel  barrios of the comunas served by Metrocable line K against barrios of the urban comunas
                      no cable line serves (data/evaluations.yml), years from the cleaned MEData records.
    upp_panel         each UPP area by month, treated from the month after its installation, against the rest of
                      the city (all police districts minus all UPP areas) and the areas not yet covered.
    quadrants_panel   a coarse city-level design: the plan's first-phase cities against Colombia's other
                      departmental capitals, annual Police counts, a window of years before and after the start year.
Counts, not rates: the sources give no population for barrios or UPP areas by year, so the ratios compare counts
and equal rate ratios only if populations changed alike in both groups.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .paths import DATA

SPEC_FILE = DATA / "evaluations.yml"
Z95 = 1.959963984540054


@dataclass
class Estimate:
    ratio: float
    low: float
    high: float
    method: str
    n_obs: int = 0
    n_units: int = 0
    n_treated: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def percent(self) -> float:
        return (self.ratio - 1) * 100

    def excludes_one(self) -> bool:
        return self.high < 1 or self.low > 1


def load_spec(path: Path = SPEC_FILE) -> dict:
    with open(path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    for key, ev in spec.items():
        for p in ev.get("published", []):
            for need in ("study", "citation", "citation_url"):
                if not p.get(need):
                    raise ValueError(f"{path.name}: {key}: a published study without {need}")
            if p.get("estimate") is None and not p.get("note"):
                raise ValueError(f"{path.name}: {key}: {p['study']} has no estimate and no note saying why")
            if p.get("estimate") is not None and p.get("scale") not in SCALES:
                raise ValueError(f"{path.name}: {key}: {p['study']}: scale must be one of {', '.join(SCALES)}, "
                                 f"not {p.get('scale')!r}")
            if bool(p.get("via")) != bool(p.get("via_url")):
                raise ValueError(f"{path.name}: {key}: {p['study']}: a summary needs both via and via_url")
    return spec


SCALES = ("ratio", "percent", "excess_without")


def published_ratio(p: dict) -> tuple[float, float, float]:
    """A published figure (and its interval, NaN where none is reported) as a ratio, read by its `scale`:
    a ratio as it is; a percentage change p as 1 + p/100; 'x% higher without the intervention' as 1 / (1 + x/100)."""
    def conv(v):
        if v is None:
            return math.nan
        v = float(v)
        return {"ratio": v, "percent": 1 + v / 100, "excess_without": 1 / (1 + v / 100)}[p["scale"]]

    if p.get("estimate") is None:
        return math.nan, math.nan, math.nan
    lo, hi = (p.get("interval") or [None, None])
    a, b = conv(lo), conv(hi)
    # 'x% higher without' turns the interval around
    return conv(p["estimate"]), min(a, b), max(a, b)


# --------------------------------------------------------------------------- estimators
def ratio_of_ratios(t_before: int, t_after: int, c_before: int, c_after: int) -> Estimate:
    """(t_after/t_before) / (c_after/c_before) with a Poisson (Wald, log-scale) 95% interval."""
    counts = [t_before, t_after, c_before, c_after]
    if min(counts) <= 0:
        return Estimate(math.nan, math.nan, math.nan, "ratio of ratios (a count is zero)")
    log_r = math.log(t_after) - math.log(t_before) - math.log(c_after) + math.log(c_before)
    se = math.sqrt(sum(1 / k for k in counts))
    return Estimate(math.exp(log_r), math.exp(log_r - Z95 * se), math.exp(log_r + Z95 * se),
                    "ratio of ratios, Poisson 95% interval", n_obs=4, extra={"counts": counts})


def _twfe_fit(y, ui, ti, d, *, tol: float = 1e-12, max_iter: int = 5000):
    """Poisson MLE of log mu = alpha[unit] + gamma[period] + beta * d (d binary) by exact coordinate updates:
    each step solves its own score equation (sum of y = sum of mu over the unit, the period, the treated cells)."""
    nu, nt = ui.max() + 1, ti.max() + 1
    a, g, beta = np.log(np.bincount(ui, y, nu) / np.bincount(ui, minlength=nu)), np.zeros(nt), 0.0
    yu, yt, yd = np.bincount(ui, y, nu), np.bincount(ti, y, nt), y[d == 1].sum()
    for _ in range(max_iter):
        old = beta
        a += np.log(yu / np.bincount(ui, np.exp(a[ui] + g[ti] + beta * d), nu))
        g += np.log(yt / np.bincount(ti, np.exp(a[ui] + g[ti] + beta * d), nt))
        beta += math.log(yd / np.exp(a[ui] + g[ti] + beta * d)[d == 1].sum())
        if abs(beta - old) < tol:
            break
    else:  # pragma: no cover - would mean a degenerate panel
        raise RuntimeError("Poisson fixed-effects fit did not converge")
    return beta, np.exp(a[ui] + g[ti] + beta * d)


def _partial_out(x, mu, ui, ti, *, tol: float = 1e-12, max_iter: int = 5000):
    """x minus its mu-weighted projection on unit and period dummies (alternating weighted demeaning)."""
    r = x.astype(float).copy()
    wu, wt = np.bincount(ui, mu), np.bincount(ti, mu)
    for _ in range(max_iter):
        step = np.bincount(ui, mu * r, len(wu)) / wu
        r -= step[ui]
        step2 = np.bincount(ti, mu * r, len(wt)) / wt
        r -= step2[ti]
        if max(np.abs(step).max(), np.abs(step2).max()) < tol:
            break
    return r


def poisson_did(df: pd.DataFrame, *, unit: str = "unit", period: str = "period", y: str = "y",
                treated: str = "d") -> Estimate:
    """exp(beta) of y ~ Poisson(exp(unit FE + period FE + beta * treated)), 95% interval clustered by unit.

    The standard error is the cluster-robust (sandwich) one for beta with the fixed effects partialled out, with
    the G/(G-1) small-sample factor (G = number of areas). Units and periods whose counts are all zero carry no
    information about beta (their fixed effect goes to minus infinity) and are dropped first."""
    d = df[[unit, period, y, treated]].copy()
    d = d[d.groupby(unit)[y].transform("sum") > 0]
    d = d[d.groupby(period)[y].transform("sum") > 0]
    if d[treated].nunique() < 2 or d.loc[d[treated] == 1, y].sum() == 0:
        return Estimate(math.nan, math.nan, math.nan, "Poisson fixed effects (no treated and untreated cells)")
    ui = pd.Categorical(d[unit]).codes.astype(int)
    ti = pd.Categorical(d[period]).codes.astype(int)
    yy, dd = d[y].to_numpy(dtype=float), d[treated].to_numpy(dtype=int)
    beta, mu = _twfe_fit(yy, ui, ti, dd)
    r = _partial_out(dd, mu, ui, ti)
    hessian = float((mu * r * r).sum())
    scores = np.bincount(ui, r * (yy - mu))
    groups = len(scores)
    se = math.sqrt(groups / (groups - 1) * float((scores ** 2).sum())) / hessian
    n_treated = int(d.loc[d[treated] == 1, unit].nunique())
    return Estimate(math.exp(beta), math.exp(beta - Z95 * se), math.exp(beta + Z95 * se),
                    "Poisson fixed effects, 95% interval clustered by area", n_obs=len(d),
                    n_units=groups, n_treated=n_treated)


# --------------------------------------------------------------------------- a. Metrocable
def metrocable_panel(panel: pd.DataFrame, design: dict, city: str = "medellin") -> pd.DataFrame:
    """Barrio x year homicides with group 'line K' / 'comparison' (other barrios dropped)."""
    p = panel[(panel["city"] == city) & (panel["area_type"] == "barrio") & (panel["outcome"] == "homicides")].copy()
    treated, excluded = set(design["treated_comunas"]), set(design["excluded_comunas"])
    urban = set(design["urban_comunas"])
    p["group"] = np.where(p["parent_area_id"].isin(treated), "line K",
                          np.where(p["parent_area_id"].isin(urban - treated - excluded), "comparison", None))
    p = p[p["group"].notna()].copy()
    p["year"] = p["period"].astype(int)
    return p[["area_id", "area_name", "parent_area_id", "group", "year", "victims"]].reset_index(drop=True)


def metrocable_estimates(bp: pd.DataFrame, before: int, after: int, opened_year: int) -> dict[str, Estimate]:
    """The paper's two years, as a 2x2 (Poisson interval) and as barrio fixed effects (clustered interval); and
    every year from `before` to `after` with the opening year left out."""
    tot = bp.groupby(["group", "year"])["victims"].sum()
    out = {"two_years_poisson": ratio_of_ratios(int(tot[("line K", before)]), int(tot[("line K", after)]),
                                                int(tot[("comparison", before)]), int(tot[("comparison", after)]))}
    two = bp[bp["year"].isin([before, after])].assign(d=lambda x: ((x["group"] == "line K") & (x["year"] == after))
                                                     .astype(int))
    out["two_years_clustered"] = poisson_did(two, unit="area_id", period="year", y="victims")
    every = bp[(bp["year"] >= before) & (bp["year"] <= after) & (bp["year"] != opened_year)]
    every = every.assign(d=((every["group"] == "line K") & (every["year"] > opened_year)).astype(int))
    out["all_years_clustered"] = poisson_did(every, unit="area_id", period="year", y="victims")
    return out


def group_series(bp: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """Homicides per year by group, and the same as an index (base year = 100)."""
    s = bp.groupby(["group", "year"], as_index=False)["victims"].sum()
    base = s[s["year"] == base_year].set_index("group")["victims"]
    s["index"] = s["victims"] / s["group"].map(base) * 100
    return s


# --------------------------------------------------------------------------- c. UPP
REST = "rest of the city"
OUTCOMES = {"lethal_violence": "lethal violence", "without_police": "lethal violence without police killings",
            "police_killings": "police killings"}


def _wide(p: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    w = p.pivot_table(index=keys, columns="outcome", values="victims", aggfunc="sum").reset_index()
    w.columns.name = None
    w["without_police"] = w["lethal_violence"] - w["police_killings"]
    return w


def upp_panel(panel: pd.DataFrame, first: str, last: str, city: str = "rio-de-janeiro") -> pd.DataFrame:
    """One row per unit and month: every UPP area, plus the rest of the city (all police districts minus all UPP
    areas); columns lethal_violence, police_killings, without_police, start (installation month) and d (1 from
    the month after installation; the installation month itself is dropped)."""
    c = panel[(panel["city"] == city) & (panel["period"] >= first) & (panel["period"] <= last)]
    upp = c[c["area_type"] == "upp_area"]
    districts = c[c["area_type"] == "police_district"]
    u = _wide(upp, ["area_id", "area_name", "intervention_start", "period"])
    city_total = _wide(districts, ["period"]).set_index("period")
    upp_total = u.groupby("period")[list(OUTCOMES)].sum()
    months = sorted(set(u["period"]))
    if set(city_total.index) != set(months):
        raise ValueError(f"police-district months {sorted(city_total.index)[:1]}.. differ from the UPP months")
    rest = (city_total[list(OUTCOMES)] - upp_total.loc[city_total.index]).reset_index()
    if (rest[list(OUTCOMES)] < 0).any().any():
        raise ValueError("UPP areas hold more victims than the whole city in some month")
    rest = rest.assign(area_id="rest", area_name=REST, intervention_start=pd.NA)
    out = pd.concat([u, rest], ignore_index=True)
    out["start"] = out["intervention_start"].astype("string").str[:7]
    out["d"] = (out["start"].notna() & (out["period"] > out["start"].fillna("9999"))).astype(int)
    out = out[~(out["period"] == out["start"]).fillna(False)]
    return out.reset_index(drop=True)


def upp_estimates(up: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome and comparison group: the staggered Poisson fixed-effects ratio."""
    rows = []
    variants = {"the rest of the city and areas not yet covered": up,
                "areas not yet covered only": up[up["area_id"] != "rest"]}
    for label, data in variants.items():
        for key, name in OUTCOMES.items():
            e = poisson_did(data, unit="area_id", period="period", y=key)
            rows.append({"outcome": name, "comparison": label, "estimate": e})
    return pd.DataFrame(rows)


def upp_annual(up: pd.DataFrame) -> pd.DataFrame:
    """Victims per year in the UPP areas (all of them, before and after installation) and in the rest of the city,
    per outcome, with an index (first year = 100)."""
    a = up.assign(year=up["period"].str[:4].astype(int), where=np.where(up["area_id"] == "rest", REST, "UPP areas"))
    # the installation months were dropped from the panel; annual sums need them: recompute from the full rows
    s = a.groupby(["where", "year"], as_index=False)[list(OUTCOMES)].sum()
    long = s.melt(id_vars=["where", "year"], var_name="outcome", value_name="victims")
    long["outcome"] = long["outcome"].map(OUTCOMES)
    first = long["year"].min()
    base = long[long["year"] == first].set_index(["where", "outcome"])["victims"]
    long["index"] = [v / base[(w, o)] * 100 if base[(w, o)] else np.nan
                     for w, o, v in zip(long["where"], long["outcome"], long["victims"])]
    return long


# --------------------------------------------------------------------------- b. quadrants (coarse)
FIRST_PHASE, OTHER_CAPITALS = "first-phase cities", "other departmental capitals"


def quadrants_panel(capitals: pd.DataFrame, design: dict) -> pd.DataFrame:
    """Capital x year rows of the before and after windows, with group (first-phase cities / other capitals),
    window ('before' / 'after') and d (1 for a first-phase city in an after year). Years outside both windows
    (the start year among them) are dropped."""
    treated = set(design["treated"])
    missing = treated - set(capitals["area_id"])
    if missing:
        raise ValueError(f"first-phase codes not among the capitals: {sorted(missing)}")
    (b0, b1), (a0, a1) = design["before"], design["after"]
    if not b1 < design["rollout_year"] < a0:
        raise ValueError("the start year must fall between the before and after windows")
    c = capitals.copy()
    c["year"] = c["year"].astype(int)
    c["window"] = np.where(c["year"].between(b0, b1), "before", np.where(c["year"].between(a0, a1), "after", None))
    c = c[c["window"].notna()].copy()
    c["group"] = np.where(c["area_id"].isin(treated), FIRST_PHASE, OTHER_CAPITALS)
    c["d"] = ((c["group"] == FIRST_PHASE) & (c["window"] == "after")).astype(int)
    c["homicides"] = c["homicides"].astype(int)
    return c.reset_index(drop=True)


def quadrants_estimates(qp: pd.DataFrame) -> dict[str, Estimate]:
    """The windows' pooled counts as a 2x2 (Poisson interval), and capital and year fixed effects (interval
    clustered by capital)."""
    tot = qp.groupby(["group", "window"])["homicides"].sum()
    return {
        "pooled_poisson": ratio_of_ratios(int(tot[(FIRST_PHASE, "before")]), int(tot[(FIRST_PHASE, "after")]),
                                          int(tot[(OTHER_CAPITALS, "before")]), int(tot[(OTHER_CAPITALS, "after")])),
        "capitals_clustered": poisson_did(qp, unit="area_id", period="year", y="homicides"),
    }


def quadrants_windows(capitals: pd.DataFrame, design: dict) -> list[tuple[tuple[int, int], tuple[int, int], dict]]:
    """The coarse design re-run for each (before, after) pair of year windows in `design['windows']`, the main
    pair first: [((b0, b1), (a0, a1), quadrants_estimates)]."""
    pairs = [(tuple(design["before"]), tuple(design["after"]))]
    pairs += [(tuple(b), tuple(a)) for b, a in design.get("windows", []) if (tuple(b), tuple(a)) != pairs[0]]
    return [(b, a, quadrants_estimates(quadrants_panel(capitals, dict(design, before=list(b), after=list(a)))))
            for b, a in pairs]


def capitals_series(capitals: pd.DataFrame, treated: list[str], base_year: int) -> pd.DataFrame:
    """Homicides per year in the first-phase cities and in the other capitals, and as an index (base year = 100)."""
    c = capitals.assign(group=np.where(capitals["area_id"].isin(set(treated)), FIRST_PHASE, OTHER_CAPITALS),
                        year=capitals["year"].astype(int))
    s = c.groupby(["group", "year"], as_index=False).agg(victims=("homicides", "sum"))
    base = s[s["year"] == base_year].set_index("group")["victims"]
    s["index"] = s["victims"] / s["group"].map(base) * 100
    return s


def load_capitals(tidy: Path | None = None) -> pd.DataFrame:
    from . import paths

    c = pd.read_csv(Path(tidy or paths.TIDY) / "homicides_colombia_capitals.csv", dtype={"area_id": str})
    return c


# --------------------------------------------------------------------------- what the page shows
def load_panel(tidy: Path | None = None) -> pd.DataFrame:
    from . import paths

    p = pd.read_csv(Path(tidy or paths.TIDY) / "homicides_area_panel.csv", dtype=str, keep_default_na=False)
    p = p.replace("", pd.NA)
    p["victims"] = p["victims"].astype(int)
    return p


def event_date(match: str, city: str, tidy: Path | None = None) -> str:
    """Date of the city's event whose title starts with `match` (data/events), e.g. a line's opening."""
    from . import paths

    ev = pd.read_csv(Path(tidy or paths.TIDY) / "events.csv", dtype=str, keep_default_na=False)
    hit = ev[(ev["city"] == city) & ev["title"].str.startswith(match)]
    if len(hit) != 1:
        raise ValueError(f"expected one event of {city} starting {match!r}, found {len(hit)}")
    return hit["date"].iloc[0]


def ratio_text(e: Estimate) -> str:
    from . import text as T

    if math.isnan(e.ratio):
        return "not estimable"
    return f"{T.num(e.ratio, 2)} ({T.num(e.low, 2)}\u2013{T.num(e.high, 2)})"


def change_text(e: Estimate) -> str:
    """'−55% (95% interval −67% to −40%)': the ratio as a percentage change."""
    from . import text as T

    if math.isnan(e.ratio):
        return "not estimable"
    return f"{T.pct(e.percent)} (95% interval {T.pct((e.low - 1) * 100)} to {T.pct((e.high - 1) * 100)})"


def published_value(p: dict) -> str:
    from . import text as T

    est, scale = p["estimate"], p["scale"]
    fmt = (lambda v: T.num(v, 2)) if scale == "ratio" else (lambda v: T.pct(v) if scale == "percent" else f"{T.sig(v)}%")
    value = fmt(est)
    if p.get("interval"):
        lo, hi = p["interval"]
        value += f" (95% interval {fmt(lo)} to {fmt(hi)})" if scale != "ratio" else \
            f" (95% interval {fmt(lo)}\u2013{fmt(hi)})"
    else:
        value += " (no interval reported where it is stated)"
    return value


def published_md(entry: dict) -> str:
    """The published studies as a Markdown list: estimate with interval, or why there is none, and a reference.
    A figure read in an evidence platform's summary names the summary; the essay's own figure is marked as a claim."""
    from . import text as T

    items = []
    for p in entry["published"]:
        ref = T.cite_page(p["citation"], p["citation_url"])
        if p.get("estimate") is None:
            extra = f" {T.cite_page('Earlier version', p['note_url'])}" if p.get("note_url") else ""
            items.append(f"- **{T.md(p['study'])}** {ref}: {T.md(p['note'])}{extra}")
            continue
        where = T.md(p["where"])
        if p.get("via"):
            where = f"as reported in {T.cite_page(p['via'], p['via_url'])}, not read in the study itself"
        lead = "Claimed, not an evaluation: " if p.get("claimed") else ""
        line = (f"- {lead}**{T.md(p['study'])}** {ref}, {where}: {T.md(p['measure'])}, {published_value(p)}; "
                f"outcome: {T.md(p['outcome'])}; unit: {T.md(p['unit'])}.")
        if p.get("note"):
            line += f" {T.md(p['note'])}"
        if p.get("summary_url"):
            line += " " + T.cite_page("Inter-American Development Bank (IDB), Plataforma de Evidencias en "
                                      "Seguridad Ciudadana: summary of the study", p["summary_url"])
        items.append(line)
    return "\n".join(items)


def side_by_side(entry: dict, book: list[tuple[str, str, Estimate]], *, outcome_of=None) -> pd.DataFrame:
    """One row per estimate to draw, published figures first within each outcome: every published figure that has
    one (as a ratio) and the book's `(outcome, design, estimate)` rows, with `who` (published, via a summary, claim,
    the book), a `label` and the interval (NaN where none is reported). `outcome_of(p)` puts a published figure on
    one of the book's outcomes (default: the first)."""
    outcomes = list(dict.fromkeys(o for o, _, _ in book))
    rows = []
    for p in entry["published"]:
        if p.get("estimate") is None:
            continue
        r, lo, hi = published_ratio(p)
        who = "claim" if p.get("claimed") else ("published, via a summary" if p.get("via") else "published")
        rows.append({"who": who, "study": p.get("label") or p["study"], "outcome": outcome_of(p) if outcome_of else outcomes[0],
                     "ratio": r, "low": lo, "high": hi})
    for outcome, design, e in book:
        rows.append({"who": "the book", "study": design, "outcome": outcome, "ratio": e.ratio, "low": e.low,
                     "high": e.high})
    df = pd.DataFrame(rows)
    rank = {o: i for i, o in enumerate(dict.fromkeys(list(outcomes) + list(df["outcome"])))}
    df = df.assign(_o=df["outcome"].map(rank), _w=df["who"].eq("the book")).sort_values(["_o", "_w"], kind="stable")
    many = df["outcome"].nunique() > 1
    df["label"] = [f"{o}: {st}" if many else st for o, st in zip(df["outcome"], df["study"])]
    df["interval"] = np.where(df["low"].notna(), "95% interval", "no interval reported")
    return df.drop(columns=["_o", "_w"]).reset_index(drop=True)


WHO_ORDER = ["published", "published, via a summary", "claim", "the book"]


def side_by_side_chart(df: pd.DataFrame, *, title: str, description: str, caption: str, sources: list[str]):
    """Each estimate as a point on a log ratio scale with its 95% interval where there is one, a rule at 1 (no
    difference); published figures, summaries of them, the essay's claim and the book's told apart by colour and
    shape, so the book's estimate reads directly against the published one."""
    import altair as alt

    from . import charts as C

    who = [w for w in WHO_ORDER if w in set(df["who"])]
    # one colour and shape per kind of estimate on every chart of the page
    palette = dict(zip(WHO_ORDER, [C.PALETTE[1], C.PALETTE[4], C.PALETTE[3], C.PALETTE[0]]))
    shapes = dict(zip(WHO_ORDER, ["diamond", "triangle-up", "square", "circle"]))
    d = df.assign(low=df["low"].fillna(df["ratio"]), high=df["high"].fillna(df["ratio"]))
    lo = float(min(d["low"].min(), d["ratio"].min(), 1.0))
    hi = float(max(d["high"].max(), d["ratio"].max(), 1.0))
    order = list(dict.fromkeys(list(d.loc[d["who"] != "the book", "study"]) + list(d.loc[d["who"] == "the book", "study"])))
    y = alt.Y("study:N", title=None, sort=order, axis=alt.Axis(labelLimit=360))
    colour = alt.Color("who:N", title=None, scale=alt.Scale(domain=who, range=[palette[w] for w in who]),
                       legend=alt.Legend(orient="bottom"))
    shape = alt.Shape("who:N", title=None, scale=alt.Scale(domain=who, range=[shapes[w] for w in who]),
                      legend=alt.Legend(orient="bottom"))
    lo, hi = lo * 0.8, hi * 1.25
    ticks = [v for v in (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5) if lo <= v <= hi]
    x = alt.X("ratio:Q", title="ratio (log scale)",
              scale=alt.Scale(type="log", domain=[lo, hi], nice=False), axis=alt.Axis(values=ticks, format="~g"))
    tip = [alt.Tooltip("who:N", title="estimate"), alt.Tooltip("label:N", title="study or design"),
           alt.Tooltip("ratio:Q", format=".2f"), alt.Tooltip("low:Q", title="95% low", format=".2f"),
           alt.Tooltip("high:Q", title="95% high", format=".2f"), alt.Tooltip("interval:N", title="interval")]
    base = alt.Chart(d)
    # the reference line at 1 is decoration the description states; hidden from screen readers (no label)
    one = base.mark_rule(color=C.EVENT_COLOUR, strokeDash=[4, 3], aria=False).encode(x=alt.datum(1))
    bars = base.mark_rule(strokeWidth=2).encode(x="low:Q", x2="high:Q", y=y, color=colour)
    points = base.mark_point(filled=True, size=80).encode(x=x, y=y, color=colour, shape=shape, tooltip=tip)
    per_outcome = d.groupby("outcome", sort=False)["study"].nunique()
    layers = (one + bars + points).properties(width=C.WIDTH - 360, height=max(40, 24 * int(per_outcome.max())))
    if len(per_outcome) > 1:
        # one panel per outcome, its rows labelled by study or design only
        layers = layers.facet(row=alt.Row("outcome:N", title=None, sort=list(per_outcome.index),
                                          header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start",
                                                            labelOrient="top", labelFontWeight="bold")),
                              ).resolve_scale(y="independent")
    return C._finish(layers, description, caption, sources, title=title)


def agreement(book: Estimate, published: tuple[float, float, float] | None) -> str:
    """How the book's estimate reads against a published ratio (value, low, high; NaN limits when no interval):
    direction, then whether the published figure or its interval meets the book's interval."""
    out = []
    if book.low <= 1 <= book.high:
        out.append("the book's interval includes no change")
    if published is None or math.isnan(published[0]):
        return ("; ".join(out) or "no published figure to set against it").capitalize() + "."
    r, lo, hi = published
    same = (r < 1) == (book.ratio < 1)
    out.insert(0, "same direction" if same else "opposite directions")
    if not math.isnan(lo):
        out.append("the two intervals overlap" if lo <= book.high and book.low <= hi else "the intervals do not overlap")
    else:
        inside = book.low <= r <= book.high
        out.append(f"the published figure (no interval) lies {'inside' if inside else 'outside'} the book's interval")
    return "; ".join(out).capitalize() + "."


def summary_md(rows: list[tuple[str, str, str, Estimate, tuple | None]]) -> str:
    """The page's opening table: (evaluation, published figure as Markdown already escaped with its citation, the
    book's design, the book's estimate, the published figure as a ratio or None) -> Markdown table with a computed
    reading."""
    from . import text as T

    body = [[T.Raw(T.md(ev)), T.Raw(pub), T.Raw(f"{ratio_text(e)}, {T.md(design)}"), agreement(e, pr)]
            for ev, pub, design, e, pr in rows]
    return T.md_table(["evaluation", "published", "the book (95% interval)", "reading"], body)


def estimates_table_md(rows: list[tuple[str, str, Estimate]]) -> str:
    """Rows of (who, design, estimate) as a Markdown table with ratio, change and interval."""
    from . import text as T

    body = [[who, design, ratio_text(e), change_text(e), e.method] for who, design, e in rows]
    return T.md_table(["estimate", "design", "ratio (95% interval)", "change", "interval from"], body,
                      ["l", "l", "r", "l", "l"])


def line_chart(df: pd.DataFrame, *, x: str, y: str, series: str, title: str, y_title: str, description: str,
               caption: str, sources: list[str], rule: float | None = None, rule_label: str = "",
               facet: str | None = None):
    """Index lines by group, told apart by colour, dash and point shape; an optional dated rule."""
    import altair as alt

    from . import charts as C

    groups = list(dict.fromkeys(df[series]))
    enc = dict(
        x=alt.X(f"{x}:Q", title=None, axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(type="log")),
        color=alt.Color(f"{series}:N", title=None, scale=alt.Scale(domain=groups, range=C.PALETTE[:len(groups)])),
        strokeDash=alt.StrokeDash(f"{series}:N", title=None, scale=alt.Scale(
            domain=groups, range=C.CITY_DASHES[:len(groups)])),
        shape=alt.Shape(f"{series}:N", title=None, scale=alt.Scale(domain=groups, range=C.SHAPES[:len(groups)])),
        tooltip=[alt.Tooltip(f"{series}:N", title="group"), alt.Tooltip(f"{x}:Q", title="year"),
                 alt.Tooltip(f"{y}:Q", title=y_title, format=".0f"),
                 alt.Tooltip("victims:Q", title="victims", format=",")],
    )
    width = C.SMALL_WIDTH if facet else C.WIDTH
    height = C.SMALL_HEIGHT if facet else C.HEIGHT
    base = alt.Chart(df).encode(**enc)
    layers = base.mark_line() + base.mark_point()
    if rule is not None:
        r = pd.DataFrame({"t": [rule], "label": [rule_label]})
        layers = layers + alt.Chart(r).mark_rule(color=C.EVENT_COLOUR, strokeDash=[2, 2]).encode(
            x="t:Q", tooltip=[alt.Tooltip("label:N", title="event")])
    chart = layers.properties(width=width, height=height)
    if facet:
        chart = chart.facet(facet=alt.Facet(f"{facet}:N", title=None), columns=2)
    return C._finish(chart, description, caption, sources, title=C._wrap(title, 70))
