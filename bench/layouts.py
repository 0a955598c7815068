"""Hall layouts the benches share: the demo hall grown to 40 windows (bench/report.py,
bench/simulate.py)."""
from __future__ import annotations

from pathlib import Path

from hall.services.config.layout.seed import load_layout

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "hall" / "seed" / "demo_hall.toml"
WINDOWS = 40


def forty_windows() -> dict:
    layout = load_layout(DEMO)
    services = [s["code"] for s in layout["services"]]
    have = {c["number"] for c in layout["counters"]}
    for n in range(1, WINDOWS + 1):
        if n not in have:
            layout["counters"].append({
                "number": n, "name": f"综合窗口{n}",
                "services": [{"service": services[(n + i) % len(services)], "weight": 1}
                             for i in range(3)]})
    return layout
