"""The public service guide (政务公开): ``GET /api/v1/guide`` and the page ``/guide``, public,
read-only, with every active service's whole guide and nothing personal; search by name,
department, keyword or pinyin initials."""
from __future__ import annotations

import json

from sqlalchemy import text

from hall.domain.access import Actor
from hall.services.queue import tickets


def services(body: dict) -> dict[str, dict]:
    return {s["code"]: s for d in body["departments"] for s in d["services"]}


def test_public_guide_lists_every_service(client, seeded):
    with seeded.engine.begin() as conn:  # a retired service is not in the public guide
        conn.execute(text("UPDATE services SET active = :f WHERE code = 'sfz'"), {"f": False})
        conn.execute(text("UPDATE services SET guide = :g WHERE code = 'ss'"), {"g": json.dumps(
            {"materials": ["营业执照副本复印件2份（加盖公章）", "经办人居民身份证原件"]},
            ensure_ascii=False)})
        hall_id = conn.execute(text("SELECT id FROM halls")).scalar_one()
    tickets.issue(seeded, hall_id=hall_id, service="hj", actor=Actor("device", 1, hall_id,
                                                                     "kiosk"))
    r = client.get("/api/v1/guide")  # no token, no session
    assert r.status_code == 200
    body = r.json
    assert body["total"] == 2 and body["found"] == 2
    assert [d["code"] for d in body["departments"]] == ["gaj", "swj"]
    found = services(body)
    assert set(found) == {"hj", "ss"}
    hj = found["hj"]
    assert hj["name"] == "户籍办理" and hj["kind"] == "promised"
    assert (hj["legal_days"], hj["promised_days"]) == (20, 5)
    assert hj["windows"] == [1, 2, 3] and hj["bookable"] is True
    assert hj["basis"] == "《中华人民共和国户口登记条例》" and hj["fee"] == "不收费"
    assert hj["conditions"] == "本市户籍居民" and hj["steps"] == ["取号", "窗口受理", "办结"]
    assert hj["materials"] == [{"text": "居民户口簿原件", "original": True, "copies": 0},
                               {"text": "居民身份证原件", "original": True, "copies": 0}]
    assert found["ss"]["windows"] == [3, 4] and found["ss"]["bookable"] is False
    assert found["ss"]["materials"][0] == {"text": "营业执照副本复印件2份（加盖公章）",
                                           "original": False, "copies": 2}
    # nothing of the day's tickets, staff or figures in the public answer
    raw = json.dumps(body, ensure_ascii=False)
    for private in ("A001", "李娜", "token", "waiting", "staff", "person"):
        assert private not in raw
    # the page: every service, its materials with originals and copies, a QR, the booking link
    page = client.get("/guide")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("户籍办理", "税务申报", "公安局", "税务局", "本市户籍居民", "营业执照副本"):
        assert name in html
    assert "身份证办理" not in html
    assert 'id="svc-hj"' in html and "/guide/qr/test/hj.svg" in html and 'href="/book/test"' in html
    qr = client.get("/guide/qr/test/hj.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    english = client.get("/guide?lang=en").get_data(as_text=True)
    assert "Household registration" in english and "Service guide" in english
    assert client.get("/api/v1/guide?hall=nowhere").status_code == 404


def test_guide_search_by_pinyin_initials(client, seeded):
    def codes(q: str) -> set[str]:
        r = client.get("/api/v1/guide", query_string={"q": q})
        assert r.status_code == 200
        return set(services(r.json))

    assert codes("hjbl") == {"hj"}  # 户籍办理
    assert codes("HJ") == {"hj"}  # case does not matter
    assert codes("swsb") == {"ss"}  # 税务申报
    assert codes("gaj") == {"hj", "sfz"}  # the department 公安局 by its initials
    assert codes("sfz") == {"sfz"}  # 身份证办理 (and the service's code)
    assert codes("户籍") == {"hj"}  # a substring of the name
    assert codes("税务局") == {"ss"}  # the department's name
    assert codes("户口簿") == {"hj"}  # a keyword of the materials
    assert codes("ｈｊｂｌ") == {"hj"}  # full-width letters, as a Chinese IME types them
    assert codes("xyz") == set()
    assert codes("") == {"hj", "sfz", "ss"}
    page = client.get("/guide", query_string={"q": "swsb"}).get_data(as_text=True)
    assert 'id="svc-ss"' in page and 'id="svc-hj"' not in page
    assert client.get("/api/v1/guide", query_string={"q": "x" * 51}).status_code == 422
