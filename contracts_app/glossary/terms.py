"""The words of the scoring and reallocation method, in plain language (SPEC §3, §3b, §4, §8).

One list serves the glossary page and the short hints on the scorecard, rankings and recommendation pages,
so a word means the same everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    slug: str  # the anchor on the glossary page: /glossary#slug
    name: str
    short: str  # one line, for hints next to the numbers
    more: str = ""  # the rest, on the glossary page


TERMS = (
    Term("attainment", "Attainment",
         "How far a clause's monthly value got from its minimum (0 %) to its target (100 %).",
         "Worked out by the clause's scoring curve: linear between minimum and target, as a ratio of the target, "
         "or pass/fail. A clause with no rows in a month has no attainment that month."),
    Term("composite", "Composite",
         "A contract's score for one month, 0 to 100: the weighted mean of its clauses' attainments.",
         "Only clauses with a value that month count, each by its weight; the weights of a contract's clauses add "
         "up to 100."),
    Term("coverage", "Coverage",
         "The share of a contract's clause weight that had data in the month.",
         "Below 100 % the month is marked incomplete: it is never shown as perfect, nor counted as zero."),
    Term("vendor-score", "Vendor score",
         "A vendor's mean composite in a category over the window (default 6 months), weighted by rows.",
         "Each month's composite counts by its number of rows (observations), so a big month weighs more."),
    Term("insufficient-data", "Insufficient data",
         "Fewer than 3 scored months or fewer than 30 rows in the window: shown, but with no rank.",
         "Such a vendor's score is not used to hand out work; in a reallocation it is a trial vendor."),
    Term("probation", "Probation",
         "A vendor whose monthly composite was below the threshold (default 50) in its two latest scored months.",
         "A vendor on probation gets no work in a reallocation, and the page says why, until a better month "
         "lifts it."),
    Term("shrunk-score", "Shrunk score (θ)",
         "The vendor score pulled toward the category's mean by how little data backs it.",
         "A score from a few dozen rows moves a lot toward the mean; one from thousands of rows hardly moves. "
         "This is empirical-Bayes shrinkage."),
    Term("interval", "90 % interval",
         "The range the shrunk score lies in with 90 % confidence.",
         "When two vendors' intervals overlap, the order between them may be chance; the rank range says which "
         "ranks a vendor could really hold."),
    Term("rank-range", "Rank range",
         "The best and worst rank a vendor could hold, given the 90 % intervals.",
         "Best: one more than the number of vendors surely above it; worst: the count of vendors minus those "
         "surely below it."),
    Term("floor-share", "Floor share",
         "The least share of the work each eligible vendor gets in a reallocation (default 10 %).",
         "It keeps newer and weaker vendors in the competition. When the floors alone would exceed all the work, "
         "the floor is dropped and the page says so."),
    Term("gamma", "γ (gamma)",
         "How strongly better scores win more work: each vendor's weight is (score/100)^γ.",
         "γ = 1 shares work in proportion to scores; the default γ = 2 favours the best more; a larger γ more "
         "still."),
    Term("trial-vendor", "Trial vendor",
         "An eligible vendor without a usable score (insufficient data): it gets the floor share.",
         "Once it has 3 scored months and 30 rows in the window, it is weighted by its score like the others."),
    Term("provisional-month", "Provisional month",
         "A committed month still in its review window, when the vendor may comment or dispute its results.",
         "The window is the category's review days (default 14) from the commit."),
    Term("final-month", "Final month",
         "A month whose review window has closed with no dispute open: its results stand.",
         "A disputed month's bonus and penalty are on hold until the dispute is resolved."),
)
BY_SLUG = {term.slug: term for term in TERMS}
