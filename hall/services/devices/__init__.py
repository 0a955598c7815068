"""Devices: their health, pairing, and print jobs (the one-box print path included)."""
