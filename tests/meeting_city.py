"""A small city for the meeting tests: one category, three vendors scored over six months, a failed clause in
the meeting's month, an open dispute, an open action plan, and action items from the meeting before."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models import (
    ActionItemStatus,
    ActionPlan,
    ActionPlanMilestone,
    ClauseStatus,
    Dispute,
    MeetingActionItem,
    PlanReason,
    Role,
    ServiceCategory,
    User,
    db,
)

from .factories import (
    CategoryFactory,
    ClauseResultFactory,
    ContractFactory,
    ContractPeriodScoreFactory,
    OutcomeClauseFactory,
    UploadFactory,
    UserFactory,
    VendorFactory,
)

PERIOD = "2026-06"
PREVIOUS = "2026-05"
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
COMPOSITES = {"Northgate Asphalt": [94, 92, 95, 93, 96, 94], "Riverbend Paving": [81, 84, 79, 83, 80, 82],
              "Cobalt Street Works": [70, 66, 72, 64, 61, 58]}


@dataclass
class MeetingCity:
    category: ServiceCategory
    finance: User
    contracts: dict
    done_item: MeetingActionItem
    open_item: MeetingActionItem
    old_open_item: MeetingActionItem


def build_meeting_city() -> MeetingCity:
    category = CategoryFactory(name="Street resurfacing", slug="street-resurfacing")
    finance = UserFactory(role=Role.FINANCE, name="Fran Finance")
    contracts = {}
    for index, (name, composites) in enumerate(COMPOSITES.items()):
        contract = ContractFactory(vendor=VendorFactory(name=name), category=category, number=f"PW-2026-1{index}")
        contracts[name] = contract
        clause = OutcomeClauseFactory(contract=contract, key="pci_after", label="Pavement condition after resurfacing",
                                      target=90, minimum=80)
        for month, composite in zip(MONTHS, composites, strict=True):
            ContractPeriodScoreFactory(contract=contract, period=month, composite=composite, observations=40)
            failed = name == "Cobalt Street Works" and month == PERIOD
            ClauseResultFactory(clause=clause, contract=contract, period=month, value=72.5 if failed else 91.0,
                                attainment=0.0 if failed else 100.0,
                                status=ClauseStatus.FAILED if failed else ClauseStatus.MET, observations=40)
    cobalt = contracts["Cobalt Street Works"]
    upload = UploadFactory(contract=cobalt, period=PERIOD)
    db.session.add(Dispute(contract_id=cobalt.id, period=PERIOD, upload_id=upload.id, clause_keys=["pci_after"],
                           reason="Readings on Elm Street were taken before the final rolling."))
    plan = ActionPlan(contract_id=cobalt.id, reason=PlanReason.PROBATION, clause_keys=["pci_after"],
                      outcome_required="PCI at or above 90 for three months running.", opened_on=date(2026, 5, 20))
    plan.milestones = [ActionPlanMilestone(position=1, description="Retrain the rolling crew",
                                           due_on=date(2026, 7, 15))]
    db.session.add(plan)
    items = [
        MeetingActionItem(category_id=category.id, period=PREVIOUS, text="Send the corrected April sheet",
                          owner_name="Dana Cobalt (vendor)", due_on=date(2026, 6, 10), status=ActionItemStatus.DONE),
        MeetingActionItem(category_id=category.id, period=PREVIOUS, text="Audit ten Elm Street work orders",
                          owner_user_id=finance.id, due_on=date(2026, 6, 30), status=ActionItemStatus.OPEN),
        MeetingActionItem(category_id=category.id, period="2026-03", text="Agree a winter patching protocol",
                          owner_name="Riverbend representative", due_on=date(2026, 4, 30), status=ActionItemStatus.OPEN),
    ]
    db.session.add_all(items)
    db.session.flush()
    return MeetingCity(category=category, finance=finance, contracts=contracts, done_item=items[0],
                       open_item=items[1], old_open_item=items[2])
