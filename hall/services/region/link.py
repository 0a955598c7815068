"""The two loops over NATS JetStream (DESIGN.md §8), each in its own process:

- ``uplink`` runs beside a hall: it reads the hall's event log after the last seq the
  broker confirmed and publishes each event on ``<prefix>.<hall uid>`` with the header
  ``Nats-Msg-Id: <hall uid>:<seq>`` (the broker drops a repeat inside its duplicate
  window), then moves the mark. The hall's commands never wait on it: it reads the log
  they wrote (and adds ``hall.settings`` when the hall's settings changed, ``outgoing``).
  Broker or link down: it reconnects with backoff and carries on from the mark,
  so nothing is lost; a repeat after a crash is dropped by the broker or the region.
- ``ingest`` runs in the region: a durable pull consumer hands it the stream in order;
  each batch is written in one transaction (``incoming.apply``) and acknowledged after the
  commit; a message whose predecessor is missing is handed back (nak with a delay).
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from hall.services.context import Context, read, run
from hall.services.region import incoming, outgoing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Link:
    """Where the events go: the broker, the stream and the subjects' prefix."""

    url: str = "nats://127.0.0.1:4222"
    stream: str = "HALL_EVENTS"
    prefix: str = "hall.events"
    duplicate_window_s: float = 3600.0  # the broker's de-duplication by Nats-Msg-Id
    timeout_s: float = 5.0
    backoff_s: float = 0.2  # first wait after a failure, doubled up to backoff_max_s
    backoff_max_s: float = 10.0

    def subject(self, uid: str) -> str:
        return f"{self.prefix}.{uid}"


async def _connect(link: Link):
    # no reconnection inside the client: a lost link fails the loop's current step, and
    # the loop reconnects with its own backoff and starts again from its mark
    # (nats-py's first connect tries each server until it has failed more than
    # max_reconnect_attempts times; 0 would mean for ever)
    nc = await nats.connect(link.url, connect_timeout=link.timeout_s, allow_reconnect=False,
                            max_reconnect_attempts=1, reconnect_time_wait=0.1,
                            error_cb=_quiet)
    js = nc.jetstream(timeout=link.timeout_s)
    try:
        await js.stream_info(link.stream)
    except NotFoundError:
        await js.add_stream(StreamConfig(
            name=link.stream, subjects=[f"{link.prefix}.>"], storage=StorageType.FILE,
            duplicate_window=link.duplicate_window_s))
    return nc, js


async def _quiet(exc: Exception) -> None:
    """The client's own error report: the loop reports the failure once, in one line."""
    log.debug("nats: %s: %s", type(exc).__name__, exc)


async def forever(name: str, link, stop: asyncio.Event, session, connect=None) -> None:
    """Run ``session(js)`` until ``stop``; after any failure wait (backoff) and again.
    ``link`` gives the backoff (a ``Link``, or the downlink's ``Board``); ``connect(link)``
    gives (connection, JetStream), by default the events stream's ``_connect``."""
    wait = link.backoff_s
    while not stop.is_set():
        nc = None
        try:
            nc, js = await (connect or _connect)(link)
            wait = link.backoff_s
            await session(js)
        except Exception as exc:  # noqa: BLE001 - the link, the broker or a database: retry
            log.warning("%s: %s: %s; again in %.1f s", name, type(exc).__name__, exc, wait)
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except TimeoutError:
                pass
            wait = min(wait * 2, link.backoff_max_s)
        finally:
            if nc is not None:
                try:
                    await nc.close()
                except Exception:  # noqa: BLE001 - already gone
                    pass


def prepare(ctx: Context, uids: dict[str, str] | None = None) -> list[outgoing.Outgoing]:
    """Every hall of ``ctx``'s database with its uplink row (uid: ``uids`` by hall code, else
    the code), as ``uplink`` ships them."""
    return run(ctx, lambda u: outgoing.ensure(u, uids)).value


async def uplink(ctx: Context, link: Link, halls: list[outgoing.Outgoing],
                 batch: int = 500, idle_s: float = 0.2,
                 stop: asyncio.Event | None = None) -> None:
    """Ship ``halls`` (from ``prepare``) from ``ctx``'s database until ``stop`` is set."""
    stop = stop or asyncio.Event()

    async def session(js) -> None:
        while not stop.is_set():
            sent = 0
            for hall in halls:
                sent += await _ship(ctx, js, link, hall, batch)
            if not sent:
                try:
                    await asyncio.wait_for(stop.wait(), idle_s)
                except TimeoutError:
                    pass

    await forever("uplink", link, stop, session)


async def _ship(ctx: Context, js, link: Link, hall: outgoing.Outgoing, batch: int) -> int:
    if await asyncio.to_thread(read, ctx, lambda u: outgoing.settings_changed(u, hall.hall_id)):
        await asyncio.to_thread(run, ctx, lambda u: outgoing.ship_settings(u, hall.hall_id))
    events = await asyncio.to_thread(
        read, ctx, lambda u: outgoing.pending(u, hall.hall_id, hall.shipped, batch))
    subject = link.subject(hall.uid)
    for event in events:
        body = json.dumps({"hall": hall.uid, **event}, ensure_ascii=False).encode()
        await js.publish(subject, body, headers={"Nats-Msg-Id": f"{hall.uid}:{event['seq']}"})
    if events:
        last = events[-1]["seq"]
        await asyncio.to_thread(run, ctx, lambda u: outgoing.mark_shipped(u, hall.hall_id, last))
        hall.shipped = last
    return len(events)


async def ingest(ctx: Context, link: Link, durable: str = "region", batch: int = 500,
                 ack_wait_s: float = 5.0, gap_delay_s: float = 0.5,
                 stop: asyncio.Event | None = None) -> None:
    """Write the stream into ``ctx``'s (the region's) database until ``stop`` is set."""
    stop = stop or asyncio.Event()

    async def session(js) -> None:
        sub = await js.pull_subscribe(
            f"{link.prefix}.>", durable=durable, stream=link.stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=ack_wait_s,
                                  deliver_policy=DeliverPolicy.ALL, max_ack_pending=-1))
        while not stop.is_set():
            try:
                msgs = await sub.fetch(batch, timeout=1)
            except NatsTimeout:
                continue
            msgs, messages = await _decode(msgs)
            outcome = await asyncio.to_thread(_write, ctx, messages) if messages else []
            for msg, done in zip(msgs, outcome, strict=True):
                if done == incoming.DONE:
                    await msg.ack()
                else:
                    await msg.nak(delay=gap_delay_s)

    await forever("ingest", link, stop, session)


async def _decode(msgs) -> tuple[list, list[dict]]:
    """The messages that are a hall's event; any other is refused for good (term)."""
    kept, decoded = [], []
    for msg in msgs:
        try:
            body = json.loads(msg.data)
            outgoing.check_uid(body["hall"])
            if not isinstance(body["seq"], int) or body["seq"] < 1:
                raise ValueError("seq")
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with it, it stays wrong
            log.error("ingest: not a hall's event on %s (%s); dropped", msg.subject, exc)
            await msg.term()
            continue
        kept.append(msg)
        decoded.append(body)
    return kept, decoded


def _write(ctx: Context, messages: list[dict]) -> list[str]:
    return run(ctx, lambda u: incoming.apply(u, messages)).value


def run_until_signalled(loop_of) -> None:
    """Run ``loop_of(stop)`` (``uplink`` or ``ingest`` with its arguments bound) until
    SIGINT or SIGTERM sets ``stop``: the current step finishes, then the loop returns."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await loop_of(stop)

    asyncio.run(main())
