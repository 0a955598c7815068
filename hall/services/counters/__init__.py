"""Counters (窗口): their state (sign-in, open, pause, close), what a terminal draws, and
a window's own figures of the day."""
