"""Hall configuration (admins): departments, services and their guides, counters and the
services each serves.

Request bodies are the layout file's own specs (``layout_spec``), so a service is edited
with exactly the entry ``hall seed`` reads; responses add the row ``id`` (and a counter's
live ``state``). The role — and a cookie session's CSRF token — is checked before a body is
validated.
"""
from __future__ import annotations

from flask import request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import ErrorResponse
from hall.services.config import structure as config
from hall.services.config.layout.spec import CODE, CounterSpec, DepartmentSpec, ServiceSpec
from hall.web.auth import admins_only, current_actor
from hall.web.context import hall_context

api = APIBlueprint("config", __name__, url_prefix="/api/v1/config", abp_tags=[Tag(name="config")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "422": ErrorResponse})
api.before_request(admins_only)
SECURED = [{"session": []}]
MISSING = {"404": ErrorResponse}
CLASH = {"409": ErrorResponse}


class DepartmentPath(BaseModel):
    code: str = Field(pattern=CODE, description="the department's code")


class ServicePath(BaseModel):
    code: str = Field(pattern=CODE, description="the service's code")


class CounterPath(BaseModel):
    number: int = Field(ge=1, le=999, description="the counter's number")


class DepartmentOut(DepartmentSpec):
    id: int
    services: int = Field(description="how many services (active or not) belong to it")


class DepartmentsOut(BaseModel):
    departments: list[DepartmentOut]


class ServiceOut(ServiceSpec):
    id: int


class ServicesOut(BaseModel):
    services: list[ServiceOut]


class CounterOut(CounterSpec):
    id: int
    state: str = Field(description="closed | open | paused | serving")


class CountersOut(BaseModel):
    counters: list[CounterOut]


def _who() -> dict:
    return {"actor": current_actor(), "ip": request.remote_addr}


# --- departments --------------------------------------------------------------------------

@api.get("/departments", responses={"200": DepartmentsOut}, security=SECURED)
def departments():
    return {"departments": config.list_departments(hall_context(), actor=current_actor())}


@api.post("/departments", responses={"201": DepartmentOut, **CLASH}, security=SECURED)
def create_department(body: DepartmentSpec):
    return config.create_department(hall_context(), spec=body, **_who()).value, 201


@api.put("/departments/<code>", responses={"200": DepartmentOut, **MISSING, **CLASH},
         security=SECURED)
def update_department(path: DepartmentPath, body: DepartmentSpec):
    return config.update_department(hall_context(), code=path.code, spec=body, **_who()).value


@api.delete("/departments/<code>", responses={"204": None, **MISSING, **CLASH},
            security=SECURED)
def delete_department(path: DepartmentPath):
    config.delete_department(hall_context(), code=path.code, **_who())
    return "", 204


# --- services -----------------------------------------------------------------------------

@api.get("/services", responses={"200": ServicesOut}, security=SECURED)
def services():
    return {"services": config.list_services(hall_context(), actor=current_actor())}


@api.get("/services/<code>", responses={"200": ServiceOut, **MISSING}, security=SECURED)
def service(path: ServicePath):
    return config.get_service(hall_context(), actor=current_actor(), code=path.code)


@api.post("/services", responses={"201": ServiceOut, **MISSING, **CLASH}, security=SECURED)
def create_service(body: ServiceSpec):
    return config.create_service(hall_context(), spec=body, **_who()).value, 201


@api.put("/services/<code>", responses={"200": ServiceOut, **MISSING, **CLASH},
         security=SECURED)
def update_service(path: ServicePath, body: ServiceSpec):
    return config.update_service(hall_context(), code=path.code, spec=body, **_who()).value


@api.post("/services/<code>/deactivate", responses={"200": ServiceOut, **MISSING, **CLASH},
          security=SECURED)
def deactivate_service(path: ServicePath):
    return config.set_service_active(hall_context(), code=path.code, active=False,
                                     **_who()).value


@api.post("/services/<code>/activate", responses={"200": ServiceOut, **MISSING, **CLASH},
          security=SECURED)
def activate_service(path: ServicePath):
    return config.set_service_active(hall_context(), code=path.code, active=True,
                                     **_who()).value


# --- counters -----------------------------------------------------------------------------

@api.get("/counters", responses={"200": CountersOut}, security=SECURED)
def counters():
    return {"counters": config.list_counters(hall_context(), actor=current_actor())}


@api.post("/counters", responses={"201": CounterOut, **MISSING, **CLASH}, security=SECURED)
def create_counter(body: CounterSpec):
    return config.create_counter(hall_context(), spec=body, **_who()).value, 201


@api.put("/counters/<int:number>", responses={"200": CounterOut, **MISSING, **CLASH},
         security=SECURED)
def update_counter(path: CounterPath, body: CounterSpec):
    return config.update_counter(hall_context(), number=path.number, spec=body,
                                 **_who()).value


@api.post("/counters/<int:number>/deactivate",
          responses={"200": CounterOut, **MISSING, **CLASH}, security=SECURED)
def deactivate_counter(path: CounterPath):
    return config.set_counter_active(hall_context(), number=path.number, active=False,
                                     **_who()).value


@api.post("/counters/<int:number>/activate", responses={"200": CounterOut, **MISSING, **CLASH},
          security=SECURED)
def activate_counter(path: CounterPath):
    return config.set_counter_active(hall_context(), number=path.number, active=True,
                                     **_who()).value
