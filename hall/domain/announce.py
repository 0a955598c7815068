"""What the hall's voice says for a call, in Mandarin and English (DESIGN.md §3)."""
from __future__ import annotations


def call_text(number: str, counter_number: int) -> dict[str, str]:
    spaced = " ".join(number)  # "A 0 1 2": read digit by digit, as halls do
    return {
        "zh": f"请 {number} 号到 {counter_number} 号窗口办理",
        "en": f"Number {spaced}, please go to window {counter_number}",
    }
