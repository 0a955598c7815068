"""The HTTP adapter of a JSON endpoint that takes one record per POST and refuses a
repeat by its key (the province's 好差评 interface; its emulator is drivers/haocha).

URL and token from the environment (``HALL_HAOCHA_URL``, ``HALL_HAOCHA_TOKEN``), never from
the database. 2xx: sent; 409 (a record already received): sent; other 4xx: refused (the
record is wrong, with the endpoint's reason); 5xx, a timeout, no connection: retry later.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from hall.services.outbox.worker import REFUSED, RETRY, SENT, Delivery


@dataclass
class JsonEndpoint:
    url: str
    token: str | None = None
    timeout_s: float = 10.0

    def send(self, topic: str, key: str, payload: dict[str, Any]) -> Delivery:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, json.dumps(payload, ensure_ascii=False)
                                         .encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                answer.read()
                return Delivery(SENT)
        except urllib.error.HTTPError as exc:
            detail = f"{exc.code} {_reason(exc)}"
            if exc.code == 409:
                return Delivery(SENT, f"already received: {detail}")
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                return Delivery(REFUSED, detail)
            return Delivery(RETRY, detail)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            return Delivery(RETRY, f"{type(exc).__name__}: {exc}")


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        return exc.reason or ""
    parts = [str(body.get(k)) for k in ("code", "field", "msg") if body.get(k)]
    return " ".join(parts) or (exc.reason or "")

