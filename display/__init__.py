"""Display blueprint: the hall screen, the window (counter) screens and the phone page.

Pages are server-rendered shells; their live state comes from Socket.IO (``/hall``) through
``static/hall-live.js``. No inline script (a CSP forbids it): data travels in ``data-*``
attributes and the JS files read it. Front-end packages (Socket.IO client, Noto Sans SC)
are served from the npm install under ``/display/vendor/`` (see ``vendor.py``).
"""
from __future__ import annotations

from display import pairing, vendor, views  # noqa: E402,F401 - routes register on import
from display.blueprint import bp  # noqa: F401 - the blueprint the app registers
