"""devices.toml: table names map to bridge classes, mistakes are one clear ConfigError."""
from __future__ import annotations

import threading

import pytest

from display.led_bridge import LedBridge
from hall.agent.backoff import Backoff
from hall.agent.config import REGISTRY, ConfigError, load, parse, resolve
from hall.agent.runtime import Agent

LED = {"token": "t0k3n", "url": "led+serial:///dev/ttyUSB1"}


def test_each_table_name_builds_its_bridge_class_with_the_table_as_options():
    config = parse({"agent": {"health_every_s": 2, "reconnect_max_s": 4},
                    "led": [LED, {**LED, "url": "led+tcp://10.0.0.5:5005", "width": 96,
                                  "signs": [{"counter": 5, "address": "0x05"}]}]})
    assert config.settings.health_every_s == 2.0 and config.settings.reconnect_max_s == 4.0
    assert [(s.kind, s.index, s.target) for s in config.bridges] == [
        ("led", 1, REGISTRY["led"]), ("led", 2, REGISTRY["led"])]
    bridges = [spec.build() for spec in config.bridges]
    assert all(isinstance(b, LedBridge) for b in bridges)
    assert bridges[1].token == "t0k3n" and bridges[1].size == (96, 16)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_registered_bridge_kind_names_an_importable_class(kind):
    assert isinstance(resolve(REGISTRY[kind], kind), type)


def test_an_unknown_table_names_itself_and_the_known_kinds():
    with pytest.raises(ConfigError, match=r"\[\[sign\]\] #1: unknown kind of bridge; known: "
                                          r"led, printer, keypad, ratingpad"):
        parse({"sign": [LED]})


def test_a_missing_bridge_module_is_a_config_error_not_an_import_crash(tmp_path, monkeypatch):
    config = parse({"led": [{**LED, "class": "hall_plugins.nowhere:Bridge"}]})
    with pytest.raises(ConfigError, match=r"\[\[led\]\] #1: bridge hall_plugins.nowhere:Bridge "
                                          r"is not installed \(no module 'hall_plugins'\)"):
        Agent(config, "http://127.0.0.1:9")
    (tmp_path / "broken_bridge.py").write_text("import no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="broken_bridge:Bridge failed to import: No module "
                                          "named 'no_such_dependency'"):
        parse({"led": [{**LED, "class": "broken_bridge:Bridge"}]}).bridges[0].build()
    with pytest.raises(ConfigError, match="display.led_bridge has no 'Nope'"):
        resolve("display.led_bridge:Nope", "[[led]] #1")


def test_a_token_is_required_and_may_come_from_the_environment():
    with pytest.raises(ConfigError, match=r"\[\[led\]\] #1: token is required"):
        parse({"led": [{"url": LED["url"]}]})
    with pytest.raises(ConfigError, match="HALL_LED_TOKEN.* is not set"):
        parse({"led": [{"url": LED["url"], "token_env": "HALL_LED_TOKEN"}]}, env={})
    with pytest.raises(ConfigError, match="is not a device token"):
        parse({"led": [{"url": LED["url"], "token": "…"}]})  # copied from an example
    config = parse({"led": [{"url": LED["url"], "token_env": "HALL_LED_TOKEN"}]},
                   env={"HALL_LED_TOKEN": "from-env"})
    assert config.bridges[0].build().token == "from-env"


@pytest.mark.parametrize(("table", "message"), [
    ({**LED, "widht": 96}, r"\[\[led\]\] #1: .*unexpected keyword argument 'widht'"),
    ({**LED, "url": "escpos+tcp://10.0.0.9:9100"}, "is not an LED sign URL"),
    ({**LED, "url": "led+udp://10.0.0.9:5005"}, "led devices connect by serial, tcp"),
    ({**LED, "signs": [{"counter": 1, "adress": 3}]}, r"signs\[0\]: unknown key\(s\) \['adress'\]"),
    ({**LED, "signs": [{"kind": "strip"}]}, r"signs\[0\]: a strip needs address"),
    ({**LED, "signs": [{"address": 3}]}, r"signs\[0\]: a window sign needs counter"),
    ({**LED, "texts": {"paused": "{why}"}}, r"texts.paused = '\{why\}'"),
])
def test_a_mistake_in_a_bridge_table_names_the_table_and_the_field(table, message):
    with pytest.raises(ConfigError, match=message):
        parse({"led": [table]}).bridges[0].build()


def test_agent_settings_and_the_file_itself_are_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"\[agent\] unknown key\(s\) \['health_s'\]"):
        parse({"agent": {"health_s": 5}})
    with pytest.raises(ConfigError, match=r"poll_every_s = -1: expected seconds > 0"):
        parse({"agent": {"poll_every_s": -1}})
    path = tmp_path / "devices.toml"
    path.write_text('[[led]]\ntoken = "abc\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"devices.toml: not valid TOML: .*line 2"):
        load(path)
    with pytest.raises(ConfigError, match="No such file"):
        load(tmp_path / "missing.toml")


def test_backoff_doubles_with_jitter_up_to_its_cap_and_starts_over_after_success():
    low, high = Backoff(0.5, 4.0, rng=lambda: 0.0), Backoff(0.5, 4.0, rng=lambda: 1.0)
    assert [high.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [low.next() for _ in range(4)] == [0.25, 0.5, 1.0, 2.0]
    high.reset()
    assert high.next() == 0.5
    stop = threading.Event()
    stop.set()
    assert Backoff(10, 10).wait(stop) is True  # a stop cuts the wait short
