"""The conditions eligibility rules read, from either way in: history items or ICD-10 codes.

One rule per condition (in `history_rules`), two ways in: a chart's history item
(`psychosis_current`) and a diagnosis code (F20.0) become the same `HistoryItem`, so both give
the same finding. Codes are read as ICD-10-CM (the chart's codes: F40.10, F43.10), whose fourth
character in F10-F19 is 1 = abuse, 2 = dependence, 9 = use, and whose F1x.21 / F1x.11 mean
"in remission"; F1x.5 (WHO) and F1x.x5x (CM) are substance-induced psychotic disorders.

- Psychotic disorders F20-F29, psychotic depression F32.3 / F33.3, bipolar depression with
  psychotic features F31.5 and mania with psychotic symptoms F30.2 / F31.2: current psychosis.
- A current manic, hypomanic or mixed episode: F30 (not F30.3 / F30.4, in remission), F31.0,
  F31.1, F31.2, F31.6. Other bipolar codes (F31.3-F31.9) and cyclothymia F34.0: history of
  mania (bipolar disorder not in a manic episode).
- F16 (hallucinogens, under which ICD-10-CM codes phencyclidine, PCP): ketamine/PCP misuse; the
  code cannot tell PCP from other hallucinogens, so it is read the safe way.
- F10-F19 dependence not in remission (F1x.2, F1x.20, F1x.22...): a current substance use
  disorder; other F10-F19 codes (abuse, use, remission): a history of substance use disorder.
  F17 (nicotine) is left out: tobacco dependence is no reason to review ketamine treatment.
- Chronic cystitis N30.1, N30.2, N30.8 (ketamine cystitis is coded there): LUTS / cystitis.
- Liver disease K70-K77 and chronic viral hepatitis B18: liver disease, Child-Pugh class not
  recorded (a code carries no class; record it in the history).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ketaflow.clinical.eligibility.facts import HistoryItem, PatientFacts, normalise_icd10

_PSYCHOSIS = HistoryItem.PSYCHOSIS_CURRENT
_MANIA_NOW = HistoryItem.MANIA_CURRENT
_MANIA_PAST = HistoryItem.MANIA

# (pattern on the normalised code, the codes it matches in words, the conditions it means); all
# that match apply. The words are what the safety-rules page shows.
CODE_RULES: tuple[tuple[re.Pattern[str], str, frozenset[HistoryItem]], ...] = tuple(
    (re.compile(pattern), words, frozenset(items))
    for pattern, words, items in (
        (r"^F2\d", "F20-F29", {_PSYCHOSIS}),
        (r"^F3[23]\.3", "F32.3, F33.3", {_PSYCHOSIS}),
        (r"^F30\.2", "F30.2", {_PSYCHOSIS}),
        (r"^F31\.[25]", "F31.2, F31.5", {_PSYCHOSIS}),
        (r"^F30(?!\.[34])", "F30 (not F30.3, F30.4)", {_MANIA_NOW}),
        (r"^F30\.[34]", "F30.3, F30.4", {_MANIA_PAST}),
        (r"^F31\.[0126]", "F31.0, F31.1, F31.2, F31.6", {_MANIA_NOW}),
        (r"^F31(\.[3-57-9]|$)", "F31, F31.3-F31.5, F31.7-F31.9", {_MANIA_PAST}),
        (r"^F34\.0", "F34.0", {_MANIA_PAST}),
        (r"^F16", "F16", {HistoryItem.KETAMINE_PCP_MISUSE}),
        (
            r"^F1[0-58-9]\.2(?!1)",
            "F10-F19 .2x (not F17, not .21)",
            {HistoryItem.SUBSTANCE_USE_DISORDER_CURRENT},
        ),
        (
            r"^F1[0-58-9](?!\.2(?!1))",
            "other F10-F19 (not F16, F17)",
            {HistoryItem.SUBSTANCE_USE_DISORDER},
        ),
        (r"^F1[0-68-9]\.([129]5|5)", "F1x.5, F1x.x5x", {_PSYCHOSIS}),
        (r"^N30\.[128]", "N30.1, N30.2, N30.8", {HistoryItem.LUTS_OR_CYSTITIS}),
        (r"^(K7[0-7]|B18)", "K70-K77, B18", {HistoryItem.LIVER_DISEASE}),
    )
)


def items_for_code(code: str) -> frozenset[HistoryItem]:
    """The conditions one normalised ICD-10 code means (often none)."""
    found: set[HistoryItem] = set()
    for pattern, _words, items in CODE_RULES:
        if pattern.match(code):
            found |= items
    return frozenset(found)


def conditions_of(
    diagnoses: Iterable[str], history: Iterable[HistoryItem]
) -> dict[HistoryItem, tuple[str, ...]]:
    """Every condition present, with the fact fields it came from ("diagnoses", "history"),
    in `HistoryItem` order."""
    ways: dict[HistoryItem, set[str]] = {}
    for code in diagnoses:
        for item in items_for_code(normalise_icd10(code)):
            ways.setdefault(item, set()).add("diagnoses")
    for item in history:
        ways.setdefault(item, set()).add("history")
    return {item: tuple(sorted(ways[item])) for item in HistoryItem if item in ways}


def conditions(facts: PatientFacts) -> dict[HistoryItem, tuple[str, ...]]:
    return conditions_of(facts.diagnoses, facts.history)
