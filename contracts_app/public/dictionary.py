"""The data dictionary of the public downloads (issue 16): every column, what it means, its unit, how it is
computed, and where the method is written down, in plain words."""
from __future__ import annotations

from dataclasses import asdict, dataclass

SCORING_DOC = "How vendors are scored (docs/scoring.md; SPEC §3)"
VALUE_DOC = "docs/scoring.md, 'Period value' (SPEC §3)"
ATTAINMENT_DOC = "docs/scoring.md, 'Attainment' (SPEC §3)"
STATUS_DOC = "docs/scoring.md, 'Status' (SPEC §3)"
COMPOSITE_DOC = "docs/scoring.md, 'Composite and coverage' (SPEC §3)"
RANK_DOC = "docs/scoring.md, 'Vendor score and rank' (SPEC §3)"
PROBATION_DOC = "docs/scoring.md, 'Probation' (SPEC §3)"
UNCERTAINTY_DOC = "docs/scoring.md, 'How sure a score is' (SPEC §3b)"
SHEETS_DOC = "docs/sheets.md, the monthly performance sheets (SPEC §5)"
REVIEW_DOC = "docs/scoring.md, 'Review window and disputes' (SPEC §8)"


@dataclass(frozen=True)
class DictionaryEntry:
    file: str  # results, rankings or rows
    column: str
    meaning: str
    unit: str
    computed: str
    documented_in: str

    def as_dict(self) -> dict:
        return asdict(self)


DICTIONARY_COLUMNS = ["file", "column", "meaning", "unit", "computed", "documented_in"]


def _e(file: str, column: str, meaning: str, unit: str, computed: str, doc: str = SCORING_DOC) -> DictionaryEntry:
    return DictionaryEntry(file, column, meaning, unit, computed, doc)


RESULTS = [
    _e("results", "contract", "The contract's number.", "text", "As written in the contract."),
    _e("results", "vendor", "The company holding the contract.", "text", "As registered by the city."),
    _e("results", "period", "The month measured.", "month (YYYY-MM)",
       "Only final months: the vendor's review window has closed and no dispute is open.", REVIEW_DOC),
    _e("results", "clause_key", "The outcome clause (what is measured), by its short name.", "text",
       "As written in the contract."),
    _e("results", "value", "What was measured for the clause in that month.",
       "the clause's own unit (for example PCI, days, percent)",
       "From the month's rows by the clause's aggregation (mean, median, sum, percent true, percent meeting a "
       "standard, or a ratio), times its scale. Empty when no row had a value: missing, never zero.",
       VALUE_DOC),
    _e("results", "attainment", "How far the value reached the clause's target.", "points, 0 to 100 (more with a "
       "ratio curve's cap)", "By the clause's scoring curve: 100 at or better than the target, 0 at or worse than "
       "the minimum, in proportion between (linear); or value ÷ target (ratio); or 100 / 0 (pass-fail).",
       ATTAINMENT_DOC),
    _e("results", "status", "Whether the clause was met.", "met, partial, failed or no_data",
       "met when the value meets the target; failed when it is worse than the minimum (or misses a pass-fail "
       "target); partial in between; no_data when no row had a value.",
       STATUS_DOC),
    _e("results", "composite", "The contract's overall score for the month.", "points, 0 to 100",
       "The weighted mean of the attainments of the clauses with a value (weights from the contract).",
       COMPOSITE_DOC),
    _e("results", "coverage", "The share of the clauses' weight that had a value that month.", "fraction, 0 to 1",
       "Weight of clauses with a value ÷ weight of all clauses in force. Below 1 the month is incomplete.",
       COMPOSITE_DOC),
    _e("results", "observations", "The rows (units of work) behind the clause's value.", "count",
       "Rows of the month's sheet whose cell for the clause is not empty.",
       VALUE_DOC),
]

RANKINGS = [
    _e("rankings", "category", "The service category, by its short name (slug).", "text", "As set by the city."),
    _e("rankings", "period", "The last month of the window.", "month (YYYY-MM)",
       "The latest final month with a score in the category.", REVIEW_DOC),
    _e("rankings", "window", "How many months the scores cover, ending at the period.", "months",
       "Six months; months that are not final count for nothing.",
       RANK_DOC),
    _e("rankings", "rank", "The vendor's place, best first; equal scores share a place.", "place (1 = best)",
       "By descending score over the ranked vendors. Empty when the vendor has insufficient data.",
       RANK_DOC),
    _e("rankings", "vendor", "The company.", "text", "As registered by the city."),
    _e("rankings", "score", "The vendor's score in the category over the window.", "points, 0 to 100",
       "The mean of the monthly composites of the vendor's contracts, each weighted by its observations.",
       RANK_DOC),
    _e("rankings", "insufficient_data", "Too little data to rank the vendor.", "true or false",
       "true with fewer than 3 scored months or fewer than 30 observations in the window.",
       RANK_DOC),
    _e("rankings", "probation", "The vendor scored below 50 in its two most recent scored months.", "true or false",
       "From the vendor's monthly composites in the category.",
       PROBATION_DOC),
    _e("rankings", "scored_periods", "Months in the window with a score.", "months", "Final months only.",
       RANK_DOC),
    _e("rankings", "observations", "Rows (units of work) measured in the window.", "count", "Final months only.",
       RANK_DOC),
    _e("rankings", "shrunk_score", "The score pulled toward the category mean as far as it is unsure.",
       "points, 0 to 100", "Empirical-Bayes shrinkage: fewer, more scattered months pull further.",
       UNCERTAINTY_DOC),
    _e("rankings", "interval_low", "The low end of the 90 % interval around the shrunk score.", "points",
       "Shrunk score − 1.645 × its standard deviation.", UNCERTAINTY_DOC),
    _e("rankings", "interval_high", "The high end of the 90 % interval around the shrunk score.", "points",
       "Shrunk score + 1.645 × its standard deviation.", UNCERTAINTY_DOC),
    _e("rankings", "comparison", "How the vendor compares with the category.", "above, within or below",
       "above when the whole interval is above the category mean; below when it is all below; else within.",
       UNCERTAINTY_DOC),
    _e("rankings", "rank_best", "The best place the vendor could hold, given the intervals.", "place",
       "1 + the ranked vendors whose interval lies wholly above this vendor's.", UNCERTAINTY_DOC),
    _e("rankings", "rank_worst", "The worst place the vendor could hold, given the intervals.", "place",
       "The number of ranked vendors − those whose interval lies wholly below this vendor's.", UNCERTAINTY_DOC),
    _e("rankings", "category_mean", "The category's mean score, which shrunk scores are pulled toward.", "points",
       "The precision-weighted mean of the ranked vendors' scores.", UNCERTAINTY_DOC),
]

ROWS = [
    _e("rows", "contract", "The contract's number.", "text", "As written in the contract."),
    _e("rows", "vendor", "The company holding the contract.", "text", "As registered by the city."),
    _e("rows", "period", "The month the row was reported in.", "month (YYYY-MM)", "Final months only.", REVIEW_DOC),
    _e("rows", "row_key", "The row's identifier (for example the work order).", "text",
       "As reported in the vendor's monthly sheet.",
       SHEETS_DOC),
    _e("rows", "work_date", "The day the work was done.", "date (YYYY-MM-DD)", "From the sheet's date column.",
       SHEETS_DOC),
    _e("rows", "<clause column>", "One column per measured clause: the row's reading.",
       "the clause's own unit", "As reported in the monthly sheet; empty when not measured on this row.",
       VALUE_DOC),
    _e("rows", "<context column>", "Only the context columns the city chose to publish (for example a street).",
       "text", "As reported in the sheet. Other context columns may hold personal data and are never published.",
       SHEETS_DOC),
]

DICTIONARY = RESULTS + RANKINGS + ROWS
