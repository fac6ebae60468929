"""The seeded clause library: sound outcome clauses for five service categories, loaded idempotently.

Each category's templates carry weights that sum to 100, so a procurement officer who copies the
whole set gets a contract whose clauses in force already weigh 100. Every template passes
`scoring.clause_rules.clause_problems`. Seeding only ever adds what is missing: a category is
matched by slug and a template by (category, key); nothing that exists is changed, so a template
edited (or retired) in the library stays as the officer left it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from models import ClauseTemplate, ServiceCategory, User, db

from ..audit import record_event, snapshot

# Category definitions match the demo city's contracts file (contracts_app/demo/city.py) for the
# two categories it also defines, so whichever loads first, the other finds nothing to change.
CATEGORIES: list[dict] = [
    {"slug": "asphalt-resurfacing", "name": "Asphalt resurfacing", "unit": "lane-mile",
     "row_key": "work_order_id", "date_column": "completed_on", "context_columns": ["street"]},
    {"slug": "pothole-repair", "name": "Pothole repair", "unit": "work order",
     "row_key": "work_order_id", "date_column": "completed_on", "context_columns": ["street", "reported_on"]},
    {"slug": "street-light-repair", "name": "Street-light repair", "unit": "work order",
     "row_key": "work_order_id", "date_column": "completed_on", "context_columns": ["location"]},
    {"slug": "snow-removal", "name": "Snow removal", "unit": "lane-mile",
     "row_key": "work_order_id", "date_column": "storm_end_on", "context_columns": ["route", "storm"]},
    {"slug": "refuse-collection", "name": "Refuse collection", "unit": "route",
     "row_key": "route_run_id", "date_column": "collection_date", "context_columns": ["route", "district"]},
]


def _clause(key: str, label: str, unit: str, direction: str, aggregation: str, target, weight, *,
            minimum=None, curve: str = "linear", incentive=0, penalty=0, valid=(None, None),
            aliases: tuple[str, ...] = (), row_standard=None, row_direction: str | None = None,
            denominator: str | None = None, scale=1, cap=1, language: str = "") -> dict:
    """One template's terms in plain form (Decimal numbers, enum values as strings)."""

    def dec(value):
        return None if value is None else Decimal(str(value))

    return {
        "key": key, "label": label, "unit": unit, "direction": direction, "aggregation": aggregation,
        "curve": curve, "target": dec(target), "minimum": dec(minimum), "weight": dec(weight),
        "incentive_pct": dec(incentive), "penalty_pct": dec(penalty),
        "valid_min": dec(valid[0]), "valid_max": dec(valid[1]), "aliases": list(aliases),
        "row_standard": dec(row_standard), "row_direction": row_direction, "denominator": denominator,
        "scale": dec(scale), "cap": dec(cap), "language": language,
    }


TEMPLATES: dict[str, list[dict]] = {
    "asphalt-resurfacing": [
        _clause("iri", "Smooth ride: segments with roughness at or below 95 in/mi", "%", "higher",
                "percent_meeting", 90, 20, minimum=70, incentive=1.0, penalty=1.5, valid=(20, 400),
                row_standard=95, row_direction="lower", aliases=("IRI", "roughness", "international roughness index"),
                language="At least 90% of resurfaced segments shall measure an International Roughness Index of "
                         "95 in/mi or less when tested within 30 days of completion."),
        _clause("pci_after", "Pavement condition after resurfacing", "PCI", "higher", "mean", 90, 20,
                minimum=80, incentive=1.0, penalty=2.0, valid=(0, 100), aliases=("PCI", "pavement condition index"),
                language="Resurfaced segments shall average a Pavement Condition Index of 90 or more at the "
                         "City's post-construction survey."),
        _clause("on_time", "Work orders completed by the scheduled date", "%", "higher", "percent_true", 95, 20,
                minimum=80, incentive=1.0, penalty=2.0, aliases=("completed on time", "on schedule"),
                language="At least 95% of work orders shall be complete, with the street reopened, by the date in "
                         "the City's work schedule."),
        _clause("defects", "Defects found at inspection per lane-mile", "defects/lane-mile", "lower", "ratio",
                Decimal("0.5"), 15, minimum=2, incentive=0.5, penalty=1.0, valid=(0, 200),
                denominator="lane_miles", aliases=("defect count", "defects found"),
                language="Defects found at the City's final inspection (raveling, segregation, poor joints, "
                         "ponding) shall not exceed 0.5 per lane-mile resurfaced."),
        _clause("resident_notice", "Residents notified 72 hours before work", "%", "higher", "percent_true", 98, 15,
                minimum=90, incentive=0.5, penalty=1.0, aliases=("notice given", "72 hour notice"),
                language="Door hangers and posted signs shall notify residents at least 72 hours before work "
                         "starts on their block."),
        _clause("complaints", "Resident complaints per work order", "complaints", "lower", "mean",
                Decimal("0.2"), 10, minimum=1, penalty=1.0, valid=(0, 50), aliases=("complaint count",),
                language="Substantiated resident complaints shall average no more than 0.2 per work order."),
    ],
    "pothole-repair": [
        _clause("repaired_48h", "Potholes repaired within 48 hours of the report", "%", "higher", "percent_true",
                90, 35, minimum=75, incentive=1.5, penalty=2.0,
                aliases=("within 48h", "repaired within 48 hours", "48 hour repair"),
                language="At least 90% of potholes reported to the City shall be permanently repaired within "
                         "48 hours of the work order."),
        _clause("repair_hours", "Median hours from report to repair", "hours", "lower", "median", 36, 20,
                minimum=72, incentive=0.5, penalty=1.0, valid=(0, 2000), aliases=("hours to repair", "response time"),
                language="The median time from the City's work order to a completed repair shall be 36 hours or "
                         "less."),
        _clause("passed_inspection", "Repairs passing the City's quality inspection", "%", "higher", "percent_true",
                95, 25, minimum=85, incentive=1.0, penalty=1.5, aliases=("passed inspection", "inspection passed"),
                language="At least 95% of inspected repairs shall pass: patch flush with the surrounding pavement, "
                         "edges sealed, no loose material."),
        _clause("repeat_pothole", "Repairs failing again within 30 days", "%", "lower", "percent_true", 3, 10,
                minimum=10, incentive=0.5, penalty=1.0, aliases=("failed within 30 days", "repeat pothole"),
                language="No more than 3% of repairs shall fail, or be reported again at the same location, within "
                         "30 days."),
        _clause("site_cleared", "Site cleaned and cones removed the same day", "%", "higher", "percent_true", 98, 10,
                minimum=90, penalty=0.5, aliases=("site clean", "site cleared same day"),
                language="Debris, cones and signs shall be removed from the site on the day of the repair."),
    ],
    "street-light-repair": [
        _clause("repaired_72h", "Outages repaired within 72 hours", "%", "higher", "percent_true", 90, 30,
                minimum=70, incentive=1.5, penalty=2.0, aliases=("within 72h", "repaired within 72 hours"),
                language="At least 90% of reported outages shall be repaired, with the light burning, within "
                         "72 hours of the work order."),
        _clause("repair_hours", "Median hours from report to repair", "hours", "lower", "median", 48, 20,
                minimum=96, incentive=0.5, penalty=1.0, valid=(0, 2000), aliases=("hours to repair", "response time"),
                language="The median time from the City's work order to a completed repair shall be 48 hours or "
                         "less."),
        _clause("repeat_failure", "Lights failing again within 30 days", "%", "lower", "percent_true", 5, 25,
                minimum=15, incentive=0.5, penalty=2.0, aliases=("failed again within 30 days", "repeat outage"),
                language="No more than 5% of repaired lights shall fail again within 30 days of the repair."),
        _clause("reporter_updated", "Residents who reported the outage told of the fix", "%", "higher",
                "percent_true", 90, 15, curve="ratio", cap=1, aliases=("reporter notified", "resident updated"),
                language="The resident who reported an outage shall be told, through the City's 311 system, when "
                         "it is fixed."),
        _clause("made_safe_2h", "Knock-downs and exposed wiring made safe within 2 hours", "%", "higher",
                "percent_true", 100, 10, curve="pass_fail", penalty=2.0,
                aliases=("made safe within 2h", "hazard made safe"),
                language="Every knocked-down pole and every exposed live wire shall be made safe within 2 hours of "
                         "the emergency call."),
    ],
    "snow-removal": [
        _clause("routes_cleared_12h", "Plow routes completed within 12 hours of storm end", "%", "higher",
                "percent_true", 95, 35, minimum=80, incentive=1.5, penalty=2.5,
                aliases=("completed within 12h", "route cleared within 12 hours", "cleared 12h"),
                language="At least 95% of assigned plow routes shall be plowed curb to curb within 12 hours of the "
                         "end of snowfall, as declared by the City."),
        _clause("bike_lanes_cleared", "Bike lanes cleared within 24 hours of storm end", "%", "higher",
                "percent_true", 90, 20, minimum=70, incentive=1.0, penalty=1.5,
                aliases=("bike lane cleared", "bike lanes within 24h"),
                language="At least 90% of bike lanes on assigned routes, protected lanes included, shall be clear "
                         "to their full width within 24 hours of the end of snowfall."),
        _clause("hours_to_clear", "Median hours from storm end to route cleared", "hours", "lower", "median", 8, 15,
                minimum=16, incentive=0.5, penalty=1.0, valid=(0, 240), aliases=("hours after storm", "time to clear"),
                language="The median time from the end of snowfall to a route being cleared shall be 8 hours or "
                         "less."),
        _clause("snow_depth", "Inspected segments with at most 1 inch of snow left", "%", "higher",
                "percent_meeting", 90, 15, minimum=75, incentive=0.5, penalty=1.0, valid=(0, 24),
                row_standard=1, row_direction="lower", aliases=("snow depth", "remaining snow"),
                language="At the City's post-storm inspection, at least 90% of inspected segments shall have 1 inch "
                         "of snow or less on the travel lanes."),
        _clause("damage_claims", "Property damage claims per 100 lane-miles plowed", "claims/100 lane-miles",
                "lower", "ratio", Decimal("0.5"), 15, minimum=2, penalty=1.0, valid=(0, 50),
                denominator="lane_miles", scale=100, aliases=("damage claims", "claims"),
                language="Substantiated claims for damage to mailboxes, curbs, lawns and parked cars shall not "
                         "exceed 0.5 per 100 lane-miles plowed."),
    ],
    "refuse-collection": [
        _clause("missed_pickups", "Missed pickups per 10,000 households served", "per 10,000 households", "lower",
                "ratio", 8, 35, minimum=20, incentive=1.0, penalty=2.0, valid=(0, 5000),
                denominator="households", scale=10000, aliases=("missed collections", "misses"),
                language="Missed pickups reported by residents and confirmed by the City shall not exceed 8 per "
                         "10,000 households served."),
        _clause("complaints_resolved_2d", "Complaints resolved within 2 business days", "%", "higher", "ratio",
                95, 25, minimum=80, incentive=1.0, penalty=1.5, valid=(0, 10000), denominator="complaints",
                scale=100, aliases=("resolved within 2 days", "complaints resolved"),
                language="At least 95% of resident complaints (missed pickup, spill, damaged cart) shall be "
                         "resolved within 2 business days of the 311 report."),
        _clause("route_on_time", "Routes completed by the end of the scheduled collection day", "%", "higher",
                "percent_true", 95, 20, minimum=85, incentive=0.5, penalty=1.0,
                aliases=("route completed on time", "on time"),
                language="At least 95% of routes shall be completed by 6 pm on their scheduled collection day."),
        _clause("spills", "Spills and litter left at the curb per 10,000 households", "per 10,000 households",
                "lower", "ratio", 2, 10, minimum=6, penalty=1.0, valid=(0, 1000), denominator="households",
                scale=10000, aliases=("spill reports", "litter reports"),
                language="Confirmed reports of spilled refuse or litter left after collection shall not exceed 2 "
                         "per 10,000 households served."),
        _clause("spot_check_score", "Curbside spot-check score (carts returned, area left clean)", "points",
                "higher", "mean", 95, 10, minimum=85, incentive=0.5, penalty=0.5, valid=(0, 100),
                aliases=("spot check", "spot-check score"),
                language="City spot checks of collected streets shall average 95 points or more out of 100 for "
                         "carts returned upright to the curb line and no refuse left behind."),
    ],
}


@dataclass
class LibrarySeedReport:
    categories_created: int = 0
    templates_created: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.categories_created or self.templates_created)


def seed_clause_library(actor: User | None = None) -> LibrarySeedReport:
    """Adds the missing categories and templates in the caller's transaction; never changes existing ones."""
    report = LibrarySeedReport()
    by_slug = {c.slug: c for c in db.session.scalars(select(ServiceCategory))}
    for values in CATEGORIES:
        category = by_slug.get(values["slug"])
        if category is None:
            category = ServiceCategory(**values)
            db.session.add(category)
            db.session.flush()
            record_event("servicecategory_created", category, after=snapshot(category), actor=actor,
                         summary=f"category {category.slug} for the clause library")
            report.categories_created += 1
            by_slug[category.slug] = category
        existing = set(db.session.scalars(select(ClauseTemplate.key).where(ClauseTemplate.category_id == category.id)))
        for terms in TEMPLATES[category.slug]:
            if terms["key"] in existing:
                continue
            template = ClauseTemplate(category=category, retired=False, **ClauseTemplate.model_terms(terms))
            db.session.add(template)
            db.session.flush()
            record_event("clause_template_created", template, after=snapshot(template), actor=actor,
                         summary=f"clause template {category.slug}/{template.key} seeded into the library")
            report.templates_created += 1
    return report
