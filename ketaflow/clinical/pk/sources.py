"""The published sources behind the PK simulator, transcribed from the PK reference.

Kept beside the models that cite them; `evidence.source()` finds them too (keys "PK-…"),
next to the clinical fact sheets' S/A keys in `evidence_register.py`. They come from
shared/reference/pharmacokinetics.md. Authors, titles, years and DOIs are as that reference
gives them; a title in [square brackets] is a description because the reference recorded none.
"""

# Citations are transcribed verbatim, so their long lines stay whole.
# ruff: noqa: E501

from __future__ import annotations

from ketaflow.clinical.evidence_types import Source

DOMINO_1984 = Source(
    key="PK-Domino1984",
    citation="Domino EF, Domino SE, Smith RE et al. Ketamine kinetics in unmedicated and diazepam-premedicated subjects. Clin Pharmacol Ther 1984;36(5):645–653. The 3-compartment 'Stanpump' k-set as shipped in opentiva 1.1.2 (class Domino, cites PMID 7198883) and bensondaled/fus_anes; UNVERIFIED that the set comes from this paper.",
    authors="Domino EF, Domino SE, Smith RE et al.",
    title="Ketamine kinetics in unmedicated and diazepam-premedicated subjects",
    year=1984,
)
CLEMENTS_1981 = Source(
    key="PK-Clements1981",
    citation="Clements JA, Nimmo WS. Pharmacokinetics and analgesic effect of ketamine in man (title from memory in the reference). Br J Anaesth 1981;53(1):27–30. doi:10.1093/bja/53.1.27, PMID 7459184. Parameters: opentiva Clements250 (250 µg/kg bolus data), UNVERIFIED against the paper's tables.",
    authors="Clements JA, Nimmo WS",
    title="Pharmacokinetics and analgesic effect of ketamine in man",
    year=1981,
    doi="10.1093/bja/53.1.27",
)
CLEMENTS_1982 = Source(
    key="PK-Clements1982",
    citation="Clements JA, Nimmo WS, Grant IS. Bioavailability, pharmacokinetics, and analgesic activity of ketamine in humans. J Pharm Sci 1982;71(5):539–542 (citation from memory, UNVERIFIED). Widely quoted as IM F ≈ 93% and oral F ≈ 17%.",
    authors="Clements JA, Nimmo WS, Grant IS",
    title="Bioavailability, pharmacokinetics, and analgesic activity of ketamine in humans",
    year=1982,
)
HIJAZI_2003 = Source(
    key="PK-Hijazi2003",
    citation="Hijazi Y et al. Pharmacokinetics and haemodynamics of ketamine in intensive care patients with brain or spinal cord injury. Br J Anaesth 2003;90(2):155–160. doi:10.1093/bja/aeg028, PMID 12538370. Abstract verified (CL 36 mL/min/kg, t½ 4.9 h); k-set from opentiva Hijazi.",
    authors="Hijazi Y et al.",
    title="Pharmacokinetics and haemodynamics of ketamine in intensive care patients with brain or spinal cord injury",
    year=2003,
    doi="10.1093/bja/aeg028",
)
KAMP_2020 = Source(
    key="PK-Kamp2020",
    citation="Kamp J, Olofsen E, Henthorn TK, van Velzen M, Niesters M, Dahan A; Ketamine PK Study Group. Ketamine Pharmacokinetics: A Systematic Review of the Literature, Meta-analysis, and Population Analysis. Anesthesiology 2020;133(6):1192–1213. doi:10.1097/ALN.0000000000003577. Parameters as opentiva 'Klamp' (no venous delay compartments), UNVERIFIED against the paper's table.",
    authors="Kamp J, Olofsen E, Henthorn TK, van Velzen M, Niesters M, Dahan A; Ketamine PK Study Group",
    title="Ketamine Pharmacokinetics: A Systematic Review of the Literature, Meta-analysis, and Population Analysis",
    year=2020,
    doi="10.1097/ALN.0000000000003577",
)
HERD_2007 = Source(
    key="PK-Herd2007",
    citation="Herd DW, Anderson BJ. Ketamine disposition in children presenting for procedural sedation and analgesia in a children's emergency department. Paediatr Anaesth 2007;17(7):622–629. PMID 17564643. Verified (abstract); matches opentiva Herd.",
    authors="Herd DW, Anderson BJ",
    title="Ketamine disposition in children presenting for procedural sedation and analgesia in a children's emergency department",
    year=2007,
)
PEREZ_RUIXO_2021 = Source(
    key="PK-PerezRuixo2021",
    citation="Perez-Ruixo C et al. Population Pharmacokinetics of Esketamine Nasal Spray and its Metabolite Noresketamine in Healthy Subjects and Patients with Treatment-Resistant Depression. Clin Pharmacokinet 2021;60(4):501–516. doi:10.1007/s40262-020-00953-4. Via nlmixr2lib PerezRuixo_2020_esketamine.R (Table 3).",
    authors="Perez-Ruixo C et al.",
    title="Population Pharmacokinetics of Esketamine Nasal Spray and its Metabolite Noresketamine in Healthy Subjects and Patients with Treatment-Resistant Depression",
    year=2021,
    doi="10.1007/s40262-020-00953-4",
)
HORNIK_2018 = Source(
    key="PK-Hornik2018",
    citation="Hornik CP et al. Population pharmacokinetics of intramuscular and intravenous ketamine in children. J Clin Pharmacol 2018;58(8):1092–1104. doi:10.1002/jcph.1116. IM F = 41% verified (abstract).",
    authors="Hornik CP et al.",
    title="Population pharmacokinetics of intramuscular and intravenous ketamine in children",
    year=2018,
    doi="10.1002/jcph.1116",
)
CHONG_2006 = Source(
    key="PK-Chong2006",
    citation="Chong C, Schug S, Page-Sharp M, Ilett K. Pain Med 2006;7(5):469 (abstract; verified). Sublingual F 32 ± 17%, oral F 23 ± 9% (25 mg vs 10 mg IV).",
    authors="Chong C, Schug S, Page-Sharp M, Ilett K",
    title="[oral and sublingual ketamine bioavailability in adults]",
    year=2006,
)
BRUNETTE_2011 = Source(
    key="PK-Brunette2011",
    citation="Brunette KEJ et al. Exploring the pharmacokinetics of oral ketamine in children undergoing burns procedures. Paediatr Anaesth 2011;21(6):653–662. doi:10.1111/j.1460-9592.2011.03548.x. Oral F 0.45; absorption half-time 59 min (verified, abstract).",
    authors="Brunette KEJ et al.",
    title="Exploring the pharmacokinetics of oral ketamine in children undergoing burns procedures",
    year=2011,
    doi="10.1111/j.1460-9592.2011.03548.x",
)
YANAGIHARA_2003 = Source(
    key="PK-Yanagihara2003",
    citation="Yanagihara Y et al. Plasma concentration profiles of ketamine and norketamine after administration of various ketamine preparations to healthy Japanese volunteers. Biopharm Drug Dispos 2003;24(1):37–43. doi:10.1002/bdd.336 (verified, abstract; n = 3). Nasal spray 25 mg F ≈ 45%; oral tablet ≈ 20%.",
    authors="Yanagihara Y et al.",
    title="Plasma concentration profiles of ketamine and norketamine after administration of various ketamine preparations to healthy Japanese volunteers",
    year=2003,
    doi="10.1002/bdd.336",
)
PHARMACOTHERAPY_2022 = Source(
    key="PK-Pharmacotherapy2022",
    citation="Pharmacotherapy 2022;42(4):298–310, doi:10.1002/phar.2669, PMC9118341 Table 6 (title UNVERIFIED). Racemic intranasal 10/30/50 mg: F = 17/13/11%.",
    authors="",
    title="[racemic ketamine IV and intranasal pharmacokinetics in adults]",
    year=2022,
    doi="10.1002/phar.2669",
)
ZANOS_2018 = Source(
    key="PK-Zanos2018",
    citation="Zarate CA et al. Arch Gen Psychiatry 2006;63:856–864, as tabulated in Zanos P et al. Ketamine and ketamine metabolite pharmacology: insights into therapeutic mechanisms. Pharmacol Rev 2018;70(3):621–660, Table 1 (doi:10.1124/pr.117.015198; PMC6020109): ≈185 ng/mL at the end of 0.5 mg/kg IV over 40 min (venous); UNVERIFIED in the primary paper.",
    authors="Zanos P et al.",
    title="Ketamine and ketamine metabolite pharmacology: insights into therapeutic mechanisms",
    year=2018,
    doi="10.1124/pr.117.015198",
)
HENTHORN_2018 = Source(
    key="PK-Henthorn2018",
    citation="Henthorn TK et al. Combined recirculatory-compartmental population pharmacokinetic modeling of arterial and venous plasma S(+) and R(–) ketamine concentrations. Anesthesiology 2018;129(2):260–270 (verified, abstract). Arterial concentrations run higher during infusion, venous ones after it.",
    authors="Henthorn TK et al.",
    title="Combined recirculatory-compartmental population pharmacokinetic modeling of arterial and venous plasma S(+) and R(–) ketamine concentrations",
    year=2018,
)
OPENTIVA = Source(
    key="PK-opentiva",
    citation="opentiva 1.1.2 (PyPI; MIT), opentiva/ketamine.py: classes Domino, Clements250, Hijazi, Herd, Hornik, Klamp. Closed-form agreement with this simulator about 1e-12 (reference section 3).",
    authors="opentiva",
    title="opentiva: open-source TIVA pharmacokinetic models (ketamine module)",
    url="https://github.com/opentiva/opentiva",
)

ALL: tuple[Source, ...] = (
    DOMINO_1984,
    CLEMENTS_1981,
    CLEMENTS_1982,
    HIJAZI_2003,
    KAMP_2020,
    HERD_2007,
    PEREZ_RUIXO_2021,
    HORNIK_2018,
    CHONG_2006,
    BRUNETTE_2011,
    YANAGIHARA_2003,
    PHARMACOTHERAPY_2022,
    ZANOS_2018,
    HENTHORN_2018,
    OPENTIVA,
)
