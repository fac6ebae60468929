"""factory-boy factories for every model; they flush into the test's session."""
from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory
from werkzeug.security import generate_password_hash

from models import (
    Aggregation,
    AuditEvent,
    ClauseResult,
    ClauseStatus,
    ClauseTemplate,
    Contract,
    ContractAssignment,
    ContractPeriodScore,
    ContractStatus,
    Curve,
    Direction,
    Observation,
    OutcomeClause,
    Recommendation,
    RecommendationLine,
    Role,
    ServiceCategory,
    Upload,
    UploadStatus,
    User,
    Vendor,
    db,
)

TEST_PASSWORD = "correct-horse-battery"
TEST_PASSWORD_HASH = generate_password_hash(TEST_PASSWORD)  # hashed once: hashing is slow by design
# Users of the roles that need two-step sign-in are enrolled with this TOTP key; the client's
# sign_in helper types its current code.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
MFA_ROLES = (Role.ADMIN, Role.FINANCE, Role.VENDOR)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@city.test")
    name = factory.Faker("name")
    role = Role.FINANCE
    password_hash = TEST_PASSWORD_HASH
    is_enabled = True
    totp_secret = factory.LazyAttribute(lambda o: TEST_TOTP_SECRET if o.role in MFA_ROLES else None)
    # A vendor user always belongs to a vendor (SPEC §1); city staff to none.
    vendor = factory.LazyAttribute(lambda o: VendorFactory() if o.role == Role.VENDOR else None)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        """UserFactory(password="...") signs in with that password instead of TEST_PASSWORD."""
        if extracted:
            obj.set_password(extracted)
            if create:
                db.session.flush()


class CategoryFactory(BaseFactory):
    class Meta:
        model = ServiceCategory

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    unit = "lane-mile"
    row_key = "work_order_id"
    date_column = "completed_on"
    context_columns = factory.LazyFunction(lambda: ["street"])


class VendorFactory(BaseFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n} Paving")


class ContractFactory(BaseFactory):
    class Meta:
        model = Contract

    number = factory.Sequence(lambda n: f"PW-2026-{n:03d}")
    title = "Resurfacing, north region"
    vendor = factory.SubFactory(VendorFactory)
    category = factory.SubFactory(CategoryFactory)
    start_date = date(2026, 1, 1)
    end_date = date(2026, 12, 31)
    value = Decimal("2400000.00")
    status = ContractStatus.ACTIVE
    capacity = Decimal("40")
    incentive_cap = Decimal("5")
    penalty_cap = Decimal("10")


class _ClauseTermsFactory(BaseFactory):
    class Meta:
        abstract = True

    key = factory.Sequence(lambda n: f"measure_{n}")
    label = "Pavement condition after resurfacing"
    unit = "PCI"
    direction = Direction.HIGHER
    aggregation = Aggregation.MEAN
    curve = Curve.LINEAR
    target = Decimal("90")
    minimum = Decimal("80")
    weight = Decimal("100")
    incentive_pct = Decimal("1")
    penalty_pct = Decimal("2")
    valid_min = Decimal("0")
    valid_max = Decimal("100")
    aliases = factory.LazyFunction(list)
    scale = Decimal("1")
    cap = Decimal("1")
    language = ""


class OutcomeClauseFactory(_ClauseTermsFactory):
    class Meta:
        model = OutcomeClause

    contract = factory.SubFactory(ContractFactory)
    effective_from = "2026-01"


class ClauseTemplateFactory(_ClauseTermsFactory):
    class Meta:
        model = ClauseTemplate

    category = factory.SubFactory(CategoryFactory)


class UploadFactory(BaseFactory):
    class Meta:
        model = Upload

    contract = factory.SubFactory(ContractFactory)
    period = "2026-01"
    filename = factory.Sequence(lambda n: f"sheet-{n}.xlsx")
    sha256 = factory.Sequence(lambda n: hashlib.sha256(str(n).encode()).hexdigest())
    status = UploadStatus.COMMITTED
    row_count = 0
    report = factory.LazyFunction(dict)


class ObservationFactory(BaseFactory):
    class Meta:
        model = Observation

    upload = factory.SubFactory(UploadFactory)
    contract_id = factory.SelfAttribute("upload.contract_id")
    period = factory.SelfAttribute("upload.period")
    row_number = factory.Sequence(lambda n: n + 2)
    row_key = factory.Sequence(lambda n: f"WO-{n:05d}")
    work_date = date(2026, 1, 15)
    values = factory.LazyFunction(lambda: {"pci_after": 91.0})
    context = factory.LazyFunction(lambda: {"street": "Maple Ave"})


class ClauseResultFactory(BaseFactory):
    class Meta:
        model = ClauseResult

    clause = factory.SubFactory(OutcomeClauseFactory)
    contract = factory.SelfAttribute("clause.contract")
    clause_key = factory.SelfAttribute("clause.key")
    period = "2026-01"
    value = 91.0
    attainment = 100.0
    status = ClauseStatus.MET
    observations = 10


class ContractPeriodScoreFactory(BaseFactory):
    class Meta:
        model = ContractPeriodScore

    contract = factory.SubFactory(ContractFactory)
    period = "2026-01"
    composite = 92.5
    coverage = 1.0
    observations = 10


class RecommendationFactory(BaseFactory):
    class Meta:
        model = Recommendation

    category = factory.SubFactory(CategoryFactory)
    target_period = "2026-07"
    volume = Decimal("100")


class RecommendationLineFactory(BaseFactory):
    class Meta:
        model = RecommendationLine

    recommendation = factory.SubFactory(RecommendationFactory)
    vendor = factory.SubFactory(VendorFactory)
    share = 0.5
    share_before = 0.5
    volume = Decimal("50.00")


class ContractAssignmentFactory(BaseFactory):
    class Meta:
        model = ContractAssignment

    user = factory.SubFactory(UserFactory, role=Role.CONTRACT_MANAGER)
    contract = factory.SubFactory(ContractFactory)


class AuditEventFactory(BaseFactory):
    class Meta:
        model = AuditEvent

    actor = "system"
    action = "test_event"
    summary = "made by a test"
