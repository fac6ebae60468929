"""SQLAlchemy models of the whole domain (SPEC §2) and the shared `db` object."""
from .action_plans import ActionPlan, ActionPlanMilestone, MilestoneStatus, PlanReason, PlanStatus
from .api_tokens import ApiToken
from .audit import AuditEvent, AuditTrailIsAppendOnly
from .base import Base, Model, db, declared_for, today, utcnow
from .benchmarks import PeerBenchmark
from .catalog import ServiceCategory, Vendor
from .contracts import ClauseTemplate, Contract, OutcomeClause
from .data_version import DataVersion
from .disputes import Dispute, DisputeEvidence, DisputeStatus, MonthComment
from .jobs import Job
from .meetings import ActionItemStatus, MeetingActionItem
from .notifications import Notification
from .recommendations import Recommendation, RecommendationLine
from .scores import ClauseResult, ContractPeriodScore
from .types import (
    Aggregation,
    ClauseStatus,
    ContractStatus,
    Curve,
    Direction,
    JobStatus,
    RecommendationStatus,
    Role,
    UploadStatus,
)
from .uploads import Observation, Upload
from .users import ContractAssignment, SignInThrottle, User

__all__ = [
    "declared_for",
    "ActionItemStatus", "MeetingActionItem",
    "ApiToken",
    "ActionPlan", "ActionPlanMilestone", "MilestoneStatus", "Notification", "PlanReason", "PlanStatus",
    "Aggregation", "AuditEvent", "AuditTrailIsAppendOnly", "Base", "ClauseResult", "ClauseStatus",
    "ClauseTemplate", "Contract", "ContractAssignment", "ContractPeriodScore", "ContractStatus",
    "Curve", "DataVersion", "Direction", "Dispute", "DisputeEvidence", "DisputeStatus", "Job", "JobStatus", "Model",
    "MonthComment", "Observation", "OutcomeClause", "PeerBenchmark", "Recommendation",
    "RecommendationLine", "RecommendationStatus", "Role", "ServiceCategory", "SignInThrottle", "Upload", "UploadStatus",
    "User", "Vendor", "db", "today", "utcnow",
]
