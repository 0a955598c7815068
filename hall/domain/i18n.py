"""Marker for user-facing strings defined in the domain.

The domain cannot import Flask-Babel, so messages are marked with ``N_`` (extracted by
pybabel, see babel.cfg) and translated by the web layer with ``gettext(msg) % params``.
"""


def N_(message: str) -> str:
    return message
