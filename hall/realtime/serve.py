"""Serving the app: gevent's WSGI server with TCP_NODELAY, or Flask-SocketIO's runner.

gevent's pywsgi writes a response's headers and body in two sends; with Nagle's algorithm
on, the body waits for the client's delayed ACK (40 ms on Linux, up to 200 ms on Windows
kiosks) on every keep-alive request (gevent/gevent#1233). Measured with bench/issue.py:
one client went from p50 48 ms to 3.5 ms once each accepted socket had TCP_NODELAY.
"""
from __future__ import annotations

import gc
import socket

RFILE_BUFFER = 2048


def serve(app, socketio, host: str, port: int) -> None:
    mode = app.config["ASYNC_MODE"]
    # Everything built so far lives as long as the server: keep it out of the collector's
    # generations, so full collections (60-100 ms measured) stop pausing live fan-outs.
    gc.collect()
    gc.freeze()
    if mode == "gevent":
        _serve_gevent(app, host, port)
    elif mode == "threading":
        socketio.run(app, host=host, port=port, log_output=False, allow_unsafe_werkzeug=True)
    else:  # eventlet writes headers and body together: no Nagle stall
        # eventlet.wsgi's default pool of 1024 would cap the screens a process can hold
        socketio.run(app, host=host, port=port, log_output=False,
                     max_size=app.config["MAX_CONNECTIONS"])


def _serve_gevent(app, host: str, port: int) -> None:
    from http import client

    from gevent import pywsgi

    from hall.realtime import headers

    class NoDelayHandler(pywsgi.WSGIHandler):
        def __init__(self, sock, address, server, rfile=None):
            # pywsgi reads requests through an 8 KB buffer that a websocket keeps for its
            # whole life without using it (the websocket reads its own socket): 2 KB holds
            # any request line and headers Hall sees in one read, and saves 6 KB a screen.
            super().__init__(sock, address, server, rfile or sock.makefile("rb", RFILE_BUFFER))

        def handle(self):
            try:
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # a Unix socket behind a proxy has no Nagle to turn off
                pass
            return super().handle()

        def MessageClass(self, fp, *_):  # noqa: N802 - pywsgi's name
            # the header block without the e-mail parser (hall/realtime/headers.py); a line
            # over the limit answers as pywsgi's own factory does
            try:
                return headers.parse_headers(fp, pywsgi.OldMessage)
            except client.LineTooLong:
                message = pywsgi.OldMessage()
                message.status = "Line too long"
                return message

        def log_request(self):
            # with log=None pywsgi still formats an access-log line per request (2 % of the
            # server's CPU in bench/issue.py) and writes it nowhere; a proxy in front logs
            pass

    # WebSocket upgrades are handled by python-engineio, with hall/realtime/websocket.py in place of
    # simple-websocket (hall/realtime/fanout.py installs it).
    server = pywsgi.WSGIServer((host, port), app, handler_class=NoDelayHandler, log=None)
    server.serve_forever()
