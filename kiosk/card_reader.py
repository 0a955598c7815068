"""The server reading an ID card laid on a kiosk's reader (issue 21), as it drives the
kiosk's printer: the reader hangs off the server's machine, named by URL in
``HALL_IDCARD_READERS`` ("7=idcard+serial:///dev/ttyUSB2;8=…", kiosk device id = URL;
config ``IDCARD_READERS``). The kiosk page asks ``POST /kiosk/<device>/card`` every second
or so; each ask opens the reader, looks for a card, reads it if there is one and closes it.
The card's text goes no further than this request: the view seals what the ticket needs
(hall/services/queue/idcard.py ``seal``) and nothing of it is logged.
"""
from __future__ import annotations

import logging

from serial import SerialException

from drivers.idcard import protocol as p
from drivers.idcard.reader import IdCardReader, ReaderError
from drivers.urls import DeviceURLError
from hall.domain.i18n import N_
from kiosk.printing import run_io

log = logging.getLogger(__name__)

MSG_READER = N_("The ID card reader is not working; type the ID number instead")
MSG_CARD = N_("The card could not be read; lay it on the reader again")


def readers(value: str) -> dict[int, str]:
    """``"7=idcard+serial:///dev/ttyUSB2;8=…"`` → ``{7: "idcard+serial:///dev/ttyUSB2"}``."""
    table: dict[int, str] = {}
    for part in filter(None, (s.strip() for s in value.split(";"))):
        device, sep, url = part.partition("=")
        if not sep or not device.strip().isdigit() or not url.strip():
            raise ValueError(f"HALL_IDCARD_READERS: expected 7=idcard+serial:///dev/ttyUSB2, "
                             f"got {part!r}")
        table[int(device)] = url.strip()
    return table


def read(url: str) -> tuple[p.CardText | None, str | None]:
    """(the card on the reader or None, and a problem's msgid or None)."""
    return run_io(_read, url, url)


def _read(url: str) -> tuple[p.CardText | None, str | None]:
    try:
        reader = IdCardReader(url)
    except (DeviceURLError, SerialException, OSError) as exc:
        log.warning("ID card reader %s cannot be opened: %s", url, exc)
        return None, MSG_READER
    try:
        return reader.read_card(), None
    except ReaderError as exc:
        if exc.step in ("find", "select"):
            return None, None  # no card on the reader: the usual answer
        log.info("ID card not read (%s)", exc.step)
        return None, MSG_CARD
    except p.FrameError as exc:  # a bad checksum, a truncated block: says nothing of the card
        log.info("ID card frame refused: %s", exc)
        return None, MSG_CARD
    except (SerialException, OSError) as exc:
        log.warning("ID card reader %s failed: %s", url, exc)
        return None, MSG_READER
    finally:
        reader.close()
