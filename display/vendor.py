"""Serve a whitelist of files from the npm install (``npm ci`` → ``node_modules/``).

Only the browser builds the pages load are served, never the rest of ``node_modules``.
The root is ``app.config["NODE_MODULES"]`` (default: ``node_modules`` beside the code).
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import abort, current_app, send_from_directory

from display.blueprint import bp

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "node_modules"
# path patterns relative to node_modules; anything else is a 404
ALLOWED = (
    re.compile(r"socket\.io-client/dist/socket\.io\.esm\.min\.js(\.map)?"),
    re.compile(r"@fontsource/noto-sans-sc/(400|500|700|900)\.css"),
    re.compile(r"@fontsource/noto-sans-sc/files/noto-sans-sc-(\d+|latin|latin-ext|cyrillic|"
               r"vietnamese)-(400|500|700|900)-normal"
               r"\.woff2?"),
    re.compile(r"@fontsource/noto-sans-sc/LICENSE"),
    re.compile(r"chart\.js/dist/chart\.umd\.min\.js"),
)
YEAR = 365 * 24 * 3600  # versioned by package-lock.json; a new pin is a new install


def allowed(name: str) -> bool:
    return any(p.fullmatch(name) for p in ALLOWED)


@bp.get("/display/vendor/<path:name>")
def vendor(name: str):
    if not allowed(name):
        abort(404)
    root = Path(current_app.config.get("NODE_MODULES") or DEFAULT_ROOT)
    max_age = YEAR if name.endswith((".woff2", ".woff")) else 3600
    return send_from_directory(root, name, max_age=max_age)
