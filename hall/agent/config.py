"""devices.toml: the bridges an agent runs, their tokens and options (README, "Devices and
the agent").

    [agent]                         # optional; these are the defaults
    health_every_s = 5              # health reports to the server
    poll_every_s = 0.2              # each bridge's poll()
    reconnect_first_s = 0.5         # backoff after losing the server: 0.5 s, 1 s, 2 s … (jittered)
    reconnect_max_s = 15
    spool = ""                      # a folder: buffered API calls survive an agent restart

    [[led]]                         # one table per bridge; the table name picks the class
    token = "…"                     # or token_env = "HALL_LED_TOKEN" (read from the environment)
    url = "led+serial:///dev/ttyUSB1"
    …                               # the bridge's own options, passed as keyword arguments

Table names map to bridge classes by import path (REGISTRY); ``class = "pkg.mod:Class"`` in a
table names any other class. Every class is imported and every bridge constructed when the
file is loaded, so a missing bridge module, a typo in an option or a bad device URL is one
clear ``ConfigError`` naming the table, before anything connects.
"""
from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGISTRY: dict[str, str] = {
    "led": "display.led_bridge:LedBridge",
    "printer": "kiosk.printer_bridge:PrinterBridge",
    "keypad": "counter.keypad_bridge:KeypadBridge",
    "ratingpad": "counter.keypad_bridge:RatingKeypadBridge",
}
META_KEYS = ("class", "token_env")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class AgentSettings:
    health_every_s: float = 5.0
    poll_every_s: float = 0.2
    reconnect_first_s: float = 0.5
    reconnect_max_s: float = 15.0
    spool: Path | None = None


@dataclass(frozen=True)
class BridgeSpec:
    kind: str  # the table name: led, printer, keypad, ratingpad, …
    index: int  # its position among the tables of that name, from 1
    target: str  # "module:Class"
    options: dict[str, Any]  # the keyword arguments, token included

    @property
    def where(self) -> str:
        return f"[[{self.kind}]] #{self.index}"

    def build(self) -> Any:
        cls = resolve(self.target, self.where)
        try:
            bridge = cls(**self.options)
        except (TypeError, ValueError) as exc:  # unknown option, bad URL, bad value
            raise ConfigError(f"{self.where}: {exc}") from None
        for attr in ("token", "name", "start", "rooms", "on_event", "on_snapshot", "poll",
                     "health", "close"):
            if not hasattr(bridge, attr):
                raise ConfigError(f"{self.where}: {self.target} is not a bridge (no {attr}; "
                                  f"see hall/agent/bridge.py)")
        return bridge


@dataclass(frozen=True)
class DevicesConfig:
    bridges: list[BridgeSpec]
    settings: AgentSettings = field(default_factory=AgentSettings)
    source: str = "devices.toml"


def load(path: str | Path, env: Mapping[str, str] | None = None) -> DevicesConfig:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse(data, str(path), os.environ if env is None else env)


def parse(data: dict[str, Any], source: str = "devices.toml",
          env: Mapping[str, str] | None = None) -> DevicesConfig:
    env = os.environ if env is None else env
    settings = _settings(data.get("agent", {}), source)
    specs = []
    for kind, tables in data.items():
        if kind == "agent":
            continue
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise ConfigError(f"{source}: {kind!r} must be an array of tables, [[{kind}]]")
        for i, table in enumerate(tables, 1):
            specs.append(_spec(kind, i, dict(table), env, source))
    return DevicesConfig(specs, settings, source)


def _settings(table: Any, source: str) -> AgentSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [agent] must be a table")
    known = {f for f in AgentSettings.__dataclass_fields__}
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"{source}: [agent] unknown key(s) {sorted(unknown)}; "
                          f"expected {sorted(known)}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "spool":
            values[key] = Path(value) if value else None
        elif isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            values[key] = float(value)
        else:
            raise ConfigError(f"{source}: [agent] {key} = {value!r}: expected seconds > 0")
    if values.get("reconnect_first_s", 0.5) > values.get("reconnect_max_s", 15.0):
        raise ConfigError(f"{source}: [agent] reconnect_first_s exceeds reconnect_max_s")
    return AgentSettings(**values)


def _spec(kind: str, index: int, table: dict[str, Any], env: Mapping[str, str],
          source: str) -> BridgeSpec:
    where = f"{source}: [[{kind}]] #{index}"
    target = table.pop("class", None) or REGISTRY.get(kind)
    if target is None:
        raise ConfigError(f"{where}: unknown kind of bridge; known: {', '.join(REGISTRY)} "
                          f"(or give class = \"module:Class\")")
    if not isinstance(target, str) or ":" not in target:
        raise ConfigError(f"{where}: class = {target!r}: expected \"module:Class\"")
    name_env = table.pop("token_env", None)
    if name_env is not None:
        if "token" in table:
            raise ConfigError(f"{where}: give token or token_env, not both")
        if not env.get(name_env):
            raise ConfigError(f"{where}: token_env = {name_env!r} but that variable is not set")
        table["token"] = env[name_env]
    token = table.get("token")
    if not isinstance(token, str) or not token.strip():
        raise ConfigError(f"{where}: token is required (the device's token from "
                          f"`hall device add`), or token_env = \"VARIABLE\"")
    if not (token.isascii() and token.isprintable() and " " not in token):
        raise ConfigError(f"{where}: token {token[:8]!r}… is not a device token (tokens are "
                          f"letters, digits, - and _, as `hall device add` prints them)")
    return BridgeSpec(kind, index, target, table)


def resolve(target: str, where: str) -> type:
    """Import "module:Class", telling "not installed" apart from "failed to import"."""
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ConfigError(f"{where}: bridge {target} is not installed (no module "
                              f"{exc.name!r})") from None
        raise ConfigError(f"{where}: {target} failed to import: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - any import-time failure becomes a config error
        raise ConfigError(f"{where}: {target} failed to import: {type(exc).__name__}: {exc}"
                          ) from None
    cls = getattr(module, attr, None)
    if cls is None:
        raise ConfigError(f"{where}: {module_name} has no {attr!r}")
    return cls
