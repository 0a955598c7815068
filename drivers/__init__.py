"""Device protocols, transports and emulators. Devices are named by URL (see urls.py)."""
