"""`ketaflow score`: score one form (or a CSV of forms) with the clinical core's instruments.

Thin edge: parse the command line, call `ketaflow.clinical.instruments`, print. Invalid
input exits with status 2 and a message naming the item and its allowed range.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import (
    CSSRS,
    INSTRUMENT_CODES,
    AnyInstrument,
    ItemInstrument,
    RiskLevelInstrument,
    Score,
    TotalInstrument,
    get_instrument,
)

USAGE_ERROR = 2

EPILOG = """\
forms:
  ketaflow score INSTRUMENT ANSWER... [--json]
      gad7 phq9 pcl5 hama lsas cadss cadss6 moaas aldrete padss: one answer per item, in
      item order (spaces or commas between answers). phq9 and gad7 take an optional last
      answer for the unscored difficulty question (0-3).
      lsas: 48 answers = the 24 fear/anxiety ratings for situations 1-24, then the 24
      avoidance ratings for situations 1-24 (each 0-3).
      cadss6: the 6 answers for CADSS items 1, 2, 6, 7, 15, 22 in that order.
  ketaflow score ybocs --total N [--json]
  ketaflow score pdss --total N --agoraphobia yes|no [--json]
      licensed scales: enter the total read from the clinic's licensed form.
  ketaflow score cssrs --risk none|low|moderate|high [--json]
  ketaflow score INSTRUMENT --csv FILE [--json]
      one form per row: the answers in the order above (ybocs: total; pdss: total,
      agoraphobia; cssrs: risk level). An optional first row without numbers is a header
      and is skipped. Blank rows are skipped; a blank cell is an unanswered item (an
      error, never a 0). Bad rows are reported with their row number and scoring goes on;
      the exit status is 2 if any row was bad.

exit status: 0 scored; 2 invalid input (the message names the item and its range).
"""


class _IntermixedCommandParser(CommandParser):
    """Lets options sit among the answers: `score gad7 --json 1 1 1 1 0 1 2`."""

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        return self.parse_intermixed_args(args, namespace)


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def _cells(tokens: Sequence[str]) -> list[str]:
    """Answers split on commas as well as spaces: "1,1,0" and "1 1 0" read the same."""
    return [cell.strip() for token in tokens for cell in token.split(",")]


def _answers(instrument: ItemInstrument, cells: Sequence[str]) -> list[int | None]:
    """Cells to answers; a blank cell is unanswered (the core rejects it, never scores 0)."""
    values: list[int | None] = []
    for position, cell in enumerate(cells):
        if cell == "":
            values.append(None)
            continue
        try:
            values.append(int(cell))
        except ValueError:
            if position >= len(instrument.items):
                values.append(None)  # the core reports the wrong answer count
                continue
            item = instrument.items[position]
            raise ClinicalInputError(
                f"{item.describe(instrument.name)}: {cell!r} is not a whole number "
                f"(allowed {item.minimum}-{item.maximum})",
                field=item.key,
            ) from None
    return values


def _yes_no(value: str | None) -> bool | None:
    if value is None or value.strip() == "":
        return None
    answer = value.strip().lower()
    if answer not in ("yes", "no"):
        raise ClinicalInputError(
            f"agoraphobia must be yes or no, not {value!r}", field="agoraphobia"
        )
    return answer == "yes"


def _total(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ClinicalInputError(f"total {value!r} is not a whole number", field="total") from None


def _score_cells(instrument: AnyInstrument, cells: Sequence[str]) -> Score:
    """Score one CSV row for any kind of instrument."""
    if isinstance(instrument, ItemInstrument):
        return instrument.score(_answers(instrument, cells))
    if isinstance(instrument, TotalInstrument):
        expected = 2 if instrument.has_agoraphobia_variant else 1
        if len(cells) != expected:
            shape = "total, agoraphobia (yes/no)" if expected == 2 else "total"
            raise ClinicalInputError(
                f"{instrument.name} rows hold {shape}; got {len(cells)} cells", field="row"
            )
        agoraphobia = _yes_no(cells[1]) if expected == 2 else None
        return instrument.score_total(_total(cells[0]), agoraphobia=agoraphobia)
    if len(cells) != 1:
        raise ClinicalInputError(
            f"{instrument.name} rows hold one risk level; got {len(cells)} cells", field="row"
        )
    return instrument.score_risk(cells[0])


def _is_header(instrument: AnyInstrument, cells: Sequence[str]) -> bool:
    if isinstance(instrument, RiskLevelInstrument):
        return cells[0].strip().lower() not in {lvl.code for lvl in instrument.levels}
    return not any(cell.lstrip("+-").isdigit() for cell in cells)


def _line(score: Score, instrument: AnyInstrument) -> str:
    if isinstance(instrument, RiskLevelInstrument):
        head = f"{instrument.name} risk level: {score.severity}"
    else:
        head = f"{instrument.name} total {score.total}/{instrument.maximum}"
        if score.severity is not None:
            head += f": {score.severity}"
    if score.subscales:
        head += " (" + ", ".join(f"{k} {v}" for k, v in score.subscales) + ")"
    lines = [head]
    for flag in score.flags:
        signoff = " (needs local sign-off)" if flag.needs_local_signoff else ""
        lines.append(f"  [{flag.kind.value}] {flag.code.value}: {flag.message}{signoff}")
    return "\n".join(lines)


def _as_json(score: Score, instrument: AnyInstrument) -> dict[str, Any]:
    return {**score.to_dict(), "name": instrument.name}


class Command(BaseCommand):
    # A calculator over the clinical core: no database, no URLs, so no system checks to
    # run (they import every URL, view and API route: seconds before the first answer).
    requires_system_checks: list[str] = []
    help = (
        "Score a rating instrument from its answers, a licensed scale from its total,\n"
        "or the C-SSRS screener from its risk level. See the forms below."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        kwargs.setdefault("epilog", EPILOG)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = _IntermixedCommandParser
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "instrument",
            metavar="INSTRUMENT",
            choices=INSTRUMENT_CODES,
            help="one of: " + " ".join(INSTRUMENT_CODES),
        )
        parser.add_argument(
            "answers",
            nargs="*",
            metavar="ANSWER",
            help="item answers in item order (lsas: 24 fear then 24 avoidance)",
        )
        parser.add_argument("--total", metavar="N", help="total of a licensed scale (ybocs, pdss)")
        parser.add_argument(
            "--agoraphobia", choices=("yes", "no"), help="pdss: bands differ with agoraphobia"
        )
        parser.add_argument(
            "--risk",
            metavar="LEVEL",
            help="cssrs risk level: " + "|".join(lvl.code for lvl in CSSRS.levels),
        )
        parser.add_argument("--csv", dest="csv_file", metavar="FILE", help="score one form per row")
        parser.add_argument("--json", dest="as_json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        instrument = get_instrument(options["instrument"])
        self._check_combination(instrument, options)
        if options["csv_file"]:
            self._score_csv(instrument, Path(options["csv_file"]), as_json=options["as_json"])
            return
        try:
            score = self._score_one(instrument, options)
        except ClinicalInputError as err:
            raise _fail(err.message) from err
        self._emit_one(score, instrument, as_json=options["as_json"])

    def _check_combination(self, instrument: AnyInstrument, options: dict[str, Any]) -> None:
        name, code = instrument.name, instrument.code
        answers, total = options["answers"], options["total"]
        risk, agoraphobia, csv_file = options["risk"], options["agoraphobia"], options["csv_file"]
        if csv_file and (answers or total is not None or risk or agoraphobia):
            raise _fail("--csv takes no answers, --total, --risk or --agoraphobia")
        if isinstance(instrument, ItemInstrument):
            if total is not None or risk or agoraphobia:
                raise _fail(
                    f"{name} is scored from its answers: give ANSWER..., not --total/--risk"
                )
            if not answers and not csv_file:
                raise _fail(
                    f"give the {len(instrument.items)} answers for {name} "
                    f"(or --csv FILE); see `ketaflow score --help`"
                )
        elif isinstance(instrument, TotalInstrument):
            if answers or risk:
                raise _fail(
                    f"{name} is licensed: Ketaflow holds no items for it; give --total N "
                    f"({instrument.minimum}-{instrument.maximum}) from the licensed form"
                )
            if total is None and not csv_file:
                raise _fail(
                    f"give --total N for {code} ({instrument.minimum}-{instrument.maximum})"
                )
        else:
            if answers or total is not None or agoraphobia:
                raise _fail(f"{name} is licensed: give only --risk LEVEL from the licensed form")
            if not risk and not csv_file:
                levels = "|".join(lvl.code for lvl in instrument.levels)
                raise _fail(f"give --risk {levels} for {code}")

    def _score_one(self, instrument: AnyInstrument, options: dict[str, Any]) -> Score:
        if isinstance(instrument, ItemInstrument):
            return instrument.score(_answers(instrument, _cells(options["answers"])))
        if isinstance(instrument, TotalInstrument):
            return instrument.score_total(
                _total(options["total"]), agoraphobia=_yes_no(options["agoraphobia"])
            )
        return instrument.score_risk(options["risk"])

    def _emit_one(self, score: Score, instrument: AnyInstrument, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(_as_json(score, instrument), ensure_ascii=False))
        else:
            self.stdout.write(_line(score, instrument))

    def _score_csv(self, instrument: AnyInstrument, path: Path, *, as_json: bool) -> None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as err:
            raise _fail(f"cannot read CSV file {path}: {err.strerror or err}") from err
        results: list[dict[str, Any]] = []
        bad = scored = 0
        reader = csv.reader(text.splitlines())
        first = True
        for cells in reader:
            row = reader.line_num
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue
            if first:
                first = False
                if _is_header(instrument, cells):
                    continue
            try:
                score = _score_cells(instrument, cells)
            except ClinicalInputError as err:
                bad += 1
                results.append({"row": row, "error": err.message, "field": err.field})
                if not as_json:
                    self.stderr.write(f"row {row}: {err.message}")
                continue
            scored += 1
            results.append({"row": row, **_as_json(score, instrument)})
            if not as_json:
                self.stdout.write(f"row {row}: {_line(score, instrument)}")
        if as_json:
            self.stdout.write(json.dumps(results, ensure_ascii=False))
        if bad:
            raise _fail(f"{bad} of {bad + scored} rows in {path} could not be scored")
        if not scored:
            raise _fail(f"{path} holds no forms to score")
