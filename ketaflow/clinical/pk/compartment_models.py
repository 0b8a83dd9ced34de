"""Published ketamine PK models: parameter sets, weight scaling, variability, status flags.

Every number comes from shared/reference/pharmacokinetics.md (sections 1 and 2). A model whose
parameters the reference could not check against the paper carries `Evidence.UNVERIFIED`, and
screens must say so. Units throughout: mg, L, min; concentrations in ng/mL (= µg/L).

Mammillary models are stored as physiological parameters at 70 kg (V1, V2, V3 in L; CL, Q2, Q3
in L/min) with the model's own weight exponents, so a micro-constant set (Domino, Clements,
Hijazi) and a clearance set (Kamp, Herd) scale the same way and share one engine.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

import ketaflow.clinical.pk.sources as src
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence_types import Evidence, Source

FloatArray = NDArray[np.float64]

REFERENCE_WEIGHT_KG = 70.0
PER_HOUR = 1.0 / 60.0  # L/h -> L/min, 1/h -> 1/min


class PkRoute(enum.Enum):
    """How a dose enters the body. For racemic models `intranasal` is racemic ketamine;
    for the esketamine model it is the esketamine nasal spray."""

    IV = "iv"
    SC = "sc"
    IM = "im"
    ORAL = "oral"
    INTRANASAL = "intranasal"


class Structure(enum.Enum):
    MAMMILLARY = "mammillary"  # 2- or 3-compartment, dosing into/absorbing into V1
    ESKETAMINE_NASAL = "esketamine_nasal"  # Perez-Ruixo: liver first pass + noresketamine


@dataclass(frozen=True)
class Absorption:
    """First-order absorption of racemic ketamine from a depot: bioavailability with its range."""

    route: PkRoute
    bioavailability: float
    bioavailability_range: tuple[float, float]
    ka_per_min: float
    sources: tuple[Source, ...]
    evidence: Evidence
    note: str


# Racemic extravascular routes, adults unless said. The reference has no adult ka for SC or IM
# (Abuhelwa 2022's tables are the open item), so those rates are placeholders.
ABSORPTION: Mapping[PkRoute, Absorption] = {
    PkRoute.IM: Absorption(
        PkRoute.IM,
        0.93,
        (0.41, 0.93),
        0.1,
        (src.CLEMENTS_1982, src.HORNIK_2018),
        Evidence.UNVERIFIED,
        "Adult IM F ≈ 93% is UNVERIFIED (Clements 1982); children 41% (Hornik 2018, verified). "
        "ka 0.1/min is a placeholder: no adult IM absorption rate in the reference.",
    ),
    PkRoute.SC: Absorption(
        PkRoute.SC,
        0.93,
        (0.41, 0.93),
        0.05,
        (src.CLEMENTS_1982, src.HORNIK_2018),
        Evidence.UNVERIFIED,
        "No SC bioavailability or ka in the reference (Abuhelwa 2022 tables not obtained): F is "
        "assumed equal to IM and ka 0.05/min is a placeholder. Needs local sign-off.",
    ),
    PkRoute.ORAL: Absorption(
        PkRoute.ORAL,
        0.23,
        (0.14, 0.32),
        math.log(2) / 59.0,
        (src.CHONG_2006, src.BRUNETTE_2011, src.YANAGIHARA_2003),
        Evidence.SECONDARY,
        "Oral F 23 ± 9% (Chong 2006, adults); ka from the 59-min absorption half-time in "
        "children (Brunette 2011). Norketamine formed in first pass is not modelled.",
    ),
    PkRoute.INTRANASAL: Absorption(
        PkRoute.INTRANASAL,
        0.45,
        (0.11, 0.50),
        2.93 * PER_HOUR,
        (src.YANAGIHARA_2003, src.PHARMACOTHERAPY_2022, src.PEREZ_RUIXO_2021),
        Evidence.UNVERIFIED,
        "Racemic nasal F disagrees between sources (11–50% by device and volume); 45% is "
        "Yanagihara 2003. ka is borrowed from esketamine nasal spray (Perez-Ruixo 2021).",
    ),
}


@dataclass(frozen=True)
class Variability:
    """Log-normal between-subject variability: ω (SD of η on the log scale) per parameter."""

    omegas: Mapping[str, float]
    published: bool
    note: str


def _omega_from_cv(cv: float) -> float:
    """ω for a log-normal parameter whose coefficient of variation is `cv`."""
    return math.sqrt(math.log(1.0 + cv * cv))


@dataclass(frozen=True)
class Mammillary:
    """Per-patient disposition (arrays of shape (N,)): volumes L, clearances L/min."""

    v1: FloatArray
    v2: FloatArray
    v3: FloatArray
    cl: FloatArray
    q2: FloatArray
    q3: FloatArray
    three_compartment: bool

    @property
    def k10(self) -> FloatArray:
        return self.cl / self.v1

    @property
    def k12(self) -> FloatArray:
        return self.q2 / self.v1

    @property
    def k21(self) -> FloatArray:
        return self.q2 / self.v2

    @property
    def k13(self) -> FloatArray:
        return self.q3 / self.v1 if self.three_compartment else np.zeros_like(self.v1)

    @property
    def k31(self) -> FloatArray:
        return self.q3 / self.v3 if self.three_compartment else np.zeros_like(self.v1)

    def __len__(self) -> int:
        return int(self.v1.shape[0])

    def take(self, index: slice | NDArray[np.intp]) -> Mammillary:
        return Mammillary(
            self.v1[index],
            self.v2[index],
            self.v3[index],
            self.cl[index],
            self.q2[index],
            self.q3[index],
            self.three_compartment,
        )


@dataclass(frozen=True)
class EsketamineNasal:
    """Per-patient Perez-Ruixo 2021 parameters (arrays (N,)), converted to L and min."""

    frn: FloatArray  # fraction of a 28-mg device absorbed through the nasal mucosa
    ka_n: FloatArray
    ka_sw: FloatArray
    d_sw: FloatArray  # zero-order duration of the swallowed part, min
    fgut: FloatArray
    vc: FloatArray
    q1: FloatArray
    vp1: FloatArray
    q2: FloatArray
    vp2: FloatArray
    qh: FloatArray
    vh: FloatArray
    kel: FloatArray
    kmet: FloatArray
    vcn: FloatArray
    cln: FloatArray
    vpn: FloatArray
    q3: FloatArray

    def __len__(self) -> int:
        return int(self.vc.shape[0])


# Perez-Ruixo 2021 Table 3 (via nlmixr2lib), typical non-Asian adult under 60.
ESKETAMINE_TYPICAL: Mapping[str, float] = {
    "frn": 0.54,
    "ka_n": 2.93 * PER_HOUR,
    "ka_sw": 1.45 * PER_HOUR,
    "d_sw": 0.53 * 60.0,
    "fgut": 0.64,
    "vc": 192.0,
    "q1": 84.3 * PER_HOUR,
    "vp1": 143.0,
    "q2": 37.6 * PER_HOUR,
    "vp2": 417.0,
    "qh": 151.0 * PER_HOUR,
    "vh": 101.0,
    "kel": 1.11 * PER_HOUR,
    "kmet": 2.77 * PER_HOUR,
    "vcn": 70.0,
    "cln": 38.0 * PER_HOUR,
    "vpn": 115.0,
    "q3": 26.1 * PER_HOUR,
}
ESKETAMINE_LATER_DEVICE_FRN = 0.62  # later 28-mg devices of one dose absorb less nasally
ESKETAMINE_DEVICE_MG = 28.0
ESKETAMINE_DEVICE_INTERVAL_MIN = 5.0  # label: wait 5 minutes between devices


@dataclass(frozen=True)
class PKModel:
    """One published model: what it is, where it comes from, and how far to trust it."""

    key: str
    name: str
    drug: str
    structure: Structure
    sources: tuple[Source, ...]
    evidence: Evidence
    caveat: str
    population: str
    routes: tuple[PkRoute, ...]
    variability: Variability
    typical_70kg: Mapping[str, float] = field(default_factory=dict)
    clearance_exponent: float = 1.0
    metabolite: str | None = None
    uses_weight: bool = True

    @property
    def needs_local_signoff(self) -> bool:
        return self.evidence is Evidence.UNVERIFIED

    def mammillary(
        self, weight_kg: ArrayLike, etas: Mapping[str, FloatArray] | None = None
    ) -> Mammillary:
        """Disposition for these weights (and optional η per parameter), scaled as published."""
        if self.structure is not Structure.MAMMILLARY:
            raise ClinicalInputError(f"{self.key} is not a mammillary model", field="model")
        w = np.atleast_1d(np.asarray(weight_kg, dtype=np.float64)) / REFERENCE_WEIGHT_KG
        v_scale = w
        cl_scale = w if self.clearance_exponent == 1.0 else w**self.clearance_exponent

        def p(name: str, scale: FloatArray) -> FloatArray:
            value = self.typical_70kg.get(name, 0.0) * scale
            if etas is not None and name in etas:
                value = value * np.exp(etas[name])
            return np.asarray(value, dtype=np.float64)

        return Mammillary(
            v1=p("v1", v_scale),
            v2=p("v2", v_scale),
            v3=p("v3", v_scale),
            cl=p("cl", cl_scale),
            q2=p("q2", cl_scale),
            q3=p("q3", cl_scale),
            three_compartment=self.typical_70kg.get("q3", 0.0) > 0.0,
        )

    def esketamine(self, n: int, etas: Mapping[str, FloatArray] | None = None) -> EsketamineNasal:
        """Perez-Ruixo parameters for n subjects; FRn's η is additive on the logit scale."""
        if self.structure is not Structure.ESKETAMINE_NASAL:
            raise ClinicalInputError(f"{self.key} is not the esketamine model", field="model")
        etas = etas or {}
        values: dict[str, FloatArray] = {}
        for name, typical in ESKETAMINE_TYPICAL.items():
            base = np.full(n, typical, dtype=np.float64)
            if name == "frn" and "frn" in etas:
                logit = math.log(typical / (1.0 - typical)) + etas["frn"]
                base = 1.0 / (1.0 + np.exp(-logit))
            elif name in etas:
                base = base * np.exp(etas[name])
            values[name] = base
        return EsketamineNasal(**values)


def _micro(v1_per_kg: float, k10: float, k12: float, k21: float, k13: float = 0.0,
           k31: float = 0.0) -> dict[str, float]:  # fmt: skip
    """Physiological parameters at 70 kg from a micro-constant set with V1 in L/kg."""
    v1 = v1_per_kg * REFERENCE_WEIGHT_KG
    out = {"v1": v1, "cl": k10 * v1, "q2": k12 * v1, "v2": k12 * v1 / k21}
    if k13 > 0.0:
        out |= {"q3": k13 * v1, "v3": k13 * v1 / k31}
    return out


_ILLUSTRATIVE_OMEGA = 0.3


def _illustrative(three: bool) -> Variability:
    names = ("v1", "v2", "cl", "q2") + (("v3", "q3") if three else ())
    return Variability(
        omegas=dict.fromkeys(names, _ILLUSTRATIVE_OMEGA),
        published=False,
        note="No published between-subject variability for this model: an illustrative "
        "log-normal ω = 0.3 on every parameter (as in the PK reference's example). Not data.",
    )


_RACEMIC_ROUTES = (PkRoute.IV, PkRoute.SC, PkRoute.IM, PkRoute.ORAL, PkRoute.INTRANASAL)
_VENOUS = (
    " An arterial/central-compartment model: it over-predicts the ~185 ng/mL venous level "
    "reported at the end of 0.5 mg/kg over 40 min, because venous levels lag arterial ones "
    "during an infusion (Kamp 2020; Henthorn 2018)."
)

MODELS: Mapping[str, PKModel] = {
    m.key: m
    for m in (
        PKModel(
            key="domino",
            name="Domino 1984 (Stanpump set)",
            drug="racemic ketamine",
            structure=Structure.MAMMILLARY,
            sources=(src.DOMINO_1984, src.OPENTIVA),
            evidence=Evidence.UNVERIFIED,
            caveat="The k-set is as shipped by Stanpump/opentiva; that it comes from the 1984 "
            "paper is UNVERIFIED. A tiny V1 with fast distribution gives a high "
            "end-of-infusion peak and a fast fall (240 → 46 ng/mL from 40 to 80 min after "
            "0.5 mg/kg over 40 min)." + _VENOUS,
            population="adults (unmedicated and diazepam-premedicated)",
            routes=_RACEMIC_ROUTES,
            variability=_illustrative(True),
            typical_70kg=_micro(0.063, 0.4381, 0.5921, 0.2470, 0.5900, 0.0146),
        ),
        PKModel(
            key="clements",
            name="Clements 1981 (250 µg/kg set)",
            drug="racemic ketamine",
            structure=Structure.MAMMILLARY,
            sources=(src.CLEMENTS_1981, src.OPENTIVA),
            evidence=Evidence.UNVERIFIED,
            caveat="opentiva's Clements250 set, UNVERIFIED against the paper's tables. The only "
            "model here close to the ~185 ng/mL venous anchor (177 ng/mL predicted).",
            population="adults (250 µg/kg bolus data)",
            routes=_RACEMIC_ROUTES,
            variability=_illustrative(False),
            typical_70kg=_micro(1.7522, 0.0109, 0.0186, 0.0137),
        ),
        PKModel(
            key="hijazi",
            name="Hijazi 2003 (ICU)",
            drug="racemic ketamine",
            structure=Structure.MAMMILLARY,
            sources=(src.HIJAZI_2003, src.OPENTIVA),
            evidence=Evidence.SECONDARY,
            caveat="12 intensive-care patients with brain or spinal-cord injury, not an "
            "outpatient psychiatric population. opentiva's k-set reproduces the abstract's "
            "CL 36 mL/min/kg and t½ 4.9 h; norketamine parameters were not retrieved." + _VENOUS,
            population="adult ICU patients with brain or spinal-cord injury (n = 12)",
            routes=_RACEMIC_ROUTES,
            variability=_illustrative(False),
            typical_70kg=_micro(1.08, 0.0333, 0.0088, 0.0030),
        ),
        PKModel(
            key="kamp",
            name="Kamp 2020 (opentiva set)",
            drug="racemic ketamine",
            structure=Structure.MAMMILLARY,
            sources=(src.KAMP_2020, src.OPENTIVA),
            evidence=Evidence.UNVERIFIED,
            caveat="The reference's default adult racemic model. Values are opentiva's "
            "'Klamp' set without the published model's two venous delay compartments; "
            "UNVERIFIED against the paper's table, omegas not obtained." + _VENOUS,
            population="adults (pooled raw data from 14 studies)",
            routes=_RACEMIC_ROUTES,
            variability=_illustrative(True),
            typical_70kg={
                "v1": 25.0,
                "v2": 56.0,
                "v3": 157.0,
                "cl": 84.0 * PER_HOUR,
                "q2": 161.0 * PER_HOUR,
                "q3": 79.0 * PER_HOUR,
            },
        ),
        PKModel(
            key="herd",
            name="Herd & Anderson 2007",
            drug="racemic ketamine",
            structure=Structure.MAMMILLARY,
            sources=(src.HERD_2007, src.OPENTIVA),
            evidence=Evidence.VERIFIED,
            caveat="Children in an emergency department, scaled allometrically to the patient's "
            "weight (volumes × WT/70, clearances × (WT/70)^0.75). The only racemic model "
            "with verified between-subject variability." + _VENOUS,
            population="children having procedural sedation (allometric to 70 kg)",
            routes=_RACEMIC_ROUTES,
            variability=Variability(
                omegas={
                    "v1": _omega_from_cv(0.64),
                    "v2": _omega_from_cv(0.517),
                    "cl": _omega_from_cv(0.381),
                    "q2": _omega_from_cv(0.19),
                },
                published=True,
                note="Published BSV (abstract): V1 64%, V2 51.7%, CL 38.1%, Q 19%, read as "
                "coefficients of variation (ω² = ln(1 + CV²)).",
            ),
            typical_70kg={
                "v1": 38.7,
                "v2": 102.0,
                "cl": 90.0 * PER_HOUR,
                "q2": 215.0 * PER_HOUR,
            },
            clearance_exponent=0.75,
        ),
        PKModel(
            key="esketamine-nasal",
            name="Perez-Ruixo 2021 (esketamine nasal spray + noresketamine)",
            drug="esketamine",
            structure=Structure.ESKETAMINE_NASAL,
            sources=(src.PEREZ_RUIXO_2021,),
            evidence=Evidence.SECONDARY,
            caveat="Esketamine nasal spray only, 28-mg devices 5 min apart (later devices of a "
            "dose absorb 0.62× as much nasally). Parameters via nlmixr2lib from the paper's "
            "Table 3; typical non-Asian adult under 60. Body weight is not a covariate, so it "
            "is not used. Noresketamine volumes are apparent (/F) and the model over-predicts "
            "noresketamine AUC by about 1.4×; the paper gives no number for kmet's "
            "variability (30% placeholder).",
            population="healthy subjects and adults with treatment-resistant depression (n = 820)",
            routes=(PkRoute.INTRANASAL, PkRoute.IV),
            variability=Variability(
                omegas={
                    "frn": math.sqrt(0.501),
                    "ka_n": math.sqrt(0.319),
                    "ka_sw": math.sqrt(1.009),
                    "vc": math.sqrt(0.0730),
                    "vp1": math.sqrt(0.218),
                    "qh": math.sqrt(0.0524),
                    "vh": math.sqrt(0.113),
                    "kel": math.sqrt(0.892),
                    "kmet": math.sqrt(0.0862),
                    "vcn": math.sqrt(0.0955),
                    "cln": math.sqrt(0.0625),
                },
                published=True,
                note="Table 3 omegas via nlmixr2lib (FRn additive on the logit scale); kmet's "
                "is a 30% placeholder because the paper leaves it blank.",
            ),
            metabolite="noresketamine",
            uses_weight=False,
        ),
    )
}

DEFAULT_MODEL = "kamp"


def get_model(key: str) -> PKModel:
    """The model with this key; a ClinicalInputError naming the choices otherwise."""
    try:
        return MODELS[key]
    except KeyError:
        raise ClinicalInputError(
            f"unknown model {key!r}; choose one of {', '.join(MODELS)}", field="model"
        ) from None
