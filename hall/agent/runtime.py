"""The agent runtime: runs device bridges against a Hall server (bridge.py is the contract).

For each bridge: learn who its token is (``GET /api/v1/devices/me``), ``start`` it with an
HTTP link, open its event stream (stream.py: subscribe, resync, reconnect with backoff),
call ``poll`` every ``poll_every_s`` from its own thread, and report its ``health`` every
``health_every_s``. A bridge that fails to start (server away, token refused, device
missing) is retried with backoff; an exception in a bridge is logged and counted, never
fatal. With an agent token the agent reports for its bridges (``device_id``) and for itself.

    agent = Agent(config.load("devices.toml"), "http://hall:5000", token).start()
    …
    agent.stop()

The same code runs ``hall agent`` on a PC next to the devices and, in the one-box layout,
inside the server process against the server's own URL (``start_in_server``). Threads are
green threads there: the process is monkey-patched before anything is imported (hall/boot.py).
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

from hall.agent.backoff import Backoff
from hall.agent.bridge import LinkDown, LinkError
from hall.agent.config import AgentSettings, BridgeSpec, DevicesConfig
from hall.agent.link import HttpLink
from hall.agent.stream import EventStream

log = logging.getLogger(__name__)
ERROR_MAX = 200  # the health API keeps at most this many characters of an error


class BridgeRunner:
    """One bridge with its link, its event stream and its poll thread."""

    def __init__(self, spec: BridgeSpec, bridge: Any, server: str,
                 settings: AgentSettings) -> None:
        self.spec, self.bridge, self.server, self.settings = spec, bridge, server, settings
        self.name = getattr(bridge, "name", "") or spec.where
        spool = settings.spool / f"{spec.kind}-{spec.index}.jsonl" if settings.spool else None
        if spool is not None:
            spool.parent.mkdir(parents=True, exist_ok=True)
        self.link = HttpLink(server, bridge.token, spool=spool, name=self.name)
        self.me: dict[str, Any] | None = None
        self.started = False
        self.stream: EventStream | None = None
        self.error: str | None = None
        self.errors = 0  # poll() failures
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self.stream is not None:
            self.stream.stop(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        if self.started:
            try:
                self.bridge.close()
            except Exception:  # noqa: BLE001 - closing must not stop the others closing
                log.exception("%s: close failed", self.name)
        self.link.close()

    def _backoff(self) -> Backoff:
        return Backoff(self.settings.reconnect_first_s, self.settings.reconnect_max_s)

    def _run(self) -> None:
        backoff = self._backoff()
        while not self._stop.is_set() and not self._start_bridge():
            backoff.wait(self._stop)
        if self._stop.is_set():
            return
        self.stream = EventStream(self.server, self.bridge.token, self.bridge,
                                  backoff=self._backoff(), on_connect=self.link.replay,
                                  name=self.name)
        self.stream.start()
        replay_at = 0.0
        while not self._stop.wait(self.settings.poll_every_s):
            try:
                self.bridge.poll()
            except Exception as exc:  # noqa: BLE001 - counted and reported in health
                self.errors += 1
                self._note(f"poll: {type(exc).__name__}: {exc}", exc)
            if self.link.pending and time.monotonic() >= replay_at:
                # besides after each reconnect: a replay cut short by a blip tries again
                replay_at = time.monotonic() + self.settings.health_every_s
                self.link.replay()

    def _start_bridge(self) -> bool:
        try:
            self.me = self.link.call("GET", "/devices/me")
            self.bridge.start(self.link, self.me)
        except LinkDown as exc:
            self._note(f"server unreachable: {exc.reason}")
            return False
        except LinkError as exc:
            self._note(f"the server refused this bridge's token (HTTP {exc.status}): "
                       f"{exc.body.get('error', {}).get('message', exc.body)}")
            return False
        except Exception as exc:  # noqa: BLE001 - the device may appear later: retried
            self._note(f"start: {type(exc).__name__}: {exc}", exc)
            return False
        self.started, self.error = True, None
        log.info("%s: started as device %s (%s)", self.name, self.me.get("id"),
                 self.me.get("kind"))
        return True

    def _note(self, error: str, exc: BaseException | None = None) -> None:
        """Log an error once per change, not once per retry or poll."""
        if error != self.error:
            log.warning("%s: %s", self.name, error, exc_info=exc)
        self.error = error

    def health(self) -> dict[str, Any] | None:
        """The bridge's report, or None while the server has not said who it is."""
        if self.me is None:
            return None
        if not self.started:
            report: dict[str, Any] = {"online": False, "error": self.error}
        else:
            try:
                report = dict(self.bridge.health())
            except Exception as exc:  # noqa: BLE001
                report = {"online": False, "error": f"health: {type(exc).__name__}: {exc}"}
        handler_errors = self.errors + (self.stream.errors if self.stream else 0)
        report["errors"] = int(report.get("errors") or 0) + handler_errors
        if isinstance(report.get("error"), str):
            report["error"] = report["error"][:ERROR_MAX]
        report["buffered"] = self.link.pending
        return report


class Agent:
    def __init__(self, config: DevicesConfig, server: str, token: str | None = None) -> None:
        self.config, self.server = config, server.rstrip("/")
        self.settings = config.settings
        self.bridges = [(spec, spec.build()) for spec in config.bridges]  # ConfigError here
        self.runners = [BridgeRunner(spec, bridge, self.server, self.settings)
                        for spec, bridge in self.bridges]
        self.link = HttpLink(self.server, token, name="agent") if token else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Agent:
        for runner in self.runners:
            runner.start()
        self._thread = threading.Thread(target=self._report_loop, name="agent health",
                                        daemon=True)
        self._thread.start()
        log.info("agent: %d bridge(s) against %s", len(self.runners), self.server)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for runner in self.runners:
            runner.stop(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        if self.link is not None:
            self.link.close()

    def _report_loop(self) -> None:
        while not self._stop.wait(self.settings.health_every_s):
            self.report()

    def report(self) -> None:
        """One round of health reports; a server that is away just misses this round."""
        for runner in self.runners:
            health = runner.health()
            if health is None:
                continue
            try:
                if self.link is not None:
                    self.link.call("POST", "/devices/me/health",
                                   {**health, "device_id": runner.me["id"]})
                else:
                    runner.link.call("POST", "/devices/me/health", health)
            except LinkError as exc:
                log.debug("%s: health not reported: %s", runner.name, exc)
        if self.link is not None:
            try:
                self.link.call("POST", "/devices/me/health", self.own_health())
            except LinkError as exc:
                log.debug("agent: health not reported: %s", exc)

    def own_health(self) -> dict[str, Any]:
        waiting = [r for r in self.runners if not r.started]
        return {"online": True, "host": socket.gethostname(), "bridges": len(self.runners),
                "running": len(self.runners) - len(waiting),
                "errors": sum(r.errors + (r.stream.errors if r.stream else 0)
                              for r in self.runners),
                "error": (f"{waiting[0].name}: {waiting[0].error}"[:ERROR_MAX]
                          if waiting and waiting[0].error else None),
                "buffered": sum(r.link.pending for r in self.runners)}


def start_in_server(config: DevicesConfig, host: str, port: int) -> Agent:
    """The one-box layout: the bridges run in the server process, against its own URL.
    Called before the server listens: the bridges are built at once (a config error stops
    the server from starting), and start in a background thread once the port answers."""
    local = "127.0.0.1" if host in ("", "0.0.0.0", "::", "localhost") else host
    agent = Agent(config, f"http://{f'[{local}]' if ':' in local else local}:{port}")
    threading.Thread(target=_when_listening, args=(local, port, agent.start),
                     name="agent start", daemon=True).start()
    return agent


def _when_listening(host: str, port: int, then: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    then()
