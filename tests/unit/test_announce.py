"""What the hall's voice says for a call (hall/domain/announce.py): the words, and the clips
of the voice pack that the pages play and display/voice.py joins, from one table."""
from __future__ import annotations

from hall.domain import announce


def test_a_call_carries_its_words_and_its_clips_in_both_languages():
    said = announce.call_text("A012", 35)
    assert said["zh"] == "请 A012 号到 35 号窗口办理"
    assert said["en"] == "Number A 0 1 2, please go to window 35"
    assert said["clips"] == {
        "chime": ["chime"],
        "zh": ["zh/qing", "zh/A", "zh/0", "zh/1", "zh/2", "zh/hao", "zh/dao", "zh/3", "zh/shi",
               "zh/5", "zh/hao", "zh/chuangkou", "zh/banli"],
        "en": ["en/number", "en/A", "en/0", "en/1", "en/2", "en/please_go_to", "en/window",
               "en/30", "en/5"],
    }


def test_the_clips_of_a_call_are_the_joined_announcements_parts():
    clips = announce.call_text("B7", 12)["clips"]
    for lang in announce.LANGS:
        assert [*clips["chime"], *clips[lang]] == announce.announcement_parts("B7", 12, lang)
    assert set(clips["zh"]) | set(clips["en"]) <= set(announce.all_clip_names())


def test_a_number_no_clip_can_read_is_still_worded_but_has_no_clips():
    said = announce.call_text("A-1", 2)  # the pages speak it, or stay silent
    assert said["zh"] == "请 A-1 号到 2 号窗口办理" and "clips" not in said
