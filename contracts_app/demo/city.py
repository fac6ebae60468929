"""The demo city's programme: categories, vendors, contracts and clauses, as a contracts file (SPEC §7)."""
from __future__ import annotations

DEMO_FIRST_PERIOD = "2025-11"
DEMO_LAST_PERIOD = "2026-10"
DEMO_PASSWORD = "demo-outcomes"
DEMO_USERS = [
    ("admin@demo.city", "admin", "Avery Admin"),
    ("procurement@demo.city", "procurement", "Pat Procurement"),
    ("manager@demo.city", "contract_manager", "Morgan Manager"),
    ("finance@demo.city", "finance", "Frankie Finance"),
    ("ridgeline@demo.city", "vendor", "Robin Ridgeline"),
]
# Demo vendor users and the vendor each works for (SPEC §1): it sees that vendor's contracts only.
DEMO_USER_VENDORS = {"ridgeline@demo.city": "Ridgeline Asphalt"}
# Published on purpose, like the password: the demo admin, finance and vendor users sign in with a second step
# (their roles need it) from this TOTP key. Never use it for a real account.
DEMO_TOTP_SECRET = "DEMOCITYOUTCOMESTOTPKEY234567ABC"
DEMO_MFA_ROLES = ("admin", "finance", "vendor")
# The demo contract manager looks after the resurfacing contracts only.
MANAGER_CONTRACT_PREFIX = "PW-"

ASPHALT_CLAUSES = [
    {"key": "iri", "label": "Smooth ride: segments with roughness at or below 95 in/mi", "unit": "%",
     "direction": "higher", "aggregation": "percent_meeting", "row_standard": 95, "row_direction": "lower",
     "curve": "linear", "target": 90, "minimum": 70, "weight": 20, "incentive": 1.0, "penalty": 1.5,
     "valid_min": 20, "valid_max": 400, "aliases": ["IRI", "IRI (in/mi)", "roughness"]},
    {"key": "pci_after", "label": "Pavement condition after resurfacing", "unit": "PCI",
     "direction": "higher", "aggregation": "mean", "curve": "linear", "target": 90, "minimum": 80,
     "weight": 20, "incentive": 1.0, "penalty": 2.0, "valid_min": 0, "valid_max": 100, "aliases": ["PCI"]},
    {"key": "on_time", "label": "Work orders completed by the scheduled date", "unit": "%",
     "direction": "higher", "aggregation": "percent_true", "curve": "linear", "target": 95, "minimum": 80,
     "weight": 20, "incentive": 1.0, "penalty": 2.0, "aliases": ["completed on time"]},
    {"key": "defects", "label": "Defects found at inspection per lane-mile", "unit": "defects/lane-mile",
     "direction": "lower", "aggregation": "ratio", "denominator": "lane_miles", "curve": "linear",
     "target": 0.5, "minimum": 2.0, "weight": 15, "incentive": 0.5, "penalty": 1.0,
     "valid_min": 0, "valid_max": 200, "aliases": ["defect count"]},
    {"key": "resident_notice", "label": "Residents notified 72 hours before work", "unit": "%",
     "direction": "higher", "aggregation": "percent_true", "curve": "linear", "target": 98, "minimum": 90,
     "weight": 15, "incentive": 0.5, "penalty": 1.0, "aliases": ["notice given"]},
    {"key": "complaints", "label": "Resident complaints per work order", "unit": "complaints",
     "direction": "lower", "aggregation": "mean", "curve": "linear", "target": 0.2, "minimum": 1.0,
     "weight": 10, "incentive": 0, "penalty": 1.0, "valid_min": 0, "valid_max": 50},
]

STREETLIGHT_CLAUSES = [
    {"key": "repaired_72h", "label": "Outages repaired within 72 hours", "unit": "%",
     "direction": "higher", "aggregation": "percent_true", "curve": "linear", "target": 90, "minimum": 70,
     "weight": 35, "incentive": 1.5, "penalty": 2.0, "aliases": ["within 72h"]},
    {"key": "repair_hours", "label": "Median hours from report to repair", "unit": "hours",
     "direction": "lower", "aggregation": "median", "curve": "linear", "target": 48, "minimum": 96,
     "weight": 25, "incentive": 0.5, "penalty": 1.0, "valid_min": 0, "valid_max": 2000},
    {"key": "repeat_failure", "label": "Lights failing again within 30 days", "unit": "%",
     "direction": "lower", "aggregation": "percent_true", "curve": "linear", "target": 5, "minimum": 15,
     "weight": 25, "incentive": 0.5, "penalty": 2.0},
    {"key": "reporter_updated", "label": "Residents who reported the outage told of the fix", "unit": "%",
     "direction": "higher", "aggregation": "percent_true", "curve": "ratio", "target": 90, "cap": 1.0,
     "weight": 15, "incentive": 0, "penalty": 0},
]

# (number, title, vendor, category, value, capacity, quality profile)
CONTRACTS = [
    ("PW-2025-101", "Resurfacing, north region", "Harbor Paving Co", "asphalt-resurfacing", 2_400_000, 40, "excellent"),
    ("PW-2025-102", "Resurfacing, central region", "Ridgeline Asphalt", "asphalt-resurfacing", 1_900_000, 35, "improving"),
    ("PW-2025-103", "Resurfacing, south region", "Summit Road Works", "asphalt-resurfacing", 1_750_000, 30, "poor"),
    ("PW-2025-104", "Resurfacing, north region arterials", "Keystone Paving", "asphalt-resurfacing", 1_200_000, 25, "steady"),
    ("SL-2025-201", "Street-light repair, east district", "Brightway Electric", "street-light-repair", 640_000, None,
     "excellent"),
    ("SL-2025-202", "Street-light repair, west district", "Citywide Lighting", "street-light-repair", 580_000, None, "improving"),
    ("SL-2025-203", "Street-light repair, downtown", "Volt Services", "street-light-repair", 520_000, None, "poor"),
]


def demo_contracts_file() -> dict:
    """The demo programme in the contracts-file format, so it loads through `import-contracts`' code."""
    clauses = {"asphalt-resurfacing": ASPHALT_CLAUSES, "street-light-repair": STREETLIGHT_CLAUSES}
    return {
        "categories": [
            {"slug": "asphalt-resurfacing", "name": "Asphalt resurfacing", "unit": "lane-mile",
             "row_key": "work_order_id", "date_column": "completed_on",
             "context_columns": ["street"]},
            {"slug": "street-light-repair", "name": "Street-light repair", "unit": "work order",
             "row_key": "work_order_id", "date_column": "completed_on", "context_columns": ["location"]},
        ],
        "vendors": [{"name": name} for name in sorted({c[2] for c in CONTRACTS})],
        "contracts": [
            {"number": number, "title": title, "vendor": vendor, "category": category,
             "start": "2025-07-01", "end": "2027-06-30", "value": value, "status": "active",
             "capacity": capacity, "incentive_cap": 5, "penalty_cap": 10,
             "clauses": [dict(c, effective_from="2025-07") for c in clauses[category]]}
            for number, title, vendor, category, value, capacity, _ in CONTRACTS
        ],
    }
