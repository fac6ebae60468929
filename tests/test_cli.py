"""The stable command line of SPEC §6: init-db, seed-demo, create-user."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from contracts_app.demo.city import CONTRACTS, DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_USERS
from models import AuditEvent, Contract, ContractAssignment, Observation, Role, Upload, UploadStatus, User, db


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Contract, Upload, Observation, AuditEvent)
    }


def test_init_db_is_safe_to_run_on_an_up_to_date_schema(base_app):
    result = base_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_seed_demo_loads_the_city_and_prints_one_sign_in_per_role(cli, app):
    result = cli.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for email, _role, _name in DEMO_USERS:
        assert email in result.output
    assert DEMO_PASSWORD in result.output
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)  # city staff and a vendor user
    vendor_user = db.session.scalars(select(User).where(User.role == Role.VENDOR)
                                     .options(joinedload(User.vendor))).one()
    assert vendor_user.vendor.name == "Ridgeline Asphalt" and vendor_user.mfa_enabled
    assert "ridgeline@demo.city of Ridgeline Asphalt" in result.output
    assert DEMO_TOTP_SECRET in result.output, "the published demo TOTP key for admin and finance is printed"
    assert db.session.scalar(select(func.count()).select_from(Contract)) == len(CONTRACTS)
    # Twelve committed months per contract, every one through the upload commit path.
    committed = db.session.scalar(
        select(func.count()).select_from(Upload).where(Upload.status == UploadStatus.COMMITTED)
    )
    assert committed == 12 * len(CONTRACTS)
    assert db.session.scalar(select(func.count()).select_from(Observation)) > 2000


def test_seed_demo_twice_changes_nothing(cli):
    assert cli.invoke(args=["seed-demo"]).exit_code == 0
    before = _counts()
    second = cli.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "nothing changed" in second.output
    assert _counts() == before


def test_demo_vendors_differ_clearly_in_quality(cli):
    """The excellent vendor meets the pavement-condition target; the poor one falls below the minimum."""
    assert cli.invoke(args=["seed-demo"]).exit_code == 0

    def mean_pci(number: str) -> float:
        values = db.session.scalars(
            select(Observation.values).join(Contract, Contract.id == Observation.contract_id).where(Contract.number == number)
        ).all()
        return sum(v["pci_after"] for v in values) / len(values)

    excellent, poor = mean_pci("PW-2025-101"), mean_pci("PW-2025-103")
    assert excellent >= 90 > 80 >= poor


def test_demo_manager_is_assigned_to_resurfacing_contracts_only(cli):
    assert cli.invoke(args=["seed-demo"]).exit_code == 0
    manager = db.session.scalars(select(User).where(User.role == Role.CONTRACT_MANAGER).options(
        selectinload(User.assignments).joinedload(ContractAssignment.contract))).one()
    numbers = sorted(a.contract.number for a in manager.assignments)
    assert numbers and all(n.startswith("PW-") for n in numbers)


def test_create_user_with_password_from_stdin(cli):
    result = cli.invoke(args=["create-user", "Clerk@Springfield.gov", "--role", "finance", "--password-stdin"],
                        input="a-long-password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.email == "clerk@springfield.gov")).one()
    assert user.role == Role.FINANCE
    assert user.check_password("a-long-password")
    actions = select(AuditEvent.action).where(AuditEvent.object_type == "User", AuditEvent.object_id == str(user.id))
    assert db.session.scalars(actions).all() == ["user_created"]


def test_create_user_refuses_duplicate_email_with_exit_1(cli):
    args = ["create-user", "clerk@springfield.gov", "--role", "finance", "--password-stdin"]
    first = cli.invoke(args=args, input="a-long-password\n")
    assert first.exit_code == 0, first.stderr
    again = cli.invoke(args=args, input="another-password\n")
    assert again.exit_code == 1
    assert "already exists" in again.stderr


def test_create_user_refuses_short_password_and_stores_nothing(cli):
    result = cli.invoke(args=["create-user", "short@springfield.gov", "--role", "admin", "--password-stdin"], input="short\n")
    assert result.exit_code == 1
    assert "at least 12 characters" in result.stderr
    assert db.session.scalars(select(User).where(User.email == "short@springfield.gov")).first() is None


def test_create_user_unknown_role_is_a_usage_error(cli):
    result = cli.invoke(args=["create-user", "x@springfield.gov", "--role", "mayor", "--password-stdin"],
                        input="a-long-password\n")
    assert result.exit_code == 2
