"""Hall: the core shared by every room (DESIGN.md §1). Reads top to bottom, imports only
downward: domain ← store ← services ← realtime / web ← api ← blueprints ← app ← cli/boot."""
