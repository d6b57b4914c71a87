"""Plain domain types shared by every layer (no I/O, no platform)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Role(StrEnum):
    SECRETARY = "secretary"  # bí thư
    DEPUTY = "deputy"  # phó bí thư
    OFFICE = "office"  # văn phòng / ban
    LEADER = "leader"  # thường trực
    ADMIN = "admin"

    @property
    def answers_for_unit(self) -> bool:
        return self in (Role.SECRETARY, Role.DEPUTY)

    @property
    def is_staff(self) -> bool:
        return self in (Role.OFFICE, Role.ADMIN)

    @property
    def sees_all(self) -> bool:
        return self in (Role.OFFICE, Role.LEADER, Role.ADMIN)


class UnitKind(StrEnum):
    COMMITTEE = "committee"  # Đảng ủy Khối / Đảng ủy cấp trên
    PARTY_COMMITTEE = "party_committee"  # đảng bộ cơ sở
    CELL = "cell"  # chi bộ
    BOARD = "board"  # ban, văn phòng, cơ quan tham mưu
    ASSOCIATION = "association"  # đoàn thể: Công đoàn, Đoàn Thanh niên, Hội...

    @property
    def reports(self) -> bool:
        """Units of this kind owe the office reports by default."""
        return self in (UnitKind.PARTY_COMMITTEE, UnitKind.CELL)


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None


@dataclass(frozen=True)
class Identity:
    channel: str
    external_id: str
    chat_id: str
    display_name: str
    reachable: bool
    last_seen_at: datetime | None


@dataclass(frozen=True)
class Member:
    id: int
    unit_id: int
    role: Role
    full_name: str
    registered_at: datetime
    active: bool


@dataclass(frozen=True)
class Invite:
    id: int
    code: str
    unit_id: int
    role: Role
    max_uses: int
    uses: int
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime

    def problem(self, now: datetime) -> str | None:
        """Why this invite cannot be used now: 'revoked', 'expired', 'used', or None."""
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        if self.uses >= self.max_uses:
            return "used"
        return None


@dataclass(frozen=True)
class Conversation:
    """Where a person is in a flow; kept in the database so a restart resumes it."""

    flow: str | None = None
    step: str | None = None
    data: dict[str, object] | None = None

    @property
    def idle(self) -> bool:
        return self.flow is None


class PlanStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Repeat(StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class DeadlineState(StrEnum):
    PENDING = "pending"  # chưa báo cáo
    IN_PROGRESS = "in_progress"  # đang thực hiện
    DONE = "done"  # đã hoàn thành


@dataclass(frozen=True)
class Quota:
    per_unit_min: int | None = None
    per_unit_max: int | None = None
    total: int | None = None
    # What is counted, in the plan's words ("nội dung", "tập thể, cá nhân"): a count form's
    # question names it. Not a bound: two quotas that differ only here are the same quota.
    what: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Audience:
    """Who owes a task: every reporting unit, units of some kinds, or named units (codes)."""

    all: bool = False
    kinds: tuple[UnitKind, ...] = ()
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReminderPolicy:
    """Days before the deadline to remind (0 = on the day), how often and how many times after,
    and whether the office and leaders then get the list of late units."""

    before: tuple[int, ...] = (7, 3, 1, 0)
    after_every: int = 2
    after_times: int = 3
    escalate: bool = True


@dataclass(frozen=True)
class Plan:
    id: int
    number: str
    title: str
    issued: date | None
    issuer: str
    status: PlanStatus
    revision: int
    policy: ReminderPolicy | None
    published_at: datetime | None


@dataclass(frozen=True)
class Task:
    id: int
    plan_id: int
    ref: str
    position: int
    title: str
    details: str
    start: date | None
    due: date | None
    when_words: str
    repeat: Repeat
    audience: Audience
    lead_unit_id: int | None
    support: tuple[str, ...]
    form: str
    quota: Quota
    policy: ReminderPolicy | None
    cancelled: bool


@dataclass(frozen=True)
class Deadline:
    id: int
    task_id: int
    unit_id: int
    period: str
    start: date | None
    due: date | None
    state: DeadlineState
    cancelled: bool

    def late(self, today: date) -> bool:
        return self.due is not None and self.state is not DeadlineState.DONE and today > self.due


@dataclass(frozen=True)
class Letterhead:
    """What the plan does not say about the issuer: the committee above it (ĐẢNG BỘ TỈNH LÀO
    CAI) and the place written before the date (Lào Cai)."""

    parent: str = ""
    place: str = ""
