"""Configuration down over NATS JetStream (DESIGN.md §8): the region puts each version of
its catalog and scheme in a key-value bucket (keys ``catalog`` and ``scheme``, history 1:
the broker keeps the last value of each, on disk), and each hall's downlink reads it.

- ``send`` (the region, ``hall region catalog|scheme publish``): one connection, one put.
- ``downlink`` (beside a hall, ``hall region downlink``): reads both keys every few seconds
  and stores a version it does not have as pending (``received.receive``); with ``adopt``
  every hall of the database adopts it (the merge writes only what no one changed
  locally). A hall that was offline reads the last value when it is back: nothing is
  missed by not listening, since only the newest version matters. Polling a key rather than
  watching it keeps one failure path: a dead link fails the next read, and the loop
  reconnects with the uplink's backoff (``link.forever``).

Its own process, like the uplink: the hall's requests never wait on it, and a region that
publishes nothing (or a hall that only ships up) needs none.
"""
from __future__ import annotations

import asyncio
import json
import logging
import zlib
from dataclasses import dataclass
from typing import Any

import nats
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import NotFoundError

from hall.domain.catalog import KINDS
from hall.domain.errors import DomainError
from hall.services.context import Context, run
from hall.services.region import adopt, received
from hall.services.region.link import forever

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Board:
    """Where the region's configuration waits: the broker and the bucket."""

    url: str = "nats://127.0.0.1:4222"
    bucket: str = "HALL_CONFIG"
    timeout_s: float = 5.0
    every_s: float = 5.0  # how often the downlink reads the bucket
    backoff_s: float = 0.2
    backoff_max_s: float = 10.0


def encode(message: dict[str, Any]) -> bytes:
    """JSON, deflated: a city's 实施清单 with its guides is mostly repeated Chinese text."""
    return zlib.compress(json.dumps(message, ensure_ascii=False).encode())


def decode(data: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(data))


async def _connect(board: Board):
    nc = await nats.connect(board.url, connect_timeout=board.timeout_s, allow_reconnect=False,
                            max_reconnect_attempts=1, reconnect_time_wait=0.1,
                            error_cb=_quiet)
    return nc, nc.jetstream(timeout=board.timeout_s)


async def _quiet(exc: Exception) -> None:
    log.debug("nats: %s: %s", type(exc).__name__, exc)


async def send(board: Board, message: dict[str, Any]) -> int:
    """Put ``message`` (``published.message``) under its kind; the bucket's revision."""
    nc, js = await _connect(board)
    try:
        data = encode(message)
        if len(data) > nc.max_payload:
            raise ValueError(f"the {message['kind']} is {len(data)} bytes compressed, over the "
                             f"broker's max_payload of {nc.max_payload}")
        try:
            kv = await js.key_value(board.bucket)
        except NotFoundError:
            kv = await js.create_key_value(KeyValueConfig(
                bucket=board.bucket, history=1, storage=StorageType.FILE))
        return await kv.put(message["kind"], data)
    finally:
        await nc.close()


async def downlink(ctx: Context, board: Board, *, adopt_all: bool = False,
                   stop: asyncio.Event | None = None) -> None:
    """Store each new version of the region's catalog and scheme in ``ctx``'s database
    (and adopt it everywhere with ``adopt_all``) until ``stop`` is set."""
    stop = stop or asyncio.Event()
    seen: dict[str, int] = {}  # kind → the bucket's revision handled last

    async def session(js) -> None:
        while not stop.is_set():
            for kind, data, revision in await _read(js, board, seen):
                await asyncio.to_thread(_store, ctx, data, adopt_all)
                seen[kind] = revision
            try:
                await asyncio.wait_for(stop.wait(), board.every_s)
            except TimeoutError:
                pass

    await forever("downlink", board, stop, session, connect=_connect)


async def _read(js, board: Board, seen: dict[str, int]) -> list[tuple[str, bytes, int]]:
    """(kind, value, revision) of each key whose value is new since ``seen``."""
    try:
        kv = await js.key_value(board.bucket)
    except NotFoundError:
        return []  # the region has published nothing yet
    out = []
    for kind in KINDS:
        try:
            entry = await kv.get(kind)
        except NotFoundError:
            continue
        if entry.value and seen.get(kind) != entry.revision:
            out.append((kind, entry.value, entry.revision))
    return out


def _store(ctx: Context, data: bytes, adopt_all: bool) -> None:
    """Keep the version (a database failure is raised: the loop tries again); a value that
    is no version is reported once and left, as reading it again changes nothing."""
    try:
        message = decode(data)
        kind, version = message["kind"], message["version"]
        fresh = run(ctx, lambda uow: received.receive(uow, message)).value
    except (DomainError, ValueError, KeyError, TypeError, zlib.error) as exc:
        log.error("downlink: not a version of the region's configuration (%s); left", exc)
        return
    if fresh:
        log.info("downlink: %s version %s received", kind, version)
    if adopt_all:
        for done in adopt.adopt_everywhere(ctx, kind):
            log.info("downlink: %s version %s adopted (%d fields taken, %d conflicts)",
                     kind, version, len(done["updated"]), done["conflicts"])
