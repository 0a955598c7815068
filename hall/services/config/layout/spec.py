"""The hall layout as typed specs: one shape for the TOML file ``hall seed`` reads, the file
the admin console exports and imports, and the console's create/update requests.

Field names are the TOML file's (minutes, not seconds; ``per_person_daily_limit``), so a
layout exported from the database and read back validates through the very same models,
and the admin API edits a service with the body a layout file would hold for it. Checks
that span entries (a service's department exists, a counter serves known services) live in
``LayoutSpec``; ``validate_layout`` in ``setup`` calls it for ``hall seed``.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hall.domain import chains
from hall.domain.duty import is_leave_word, rota_problem, shifts_from
from hall.domain.hall import parse_hours
from hall.domain.i18n import N_
from hall.domain.slots import LIMITS as BOOKING_LIMITS
from hall.domain.slots import parse_booking
from hall.domain.text import CONTROL, control_field

# hall-level keys of the layout kept in halls.settings (each has a default in code)
HALL_SETTINGS = ("pause_reasons", "priority_reasons", "holidays", "workdays",
                 "appointment_early_minutes", "appointment_late_minutes", "rating_reasons",
                 "followup_days", "alerts", "printer_profiles", "contact_phone",
                 "refusal_basis", "refusal_review", "public_url", "targets",
                 "max_extension_days", "shifts", "attendance_grace_minutes", "notify",
                 "call_by_name", "elder_age", "extended_service", "auto_dispatch_seconds",
                 "overnight_queue", "closing_time", "complaint_days", "late_rating_days",
                 "rating_dimensions", "haocha_user_type", "haocha_certificate_type")
CODE = r"^[a-z0-9][a-z0-9_-]{0,31}$"
Name = Field(min_length=1, max_length=200)
Reasons = Field(default=None, max_length=40)


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: Any) -> Any:
    """A day as TOML (a date) or JSON (``2026-10-01``) writes it; a number is no day."""
    if isinstance(value, str) and not _ISO_DAY.match(value):
        raise PydanticCustomError("date_parsing", "Input should be a date as YYYY-MM-DD")
    if not isinstance(value, (str, date)):
        raise PydanticCustomError("date_type", "Input should be a date as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day), Field(strict=False)]


def whole_numbers(value: Any) -> Any:
    """JSON's ``3.0`` is the integer 3 (JSON Schema says so too), which strict types would
    refuse; a number field takes it as 3 all the same."""
    if isinstance(value, dict):
        return {k: int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**63
                else v for k, v in value.items()}
    return value


class Spec(BaseModel):
    """Strict types (as in hall/api/schemas.py): ``true`` is not 1 nor ``0`` false."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)
    _whole_numbers = model_validator(mode="before")(whole_numbers)


Minutes = Field(default=None, ge=0, le=24 * 60, allow_inf_nan=False)


class AlertsSpec(Spec):
    """电子监察 thresholds in minutes (``[hall.alerts]``); unset ones take the defaults in
    ``hall.services.supervision.watch_rules.DEFAULTS`` (a test keeps the two key sets equal)."""

    long_wait_minutes: float | None = Minutes
    long_wait_critical_minutes: float | None = Minutes
    long_wait_by_service: dict[str, float] | None = Field(
        default=None, description="service code → minutes")
    idle_minutes: float | None = Minutes
    pause_minutes: float | None = Minutes
    pause_by_reason: dict[str, float] | None = Field(
        default=None, description="pause reason → minutes")
    device_silent_minutes: float | None = Minutes
    # 增开窗口: a line this many people long per open window, or waiting this long
    extra_window_per_window: float | None = Field(
        default=None, ge=0, le=1000, allow_inf_nan=False,
        description="people waiting per open window (a count, not minutes)")
    extra_window_wait_minutes: float | None = Minutes

    @field_validator("long_wait_by_service", "pause_by_reason")
    @classmethod
    def _finite(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value and any(not 0 <= v <= 24 * 60 for v in value.values()):
            raise ValueError(N_("each value is a number of minutes from 0 to 1440"))
        return value


Percent = Field(default=None, ge=0, le=100, allow_inf_nan=False)


class TargetsSpec(Spec):
    """考核目标 in percent (``[hall.targets]``); unset ones take the defaults in
    ``hall.domain.targets.TARGETS`` (现场办结率 90, 按时办结率 99, 满意率 95, 等候达标率 80)."""

    onsite_completion: float | None = Percent
    on_time: float | None = Percent
    satisfaction: float | None = Percent
    service_level: float | None = Percent


class ShiftSpec(Spec):
    """A shift of the rota (排班), e.g. 上午 09:00–12:00."""

    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=20)
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    end: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

    @model_validator(mode="after")
    def _order(self) -> ShiftSpec:
        if self.end <= self.start:
            raise ValueError(N_("a shift ends after it starts"))
        return self


class ExtendedServiceSpec(Spec):
    """延时服务: a day (``date``) or a weekday every week (``weekday``, 1 = Monday … 7,
    statutory holidays skipped) the hall serves though it is no working day; tickets and
    bookings honour it, case deadlines do not (hall/domain/workdays.ServiceDay)."""

    date: Day | None = None
    weekday: int | None = Field(default=None, ge=1, le=7)
    hours: list[str] | None = Field(default=None, max_length=4,
                                    description='e.g. ["09:00-12:00"]; none: all day')
    services: list[str] | None = Field(default=None, max_length=200,
                                       description="service codes served; none: every one")

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: list[str] | None) -> list[str] | None:
        if value:
            try:
                parse_hours(value)
            except ValueError as exc:
                raise ValueError(N_("hours are spans like 09:00-12:00")) from exc
        return value

    @model_validator(mode="after")
    def _one_day(self) -> ExtendedServiceSpec:
        if (self.date is None) == (self.weekday is None):
            raise ValueError(N_("give either a date or a weekday"))
        return self


class NotifySpec(Spec):
    """Near-turn messages (``[hall.notify]``; hall/domain/notify.NotifySettings has the
    defaults). Credentials are never here: only in the environment."""

    provider: Literal["aliyun", "tencent"] | None = Field(
        default=None, description="SMS provider; none: no text messages")
    wechat: bool | None = Field(default=None, description="WeChat subscribe messages")
    ahead: int | None = Field(default=None, ge=1, le=50,
                              description="first reminder when this many are ahead (3)")
    second_ahead: int | None = Field(default=None, ge=0, le=50,
                                     description="second reminder at this many (1)")
    keep_days: int | None = Field(default=None, ge=1, le=180,
                                  description="days the masked phone is kept (7)")
    per_phone_daily: int | None = Field(default=None, ge=1, le=50,
                                        description="tickets one phone may follow a day (5)")


class HallSpec(Spec):
    code: str = Field(pattern=CODE)
    name: str = Name
    name_en: str = Field(default="", max_length=200)
    timezone: str = "Asia/Shanghai"
    target_wait_minutes: int = Field(default=15, ge=1, le=600)
    priority_ratio: int = Field(default=2, ge=0, le=20,
                                description="normal tickets called per priority ticket")
    max_wait_minutes: int = Field(default=45, ge=1, le=1440)
    rating_window_minutes: int = Field(default=10, ge=1, le=240)
    recall_limit: int = Field(default=3, ge=0, le=20)
    pause_reasons: list[str] | None = Reasons
    priority_reasons: list[str] | None = Reasons
    rating_reasons: list[str] | None = Reasons
    holidays: list[Day] | None = Field(default=None, max_length=400,
                                        description="extra closed days (local holidays)")
    workdays: list[Day] | None = Field(default=None, max_length=400,
                                        description="extra working days (调休 make-up days)")
    appointment_early_minutes: int | None = Field(default=None, ge=0, le=240)
    appointment_late_minutes: int | None = Field(default=None, ge=0, le=240)
    followup_days: int | None = Field(default=None, ge=1, le=60)
    alerts: AlertsSpec | None = None
    targets: TargetsSpec | None = None
    max_extension_days: int | None = Field(
        default=None, ge=1, le=60, description="延期: at most this many working days (10)")
    printer_profiles: dict[str, Any] | None = None
    # the visitor's paper from a window (hall/services/cases/documents.py has the defaults)
    contact_phone: str | None = Field(default=None, max_length=40,
                                      description="the hall's phone, on every document")
    refusal_basis: str | None = Field(default=None, max_length=1000,
                                      description="不予受理通知书: the legal basis")
    refusal_review: str | None = Field(default=None, max_length=1000,
                                       description="不予受理通知书: how to seek review")
    public_url: str | None = Field(
        default=None, max_length=200,
        description="where phones reach the hall (the QR codes): http(s)://HOST[:PORT][/PATH]")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None  # an emptied form field: HALL_PUBLIC_URL, else the request's address
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
                or parts.fragment or parts.username or parts.password:
            raise ValueError(f"{value!r}: expected http(s)://HOST[:PORT][/PATH], "
                             "e.g. http://192.168.1.20:5000")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError(f"{value!r}: expected http(s)://HOST[:PORT][/PATH]") from None
        return value.strip().rstrip("/")


    # the rota's shifts (hall/domain/duty.DEFAULT_SHIFTS when unset) and how late a sign-in
    # may be before it counts as late (and a window not open raises 缺岗)
    shifts: list[ShiftSpec] | None = Field(default=None, max_length=6)
    attendance_grace_minutes: int | None = Field(default=None, ge=0, le=120)
    # issue 21: near-turn messages; calling by name (masked, off by default); the age from
    # which an ID card swiped at the kiosk offers 绿色通道 (60)
    notify: NotifySpec | None = None
    call_by_name: bool | None = None
    elder_age: int | None = Field(default=None, ge=50, le=100)
    # issue 22: 延时服务 days; auto-dispatch (a free window idle this long with people
    # waiting calls the next itself; off when unset); the overnight queue at closing time
    extended_service: list[ExtendedServiceSpec] | None = Field(default=None, max_length=200)
    auto_dispatch_seconds: int | None = Field(
        default=None, ge=5, le=3600,
        description="a free window idle this long with people waiting calls the next itself")
    overnight_queue: Literal["cancel", "carry"] | None = Field(
        default=None, description="at closing: cancel the waiting tickets, or carry them "
                                  "to the next service day in order; unset: leave them")
    closing_time: str | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                     description="when the overnight queue is settled (18:00)")
    # issue 19: complaints answered within these working days; a visit rated later from
    # its phone page within these days of it; the optional rating dimensions, each scored
    # 1-5; the 好差评 record's userType / certificateType codes (the province's own)
    complaint_days: int | None = Field(default=None, ge=1, le=60,
                                       description="投诉: working days to answer one (5)")
    late_rating_days: int | None = Field(
        default=None, ge=0, le=90,
        description="days after a visit it can still be rated from its phone page (7)")
    rating_dimensions: list[str] | None = Field(
        default=None, max_length=8, description="optional rating dimensions (礼仪, 效率, 环境 …)")
    haocha_user_type: str | None = Field(default=None, max_length=8,
                                         description="好差评 userType of a visitor (1)")
    haocha_certificate_type: str | None = Field(
        default=None, max_length=8, description="好差评 certificateType (111, 居民身份证)")

    @field_validator("shifts")
    @classmethod
    def _shift_codes(cls, value: list[ShiftSpec] | None) -> list[ShiftSpec] | None:
        if value is not None and len({s.code for s in value}) != len(value):
            raise ValueError(N_("shift codes must not repeat"))
        return value

    @field_validator("contact_phone", "refusal_basis", "refusal_review", "haocha_user_type",
                     "haocha_certificate_type")
    @classmethod
    def _blank_is_default(cls, value: str | None) -> str | None:
        return value or None  # an emptied form field means "the default"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("pause_reasons", "priority_reasons", "rating_reasons")
    @classmethod
    def _reasons(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [v.strip() for v in value]
        if any(not v or len(v) > 50 for v in cleaned):
            raise ValueError(N_("each reason is 1 to 50 characters"))
        if len(set(cleaned)) != len(cleaned):
            raise ValueError(N_("reasons must not repeat"))
        return cleaned

    @field_validator("rating_dimensions")
    @classmethod
    def _dimensions(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None  # an emptied form field: no dimensions
        cleaned = [v.strip() for v in value]
        if any(not v or len(v) > 20 for v in cleaned):
            raise ValueError(N_("each rating dimension is 1 to 20 characters"))
        if len(set(cleaned)) != len(cleaned):
            raise ValueError(N_("rating dimensions must not repeat"))
        return cleaned

    @field_validator("pause_reasons")
    @classmethod
    def _no_leave(cls, value: list[str] | None) -> list[str] | None:
        """A short pause is not leave: 请假 is requested and approved (请销假), never a
        pause reason."""
        if value and any(is_leave_word(v) for v in value):
            raise ValueError(N_("leave is not a pause reason: staff request it as leave"))
        return value


class DepartmentSpec(Spec):
    code: str = Field(pattern=CODE)
    name: str = Name
    name_en: str = Field(default="", max_length=200)


class BookingSpec(Spec):
    slot_minutes: int = Field(ge=BOOKING_LIMITS["slot_minutes"][0],
                              le=BOOKING_LIMITS["slot_minutes"][1])
    capacity: int = Field(ge=BOOKING_LIMITS["capacity"][0], le=BOOKING_LIMITS["capacity"][1])
    days_ahead: int = Field(ge=BOOKING_LIMITS["days_ahead"][0],
                            le=BOOKING_LIMITS["days_ahead"][1])


class ServiceSpec(Spec):
    code: str = Field(pattern=CODE)
    department: str = Field(pattern=CODE, description="the department's code")
    name: str = Name
    name_en: str = Field(default="", max_length=200)
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$", description="ticket letter(s), e.g. A")
    kind: Literal["instant", "promised"] = Field(description="即办件 or 承诺件")
    legal_days: int = Field(default=0, ge=0, le=365, description="法定时限, working days")
    promised_days: int = Field(default=0, ge=0, le=365, description="承诺时限, working days")
    expected_visit_minutes: int = Field(ge=1, le=480)
    time_limit_minutes: int = Field(ge=1, le=480, description="限时办结 at the window")
    warning_minutes: int | None = Field(default=None, ge=1, le=480)
    warning_days: int = Field(default=1, ge=0, le=60,
                              description="警戒时限: a case is amber this many working days "
                                          "before due")
    fast_track_days: int | None = Field(default=None, ge=1, le=365, description=(
        "绿色通道: the shortened 承诺时限 (working days) of a case registered as fast-track; "
        "none = no fast track"))
    daily_quota: int | None = Field(default=None, ge=1, le=10_000_000)
    per_person_daily_limit: int | None = Field(default=None, ge=1, le=100)
    hours: list[str] = Field(default_factory=list, max_length=8,
                             description='opening spans, e.g. ["09:00-12:00"]; none = always')
    booking: BookingSpec | None = None
    materials: list[str] | None = Field(default=None, max_length=60)
    basis: str | None = Field(default=None, max_length=2000)
    fee: str | None = Field(default=None, max_length=500)
    steps: list[str] | None = Field(default=None, max_length=30)
    notes: str | None = Field(default=None, max_length=2000)
    conditions: str | None = Field(default=None, max_length=2000,
                                   description="申请条件: who may apply")
    fee_basis: str | None = Field(default=None, max_length=1000,
                                  description="收费依据: the fee's legal basis")
    affair_code: str | None = Field(
        default=None, max_length=64, pattern=r"^[0-9A-Za-z_.-]+$",
        description="the 实施清单 code of the matter: the 好差评 record's affairCode (issue 19); "
                    "unset: the service's own code")
    # not ``steps``: that is the guide's 办理流程, words for the visitor
    chain: list[Annotated[str, Field(pattern=CODE)]] | None = Field(
        default=None, max_length=chains.MAX_STEPS,
        description="多窗联办: the codes of the services a ticket of this one goes through, "
                    "in order (one number through every step)")
    active: bool = True

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: list[str]) -> list[str]:
        parse_hours(value)
        return value

    @field_validator("booking", mode="before")
    @classmethod
    def _no_booking(cls, value: Any) -> Any:
        return None if value == {} else value  # {} in a layout file means "no appointments"

    @field_validator("booking")
    @classmethod
    def _booking(cls, value: BookingSpec | None) -> BookingSpec | None:
        if value is not None:
            parse_booking(value.model_dump())
        return value

    @model_validator(mode="after")
    def _limits(self) -> ServiceSpec:
        if self.warning_minutes is not None and self.warning_minutes >= self.time_limit_minutes:
            raise ValueError(N_("warning_minutes must be below time_limit_minutes"))
        if self.kind == "promised" and self.legal_days and self.promised_days > self.legal_days:
            raise ValueError(N_("promised_days exceeds legal_days"))
        if self.fast_track_days is not None and not (
                self.kind == "promised" and self.fast_track_days < self.promised_days):
            raise ValueError(N_("fast_track_days must be below promised_days"))
        return self


class CounterServiceSpec(Spec):
    service: str = Field(pattern=CODE)
    weight: int = Field(default=1, ge=1, le=100, description="call-next share")


class CounterSpec(Spec):
    number: int = Field(ge=1, le=999)
    name: str = Field(min_length=1, max_length=100)
    led_address: int | None = Field(default=None, ge=0, le=65535)
    services: list[CounterServiceSpec] = Field(default_factory=list, max_length=200)
    active: bool = True

    @field_validator("services")
    @classmethod
    def _unique(cls, value: list[CounterServiceSpec]) -> list[CounterServiceSpec]:
        codes = [s.service for s in value]
        if len(set(codes)) != len(codes):
            raise ValueError(N_("a service is listed twice"))
        return value


class StaffSpec(Spec):
    login: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1, max_length=100)
    number: str = Field(default="", max_length=32)
    role: Literal["staff", "supervisor", "admin"] = "staff"
    active: bool = True
    department: str | None = Field(default=None, pattern=CODE,
                                   description="the department's code: the unit the person "
                                               "is seconded from (派驻单位)")


class DeviceSpec(Spec):
    """A device and where it is reached (issue 17 §1), as /admin/devices sets it; its token
    is never part of a layout (a device new to the database is paired, or given one with
    ``hall device add``). ``url`` is checked by the drivers' parser when the layout is
    written (hall.services.devices.transport.check_url)."""

    name: str = Field(min_length=1, max_length=100)
    kind: Literal["kiosk", "screen", "sign", "keypad", "pad", "agent", "printer"]
    counter: int | None = Field(default=None, ge=1, le=999,
                                description="the window's number, for a window's device")
    url: str | None = Field(default=None, max_length=300)


class RotaSpec(Spec):
    """A post of the rota (排班): who holds (A) or covers (B, AB岗) a window on a day's
    shift. A layout carries the rota from the week it was exported in on."""

    counter: int = Field(ge=1, le=999, description="the window's number")
    day: Day
    shift: str = Field(pattern=CODE, description="a shift code of the hall")
    post: Literal["A", "B"]
    login: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="a staff login")


class NoticeSpec(Spec):
    text: str = Field(min_length=1, max_length=500)


class LayoutSpec(Spec):
    hall: HallSpec
    departments: list[DepartmentSpec] = Field(default_factory=list)
    services: list[ServiceSpec] = Field(default_factory=list)
    counters: list[CounterSpec] = Field(default_factory=list)
    staff: list[StaffSpec] = Field(default_factory=list)
    notices: list[NoticeSpec] = Field(default_factory=list)
    devices: list[DeviceSpec] = Field(default_factory=list)
    rota: list[RotaSpec] = Field(default_factory=list, max_length=20_000,
                                 description="the weeks it names replace the hall's")

    @model_validator(mode="before")
    @classmethod
    def _text_only(cls, data: Any) -> Any:
        """A file's escapes (``\\u0000``, ``\\u001b``) decode to control characters, which
        no request could send (hall/domain/text.py): refused here, for ``hall seed`` and
        the console's import alike, naming the entry."""
        where = control_entry(data) if isinstance(data, dict) else None
        if where is not None:
            raise PydanticCustomError(
                "control_character",
                "{where}: holds a control character or other invisible code that is not text",
                {"where": where})
        return data

    @model_validator(mode="after")
    def _references(self) -> LayoutSpec:
        numbers = {c.number for c in self.counters}
        for dev in self.devices:
            if dev.counter is not None and dev.counter not in numbers:
                raise ValueError(f"devices.{dev.name}: unknown counter {dev.counter!r}")
        _unique("departments", [d.code for d in self.departments])
        _unique("services", [s.code for s in self.services])
        _unique("counters", [c.number for c in self.counters])
        _unique("staff", [s.login for s in self.staff])
        depts = {d.code for d in self.departments}
        for s in self.services:
            if s.department not in depts:
                raise ValueError(f"services.{s.code}: unknown department {s.department!r}")
        found = chains.first_problem({s.code: s.chain or [] for s in self.services})
        if found is not None:
            raise ValueError(f"services.{found[0]}: chain: {found[1].text()}")
        for st in self.staff:
            if st.department is not None and st.department not in depts:
                raise ValueError(f"staff.{st.login}: unknown department {st.department!r}")
        codes = {s.code for s in self.services}
        for c in self.counters:
            for cs in c.services:
                if cs.service not in codes:
                    raise ValueError(f"counters.{c.number}: unknown service {cs.service!r}")
        self._check_rota(numbers)
        return self

    def _check_rota(self, numbers: set[int]) -> None:
        logins = {s.login for s in self.staff}
        for p in self.rota:
            where = f"rota.{p.day.isoformat()} {p.shift} {p.counter} {p.post}"
            if p.counter not in numbers:
                raise ValueError(f"{where}: unknown counter {p.counter!r}")
            if p.login not in logins:
                raise ValueError(f"{where}: unknown login {p.login!r}")
        shifts = shifts_from({"shifts": [s.model_dump() for s in self.hall.shifts or []]})
        problem = rota_problem(((p.counter, p.day, p.shift, p.post, p.login)
                                for p in self.rota), shifts)
        if problem:
            raise ValueError(f"rota.{problem}")

    def to_toml_dict(self) -> dict[str, Any]:
        """The plain dict a TOML writer takes: no None values (TOML has no null)."""
        return _drop_none(self.model_dump(mode="python"))


KEYS = {"departments": "code", "services": "code", "counters": "number", "staff": "login",
        "devices": "name"}


def control_entry(data: dict[str, Any]) -> str | None:
    """Where in a layout's data a text holds a control character (``services.hj.name``,
    the entry named by its code as ``describe`` does), or None."""
    where = control_field(data)
    if where is None:
        return None
    parts = where.split(".")
    if len(parts) >= 2 and parts[0] in KEYS and parts[1].isdigit():
        entries = data.get(parts[0]) or []
        entry = entries[int(parts[1])] if int(parts[1]) < len(entries) else None
        key = entry.get(KEYS[parts[0]]) if isinstance(entry, dict) else None
        if key is not None and not CONTROL.search(str(key)):
            parts[1] = str(key)
    return ".".join(parts)


def describe(err: ValidationError, data: dict[str, Any]) -> str:
    """A layout error as a person reads it: ``services.hj: booking.capacity must be …``,
    naming the entry by its code (number, login) rather than its position."""
    lines = []
    for e in err.errors(include_url=False):
        loc, msg = list(e["loc"]), e["msg"].removeprefix("Value error, ")
        where = []
        if len(loc) >= 2 and loc[0] in KEYS and isinstance(loc[1], int):
            entry = (data.get(loc[0]) or [{}])[loc[1]] if loc[1] < len(data.get(loc[0]) or []) \
                else {}
            where = [str(loc[0]), str(entry.get(KEYS[loc[0]], loc[1]) if isinstance(entry, dict)
                                      else loc[1])]
            loc = loc[2:]
        path = ".".join(str(p) for p in loc)
        head = ".".join(where)
        text = msg if not path or msg.startswith(str(loc[-1])) else f"{path}: {msg}"
        lines.append(f"{head}: {text}" if head else text)
    return "; ".join(lines)


def _unique(what: str, keys: list[Any]) -> None:
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"{what}: {key!r} appears twice")
        seen.add(key)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value
