"""A local emulator of a province's 好差评 receiving endpoint (after the field set
Guangdong's interface publishes), for tests and demos.

URL format: ``POST http://HOST:PORT/evaluations`` with one JSON record per request,
``Authorization: Bearer <token>`` when the emulator was given one. Two kinds of record, by
``recordType`` (hall/services/ratings/exchange.py): ``"evaluation"`` (a rating; a record
without ``recordType`` is one, as sent before the field existed) and ``"affair"`` (a
case's 受理 or 办结 stage, without a star). Answers, as a real endpoint would:

- 200 ``{"code": "0", "msg": "ok"}``: accepted, stored once;
- 409 ``{"code": "E_DUPLICATE"}``: already accepted — an evaluation with this
  ``evalSerialNo``, a stage with this (``affairSerialNo``, ``evalProcess``);
- 400 ``{"code": "E_FIELD", "field": …}``: a required field is missing or empty, a time is
  not ``yyyyMMddHHmmss``, ``evalProcess`` is not 1/2, an evaluation's ``star`` is not 1–5,
  a stage carries a star, ``recordType`` is neither kind;
- 401 for a wrong token; 503 while ``down`` (an outage).

``received`` keeps every request body (duplicates too), ``accepted`` the evaluations stored
(by ``evalSerialNo``), ``affairs`` the stages stored (by (``affairSerialNo``,
``evalProcess``)), ``refused`` the refusals with their reason; ``delay_s`` slows each
answer.
"""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REQUIRED = ("evalSerialNo", "evalProcess", "affairSerialNo", "affairCode", "affairName",
            "departmentCode", "affairDealNo", "affairDealOfficer", "affairApplyTime",
            "userType", "certificateType", "star", "hallCode", "windowNo", "evalTime")
AFFAIR_REQUIRED = ("evalProcess", "affairSerialNo", "affairCode", "affairName",
                   "departmentCode", "affairDealNo", "affairDealOfficer", "affairApplyTime",
                   "userType", "certificateType", "hallCode", "windowNo")
TIMES = ("affairApplyTime", "affairDoneTime", "evalTime")
TIME_SHAPE = re.compile(r"\d{14}")
EVALUATION, AFFAIR = "evaluation", "affair"


def kind(record: dict[str, Any]) -> str:
    return str(record.get("recordType") or EVALUATION)


def key(record: dict[str, Any]) -> str | tuple[str, str]:
    """What a repeat is told by: an evaluation's serial number, a stage's (case, stage)."""
    if kind(record) == AFFAIR:
        return str(record["affairSerialNo"]), str(record["evalProcess"])
    return str(record["evalSerialNo"])


def check(record: Any) -> tuple[str, str] | None:
    """(field, reason) of the first thing wrong with ``record``, else None."""
    if not isinstance(record, dict):
        return "body", "not a JSON object"
    if kind(record) not in (EVALUATION, AFFAIR):
        return "recordType", "not evaluation or affair"
    if kind(record) == AFFAIR:
        return _check_affair(record)
    wrong = _fields_times_stage(record, REQUIRED)
    if wrong is not None:
        return wrong
    if str(record["evalProcess"]) == "2" and record.get("affairDoneTime") in (None, ""):
        return "affairDoneTime", "missing"
    if record["star"] not in (1, 2, 3, 4, 5):
        return "star", "not 1-5"
    return None


def _fields_times_stage(record: dict[str, Any], required: Any) -> tuple[str, str] | None:
    """What every record is refused for: a required field missing, a time not in
    yyyyMMddHHmmss, a stage (evalProcess) other than 1 or 2."""
    for field in required:
        if record.get(field) in (None, ""):
            return field, "missing"
    wrong = _times(record)
    if wrong is not None:
        return wrong
    if str(record["evalProcess"]) not in ("1", "2"):
        return "evalProcess", "not 1 or 2"
    return None


def _check_affair(record: dict[str, Any]) -> tuple[str, str] | None:
    wrong = _fields_times_stage(record, AFFAIR_REQUIRED)
    if wrong is not None:
        return wrong
    if str(record["evalProcess"]) == "2":
        for field in ("affairDoneTime", "affairResult"):
            if record.get(field) in (None, ""):
                return field, "missing"
    if record.get("star") is not None:
        return "star", "not in a stage record"
    return None


def _times(record: dict[str, Any]) -> tuple[str, str] | None:
    for field in TIMES:
        value = record.get(field)
        if value not in (None, "") and not (isinstance(value, str)
                                            and TIME_SHAPE.fullmatch(value)):
            return field, "not yyyyMMddHHmmss"
    return None


class HaochaEmulator:
    def __init__(self, token: str | None = None, delay_s: float = 0.0):
        self.token = token
        self.delay_s = delay_s
        self.down = False
        self.received: list[dict[str, Any]] = []
        self.accepted: dict[str, dict[str, Any]] = {}
        self.affairs: dict[tuple[str, str], dict[str, Any]] = {}
        self.refused: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/evaluations"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> HaochaEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, body = emulator.answer(self.path, self.headers.get("Authorization"),
                                               raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> HaochaEmulator:
        return self if self._server else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, path: str, auth: str | None, raw: bytes) -> tuple[int, dict[str, Any]]:
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.down:
            return 503, {"code": "E_UNAVAILABLE", "msg": "service unavailable"}
        if path.rstrip("/") != "/evaluations":
            return 404, {"code": "E_PATH"}
        if self.token and auth != f"Bearer {self.token}":
            return 401, {"code": "E_AUTH", "msg": "bad token"}
        try:
            record = json.loads(raw or b"null")
        except ValueError:
            return 400, {"code": "E_JSON", "field": "body", "msg": "not JSON"}
        with self._lock:
            self.received.append(record if isinstance(record, dict) else {"body": record})
            wrong = check(record)
            if wrong is not None:
                self.refused.append(wrong)
                return 400, {"code": "E_FIELD", "field": wrong[0], "msg": wrong[1]}
            stage = kind(record) == AFFAIR
            found, store = key(record), (self.affairs if stage else self.accepted)
            if found in store:
                self.refused.append((found, "duplicate"))
                return 409, {"code": "E_DUPLICATE",
                             "field": "affairSerialNo" if stage else "evalSerialNo",
                             "msg": "already received"}
            store[found] = record
        return 200, {"code": "0", "msg": "ok"}
