"""Personal prediction of response after induction: a clinic's own calibrated model, or
literature base rates until the clinic has enough completed courses.

It informs, never decides. A probability from 100-odd courses of one clinic is uncertain,
and the base rates come from small trials, mostly in depression; screens show n, the
calibration and the interval next to every number, and say so.

Model (when `ready(...)`): L2-regularised logistic regression (scikit-learn, C=1) on
- baseline severity (the baseline score as a fraction of the instrument's maximum, so
  different scales can share one model),
- diagnosis group (ICD-10 category, one-hot), route (one-hot),
- prior failed adequate trials (count), age (years),
- early change: % improvement after the first one or two sessions (S18: early improvement
  predicts response; S15: 4-hour response predicted end-of-series response), with a
  "not yet measured" indicator so a prediction can be made before session 1.
Numbers are standardised with the training means/SDs. Everything is seeded: the same
courses give the same model, calibration and intervals.

Calibration is judged on cross-validated predictions (5-fold, stratified) never on the
training fit (M-Steyerberg2010): reliability bins (observed share with a Wilson interval
against mean predicted), the Brier score (M-Brier1950) beside the Brier score of always
predicting the base rate, the calibration slope (logistic regression of the outcome on
the logit of the prediction; 1 is ideal, < 1 means predictions too extreme) and
calibration-in-the-large (intercept with the logit as offset; 0 is ideal) (M-Cox1958).

The individual interval is a percentile bootstrap (M-Efron1979): the model refitted on
`bootstrap` resamples of the courses, the patient's probability from each.

Threshold: `MIN_COURSES` (100 completed courses) AND at least `MIN_EVENTS_PER_PARAMETER`
(10) events per parameter (M-Peduzzi1996), counted on the design the model would be fitted
on: events are the courses of the smaller outcome class (responders or non-responders),
parameters are the model's columns, each dummy column of diagnosis group and route
included (the intercept is not counted). The design has 5 numeric columns plus one per
extra diagnosis group and route, so a clinic with 3 diagnosis groups and 2 routes (8
columns) needs 80 courses of its rarer outcome. The former rule (20 of each class) gave
about 2 events per parameter on such a design, not the ~10 it claimed. The EPV is shown
beside every personal estimate and in the reason when there is none. Both thresholds are
local choices (UNVERIFIED) for sign-off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, cite
from ketaflow.clinical.outcome_stats import Proportion, method_source, wilson

MIN_COURSES = ClinicDefault(
    value=100,
    sources=(method_source("M-Peduzzi1996"),),
    evidence=Evidence.UNVERIFIED,
    note="Completed courses before the clinic's own model is shown; local sign-off.",
)
MIN_EVENTS_PER_PARAMETER = ClinicDefault(
    value=10.0,
    sources=(method_source("M-Peduzzi1996"),),
    evidence=Evidence.UNVERIFIED,
    note="Events of the rarer outcome per model column, dummies included (Peduzzi 1996: "
    "fewer than 10 biases the coefficients); local sign-off.",
)
MODEL_SOURCES: tuple[Source, ...] = (
    method_source("M-Steyerberg2010"),
    method_source("M-Brier1950"),
    method_source("M-Cox1958"),
    method_source("M-Efron1979"),
    method_source("M-Peduzzi1996"),
    *cite("S15", "S18"),
)
INFORMS_NOT_DECIDES = (
    "An estimate to inform a conversation, not a decision: it cannot see what the "
    "clinician sees, and the interval shows how uncertain it is."
)


@dataclass(frozen=True)
class Features:
    baseline_severity: float  # baseline score / instrument maximum (0..1)
    diagnosis_group: str  # ICD-10 category, e.g. "F41"
    prior_failed_trials: int
    route: str
    age: float
    early_change_pct: float | None  # % better after sessions 1-2; None: not yet measured

    def __post_init__(self) -> None:
        if not 0 <= self.baseline_severity <= 1:
            raise ClinicalInputError("must be in 0..1", field="baseline_severity")
        if self.prior_failed_trials < 0:
            raise ClinicalInputError("must be >= 0", field="prior_failed_trials")
        if not 0 <= self.age <= 130:
            raise ClinicalInputError("age out of range", field="age")


@dataclass(frozen=True)
class Example:
    features: Features
    responded: bool


@dataclass(frozen=True)
class Encoder:
    """Turns `Features` into the model's columns (learned from the training courses)."""

    diagnosis_groups: tuple[str, ...]
    routes: tuple[str, ...]
    means: tuple[float, ...]  # baseline_severity, prior_failed_trials, age, early_change
    sds: tuple[float, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return (
            "baseline_severity",
            "prior_failed_trials",
            "age",
            "early_change_pct",
            "early_change_missing",
            *(f"diagnosis={g}" for g in self.diagnosis_groups[1:]),
            *(f"route={r}" for r in self.routes[1:]),
        )

    def row(self, f: Features) -> list[float]:
        raw = (
            f.baseline_severity,
            float(f.prior_failed_trials),
            f.age,
            f.early_change_pct if f.early_change_pct is not None else self.means[3],
        )
        numbers = [(v - m) / s for v, m, s in zip(raw, self.means, self.sds, strict=True)]
        numbers.append(1.0 if f.early_change_pct is None else 0.0)
        # The first level of each category is the reference (all zeros); unseen levels too.
        numbers += [1.0 if f.diagnosis_group == g else 0.0 for g in self.diagnosis_groups[1:]]
        numbers += [1.0 if f.route == r else 0.0 for r in self.routes[1:]]
        return numbers


def _encoder(examples: Sequence[Example]) -> Encoder:
    feats = [e.features for e in examples]
    cols: list[list[float]] = [
        [f.baseline_severity for f in feats],
        [float(f.prior_failed_trials) for f in feats],
        [f.age for f in feats],
        [f.early_change_pct for f in feats if f.early_change_pct is not None] or [0.0],
    ]
    means = tuple(sum(c) / len(c) for c in cols)
    sds = tuple(
        max(math.sqrt(sum((v - m) ** 2 for v in c) / max(1, len(c) - 1)), 1e-9)
        for c, m in zip(cols, means, strict=True)
    )
    return Encoder(
        diagnosis_groups=tuple(sorted({f.diagnosis_group for f in feats})),
        routes=tuple(sorted({f.route for f in feats})),
        means=means,
        sds=sds,
    )


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    n: int
    mean_predicted: float
    observed: Proportion


@dataclass(frozen=True)
class Calibration:
    bins: tuple[ReliabilityBin, ...]
    brier: float
    brier_base_rate: float  # Brier score of predicting the base rate for everyone
    slope: float
    intercept_in_the_large: float
    c_statistic: float
    folds: int


@dataclass(frozen=True)
class LocalModel:
    encoder: Encoder
    coef: tuple[float, ...]
    intercept: float
    bootstrap: tuple[tuple[tuple[float, ...], float], ...]  # (coef, intercept) per resample
    n: int
    responders: int
    calibration: Calibration
    regularisation_c: float
    seed: int
    epv: EventsPerParameter

    def probability(self, f: Features) -> float:
        return _logistic(self.intercept, self.coef, self.encoder.row(f))


@dataclass(frozen=True)
class EventsPerParameter:
    """Events of the rarer outcome class per model parameter (dummy columns included)."""

    events: int
    parameters: int

    @property
    def value(self) -> float:
        return self.events / self.parameters if self.parameters else 0.0

    def __str__(self) -> str:
        return f"{self.value:.1f} ({self.events} events / {self.parameters} parameters)"


def events_per_parameter(examples: Sequence[Example]) -> EventsPerParameter:
    """The EPV of the design a model on these courses would be fitted on."""
    yes = sum(1 for e in examples if e.responded)
    events = min(yes, len(examples) - yes)
    parameters = len(_encoder(examples).columns) if examples else 0
    return EventsPerParameter(events, parameters)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    n: int
    responders: int
    non_responders: int
    reason: str
    epv: EventsPerParameter | None = None


@dataclass(frozen=True)
class Prediction:
    probability: float
    low: float
    high: float
    confidence: float
    n: int
    responders: int
    calibration: Calibration
    sources: tuple[Source, ...]
    epv: EventsPerParameter
    caveat: str = INFORMS_NOT_DECIDES


@dataclass(frozen=True)
class BaseRate:
    """A published response rate, as the clinical reference reports it."""

    label: str
    population: str
    rate: Proportion
    evidence: Evidence
    sources: tuple[Source, ...]
    note: str

    @property
    def needs_local_signoff(self) -> bool:
        return self.evidence is Evidence.UNVERIFIED


def _logistic(intercept: float, coef: Sequence[float], x: Sequence[float]) -> float:
    z = intercept + sum(c * v for c, v in zip(coef, x, strict=True))
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    ez = math.exp(z)
    return ez / (1.0 + ez)


def readiness(examples: Sequence[Example]) -> Readiness:
    """Whether there are enough completed courses, and events per parameter, for a model."""
    n = len(examples)
    yes = sum(1 for e in examples if e.responded)
    no = n - yes
    epv = events_per_parameter(examples)
    need_n, need_epv = MIN_COURSES.value, MIN_EVENTS_PER_PARAMETER.value
    have = f"{n} completed courses ({yes} responders, {no} non-responders)"
    if n >= need_n and epv.value >= need_epv:
        return Readiness(True, n, yes, no, f"{have}; events per parameter {epv}", epv)
    return Readiness(
        False,
        n,
        yes,
        no,
        f"{have}, events per parameter {epv}; the clinic's own model needs {need_n} "
        f"courses and at least {need_epv:g} events of the rarer outcome per parameter",
        epv,
    )


def fit(
    examples: Sequence[Example],
    *,
    seed: int = 0,
    regularisation_c: float = 1.0,
    folds: int = 5,
    bootstrap: int = 200,
    bins: int = 10,
) -> LocalModel:
    """Fit the clinic's model, its cross-validated calibration and bootstrap refits."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    state = readiness(examples)
    if state.responders < folds or state.non_responders < folds:
        raise ClinicalInputError(
            f"need at least {folds} responders and {folds} non-responders to fit",
            field="examples",
        )
    enc = _encoder(examples)
    x = np.array([enc.row(e.features) for e in examples], dtype=float)
    y = np.array([1 if e.responded else 0 for e in examples], dtype=int)

    def model() -> Any:
        return LogisticRegression(C=regularisation_c, max_iter=2000)

    full = model().fit(x, y)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    cv = cross_val_predict(model(), x, y, cv=splitter, method="predict_proba")[:, 1]
    calibration = _calibration(cv, y, bins, folds, float(roc_auc_score(y, cv)))
    rng = np.random.default_rng(seed)
    refits: list[tuple[tuple[float, ...], float]] = []
    for _ in range(bootstrap):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() == y[idx].max():
            continue
        m = model().fit(x[idx], y[idx])
        refits.append((tuple(float(c) for c in m.coef_[0]), float(m.intercept_[0])))
    return LocalModel(
        encoder=enc,
        coef=tuple(float(c) for c in full.coef_[0]),
        intercept=float(full.intercept_[0]),
        bootstrap=tuple(refits),
        n=len(y),
        responders=int(y.sum()),
        calibration=calibration,
        regularisation_c=regularisation_c,
        seed=seed,
        epv=EventsPerParameter(min(int(y.sum()), int(len(y) - y.sum())), int(x.shape[1])),
    )


def _calibration(p: Any, y: Any, bins: int, folds: int, auc: float) -> Calibration:
    import numpy as np

    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    y = np.asarray(y, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    found: list[ReliabilityBin] = []
    for i in range(bins):
        hi_ok = p <= edges[i + 1] if i == bins - 1 else p < edges[i + 1]
        mask = (p >= edges[i]) & hi_ok
        n = int(mask.sum())
        if n:
            found.append(
                ReliabilityBin(
                    float(edges[i]),
                    float(edges[i + 1]),
                    n,
                    float(p[mask].mean()),
                    wilson(int(y[mask].sum()), n),
                )
            )
    base = float(y.mean())
    logit = np.log(p / (1 - p))
    slope, _ = _logit_fit(logit, y, fit_slope=True)
    _, citl = _logit_fit(logit, y, fit_slope=False)
    return Calibration(
        bins=tuple(found),
        brier=float(np.mean((p - y) ** 2)),
        brier_base_rate=float(np.mean((base - y) ** 2)),
        slope=slope,
        intercept_in_the_large=citl,
        c_statistic=auc,
        folds=folds,
    )


def _logit_fit(logit: Any, y: Any, *, fit_slope: bool) -> tuple[float, float]:
    """Unpenalised logistic fit of y on a + b*logit (b fixed at 1 unless `fit_slope`).

    Newton-Raphson; returns (b, a). With b fixed at 1 this is calibration-in-the-large.
    """
    import numpy as np

    a, b = 0.0, 1.0
    for _ in range(100):
        eta = a + b * logit
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = np.maximum(mu * (1 - mu), 1e-12)
        r = y - mu
        if fit_slope:
            g = np.array([r.sum(), (r * logit).sum()])
            h = np.array(
                [[w.sum(), (w * logit).sum()], [(w * logit).sum(), (w * logit * logit).sum()]]
            )
            step = np.linalg.solve(h + np.eye(2) * 1e-12, g)
            a, b = a + float(step[0]), b + float(step[1])
        else:
            step_a = float(r.sum() / w.sum())
            a += step_a
            step = np.array([step_a])
        if float(np.abs(step).max()) < 1e-10:
            break
    return b, a


def predict(model: LocalModel, features: Features, confidence: float = 0.95) -> Prediction:
    """The patient's probability of response after induction, with a bootstrap interval."""
    p = model.probability(features)
    x = model.encoder.row(features)
    boot = sorted(_logistic(b0, coef, x) for coef, b0 in model.bootstrap)
    if boot:
        tail = (1 - confidence) / 2
        low = boot[math.floor(tail * (len(boot) - 1))]
        high = boot[math.ceil((1 - tail) * (len(boot) - 1))]
    else:
        low = high = p
    return Prediction(
        probability=p,
        low=min(low, p),
        high=max(high, p),
        confidence=confidence,
        n=model.n,
        responders=model.responders,
        calibration=model.calibration,
        sources=MODEL_SOURCES,
        epv=model.epv,
    )


def base_rates() -> tuple[BaseRate, ...]:
    """Published response rates from the clinical reference (section 7), with their limits."""
    return (
        BaseRate(
            "Glue 2017: SC racemic ketamine 0.5-1 mg/kg, treatment-refractory anxiety",
            "anxiety (GAD/SAD), n=12",
            wilson(10, 12),
            Evidence.VERIFIED,
            cite("S8"),
            "Reference T8 (PubMed abstract). Dose-ranging, open responders; tiny sample.",
        ),
        BaseRate(
            "Taylor 2018: IV ketamine in social anxiety disorder, LSAS > 35% reduction",
            "social anxiety, n=18 crossover",
            wilson(6, 18),
            Evidence.VERIFIED,
            cite("S12"),
            "Reference T7: 33.33% of 18 (6/18) over the first 2 weeks; abstract only.",
        ),
        BaseRate(
            "Murrough 2013: 6 IV infusions over 12 days",
            "treatment-resistant depression, n=24 (not anxiety)",
            wilson(17, 24),
            Evidence.VERIFIED,
            cite("S15"),
            "Reference T11: 70.8% (17/24). Depression cohort: an analogy for anxiety.",
        ),
        BaseRate(
            "Zheng 2019: response after six IV infusions",
            "depression, n=77 (not anxiety)",
            wilson(52, 77),
            Evidence.UNVERIFIED,
            cite("S16"),
            "Reference T12: 67.5% after infusion 6 (52/77 reconstructed from the percentage); "
            "read from a secondary summary, journal and DOI UNVERIFIED.",
        ),
    )


__all__ = [
    "INFORMS_NOT_DECIDES",
    "MIN_COURSES",
    "MIN_EVENTS_PER_PARAMETER",
    "MODEL_SOURCES",
    "BaseRate",
    "Calibration",
    "Encoder",
    "EventsPerParameter",
    "Example",
    "Features",
    "LocalModel",
    "Prediction",
    "Readiness",
    "ReliabilityBin",
    "base_rates",
    "events_per_parameter",
    "fit",
    "predict",
    "readiness",
]
