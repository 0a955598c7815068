"""Flask extensions, created unbound and initialised by create_app (no import-time I/O)."""
from __future__ import annotations

from flask_babel import Babel
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
socketio = SocketIO()
