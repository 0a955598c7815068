"""The files the region publishes (``hall region catalog|scheme publish FILE``), as TOML
(the layout's format; the layout readers' error wording) or JSON:

- the catalog: ``[[services]]`` entries, each a 事项 with the layout's own field names and
  checks (``ServiceSpec``'s): ``code``, ``name``, ``department`` (+ ``department_name``,
  used when a hall adds the 事项 and has no such department), ``kind``, ``legal_days``,
  ``promised_days`` and the guide (``materials``, ``basis``, ``conditions``, ``fee``,
  ``fee_basis``, ``steps``, ``notes``). Nothing a hall keeps for itself (prefix, hours,
  quotas, windows) is in it.
- the scheme: ``[rules]`` (日考核 points, hall/domain/assessment.py's items) and optionally
  ``[targets]`` (the layout's ``[hall.targets]``, in percent).
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, create_model, field_validator, model_validator

from hall.domain import assessment
from hall.domain.catalog import CATALOG_FIELDS
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.config.layout.spec import (
    ServiceSpec,
    Spec,
    TargetsSpec,
    describe,
)

_Fields = create_model(  # the catalog's fields, each exactly as a layout's [[services]] has it
    "_Fields", __base__=Spec,
    **{name: (ServiceSpec.model_fields[name].annotation, ServiceSpec.model_fields[name])
       for name in ("code", "department", *CATALOG_FIELDS)})


class CatalogEntry(_Fields):
    department_name: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _limits(self) -> CatalogEntry:
        if self.kind == "promised" and self.legal_days and self.promised_days > self.legal_days:
            raise ValueError(N_("promised_days exceeds legal_days"))
        return self


class CatalogSpec(Spec):
    services: list[CatalogEntry] = Field(max_length=20_000)
    note: str | None = Field(default=None, max_length=500)

    @field_validator("services")
    @classmethod
    def _unique(cls, value: list[CatalogEntry]) -> list[CatalogEntry]:
        seen: set[str] = set()
        for entry in value:
            if entry.code in seen:
                raise ValueError(f"services: {entry.code!r} appears twice")
            seen.add(entry.code)
        return value


class SchemeSpec(Spec):
    rules: dict[str, int | float] = Field(default_factory=dict)
    targets: TargetsSpec | None = None
    note: str | None = Field(default=None, max_length=500)

    @field_validator("rules")
    @classmethod
    def _rules(cls, value: dict[str, int | float]) -> dict[str, int | float]:
        try:
            return assessment.check_scheme(value)
        except DomainError as exc:
            raise ValueError(str(exc)) from None


SPECS = {"catalog": CatalogSpec, "scheme": SchemeSpec}


def parse(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A catalog or scheme as stored and sent: validated, plain JSON values, no empties."""
    try:
        spec = SPECS[kind].model_validate(data)
    except ValidationError as exc:
        raise DomainError("invalid_file", N_("The file is not valid: %(problem)s"), "file",
                          problem=describe(exc, data)) from None
    return spec.model_dump(mode="json", exclude_none=True)


def read(kind: str, path: str | Path) -> dict[str, Any]:
    """``path`` (``.toml`` or ``.json``) read and checked as ``kind``."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix.lower() == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            raise DomainError("invalid_file", N_("Give a .toml or .json file"), "file")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DomainError("invalid_file", N_("The file is not valid: %(problem)s"), "file",
                          problem=str(exc)) from None
    if not isinstance(data, dict):
        raise DomainError("invalid_file", N_("The file is not valid: %(problem)s"), "file",
                          problem="not a table")
    return parse(kind, data)
