"""The overnight queue on the visitor's phone page (issue 22): a ticket cancelled at closing
says why, in Chinese; a carried one says for which day its place is kept."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from hall.services.context import run
from hall.services.supervision import overnight
from hall.services.supervision.watch_rules import run_sweeps
from tests.e2e.conftest import issue
from tests.integration.conftest import set_hall_settings


def settle_at_closing(seeded, clock, mode: str) -> None:
    with seeded.engine.connect() as conn:
        hall = {"id": conn.execute(text("SELECT id FROM halls")).scalar_one()}
    set_hall_settings(seeded, hall, overnight_queue=mode)
    clock.current = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)  # Friday 18:30 in Shanghai
    run(seeded, lambda uow: run_sweeps(uow, hall["id"], (overnight.overnight_queue,)))


def test_phone_page_says_the_hall_closed(client, kiosk_headers, seeded, clock):
    clock.current = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    t = issue(client, kiosk_headers).json
    settle_at_closing(seeded, clock, "cancel")
    html = client.get(f"/t/{t['token']}").get_data(as_text=True)
    assert "今日大厅已停止服务，请于下一个服务日重新取号。" in html


def test_phone_page_says_the_place_is_kept(client, kiosk_headers, seeded, clock):
    clock.current = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    t = issue(client, kiosk_headers).json
    settle_at_closing(seeded, clock, "carry")
    html = client.get(f"/t/{t['token']}").get_data(as_text=True)
    assert 'id="t-carried"' in html and "2026年11月30日" in html
