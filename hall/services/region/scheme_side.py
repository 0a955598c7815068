"""The assessment scheme's side of an adoption: the hall's 日考核 points (``rules``, the
scheme version in force today) and its targets (``targets``, percent, the hall's
``[hall.targets]`` or the defaults), and writing them — points as a new scheme version from
today on (past days keep the version they were scored by), targets into the hall's
settings. The region's targets are merged only when the region publishes some."""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, insert, select, update

from hall.domain import assessment
from hall.domain.access import Actor
from hall.domain.catalog import TARGET_FIELDS
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.domain.targets import SETTING_KEYS, TARGETS
from hall.services import repo
from hall.services.config import audit
from hall.services.config.layout.spec import TargetsSpec
from hall.services.context import UnitOfWork
from hall.services.supervision.assessment import scheme_for, scheme_versions
from hall.store.models import Hall, ScoreScheme


def fields(_entity: str, theirs: dict[str, Any]) -> tuple[str, ...]:
    return tuple(theirs)  # what the region says; a target it leaves out stays the hall's


def region_values(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {"rules": dict(body.get("rules") or {})}
    if body.get("targets"):
        out["targets"] = {k: v for k, v in body["targets"].items() if k in TARGET_FIELDS}
    return out


def _today(uow: UnitOfWork, hall_id: int):
    return repo.hall_config(uow, hall_id).settings.local(uow.now).date()


def _targets(settings: dict[str, Any] | None) -> dict[str, float]:
    given = (settings or {}).get("targets") or {}
    return {key: given[key] if given.get(key) is not None
            else round(TARGETS[SETTING_KEYS[key]][0] * 100, 4) for key in TARGET_FIELDS}


def local_values(uow: UnitOfWork, hall_id: int) -> dict[str, dict[str, Any]]:
    _, rules = scheme_for(scheme_versions(uow, hall_id), _today(uow, hall_id))
    return {"rules": rules, "targets": _targets(repo.hall_row(uow.conn, hall_id).settings)}


def initial_base(uow: UnitOfWork, hall_id: int) -> dict[str, dict[str, Any]]:
    """The base of a hall's first adoption: the built-in defaults it never changed — the
    default points while it has no scheme of its own, each default target it never set —
    so the region's values of those are taken, and whatever the hall set is asked about."""
    base: dict[str, dict[str, Any]] = {}
    if not scheme_versions(uow, hall_id):
        base["rules"] = dict(assessment.DEFAULT_SCHEME)
    given = (repo.hall_row(uow.conn, hall_id).settings or {}).get("targets") or {}
    base["targets"] = {k: v for k, v in _targets({}).items() if given.get(k) is None}
    return base


def apply(uow: UnitOfWork, actor: Actor, hall_id: int, entity: str, values: dict[str, Any],
          action: str = "adopt") -> None:
    if entity == "rules":
        _rules(uow, actor, hall_id, values, action)
    else:
        _set_targets(uow, actor, hall_id, values, action)


def _rules(uow: UnitOfWork, actor: Actor, hall_id: int, values: dict[str, Any],
           action: str) -> None:
    """A new version of the hall's scheme, from today on, with ``values`` changed."""
    today = _today(uow, hall_id)
    current, before = scheme_for(scheme_versions(uow, hall_id), today)
    rules = assessment.check_scheme({**before, **values})
    s = ScoreScheme.__table__
    version = (uow.conn.execute(select(func.max(s.c.version)).where(s.c.hall_id == hall_id))
               .scalar() or 0) + 1
    uow.conn.execute(insert(s).values(hall_id=hall_id, version=version, valid_from=today,
                                      rules=rules, created_by=actor.id if actor.is_staff
                                      else None, created_at=uow.now))
    audit.record(uow, actor, action, "score_scheme", version,
                 before={"version": current, **before}, after={"version": version, **rules},
                 hall_id=hall_id)


def _set_targets(uow: UnitOfWork, actor: Actor, hall_id: int, values: dict[str, Any],
                 action: str) -> None:
    row = repo.hall_row(uow.conn, hall_id)
    settings = dict(row.settings or {})
    before = dict(settings.get("targets") or {})
    try:
        after = TargetsSpec.model_validate({**before, **values}).model_dump(exclude_none=True)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise DomainError("invalid_target", N_("The target would not be valid: %(problem)s"),
                          ".".join(str(p) for p in first["loc"]) or "targets",
                          problem=first["msg"]) from None
    uow.conn.execute(update(Hall).where(Hall.id == hall_id)
                     .values(settings={**settings, "targets": after}))
    audit.record(uow, actor, action, "hall", row.code, before={"targets": before},
                 after={"targets": after}, hall_id=hall_id)
