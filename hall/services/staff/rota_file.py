"""The rota as a CSV file a spreadsheet opens (UTF-8 with BOM, for Excel) and reads back:
one row per post — window number, day, shift code, post (A/B), login — as ``rota.export_week``
gives them and ``rota.import_posts`` takes them. A ``name`` column helps the reader and is
ignored on the way back in."""
from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from hall.domain.errors import DomainError
from hall.domain.i18n import N_

COLUMNS = ("counter", "day", "shift", "post", "login")
MAX_ROWS = 2000


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow((*COLUMNS, "name"))
    for r in rows:
        writer.writerow([r[c] for c in COLUMNS] + [r.get("name") or ""])
    return "\ufeff" + out.getvalue()


def _bad(line: int) -> DomainError:
    return DomainError("invalid_rota_file",
                       N_("Rota file, line %(line)s is not a post (window number, day "
                          "YYYY-MM-DD, shift, A or B, login)"), "csv", line=line)


def from_csv(text: str) -> list[dict[str, Any]]:
    """The posts of a rota file; a line that is not a post is refused, naming its number."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DomainError("invalid_rota_file",
                          N_("A rota file's first line names its columns: %(columns)s"),
                          "csv", columns=",".join(COLUMNS))
    rows = []
    for line, raw in enumerate(reader, start=2):
        values = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        if not any(values.values()):
            continue
        try:
            row = {"counter": int(values["counter"]),
                   "day": date.fromisoformat(values["day"]).isoformat(),
                   "shift": values["shift"], "post": values["post"].upper(),
                   "login": values["login"]}
        except ValueError:
            raise _bad(line) from None
        if row["post"] not in ("A", "B") or not row["login"] or not row["shift"]:
            raise _bad(line)
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise DomainError("too_many_rows", N_("A rota file holds at most %(n)s posts"),
                              "csv", n=MAX_ROWS)
    return rows
