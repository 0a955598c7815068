"""Schemathesis fuzzes every operation of /api/v1/openapi.json in-process (WSGI, no network)
as three callers: nobody, a kiosk (device token) and an admin (session cookie + CSRF header).

Each operation gets a fresh copy of a seeded hall with some life in it, then schemathesis'
coverage cases (boundaries, wrong types, other methods) and a bounded, derandomised run of
random valid and invalid requests. A valid request goes to every caller. An invalid one goes
to the callers the operation's declared security lets in: a caller it refuses is answered
401 or 403 before the request is read, the same answer for every invalid input (that was
half the requests, the one assertion made thousands of times). A method the address does
not take goes to one caller: routing answers 405 before anybody is asked who they are.

Every answer must be below 500, declared for its operation (status code and content type)
and match the declared schema; a request the document calls valid must not be refused as
malformed (400 or 422: a refusal for the hall's state is 404, 409 or 403), and a method the
address does not take gets 405 with ``Allow``: the OpenAPI document is the contract clients
are built against.
"""
from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.core.result import Ok
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source

from hall.app import create_app
from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from hall.services.context import ManualClock
from hall.store.migrate import upgrade
from tests.conftest import DATA

# random cases per operation after the coverage ones: 6 (with the coverage cases, ~8,800
# cases, 15,800 requests: 45 s alone on 2 workers, ~1.4 CPU minutes) in the suite;
# `make fuzz EXAMPLES=500` runs longer (HALL_FUZZ_EXAMPLES)
EXAMPLES = int(os.environ.get("HALL_FUZZ_EXAMPLES", "6"))
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance,
          checks.response_headers_conformance,
          # a method an address does not take: 405 with Allow
          checks.unsupported_method]
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # the Monday 10:00 of tests/conftest.py's clock


def _openapi_document() -> dict:
    """The document as the app serves it, read at collection time: schemathesis makes one
    test per operation from it. The fuzzing itself talks to each test's own app."""
    folder = Path(tempfile.mkdtemp(prefix="hall-fuzz-schema-"))
    try:
        url = f"sqlite:///{folder / 'hall.db'}"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "ASYNC_MODE": "threading",
                          "SECRET_KEY": "schema", "INSTANCE": folder, "TESTING": True})
        spec = app.test_client().get("/api/v1/openapi.json").json
        app.extensions["hall"].engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return spec


schema = schemathesis.openapi.from_dict(_openapi_document())
# One test per operation, as schemathesis' ``schema.parametrize()`` makes them, but each
# operation's cases (the coverage phase's alone are ~15 s of CPU for all operations) are
# made when its test runs, by the one test process that runs it: not at collection by every
# process of the suite. At collection only the operations are listed. (The eager items also
# all reported under one node id with pytest 9, and in a run with other modules under xdist
# only one operation's cases ran: 48 cases where this form sends 8,755.)
OPERATIONS = {(result.ok() if isinstance(result, Ok) else result.err()).label: result
              for result in schema.get_all_operations()}


@schemathesis.check
def valid_data_is_not_refused_as_malformed(ctx, response, case) -> None:
    """Positive data: a request the document calls valid is never refused as malformed —
    no 400 and no 422 ``invalid`` (the schemas' own refusal, so the document and the
    validation disagree). A 422 with another code is a rule no schema can state (an ID
    number's checksum, a refusal without its reason, a day already past), and 404, 409 and
    403 are about the hall's state and the caller (schemathesis' own
    positive_data_acceptance counts all of these as refusals)."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    body = getattr(case, "body", None)
    if body is not None and type(body).__name__ != "NotSet" and not isinstance(body, dict):
        # every body the document states is a JSON object, yet the generator now and then
        # sends a bare ``0`` in positive mode (PUT …/photo): that is not valid data
        return
    error = (response.json().get("error") or {}) if response.status_code in (400, 422) else {}
    if set(str(error.get("field") or "").split(".")) & BEYOND_THE_SCHEMA:
        return
    assert response.status_code != 400 and error.get("code") != "invalid", (
        f"valid data refused: {response.status_code} {response.text[:500]}")


# Layout fields whose rules the document does not state yet (issue 16, item 9, left open):
# opening spans in order and apart, a service listed once per window, reasons unique and
# 1 to 50 characters once trimmed (rating dimensions: 1 to 20), a warning point before the
# time limit, promised days within the legal ones (and fast-track days below them), a time
# zone that exists, an extended service day given by a date or by a weekday (one of the
# two), a shift that ends after it starts, a public address phones can open (http(s) with
# a host).
BEYOND_THE_SCHEMA = {"hours", "services", "pause_reasons", "priority_reasons",
                     "rating_reasons", "rating_dimensions", "warning_minutes",
                     "promised_days", "fast_track_days", "timezone", "extended_service",
                     "shifts", "public_url"}


CHECKS.append(valid_data_is_not_refused_as_malformed)


@dataclass(frozen=True)
class BusyHall:
    """A seeded database with some life in it (tickets waiting, printing, served and rated
    badly; a case and a follow-up open; counter 1 serving), and the credentials of its
    callers."""

    path: Path
    kiosk: dict
    admin_cookies: dict
    admin_headers: dict


def _app(path: Path, instance: Path):
    return create_app({"DATABASE_URL": f"sqlite:///{path}", "ASYNC_MODE": "threading",
                       "SECRET_KEY": "test", "INSTANCE": instance, "TESTING": True,
                       # rate limits would turn a long run into 429s, which no operation
                       # declares: the limiter has its own tests
                       "RATELIMIT_ENABLED": False},
                      clock=ManualClock(NOW))


@pytest.fixture(scope="session")
def busy_hall(tmp_path_factory, sqlite_template) -> BusyHall:
    """Built once per test process (password hashing is slow on purpose), copied per test.
    SQLite only: the contract does not depend on the database, and tests/e2e/test_api.py runs
    the same views on PostgreSQL."""
    folder = tmp_path_factory.mktemp("fuzz-hall")
    path = folder / "hall.db"
    shutil.copy(sqlite_template, path)
    app = _app(path, folder)
    ctx = app.extensions["hall"]
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    kiosk = {"Authorization": f"Bearer {accounts.add_device(ctx, kind='kiosk').value['token']}"}
    password = accounts.add_user(ctx, login="fuzz-admin", name="管理员", role="admin"
                                 ).value["password"]
    client = app.test_client()
    r = client.post("/api/v1/auth/login", json={"login": "fuzz-admin", "password": password})
    assert r.status_code == 200, r.json
    csrf = {"X-CSRFToken": r.json["csrf_token"]}
    pad = {"Authorization": "Bearer "
           + accounts.add_device(ctx, kind="pad", counter_number=1).value["token"]}

    def ok(method: str, url: str, headers: dict, status: int = 200, **body):
        r = client.open(url, method=method, headers=headers, json=body or None)
        assert r.status_code == status, (url, r.json)

    for service in ("hj", "hj", "hj", "sfz", "ss"):  # tickets waiting ...
        ok("POST", "/api/v1/tickets", kiosk, 201, service=service)
    ok("POST", "/api/v1/print-jobs", kiosk, 201, ticket_id=5)  # ... one being printed ...
    for step in ("sign-in", "call-next", "start"):  # ... one served: a case, a bad rating
        ok("POST", f"/api/v1/counters/1/{step}", csrf)
    ok("POST", "/api/v1/counters/1/finish", csrf, outcome="accepted", applicant="王五")
    ok("POST", "/api/v1/tickets/1/rating", pad, 201, level=1, reason="服务态度差")
    for step in ("call-next", "start"):  # ... and one at the window now
        ok("POST", f"/api/v1/counters/1/{step}", csrf)
    ctx.engine.dispose()
    return BusyHall(path, kiosk, {"session": client.get_cookie("session").value}, csrf)


@pytest.fixture
def fuzz_app(busy_hall: BusyHall, tmp_path):
    """A fresh copy of the busy hall for each operation."""
    with closing(sqlite3.connect(busy_hall.path)) as src, \
            closing(sqlite3.connect(tmp_path / "hall.db")) as dst:
        src.backup(dst)
    app = _app(tmp_path / "hall.db", tmp_path)
    yield app
    app.extensions["hall"].engine.dispose()


@pytest.fixture
def callers(busy_hall: BusyHall) -> dict[str, dict]:
    """Keyword arguments for ``case.call`` by caller: every case is sent by each in turn
    (generating it once is half the cost)."""
    return {"anonymous": {}, "kiosk": {"headers": busy_hall.kiosk},
            "admin": {"headers": busy_hall.admin_headers, "cookies": busy_hall.admin_cookies}}


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          # one seeded app serves all examples of an operation, on purpose
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def send_as_every_caller(case, fuzz_app, callers):
    """One case, sent by each caller in turn and validated (but see the module's
    docstring for the invalid cases and the other methods)."""
    for name, credentials in callers.items():
        if not sent_as(case, name):
            continue
        if credentials:
            # the caller's own credentials, not the generated ones the anonymous call sent
            (case.headers or {}).pop("Authorization", None)
            (case.cookies or {}).pop("session", None)
        # the reproduction printed on failure hides credentials: this header names the caller
        headers = {"X-Fuzz-Caller": name, **credentials.get("headers", {})}
        case.call_and_validate(app=fuzz_app, checks=CHECKS, headers=headers,
                               cookies=credentials.get("cookies"))


# who the document's security schemes stand for
SCHEME_CALLER = {"device": "kiosk", "session": "admin"}


def sent_as(case, caller: str) -> bool:
    """Whether ``caller`` sends ``case``: a valid request, by everybody; an invalid one, by
    those the operation lets past authentication; another method, by the first caller."""
    if case.method.upper() != case.operation.method.upper():
        return caller == "anonymous"
    if case.meta is None or case.meta.generation.mode.is_positive:
        return True
    security = case.operation.definition.raw.get("security")
    if not security:  # a public operation: nobody is turned away at the door
        return True
    return caller in {SCHEME_CALLER[name] for requirement in security for name in requirement}


@functools.cache
def feedback() -> FeedbackSources:
    """What schemathesis shares between the operations' tests (the document's constants)."""
    return FeedbackSources(constants_value_source=make_constants_value_source(schema))


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_every_operation_keeps_its_contract(operation, fuzz_app, callers):
    """schemathesis finds no 5xx and no schema violation."""
    result = OPERATIONS[operation]
    if not isinstance(result, Ok):  # a definition schemathesis cannot use fails its test
        result.err().as_failing_test_function()()
    checks.load_all_checks()
    test = build_operation_test(config=schema.config, operation=result.ok(),
                                test_func=send_as_every_caller, given_kwargs={},
                                feedback=feedback())
    test(fuzz_app=fuzz_app, callers=callers)
